from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from review.services.purge import exam_year_purge


class Command(BaseCommand):
    help = (
        "考试周期结束后清除一个年度的个人信息：删除存储中该年度的全部照片（原图、水印图、缩略图），"
        "清除考生的姓名、证件号码、手机号码、地址、报名信息与机器预审识别内容，短信记录中的号码脱敏、内容清空；"
        "保留匿名统计（考区/考点/报考类别/状态人数）与审计记录。上传期未结束或仍有考生在审核中的"
        "年度会被拒绝。--dry-run 只报告将删除的文件数、字节数与行数，不做任何改动。"
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="考试年度，如 2025")
        parser.add_argument("--dry-run", action="store_true", help="只报告，不删除、不修改")

    def handle(self, *args, year, dry_run, **options):
        try:
            report = exam_year_purge(year=year, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        write = self.stdout.write
        if dry_run:
            write(f"试运行（不做任何改动）：{year} 年度将清除")
        else:
            write(self.style.SUCCESS(f"{year} 年度已清除"))
        write(f"  文件 {report.files.count} 个，共 {report.files.bytes} 字节")
        write(f"  考生 {report.candidates} 名（姓名、证件号码、手机号码、地址、报名信息）")
        write(f"  图片 {report.images} 张（文件名与校验值；图片行与审核状态保留）")
        write(f"  机器预审结果 {report.photo_checks} 条")
        write(f"  手机验证码 {report.phone_verifications} 条")
        write(f"  短信记录 {report.notifications} 条（号码脱敏，内容清空）")
        write("保留的匿名统计（考区 考点 报考类别 状态 人数）：")
        for province, site, category, status, count in report.counts:
            write(f"  {province} {site} {category} {status} {count}")
