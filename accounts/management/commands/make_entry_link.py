from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.http import urlencode

from accounts.entry import payload_for_candidate, sign_entry_token
from accounts.models import Candidate


class Command(BaseCommand):
    help = "为已有考生签发一个进入链接（新的签发时间与 nonce，10 分钟内有效、只能使用一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--reg-no", required=True, help="报名号")
        parser.add_argument("--year", type=int, help="考试年度（默认当前年度）")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="本系统的地址（默认 %(default)s）"
        )

    def handle(self, *args, reg_no, year, base_url, **options):
        candidates = Candidate.objects.select_related(
            "exam_year", "province", "site", "category"
        ).filter(reg_no=reg_no)
        if year:
            candidates = candidates.filter(exam_year__year=year)
        else:
            candidates = candidates.filter(exam_year__is_current=True)
        candidate = candidates.first()
        if candidate is None:
            raise CommandError(f"没有找到报名号为 {reg_no} 的考生。")
        token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
        self.stdout.write(
            f"{base_url.rstrip('/')}{reverse('accounts:entry')}?{urlencode({'t': token})}"
        )
