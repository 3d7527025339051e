from django.core.management.base import BaseCommand

from review import services


class Command(BaseCommand):
    help = (
        "执行审核的定时任务一次（可重复运行）：上传截止后自动提交并锁定、修改截止前短信提醒、"
        "清理过期的领取。没有 Celery beat 时可用 cron 定时运行。"
    )

    def handle(self, *args, **options):
        submitted = services.candidates_close_windows()
        reminded = services.reply_deadline_reminders_send()
        purged = services.claims_purge_expired()
        self.stdout.write(
            f"截止自动提交 {submitted} 人；修改截止提醒 {reminded} 人；清理过期领取 {purged} 条。"
        )
