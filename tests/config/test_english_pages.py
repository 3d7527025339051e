"""With English chosen, the pages show no Chinese of their own: every Han character left in
the visible text (and in the attributes a screen reader or a tooltip shows) is a string
that was not translated. The data that stays as written (names, provinces, test sites,
standard reasons) is in pinyin or English for this, so it cannot hide one; the categories
are as operators and Yishen write them, Chinese with an English beside it (the shipped exam
categories, a material category with both, returned under its Chinese name), so a page that
showed the Chinese of a category is caught too.

Allowed: text in an element marked lang="zh-…" (the switch's 简体中文), and the name of the
registration system's button, 上传相关材料, which candidates must find in that Chinese-only
system (the English text says what it means)."""

import re
from html.parser import HTMLParser

import pytest
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import Client
from django.utils import timezone, translation

from accounts.enums import ReviewLevel
from accounts.models import Candidate
from config.errors import permission_denied
from materials.models import MaterialCategory
from review.enums import EventAction
from review.models import Feedback, ReturnReason
from review.services import candidate_submit
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ProvinceFactory,
    TestSiteFactory,
    operator,
    site_reviewer,
)
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.staff import StaffClient

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
ALLOWED = {"上传相关材料"}
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "value"}


class _VisibleText(HTMLParser):
    """The text a visitor sees or hears: without <script>, <style>, <head> metadata, hidden
    inputs, and elements in another language (lang="zh-…")."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = tag in ("script", "style") or (attrs.get("lang") or "").startswith("zh")
        hidden_input = tag == "input" and attrs.get("type") == "hidden"
        if not skipped and not self._skipping() and not hidden_input:
            # A button's or a submit input's value is its label; elsewhere it is data.
            shown = SHOWN_ATTRIBUTES if tag in ("input", "button") else SHOWN_ATTRIBUTES - {"value"}
            self.parts.extend(v for k, v in attrs.items() if k in shown and v)
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self._skipping():
            self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def untranslated(html: str) -> list[str]:
    """The Han fragments of a page's visible text, each with a little context."""
    text = _visible_text(html)
    return [
        text[max(0, match.start() - 20) : match.end() + 20]
        for match in HAN.finditer(text)
        if match.group(0) not in ALLOWED
    ]


def test_the_check_finds_an_untranslated_string_and_spares_the_switch():
    html = (
        '<html lang="en"><head><title>审核</title></head><body>'
        '<button lang="zh-hans">简体中文</button><p>Review <b>退回</b></p>'
        '<input type="hidden" value="提交"><input type="submit" value="提交审核">'
        '<script>var t = "剩余";</script><a title="删除">x</a>'
        "<p>Click \u201c上传相关材料\u201d</p></body></html>"
    )
    assert [m.group(0) for m in HAN.finditer(_visible_text(html))] == [
        "审核",
        "退回",
        "提交审核",
        "删除",
        "上传相关材料",
    ]
    assert len(untranslated(html)) == 4


# The pages a candidate, a reviewer and an operator meet, in English.
PAGES = [
    pytest.param("anonymous", "/", 200, id="home"),
    pytest.param("anonymous", "/entry/needed/", 200, id="entry-needed"),
    pytest.param("anonymous", "/entry/?t=bad", 400, id="entry-refused"),
    pytest.param("anonymous", "/m/no-such-link/", 404, id="handoff-refused"),
    pytest.param("anonymous", "/no-such-page/", 404, id="error-404"),
    pytest.param("anonymous", "/errors/too-large/", 413, id="error-413"),
    pytest.param("anonymous", "/materials/help/", 200, id="help"),
    pytest.param("candidate", "/materials/", 200, id="material-page"),
    pytest.param("candidate", "/profile/", 200, id="profile"),
    pytest.param("activating", "/activate/confirm/", 200, id="activate-confirm"),
    pytest.param("activating", "/activate/consent/", 200, id="activate-consent"),
    pytest.param("activating", "/activate/phone/", 200, id="activate-phone"),
    pytest.param("activating", "/activate/address/", 200, id="activate-address"),
    pytest.param("anonymous", "/review/login/", 200, id="review-login"),
    pytest.param("reviewer", "/review/", 200, id="review-queue"),
    pytest.param("reviewer", "/review/c/{candidate}/", 200, id="review-candidate"),
    pytest.param("reviewer", "/review/dashboard/", 200, id="review-dashboard"),
    pytest.param("anonymous", "/admin/login/", 200, id="admin-login"),
    pytest.param("operator", "/admin/", 200, id="admin-index"),
    pytest.param("operator", "/admin/accounts/candidate/", 200, id="admin-candidates"),
    pytest.param("operator", "/admin/accounts/province/", 200, id="admin-provinces"),
    pytest.param("operator", "/admin/materials/materialcategory/", 200, id="admin-materials"),
    pytest.param("operator", "/admin/notifications/notification/", 200, id="admin-sms"),
]


