#!/usr/bin/env python
"""Benchmark of the reviewer workbench and the results API: how each page grows with the
province.

Seeds (once each) two PostgreSQL databases on 127.0.0.1, a province of 10,000 candidates
(yishen_bench_10k) and one of 1,000,000 candidates and 7.5 million photos (yishen_bench_1m),
then prints the median and p95 of the pages a reviewer uses, of each decision and of the
results API at both sizes, and the ratio of the p95s.
Goal: p95 ≤ 50 ms at 1 M and ≤ 1.5× its p95 at 10 k.

    .venv/bin/python bench/review.py              # seeds what is missing, then measures
    .venv/bin/python bench/review.py --reseed     # drops and seeds both databases again

See bench/README.md. Only 127.0.0.1 is ever touched.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yishen_bench_{size}"
PROVINCE_CODE = "37"
PROVINCE_NAME = "山东"
SITE_COUNT = 16
YEAR = 2026
PAGE_SIZE = 50
TARGET_MS = 50.0
TARGET_RATIO = 1.5
SITE_USER = "bench_site"
PROVINCE_USER = "bench_province"
# Status of the candidate with sequence number g, by g % 20 (40 % waiting at the site).
STATUS_BY_MOD = (
    ["draft"] * 2
    + ["submitted"] * 8
    + ["site_passed"] * 4
    + ["returned"] * 2
    + ["approved"] * 3
    + ["rejected"] * 1
)
READY_MOD = 9  # submitted candidates with g % 20 == 9 have every photo approved already


# --- Database and Django ------------------------------------------------------------------


def check_local(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or parts.hostname != "127.0.0.1":
        sys.exit(f"bench/review.py only runs on PostgreSQL at 127.0.0.1, not {url!r}")
    if not parts.path.strip("/"):
        sys.exit("the database URL needs a database name")


def ensure_database(url: str, *, reseed: bool) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.strip("/")
    conn = psycopg2.connect(
        host="127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        if reseed:
            print(f"dropping database {name}")
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            print(f"creating database {name}")
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def setup_django(url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=url,
        DJANGO_DEBUG="0",  # DEBUG keeps every query in memory and is not how it runs
        DATABASE_CONN_MAX_AGE="600",  # persistent connections, as docker-compose.yml has
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_BROKER_URL="memory://",  # SMS tasks are queued in memory and never sent
        REDIS_URL="",
        YISHEN_MEDIA_ROOT=str(ROOT / "var" / "bench-media"),
        YISHEN_SMS_BACKEND="notifications.backends.locmem.LocmemSmsBackend",
        YISHEN_LOG_LEVEL="WARNING",
        # The test client's host name. No setup_test_environment(): it instruments template
        # rendering for the test client (a copy of every context), which production has not.
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
    )
    import django

    django.setup()


# --- Seeding --------------------------------------------------------------------------------


def insert_select(model, exprs: dict[str, str], tail: str) -> int:
    """INSERT INTO <model> SELECT ... <tail>: `exprs` gives SQL for some fields; every other
    field gets its model default (NULL if nullable, now() for auto timestamps), so the seed
    keeps working when an app adds a field with a default."""
    from django.db import connection, models

    columns, values, consts = [], [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField | models.BigAutoField) and field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in exprs:
            values.append(exprs[field.name].replace("%", "%%"))  # SQL modulo, not a parameter
        elif field.null:
            values.append("NULL")
        elif isinstance(field, models.DateTimeField | models.DateField) and (
            field.auto_now or field.auto_now_add
        ):
            values.append("now()")
        elif field.has_default() or isinstance(field, models.CharField | models.TextField):
            values.append("%s")
            consts.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise RuntimeError(f"bench seed: no value for {model.__name__}.{field.name}")
    table = connection.ops.quote_name(model._meta.db_table)
    tail = tail.replace("%", "%%")
    statement = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} {tail}"
    with connection.cursor() as cursor:
        cursor.execute(statement, consts)
        return cursor.rowcount


def id_no_columns(g: str, *, pool: int = 1000) -> dict[str, str]:
    """SQL for a seeded candidate's ID number columns (its number is encrypted at rest, which
    SQL cannot do): `pool` numbers encrypted and hashed here (accounts/idcrypt.py), taken in
    turn by the row number `g`. Real rows, that the pages decrypt and mask as any other."""
    from accounts.idcrypt import id_no_digest, id_no_encrypt

    numbers = [f"370102199001{n:06d}" for n in range(pool)]
    ciphers = ",".join(f"'{id_no_encrypt(number)}'" for number in numbers)
    hashes = ",".join(f"'{id_no_digest(number)}'" for number in numbers)
    index = f"1 + ({g}) % {pool}"
    return {
        "id_no_cipher": f"(ARRAY[{ciphers}]::text[])[{index}]",
        "id_no_hash": f"(ARRAY[{hashes}]::text[])[{index}]",
    }


def seeded(candidates: int) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_seed')")
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute("SELECT candidates FROM bench_seed")
        row = cursor.fetchone()
    return row is not None and row[0] >= candidates


def partly_seeded() -> bool:
    from accounts.models import Candidate

    return Candidate.objects.filter(province__code=PROVINCE_CODE).exists()


def small_jpeg(width: int, height: int, shade: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (shade, shade, 240))
    ImageDraw.Draw(image).rectangle(
        [width // 8, height // 8, width // 2, height // 2], fill=(60, 60, 60)
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def seed(*, candidates: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.enums import StaffRole
    from accounts.models import Candidate, ExamCategory, ExamYear, Province, StaffProfile, TestSite
    from materials.models import MaterialCategory, MaterialImage
    from review.models import Feedback, ReviewEvent

    started = time.perf_counter()
    now = timezone.now()
    # A handful of small shared files: the pages only build URLs, the photo view reads them.
    files = {}
    for name, (w, h, shade) in {
        "original": (1200, 900, 200),
        "display": (1200, 900, 210),
        "thumbnail": (240, 180, 220),
    }.items():
        path = f"bench/{name}.jpg"
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(small_jpeg(w, h, shade)))
        files[name] = path
    original = small_jpeg(1200, 900, 200)

    with transaction.atomic():
        year, _ = ExamYear.objects.update_or_create(year=YEAR, defaults={"is_current": True})
        province, _ = Province.objects.update_or_create(
            code=PROVINCE_CODE,
            defaults={
                "name": PROVINCE_NAME,
                "opens_at": now - timezone.timedelta(days=20),
                "closes_at": now + timezone.timedelta(days=20),
            },
        )
        sites = [
            TestSite.objects.update_or_create(
                code=f"{PROVINCE_CODE}{n:02d}",
                defaults={"province": province, "name": f"压测考点{n:02d}"},
            )[0]
            for n in range(1, SITE_COUNT + 1)
        ]
        clinical, _ = ExamCategory.objects.get_or_create(
            code="110", defaults={"name": "临床执业医师"}
        )
        assistant, _ = ExamCategory.objects.get_or_create(
            code="210", defaults={"name": "临床执业助理医师"}
        )
        slots = []
        for order, (code, name, required, min_count) in enumerate(
            [
                ("id-card", "身份证明", True, 2),
                ("diploma", "学历证书", True, 1),
                ("trial-proof", "试用期考核合格证明", True, 1),
                ("practice-cert", "执业助理医师资格证书", False, 0),
                ("registration", "执业助理医师执业证书", False, 0),
                ("photo", "近期免冠照片", True, 1),
                ("other", "其他", False, 0),
            ]
        ):
            category, _ = MaterialCategory.objects.update_or_create(
                exam_year=year,
                province=province,
                code=f"bench-{code}",
                defaults={
                    "name": name,
                    "required": required,
                    "min_count": min_count,
                    "max_count": 5,
                    "order": order,
                    "is_other": code == "other",
                },
            )
            slots.append(category.pk)
        users = {}
        for username, role, site in (
            (SITE_USER, StaffRole.SITE_REVIEWER, sites[0]),
            (PROVINCE_USER, StaffRole.PROVINCE_REVIEWER, None),
        ):
            user, _ = get_user_model().objects.get_or_create(username=username)
            StaffProfile.objects.update_or_create(
                user=user, defaults={"role": role, "province": province, "site": site}
            )
            users[username] = user

    site_array = "ARRAY[" + ",".join(str(s.pk) for s in sites) + "]::bigint[]"
    status_array = "ARRAY[" + ",".join(f"'{s}'" for s in STATUS_BY_MOD) + "]::text[]"
    id_card = slots[0]
    step = 14 * 24 * 3600 / candidates
    print(f"seeding {candidates:,} candidates …", flush=True)
    with transaction.atomic():
        count = insert_select(
            Candidate,
            {
                "exam_year": str(year.pk),
                "reg_no": f"'{YEAR}' || lpad(s.g::text, 8, '0')",
                "name": "'考生' || s.g",
                "id_type": "'id_card'",
                **id_no_columns("s.g"),
                "province": str(province.pk),
                # Blocks of 20 (one of each status mix) per site in turn: every site gets every status.
                "site": f"({site_array})[1 + (s.g / 20) % {SITE_COUNT}]",
                "category": f"CASE WHEN s.g % 3 = 0 THEN {assistant.pk} ELSE {clinical.pk} END",
                "phone": "'139' || lpad(s.g::text, 8, '0')",
                "phone_verified_at": "now()",
                "address": "'山东省济南市历下区经十路' || s.g || '号'",
                "registration_confirmed_at": "now()",
                "consent_at": "now()",
                "activated_at": "now()",
                "last_entry_at": "now()",
                "status": "s.st",
                "returned_by": "CASE WHEN s.st = 'returned' THEN 'site' ELSE '' END",
                "returned_categories": (
                    f"CASE WHEN s.st = 'returned' THEN '[{id_card}]'::jsonb ELSE '[]'::jsonb END"
                ),
                "reply_deadline": "CASE WHEN s.st = 'returned' THEN now() + interval '24 hours' END",
                # Spread evenly over the two weeks before now, whatever the size.
                "submitted_at": (
                    "CASE WHEN s.st = 'draft' THEN NULL "
                    f"ELSE now() - interval '15 days' + s.g * interval '{step:.6f} seconds' END"
                ),
                "status_changed_at": (
                    "CASE WHEN s.st = 'draft' THEN NULL "
                    f"ELSE now() - interval '15 days' + s.g * interval '{step:.6f} seconds' END"
                ),
            },
            f"FROM (SELECT g, ({status_array})[1 + g % 20] AS st "
            f"FROM generate_series(1, {candidates}) AS g) AS s",
        )
    print(f"  {count:,} candidates ({time.perf_counter() - started:.0f} s)", flush=True)

    # 7 photos each, an 8th in «其他» for every second candidate: 7.5 a candidate.
    values = ", ".join(
        f"({cat}, {n})" for cat, n in [(slots[0], 1), (slots[0], 2), *[(c, 1) for c in slots[1:]]]
    )
    other = slots[-1]
    with transaction.atomic():
        count = insert_select(
            MaterialImage,
            {
                "candidate": "c.id",
                "category": "p.category_id",
                "status": (
                    "CASE "
                    "WHEN c.status IN ('site_passed', 'approved', 'rejected') THEN 'approved' "
                    f"WHEN c.status = 'submitted' AND right(c.reg_no, 8)::int % 20 = {READY_MOD} "
                    "THEN 'approved' "
                    f"WHEN c.status = 'returned' AND p.category_id = {id_card} AND p.n = 1 "
                    "THEN 'returned' "
                    "WHEN c.status = 'returned' THEN 'approved' "
                    "ELSE 'pending' END"
                ),
                "return_reason": (
                    f"CASE WHEN c.status = 'returned' AND p.category_id = {id_card} AND p.n = 1 "
                    "THEN '图片不清晰' ELSE '' END"
                ),
                "decided_at": (
                    "CASE WHEN c.status IN ('draft') THEN NULL ELSE c.submitted_at + interval '1 day' END"
                ),
                "processing": "'ready'",
                "processing_error": "''",
                "processing_attempts": "1",
                "original": f"'{files['original']}'",
                "display": f"'{files['display']}'",
                "thumbnail": f"'{files['thumbnail']}'",
                "image_format": "'jpeg'",
                "size_bytes": str(len(original)),
                "width": "1200",
                "height": "900",
                "sha256": f"'{hashlib.sha256(original).hexdigest()}'",
                "uploaded_at": "coalesce(c.submitted_at, now()) - interval '1 hour'",
            },
            f"FROM {Candidate._meta.db_table} AS c "
            f"JOIN (VALUES {values}) AS p(category_id, n) "
            f"ON p.category_id <> {other} OR c.id % 2 = 0 "
            f"WHERE c.province_id = {province.pk}",
        )
    print(f"  {count:,} photos ({time.perf_counter() - started:.0f} s)", flush=True)

    # The audit trail of every status change so far, and the 审核意见 of returns/refusals.
    candidate_table = Candidate._meta.db_table
    steps = [
        ("submit", "draft", "submitted", "candidate", "0", "c.status <> 'draft'"),
        (
            "site_pass",
            "submitted",
            "site_passed",
            "staff",
            "1",
            "c.status IN ('site_passed', 'approved')",
        ),
        ("province_approve", "site_passed", "approved", "staff", "2", "c.status = 'approved'"),
        ("site_return", "submitted", "returned", "staff", "1", "c.status = 'returned'"),
        ("reject", "submitted", "rejected", "staff", "1", "c.status = 'rejected'"),
    ]
    with transaction.atomic():
        total = 0
        for action, before, after, actor_kind, days, where in steps:
            total += insert_select(
                ReviewEvent,
                {
                    "candidate": "c.id",
                    "actor_kind": f"'{actor_kind}'",
                    "role": "''" if actor_kind == "candidate" else "'site_reviewer'",
                    "action": f"'{action}'",
                    "from_status": f"'{before}'",
                    "to_status": f"'{after}'",
                    "created_at": f"c.submitted_at + interval '{days} days'",
                },
                f"FROM {candidate_table} AS c WHERE c.province_id = {province.pk} AND {where}",
            )
        # Every photo's upload: most of a real audit trail is photo events, which the
        # results API has to walk past.
        total += insert_select(
            ReviewEvent,
            {
                "candidate": "i.candidate_id",
                "image": "i.id",
                "actor_kind": "'candidate'",
                "action": "'image_upload'",
                "data": "'{}'::jsonb",
                "created_at": "i.uploaded_at",
            },
            f"FROM {MaterialImage._meta.db_table} AS i "
            f"JOIN {candidate_table} AS c ON c.id = i.candidate_id "
            f"WHERE c.province_id = {province.pk}",
        )
        for action, where, message, items in (
            (
                "site_return",
                "c.status = 'returned'",
                "'请按审核意见修改。'",
                f"""'[{{"category": "身份证明", "category_id": {id_card}, "image_id": null, "reason": "图片不清晰"}}]'::jsonb""",
            ),
            ("reject", "c.status = 'rejected'", "'不符合报考条件。'", "'[]'::jsonb"),
        ):
            insert_select(
                Feedback,
                {
                    "candidate": "c.id",
                    "level": "'site'",
                    "action": f"'{action}'",
                    "message": message,
                    "items": items,
                    "created_at": "c.submitted_at + interval '1 days'",
                },
                f"FROM {candidate_table} AS c WHERE c.province_id = {province.pk} AND {where}",
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_seed (candidates integer, seeded_at timestamptz)"
            )
            cursor.execute("DELETE FROM bench_seed")
            cursor.execute("INSERT INTO bench_seed VALUES (%s, now())", [candidates])
    print(f"  {total:,} review events ({time.perf_counter() - started:.0f} s)", flush=True)
    from review.models import SiteStatusCount

    SiteStatusCount.objects.recount()  # the candidates came in by SQL, past the counts
    with connection.cursor() as cursor:
        for model in (Candidate, MaterialImage, ReviewEvent, Feedback):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


# --- Measuring ------------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def measure(fn: Callable[[int], object], *, runs: int, warmup: int = 3) -> dict:
    """Median and p95 (ms) of `runs` calls of fn(i) after `warmup` calls; each call gets
    its own i, so that a decision works on rows of its own every time. Also the CPU time
    of this process per call (the Django side alone, without the database server's), which
    a busy machine inflates less than the wall time."""
    for i in range(warmup):
        fn(i)
    samples, cpu = [], []
    for i in range(warmup, warmup + runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return summary(samples, cpu)


def summary(samples: list[float], cpu: list[float]) -> dict:
    return {
        "median": statistics.median(samples),
        "p95": p95(samples),
        "cpu_median": statistics.median(cpu),
        "runs": len(samples),
        "samples": samples,
        "cpu": cpu,
    }


def captured(fn: Callable[[], object]) -> list[dict]:
    """The SQL `fn` sends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        fn()
    return context.captured_queries


class Snapshot:
    """What the decisions of a run change, kept before and put back after it, so that every
    run measures the same work on the same data."""

    CANDIDATE_FIELDS = (
        "status",
        "status_changed_at",
        "submitted_at",
        "returned_by",
        "returned_categories",
        "reply_deadline",
        "updated_at",
    )
    IMAGE_FIELDS = ("status", "return_reason", "decided_by", "decided_at")

    def __init__(self, candidate_ids: list[int]):
        from accounts.models import Candidate
        from materials.models import MaterialImage
        from notifications.models import Notification
        from review.models import AuditChainHead, Feedback, ReviewEvent, ReviewNote

        self.candidates = list(
            Candidate.objects.filter(pk__in=candidate_ids).only(*self.CANDIDATE_FIELDS)
        )
        self.images = list(
            MaterialImage.objects.filter(candidate_id__in=candidate_ids).only(*self.IMAGE_FIELDS)
        )
        self.after = {
            model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for model in (ReviewEvent, Feedback, ReviewNote, Notification)
        }
        self.chain_head = (
            AuditChainHead.objects.values("pk", "last_event_id", "last_hash").first() or None
        )

    def restore(self) -> None:
        import pgtrigger
        from django.db import connection, transaction

        from accounts.models import Candidate
        from materials.models import MaterialImage
        from review.models import AuditChainHead, ReviewClaim, SiteStatusCount

        # The bench takes back the audit rows it wrote in its own database: past the
        # append-only trigger, and the chain head put back where it was.
        with transaction.atomic(), pgtrigger.ignore("review.ReviewEvent:reviewevent_append_only"):
            Candidate.objects.bulk_update(self.candidates, self.CANDIDATE_FIELDS, batch_size=500)
            MaterialImage.objects.bulk_update(self.images, self.IMAGE_FIELDS, batch_size=500)
            with connection.cursor() as cursor:
                for model, last in self.after.items():
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table} WHERE id > %s", [last])
            if self.chain_head is not None:
                head = dict(self.chain_head)
                AuditChainHead.objects.filter(pk=head.pop("pk")).update(**head)
            ReviewClaim.objects.all().delete()
            # The statuses were put back with bulk_update (no signal): count again.
            SiteStatusCount.objects.recount()


