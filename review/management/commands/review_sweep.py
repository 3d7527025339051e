from review.management.commands.sweep import Command as SweepCommand


class Command(SweepCommand):
    help = "旧名称，等同于 `python manage.py sweep`（执行全部定时任务一次）。"
