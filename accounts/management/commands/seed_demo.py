from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, call_optional_seed, seed_demo_accounts


class Command(BaseCommand):
    help = "加载演示数据（可重复运行）：考试年度、报考类别、天津/山东/河北考区、考点、考生、审核与管理账号。"

    def handle(self, *args, **options):
        exam_year, provinces, report = seed_demo_accounts()
        for what, count in report.created.items():
            self.stdout.write(f"  {what}: 新增 {count}")
        for module, function, kwargs in (
            (
                "materials.seed",
                "seed_demo_materials",
                {"exam_year": exam_year, "provinces": provinces},
            ),
            ("review.seed", "seed_demo_review", {"exam_year": exam_year}),
        ):
            note = call_optional_seed(module, function, **kwargs)
            if note:
                self.stdout.write(self.style.WARNING(f"  {note}"))
            else:
                self.stdout.write(f"  {module}.{function}: 完成")
        codes = "/".join(p.code for p in provinces)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已就绪。登录：admin，site<考区代码>、province<考区代码>、operator<考区代码>"
                f"（考区代码 {codes}），密码均为 {DEMO_PASSWORD}。"
            )
        )