def run(*, runs: int, exports: bool) -> dict:
    """Every figure of one database, as a dict (printed as JSON by --json)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.db import connection
    from django.db.models import Exists, OuterRef
    from django.test import Client
    from django.urls import reverse

    from accounts.enums import CandidateStatus, StaffRole
    from accounts.models import Candidate, Province, StaffProfile, TestSite
    from materials.enums import ImageStatus
    from materials.models import MaterialCategory, MaterialImage
    from review import selectors
    from review.api import encode_cursor, sign_request, status_change_q
    from review.models import ReturnReason, ReviewEvent, SiteStatusCount
    from tests.staff import login_staff

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s of the floor
    User = get_user_model()
    province = Province.objects.get(code=PROVINCE_CODE)
    sites = list(TestSite.objects.filter(province=province).order_by("code"))
    # A reviewer for every site (the decisions spread over the sites, as reviewers do),
    # and one for the province.
    site_users = {}
    for site in sites:
        user, _ = User.objects.get_or_create(username=f"bench_site_{site.code}")
        StaffProfile.objects.update_or_create(
            user=user,
            defaults={"role": StaffRole.SITE_REVIEWER, "province": province, "site": site},
        )
        site_users[site.pk] = user
    province_user = User.objects.get(username=PROVINCE_USER)
    if not SiteStatusCount.objects.filter(province=province).exists():
        SiteStatusCount.objects.recount()
    clients = {}

    def client_for(user) -> Client:
        if user.pk not in clients:
            # Past the password and the second factor, as after the verification page.
            clients[user.pk] = login_staff(Client(), user)
        return clients[user.pk]

    n_candidates = Candidate.objects.filter(province=province).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'materials_materialimage'"
        )
        n_images = cursor.fetchone()[0]
    result = {
        "candidates": n_candidates,
        "photos": n_images,
        "load_start": os.getloadavg(),
        "figures": {},
        "queries": {},
    }
    figures = result["figures"]

    def get(client, url, params=None):
        response = client.get(url, params or {})
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params} → {response.status_code}")
        return response

    def post(client, url, data):
        response = client.post(url, data)
        if response.status_code != 302:
            raise RuntimeError(f"{url} → {response.status_code}")
        # A browser follows the redirect, whose page shows and so consumes the message of
        # the decision; here it is not followed, and the messages cookie would grow.
        client.cookies.pop(CookieStorage.cookie_name, None)
        return response

    first_site = sites[0]
    site_client = client_for(site_users[first_site.pk])
    province_client = client_for(province_user)

    # The floor under every page: session, user, staff profile, middleware, a 404.
    floor_url = reverse("review:candidate", kwargs={"pk": 0})
    figures["request floor (a workbench 404)"] = measure(
        lambda i: site_client.get(floor_url), runs=runs
    )

    # The queue: first page, and a page 80 % down the queue (keyset: no OFFSET).
    def deep_cursor(qs) -> str:
        total = qs.count()
        at, pk = qs.order_by("submitted_at", "pk").values_list("submitted_at", "pk")[
            int(total * 0.8)
        ]
        return selectors.Cursor(submitted_at=at, pk=pk).encode()

    site_waiting = Candidate.objects.filter(site=first_site, status=CandidateStatus.SUBMITTED)
    province_waiting = Candidate.objects.filter(
        province=province, status=CandidateStatus.SITE_PASSED
    )
    queue_url = reverse("review:queue")
    for label, client, params in (
        ("queue, site, first page", site_client, {"status": "submitted"}),
        (
            "queue, site, 80 % down",
            site_client,
            {"status": "submitted", "cursor": deep_cursor(site_waiting)},
        ),
        ("queue, province, first page", province_client, {"status": "site_passed"}),
        (
            "queue, province, 80 % down",
            province_client,
            {"status": "site_passed", "cursor": deep_cursor(province_waiting)},
        ),
    ):
        figures[label] = measure(lambda i, c=client, p=params: get(c, queue_url, p), runs=runs)
    province_profile = province_user.staff_profile
    figures["status counts, province (in the queue page)"] = measure(
        lambda i: selectors.status_counts(province_profile), runs=runs
    )
    result["queries"]["queue page"] = len(captured(lambda: get(site_client, queue_url)))

    # The candidate page, each time another candidate of the site.
    viewed = list(site_waiting.order_by("-submitted_at").values_list("pk", flat=True)[: runs + 3])
    figures["candidate page"] = measure(
        lambda i: get(site_client, reverse("review:candidate", kwargs={"pk": viewed[i]})),
        runs=runs,
    )
    result["queries"]["candidate page"] = len(
        captured(lambda: get(site_client, reverse("review:candidate", kwargs={"pk": viewed[-1]})))
    )

    # The decisions, through the workbench's POST views, each on a candidate of its own.
    # Disjoint pools, spread over the sites (each site's own reviewer decides).
    n = runs + 3
    waiting = Candidate.objects.filter(province=province, status=CandidateStatus.SUBMITTED)
    undecided_photo = MaterialImage.objects.filter(
        candidate=OuterRef("pk"),
        status__in=[ImageStatus.PENDING, ImageStatus.RETURNED],
        removed_at__isnull=True,
    )
    undecided = list(
        waiting.filter(Exists(undecided_photo))
        .order_by("-submitted_at")
        .values_list("pk", "site_id")[: 5 * n]
    )
    ready = list(
        waiting.exclude(Exists(undecided_photo))
        .order_by("-submitted_at")
        .values_list("pk", "site_id")[:n]
    )
    passed = list(province_waiting.order_by("-submitted_at").values_list("pk", flat=True)[: 2 * n])
    if len(undecided) < 5 * n or len(ready) < n or len(passed) < 2 * n:
        raise RuntimeError("not enough waiting candidates for the decisions: seed a larger size")
    photo_of = {}
    for pk, candidate_id in (
        MaterialImage.objects.filter(
            candidate_id__in=[pk for pk, _site in undecided[: 2 * n]],
            status=ImageStatus.PENDING,
            removed_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "candidate_id")
    ):
        photo_of.setdefault(candidate_id, pk)
    reason = ReturnReason.objects.filter(is_active=True).order_by("pk").first()
    id_card = (
        MaterialCategory.objects.filter(province=province, code="bench-id-card")
        .values_list("pk", flat=True)
        .first()
    )
    snapshot = Snapshot([pk for pk, _s in undecided] + [pk for pk, _s in ready] + list(passed))
    # The decisions commit, and each commit waits for its WAL to reach the disk: flush the
    # previous run's restore first, so that its checkpoint does not land in the timings.
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")

    def decide(pk, site_id, data, *, user=None):
        client = client_for(user or site_users[site_id])
        return post(client, reverse("review:decide", kwargs={"pk": pk}), data)

    def photo(pk, site_id, action, data):
        url = reverse(f"review:image_{action}", kwargs={"pk": pk, "image_pk": photo_of[pk]})
        return post(client_for(site_users[site_id]), url, data)

    approve_photo, return_photo = undecided[:n], undecided[n : 2 * n]
    site_return, site_reject = undecided[2 * n : 3 * n], undecided[3 * n : 4 * n]
    try:
        figures["decision: approve a photo"] = measure(
            lambda i: photo(*approve_photo[i], "approve", {"expected_status": "submitted"}),
            runs=runs,
        )
        figures["decision: return a photo"] = measure(
            lambda i: photo(
                *return_photo[i],
                "return",
                {
                    "expected_status": "submitted",
                    "reason": reason.pk if reason else "",
                    "text": "请重新拍摄",
                },
            ),
            runs=runs,
        )
        figures["decision: 考点通过 + next"] = measure(
            lambda i: decide(
                *ready[i], {"action": "site_pass", "expected_status": "submitted", "next": "on"}
            ),
            runs=runs,
        )
        figures["decision: 退回考生 (site)"] = measure(
            lambda i: decide(
                *site_return[i],
                {
                    "action": "return",
                    "expected_status": "submitted",
                    "item_category": id_card,
                    "item_reason": "缺少身份证反面",
                },
            ),
            runs=runs,
        )
        figures["decision: 审核拒绝 (site)"] = measure(
            lambda i: decide(
                *site_reject[i],
                {"action": "reject", "expected_status": "submitted", "message": "不符合报考条件"},
            ),
            runs=runs,
        )
        figures["decision: 审核通过 (province)"] = measure(
            lambda i: decide(
                passed[i],
                None,
                {"action": "approve", "expected_status": "site_passed"},
                user=province_user,
            ),
            runs=runs,
        )
        figures["decision: 退回考点 (province)"] = measure(
            lambda i: decide(
                passed[n + i],
                None,
                {"action": "return_to_site", "expected_status": "site_passed", "message": "请复核"},
                user=province_user,
            ),
            runs=runs,
        )
    finally:
        snapshot.restore()

    # The results API: the first page of 500, and a page 75 % down the events.
    api_client = Client()

    def api_get(params):
        query = urlencode(params)
        timestamp = str(int(time.time()))
        signature = sign_request(
            secret=settings.YISHEN_ENTRY_SECRET,
            method="GET",
            path="/api/v1/results",
            query_string=query,
            timestamp=timestamp,
        )
        response = api_client.get(
            f"/api/v1/results?{query}",
            headers={"X-Yishen-Timestamp": timestamp, "X-Yishen-Signature": signature},
        )
        if response.status_code != 200:
            raise RuntimeError(f"results API → {response.status_code} {response.content[:200]}")
        return response

    changes = ReviewEvent.objects.filter(status_change_q())
    deep_event = changes.order_by("pk").values_list("pk", flat=True)[int(changes.count() * 0.75)]
    for label, after in (("results API, first 500", 0), ("results API, 500 at 75 %", deep_event)):
        params = {"limit": 500, "province": PROVINCE_CODE}
        if after:
            params["since"] = encode_cursor(after)
        figures[label] = measure(lambda i, p=params: api_get(p), runs=runs)

    if exports:
        result["exports"] = export_figures(province_user)
    result["load_end"] = os.getloadavg()
    return result


def export_figures(user) -> dict:
    """One export of the whole province in each format: first byte, whole file, size."""
    from django.test import Client

    from tests.staff import login_staff

    client = login_staff(Client(), user)
    figures = {}
    for url in ("/api/v1/exports/results.csv", "/api/v1/exports/results.xlsx"):
        started = time.perf_counter()
        response = client.get(url)
        size = 0
        first = None
        for chunk in response.streaming_content:
            if first is None and chunk:
                first = time.perf_counter() - started
            size += len(chunk)
        figures[url.rsplit("/", 1)[1]] = {
            "first_byte_s": first,
            "total_s": time.perf_counter() - started,
            "mib": size / 2**20,
        }
    return figures


# --- The table -------------------------------------------------------------------------------


def table(small: dict, large: dict) -> str:
    """p95 (and median) at both sizes, the ratio of the p95s, and the verdict against the
    goal: p95 ≤ TARGET_MS at the large size and ≤ TARGET_RATIO × the small size's p95."""
    lines = [
        f"{'':44} {small['candidates']:>17,} cand.  {large['candidates']:>17,} cand.",
        f"{'':44} {'median':>8} {'p95':>8} {'cpu':>6}  {'median':>8} {'p95':>8} {'cpu':>6}"
        f"  {'ratio':>6}  verdict",
    ]
    for name, a in small["figures"].items():
        b = large["figures"].get(name)
        if b is None:
            continue
        ratio = b["p95"] / a["p95"] if a["p95"] else float("inf")
        goal = not name.startswith("request floor")
        ok = b["p95"] <= TARGET_MS and ratio <= TARGET_RATIO
        verdict = ("ok" if ok else "MISSED") if goal else ""
        lines.append(
            f"{name:44} {a['median']:8.2f} {a['p95']:8.2f} {a['cpu_median']:6.2f}"
            f"  {b['median']:8.2f} {b['p95']:8.2f} {b['cpu_median']:6.2f}  {ratio:5.2f}×  {verdict}"
        )
    lines.append("")
    for data in (small, large):
        for name, e in data.get("exports", {}).items():
            lines.append(
                f"export {name:14} {data['candidates']:>10,} cand.: first byte after "
                f"{e['first_byte_s']:.2f} s, whole file {e['total_s']:.1f} s, {e['mib']:.1f} MiB"
            )
    lines.append("")
    lines.append("queries per page: " + ", ".join(f"{k} {v}" for k, v in large["queries"].items()))
    for label, data in (("small", small), ("large", large)):
        lines.append(
            f"load average ({label} run, start → end): "
            f"{' '.join(f'{x:.2f}' for x in data['load_start'])} → "
            f"{' '.join(f'{x:.2f}' for x in data['load_end'])}"
        )
    lines.append(
        f"(ms; goal: p95 ≤ {TARGET_MS:.0f} ms at the large size and ≤ {TARGET_RATIO}× its p95 "
        f"at the small size; cpu: median CPU time of the Django process per call; "
        f"{os.cpu_count()} CPUs)"
    )
    return "\n".join(lines)


