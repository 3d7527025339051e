"""Tests of the production stack booted by deploy/stack.sh: browsers and HTTP clients talk to
nginx over HTTPS; this process reads and prepares rows in the stack's own database with the
stack's own settings (`deploy/stack.sh pytest` runs it with config.settings.production and the
stack's environment), as an operator's shell would. Nothing here runs in-process: uploads
are processed and SMS sent by the stack's Celery worker."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

STACK_URL = os.environ.get("YISHEN_STACK_URL", "")
STACK_SCRIPT = os.environ.get("YISHEN_STACK_SCRIPT", "")
STACK_DIR = Path(os.environ.get("YISHEN_STACK_DIR", "var/stack"))
STACK_MODE = os.environ.get("YISHEN_STACK_MODE", "")

# The stack's certificate, self-signed at start: HTTP clients here trust exactly it.
STACK_CA = str(STACK_DIR / "certs" / "fullchain.pem")


def pytest_collection_modifyitems(config, items):
    if STACK_URL:
        return
    skip = pytest.mark.skip(
        reason="needs the production stack: `deploy/stack.sh up` then `deploy/stack.sh pytest` "
        "(as .ci/run does, in both storage modes)"
    )
    for item in items:
        if item.get_closest_marker("stack") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Overrides the suite's cache clearing: the cache here is the stack's Redis, which the
    fault tests stop; the stack's data is not this test's to clear."""
    yield


@pytest.fixture(scope="session", autouse=True)
def _stack_database(django_db_blocker):
    """The stack's database itself, not a test copy: the stack reads what the tests write."""
    if not STACK_URL:
        yield
        return
    try:
        requests.get(f"{STACK_URL}/", verify=STACK_CA, timeout=20)
    except requests.RequestException as error:
        pytest.exit(f"the stack does not answer at {STACK_URL} ({error}): deploy/stack.sh status")
    with django_db_blocker.unblock():
        yield


# --- the stack's services ----------------------------------------------------------------


def stack_command(*args: str, timeout: float = 180) -> None:
    subprocess.run([STACK_SCRIPT, *args], check=True, timeout=timeout)


def manage(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [STACK_SCRIPT, "manage", *args],
        check=True,
        timeout=timeout,
        capture_output=True,
        text=True,
    )
    return done.stdout


def worker_log() -> str:
    return (STACK_DIR / "log" / "worker.log").read_text(errors="replace")


def service_process(name: str) -> int | None:
    """The process id of what a service runs (for a Celery worker, its main process). The
    stack runs each app service under compose's restart policy (deploy/stack.sh): this id
    changes when the service exited and was started again, and stays when it coped alone."""
    loop = int((STACK_DIR / "run" / f"{name}.pid").read_text())
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == loop:
                return int(entry.name)
    return None


