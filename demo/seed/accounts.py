"""The demo organisation and people (`manage.py seed_demo`). Idempotent: running it again
adds what is missing and changes nothing an operator has edited."""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.enums import StaffRole, SubmitMode
from accounts.exam_categories import install_exam_categories, name_exam_categories_in_english
from accounts.models import Candidate, ExamCategory, ExamYear, Province, StaffProfile, TestSite

from ..people import demo_id_number

DEMO_PASSWORD = "yishen2026"  # noqa: S105 - the demo log-ins are published in the README
DEMO_YEAR = 2026

PROVINCES = (
    (
        "12",
        "天津",
        SubmitMode.EXPLICIT,
        (("1201", "和平区"), ("1202", "河西区"), ("1203", "南开区")),
    ),
    ("37", "山东", SubmitMode.EXPLICIT, (("3701", "济南"), ("3702", "青岛"), ("3703", "淄博"))),
    ("13", "河北", SubmitMode.AUTO_SAVE, (("1301", "石家庄"), ("1302", "唐山"))),
)
CANDIDATES_PER_PROVINCE = 12

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "文博",
    "思琪",
)
# Categories and tags spread over the demo candidates (most are 110/210, as in reality).
CATEGORY_CYCLE = (
    "110",
    "210",
    "110",
    "120",
    "141",
    "210",
    "130",
    "242",
    "110",
    "220",
    "260",
    "151",
)
TAG_CYCLE = (
    (),
    ("应届毕业生",),
    (),
    ("在读研究生",),
    ("应届毕业生",),
    (),
    ("港澳台",),
    (),
    ("外籍",),
    ("应届毕业生", "在读研究生"),
    (),
    (),
)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, created: bool) -> None:
        self.created[what] = self.created.get(what, 0) + int(created)


@transaction.atomic
def seed_demo_accounts(*, now=None) -> tuple[ExamYear, list[Province], SeedReport]:
    now = now or timezone.now()
    report = SeedReport()
    exam_year, created = ExamYear.objects.get_or_create(
        year=DEMO_YEAR, defaults={"is_current": True}
    )
    report.add("考试年度", created)
    if not ExamYear.objects.filter(is_current=True).exists():
        ExamYear.objects.filter(pk=exam_year.pk).update(is_current=True)
    report.add("报考类别", bool(install_exam_categories(ExamCategory)))
    name_exam_categories_in_english(ExamCategory)
    categories = {c.code: c for c in ExamCategory.objects.all()}

    provinces = []
    for code, name, mode, sites in PROVINCES:
        province, created = Province.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "submit_mode": mode,
                "opens_at": now - timedelta(days=3),
                "closes_at": now + timedelta(days=21),
            },
        )
        report.add("考区", created)
        provinces.append(province)
        site_objs = []
        for site_code, site_name in sites:
            site, created = TestSite.objects.get_or_create(
                code=site_code, defaults={"province": province, "name": site_name}
            )
            report.add("考点", created)
            site_objs.append(site)
        _seed_candidates(exam_year, province, site_objs, categories, report)
        _seed_staff(province, site_objs[0], report)

    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "", DEMO_PASSWORD)
        report.add("管理员", True)
    # National scope, so that the superuser can also use the workbench and the exports.
    StaffProfile.objects.get_or_create(
        user=User.objects.get(username="admin"), defaults={"role": StaffRole.NATIONAL}
    )
    return exam_year, provinces, report


def _seed_candidates(exam_year, province, sites, categories, report) -> None:
    rng = random.Random(f"yishen-demo-{province.code}")  # the same people on every run
    for i in range(CANDIDATES_PER_PROVINCE):
        site = sites[i % len(sites)]
        reg_no = f"{DEMO_YEAR % 100}{site.code}{i + 1:05d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        id_no = demo_id_number(province.code, rng)
        tags = list(TAG_CYCLE[i % len(TAG_CYCLE)])
        id_type = "id_card"
        if "港澳台" in tags:
            id_type, id_no = "hk_macao_permit", f"H{rng.randrange(10**8):08d}"
        elif "外籍" in tags:
            id_type, id_no = "passport", f"E{rng.randrange(10**8):08d}"
        category = categories.get(CATEGORY_CYCLE[i % len(CATEGORY_CYCLE)]) or categories["110"]
        _candidate, created = Candidate.objects.get_or_create(
            exam_year=exam_year,
            reg_no=reg_no,
            defaults={
                "name": name,
                "id_type": id_type,
                "id_no": id_no,
                "province": province,
                "site": site,
                "category": category,
                "tags": tags,
            },
        )
        report.add("考生", created)


def _seed_staff(province, first_site, report) -> None:
    User = get_user_model()
    people = (
        (
            f"site{province.code}",
            StaffRole.SITE_REVIEWER,
            first_site,
            f"{first_site.name}考点审核员",
        ),
        (
            f"province{province.code}",
            StaffRole.PROVINCE_REVIEWER,
            None,
            f"{province.name}考区审核员",
        ),
        (f"operator{province.code}", StaffRole.OPERATOR, None, f"{province.name}考区管理员"),
    )
    for username, role, site, display in people:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username,
                password=DEMO_PASSWORD,
                first_name=display,
                is_staff=role == StaffRole.OPERATOR,
            )
            report.add("审核与管理账号", True)
        StaffProfile.objects.get_or_create(
            user=user, defaults={"role": role, "province": province, "site": site}
        )