@pytest.fixture
def site(settings):
    """A province whose data is all in pinyin or English, a candidate in it with a photo
    submitted for review, one half-way through activation, and English clients for a
    visitor, each of them, a site reviewer and the operator."""
    settings.YISHEN_DEMO = False  # the demo banner is the demo app's (tested there)
    ReturnReason.objects.update(text=Concat(Value("Reason "), "order"))
    province = ProvinceFactory(code="12", name="Tianjin")
    site = TestSiteFactory(province=province, code="1201", name="Heping")
    category = ExamCategoryFactory(code="110")
    candidate = CandidateFactory(
        name="Wang Wei",
        site=site,
        province=province,
        category=category,
        tags=["graduate"],
        address="1 Nanjing Road, Heping District, Tianjin",
    )
    material = MaterialCategoryFactory(
        province=province,
        exam_year=candidate.exam_year,
        name="身份证明",
        name_en="ID card",
        instructions="请上传身份证正反面照片。",
        instructions_en="Both sides, flat and in good light.",
        required=True,
        min_count=1,
        max_count=2,
    )
    MaterialImageFactory(candidate=candidate, category=material)
    # An earlier return of this category: the 审核意见 name it as recorded, in Chinese.
    Feedback.objects.create(
        candidate=candidate,
        level=ReviewLevel.SITE,
        action=EventAction.SITE_RETURN,
        message="Please retake the back.",
        items=[{"category": material.name, "category_id": material.pk, "reason": "Blurred"}],
    )
    activating = CandidateFactory(
        activated=False, name="Li Na", site=site, province=province, category=category
    )

    def english(client=None):
        client = client or Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    candidate_client = english()
    candidate_client.get(candidate_entry_url(candidate))
    candidate.refresh_from_db()
    candidate_submit(candidate=candidate)
    activating_client = english()
    activating_client.get(candidate_entry_url(activating))
    reviewer = english(StaffClient())
    reviewer.force_login(site_reviewer(site))
    admin = english(StaffClient())
    admin.force_login(operator(province))
    return {
        "ids": {"candidate": candidate.pk},
        "activating": activating,
        "anonymous": english(),
        "candidate": candidate_client,
        "activating_client": activating_client,
        "reviewer": reviewer,
        "operator": admin,
    }


# Where each activation step is: the steps before it done.
STEPS_DONE = {
    "/activate/confirm/": {},
    "/activate/consent/": {"registration_confirmed_at"},
    "/activate/phone/": {"registration_confirmed_at", "consent_at"},
    "/activate/address/": {"registration_confirmed_at", "consent_at", "phone_verified_at"},
}


def test_the_crawled_categories_are_written_in_chinese_beside_their_english(site):
    # What makes the crawl catch a category shown in Chinese: the data holds Chinese.
    candidate = Candidate.objects.get(pk=site["ids"]["candidate"])
    assert HAN.search(candidate.category.name) and candidate.category.name_en
    material = MaterialCategory.objects.get(province=candidate.province)
    assert HAN.search(material.name) and HAN.search(material.instructions)
    assert material.name_en and material.instructions_en


@pytest.mark.parametrize(("who", "path", "status"), PAGES)
def test_the_page_is_all_english(site, who, path, status):
    if who == "activating":
        activating = site["activating"]
        for field in STEPS_DONE[path]:
            setattr(activating, field, timezone.now())
        activating.phone = "13912345678" if "phone_verified_at" in STEPS_DONE[path] else ""
        activating.save()
        who = "activating_client"
    response = site[who].get(path.format(**site["ids"]))
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert untranslated(html) == []


def test_the_refused_csrf_page_is_all_english(settings):
    settings.YISHEN_DEMO = False
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/logout/")
    assert response.status_code == 403
    assert untranslated(response.content.decode()) == []


def test_the_forbidden_page_is_all_english(rf):
    with translation.override("en"):
        response = permission_denied(rf.get("/review/"))
    assert response.status_code == 403
    assert untranslated(response.content.decode()) == []
