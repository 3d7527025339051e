from django.core.management.base import BaseCommand, CommandError

from accounts.idcrypt import IdKeyMissing, current_key_id
from accounts.services.idkeys import candidate_id_keys_rotate


class Command(BaseCommand):
    help = (
        "用 YISHEN_ID_KEYS 中的第一个（最新）密钥重新加密所有证件号码，并按 YISHEN_ID_HASH_KEY "
        "重新计算检索摘要。可重复执行：已是最新的行不会改写。分批进行，可在系统运行时执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="每批处理的考生数（默认 %(default)s）"
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须大于 0。")
        self.stdout.write(f"当前加密密钥：{current_key_id()}")
        try:
            result = candidate_id_keys_rotate(
                batch_size=batch_size,
                progress=lambda r: self.stdout.write(f"  已检查 {r.checked}，已改写 {r.rewritten}"),
            )
        except IdKeyMissing as exc:
            raise CommandError(
                f"{exc}。请把该密钥放回 YISHEN_ID_KEYS（排在新密钥之后）再执行。"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：检查 {result.checked} 名考生，重新加密或更新摘要 {result.rewritten} 名。"
            )
        )
