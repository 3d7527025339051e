import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand

from demo.seed.accounts import DEMO_PASSWORD, seed_demo_accounts
from demo.seed.materials import seed_demo_materials
from demo.seed.review import seed_demo_review


class Command(BaseCommand):
    help = "加载演示数据（可重复运行）：考试年度、报考类别、天津/山东/河北考区、考点、考生、审核与管理账号。"

    def handle(self, *args, **options):
        # The demo photos run their tasks in the process, each logging a line or two at
        # INFO: about 100 lines. Warnings and errors still show; -v 2 shows everything.
        if options["verbosity"] >= 2:
            self._seed()
        else:
            with _root_log_level(logging.WARNING):
                self._seed()

    def _seed(self):
        exam_year, provinces, report = seed_demo_accounts()
        for what, count in report.created.items():
            self.stdout.write(f"  {what}: 新增 {count}")
        seed_demo_materials(exam_year=exam_year, provinces=provinces)
        self.stdout.write("  demo.seed.materials: 完成")
        seed_demo_review(exam_year=exam_year)
        self.stdout.write("  demo.seed.review: 完成")
        codes = "/".join(p.code for p in provinces)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已就绪。登录：admin，site<考区代码>、province<考区代码>、operator<考区代码>"
                f"（考区代码 {codes}），密码均为 {DEMO_PASSWORD}。"
            )
        )


@contextmanager
def _root_log_level(level: int):
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(level, previous))
    try:
        yield
    finally:
        root.setLevel(previous)