def wait_for(predicate, *, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@pytest.fixture
def services():
    """Stops, kills and starts services of the stack; whatever a test stopped is started
    again afterwards, so that one failing test does not take the others down with it."""
    touched: list[str] = []

    class Services:
        def stop(self, name: str) -> None:
            touched.append(name)
            stack_command("stop", name)

        def kill(self, name: str) -> None:
            touched.append(name)
            stack_command("kill", name)

        def start(self, name: str) -> None:
            stack_command("start", name)

    yield Services()
    for name in dict.fromkeys(touched):
        subprocess.run([STACK_SCRIPT, "start", name], timeout=120, capture_output=True)


# --- people and places -----------------------------------------------------------------


def unique_digits(n: int) -> str:
    return str(uuid.uuid4().int)[:n]


@dataclass
class Place:
    """A province of its own per test (its queue holds only this test's candidates), with
    one site, the two required categories of the journey and an open 其他 category."""

    province: object
    site: object
    exam_category: object
    id_card: object
    diploma: object
    other: object
    site_user: object = None
    province_user: object = None
    password: str = ""
    candidates: list = field(default_factory=list)


def _free_province_code() -> str:
    from accounts.models import Province

    used = set(Province.objects.values_list("code", flat=True))
    for code in (f"{n:02d}" for n in range(99, 9, -1)):
        if code not in used:
            return code
    raise RuntimeError("no free province code left in the stack's database")


@pytest.fixture
def place():
    return make_place()


def make_place(*, closed: bool = False) -> Place:
    """A province with its site, categories and reviewers; `closed`: its upload window
    closed a minute ago."""
    from django.utils import timezone

    from accounts.enums import SubmitMode
    from accounts.models import ExamCategory, ExamYear, Province, TestSite
    from materials.models import MaterialCategory
    from tests.factories.accounts import PASSWORD, province_reviewer, site_reviewer

    year, _ = ExamYear.objects.get_or_create(year=2026, defaults={"is_current": True})
    now = timezone.now()
    code = _free_province_code()
    province = Province.objects.create(
        code=code,
        name=f"测试考区{code}",
        submit_mode=SubmitMode.EXPLICIT,
        opens_at=now - timezone.timedelta(days=1),
        closes_at=now - timezone.timedelta(minutes=1)
        if closed
        else now + timezone.timedelta(days=7),
    )
    site = TestSite.objects.create(province=province, code=f"{code}01", name=f"测试考点{code}01")
    exam_category, _ = ExamCategory.objects.get_or_create(
        code="110", defaults={"name": "临床执业医师"}
    )

    def category(name, order, **kwargs):
        return MaterialCategory.objects.create(
            exam_year=year,
            province=province,
            code=f"{code}-{order}",
            name=name,
            instructions="请上传清晰完整的材料照片。",
            order=order,
            **kwargs,
        )

    p = Place(
        province=province,
        site=site,
        exam_category=exam_category,
        id_card=category("身份证明", 1, required=True, min_count=2, max_count=2),
        diploma=category("学历证明", 2, required=True, min_count=1, max_count=2),
        other=category("其他", 3, is_other=True, min_count=0, max_count=10),
        password=PASSWORD,
    )
    suffix = unique_digits(6)
    p.site_user = site_reviewer(site, username=f"site{code}-{suffix}", first_name="考点审核员")
    p.province_user = province_reviewer(
        province, username=f"province{code}-{suffix}", first_name="考区审核员"
    )
    return p


def entry_payload(place: Place, *, name: str = "王小明") -> dict:
    """What the registration system signs for a candidate Yishen does not know yet
    (docs/integration.md)."""
    from accounts.entry import new_nonce

    reg_no = "2026" + unique_digits(8)
    return {
        "reg_no": reg_no,
        "year": 2026,
        "name": name,
        "id_type": "id_card",
        "id_no": f"{place.province.code}0101199001{unique_digits(4)}X"[:18],
        "province": place.province.code,
        "site": place.site.code,
        "category": place.exam_category.code,
        "tags": [],
        "iat": int(time.time()),
        "nonce": new_nonce(),
    }


def entry_url(payload: dict) -> str:
    from django.conf import settings

    from accounts.entry import sign_entry_token

    token = sign_entry_token(payload, settings.YISHEN_ENTRY_SECRET)
    return f"{STACK_URL}/entry/?t={token}"


def link_for(candidate) -> str:
    from accounts.entry import payload_for_candidate

    return entry_url(payload_for_candidate(candidate))


def activated_candidate(place: Place, *, phone: str | None = None):
    """A candidate who entered and activated earlier (the fault tests start from there)."""
    from django.utils import timezone

    from accounts.models import Candidate

    payload = entry_payload(place, name=f"考生{unique_digits(3)}")
    now = timezone.now()
    return Candidate.objects.create(
        exam_year_id=place.id_card.exam_year_id,
        reg_no=payload["reg_no"],
        name=payload["name"],
        id_type="id_card",
        id_no=payload["id_no"],
        province=place.province,
        site=place.site,
        category=place.exam_category,
        tags=[],
        phone=phone or "139" + unique_digits(8),
        phone_verified_at=now,
        address="山东省济南市历下区经十路1号",
        registration_confirmed_at=now,
        consent_at=now,
        activated_at=now,
    )


# --- HTTP clients through nginx ---------------------------------------------------------


class Client(requests.Session):
    """An HTTPS client of the stack (a phone without JavaScript, or a reviewer's script):
    follows the site's forms with their CSRF token."""

    def __init__(self):
        super().__init__()
        self.headers["Referer"] = STACK_URL + "/"

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = STACK_URL + url
        kwargs.setdefault("timeout", 60)
        # Per request: REQUESTS_CA_BUNDLE in the environment would override a session's.
        kwargs.setdefault("verify", STACK_CA)
        return super().request(method, url, *args, **kwargs)

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def post_form(self, url: str, data: dict | None = None, files=None, **kwargs):
        data = dict(data or {})
        data["csrfmiddlewaretoken"] = self.csrf()
        return self.post(url, data=data, files=files, **kwargs)


def candidate_client(candidate) -> Client:
    client = Client()
    response = client.get(link_for(candidate))
    assert response.status_code == 200, response.text[:500]
    assert response.url.endswith("/materials/"), response.url
    return client


def staff_client(user, password: str) -> Client:
    """A reviewer logged in through nginx: the password, then the authenticator's code."""
    from tests.staff import authenticator, totp_code  # they read the stack's database

    device = authenticator(user)
    client = Client()
    client.get("/review/login/")
    response = client.post_form("/review/login/", {"username": user.username, "password": password})
    assert response.status_code == 200 and "/staff/2fa/" in response.url, response.url
    response = client.post_form(response.url, {"token": totp_code(device)})
    assert response.status_code == 200 and response.url.endswith("/review/"), response.url
    return client


def upload(client: Client, category, data: bytes, name: str = "photo.jpg"):
    """One photo through the page's upload endpoint, as the page's script sends it."""
    return client.post_form(
        f"/materials/category/{category.pk}/upload/",
        files={"photos": (name, data, "image/jpeg")},
        headers={"X-Yishen-Fragment": "1"},
    )


def sms_lines(row, log: str | None = None) -> int:
    """How many times the SMS provider (the console backend, in the worker's log) was handed
    this message: its text to its recipient (texts alone repeat across candidates)."""
    log = worker_log() if log is None else log
    return len(re.findall(re.escape(f"→ {row.recipient}: {row.text} (console-"), log))


# --- the browser -------------------------------------------------------------------------


@pytest.fixture
def stack_browser(_playwright_browser):
    """New browser contexts on the stack, certificate errors ignored (self-signed)."""
    contexts = []

    def new_page(*, phone: bool = True):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = _playwright_browser.new_context(
            viewport=size, locale="zh-CN", base_url=STACK_URL, ignore_https_errors=True
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()
