from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.celery import app


class Command(BaseCommand):
    help = (
        "把 Celery beat 的全部定时任务（settings.CELERY_BEAT_SCHEDULE）在本进程中各执行一次："
        "截止自动提交、上传截止提醒与修改截止提醒、清理入口随机数、重新处理卡住的照片与短信等。都可重复运行。"
        "没有 Celery beat 的安装用 cron 每分钟运行一次即可。"
    )

    def handle(self, *args, **options):
        # The schedule is the one list of periodic jobs: what beat sends is what this runs.
        app.loader.import_default_modules()
        failed = []
        for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
            task = app.tasks[entry["task"]]
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            if result.failed():
                failed.append(key)
                self.stderr.write(f"{key} ({task.name}): {result.result!r}")
            else:
                self.stdout.write(f"{key} ({task.name}): {result.result}")
        if failed:
            raise CommandError(f"定时任务失败：{', '.join(failed)}")