def size_label(candidates: int) -> str:
    if candidates % 1_000_000 == 0:
        return f"{candidates // 1_000_000}m"
    if candidates % 1000 == 0:
        return f"{candidates // 1000}k"
    return str(candidates)


def database_url(candidates: int) -> str:
    template = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    return template.replace("{size}", size_label(candidates))


def one_size(*, url: str, candidates: int, runs: int, reseed: bool, seed_only: bool, exports: bool):
    """Seeds the database of one size if needed and measures it: the figures as one line of
    JSON on stdout (what the parent process reads)."""
    check_local(url)
    ensure_database(url, reseed=reseed)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if seeded(candidates):
        print(f"{url.rsplit('/', 1)[1]}: already seeded", file=sys.stderr)
    elif partly_seeded():
        sys.exit(f"{url}: holds an unfinished seed: run again with --reseed")
    else:
        seed(candidates=candidates)
    if not seed_only:
        print(json.dumps(run(runs=runs, exports=exports)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,1000000", help="candidates of the small and the large province"
    )
    parser.add_argument("--runs", type=int, default=60, help="samples per figure and size")
    parser.add_argument("--rounds", type=int, default=3, help="the sizes measured in turn")
    parser.add_argument("--reseed", action="store_true", help="drop the databases and seed again")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--no-exports", action="store_true", help="skip the whole exports")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one_size:
        one_size(
            url=database_url(args.one_size),
            candidates=args.one_size,
            runs=args.runs,
            reseed=args.reseed,
            seed_only=args.seed_only,
            exports=not args.no_exports,
        )
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) != 2:
        sys.exit("--sizes takes two sizes: the small and the large province")
    # One process per size (Django is set up once per process, on one database), the two
    # sizes in turn, `--rounds` times: load from other work on the machine then weighs on
    # both sizes alike, and the samples of the rounds are pooled.
    pooled: dict[int, dict] = {}
    rounds = 1 if args.seed_only else args.rounds
    per_round = max(5, args.runs // rounds)
    for round_no in range(rounds):
        for size in sizes:
            last = round_no == rounds - 1
            command = [sys.executable, __file__, "--one-size", str(size), "--runs", str(per_round)]
            if args.reseed and round_no == 0:
                command.append("--reseed")
            if args.seed_only:
                command.append("--seed-only")
            if args.no_exports or not last:
                command.append("--no-exports")
            print(f"round {round_no + 1}/{rounds}: {database_url(size)}", flush=True)
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
            if done.returncode != 0:
                sys.exit(done.returncode)
            if args.seed_only:
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if size not in pooled:
                pooled[size] = result
                continue
            into = pooled[size]
            for name, figure in result["figures"].items():
                before = into["figures"][name]
                into["figures"][name] = summary(
                    before["samples"] + figure["samples"], before["cpu"] + figure["cpu"]
                )
            into["load_end"] = result["load_end"]
            into.setdefault("exports", {}).update(result.get("exports", {}))
    if args.seed_only:
        return
    print()
    print(time.strftime("%Y-%m-%d %H:%M %Z"))
    print(table(pooled[sizes[0]], pooled[sizes[1]]))


if __name__ == "__main__":
    main()
