#!/usr/bin/env python
"""Benchmark of the reviewer workbench and the results API on a large province.

Seeds (once) a PostgreSQL database of its own on 127.0.0.1 with one province of 200,000
candidates and 1.5 million photos, then prints the median and p95 time of the pages a
reviewer uses and of a decision, beside the bare indexed query each needs, in the same run.

    .venv/bin/python bench/review.py              # seeds if needed, then measures
    .venv/bin/python bench/review.py --reseed     # drops and seeds the bench database again

See bench/README.md. Only 127.0.0.1 is ever touched.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yishen_bench"
PROVINCE_CODE = "37"
PROVINCE_NAME = "山东"
SITE_COUNT = 16
YEAR = 2026
PAGE_SIZE = 50
TARGET_MS = 50.0
TARGET_RATIO = 3.0
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
                "id_no": "'370102199001' || lpad((s.g % 1000000)::text, 6, '0')",
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
    with connection.cursor() as cursor:
        for model in (Candidate, MaterialImage, ReviewEvent, Feedback):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


# --- Measuring ------------------------------------------------------------------------------


class Timing:
    def __init__(self, name: str, samples: list[float]):
        self.name = name
        self.samples = samples

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def measure(name: str, fn: Callable[[int], object], *, runs: int, warmup: int = 3) -> Timing:
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        fn(warmup + i)
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(name, samples)


def measure_pair(
    name: str,
    page_fn: Callable[[int], object],
    bare_fn: Callable[[int], object],
    *,
    runs: int,
    warmup: int = 3,
) -> tuple[Timing, Timing]:
    """The page and its bare query, alternately, so that whatever else the machine is doing
    weighs on both alike."""
    for i in range(warmup):
        bare_fn(i)
        page_fn(i)
    page, bare = [], []
    for i in range(warmup, warmup + runs):
        for fn, samples in ((bare_fn, bare), (page_fn, page)):
            started = time.perf_counter()
            fn(i)
            samples.append((time.perf_counter() - started) * 1000)
    return Timing(name, page), Timing("bare", bare)


def report(rows: list[tuple[Timing, Timing | None]]) -> bool:
    """The table. `ratio` is page p95 ÷ bare p95 (the target). For what goes through the
    HTTP stack, `÷(bare+floor)` also counts the request floor in the bare side: what is left
    is what the page itself adds (template, checks) beyond its query."""
    floor = next((t.p95 for t, bare in rows if bare is None and "floor" in t.name), None)
    print()
    print(
        f"{'':38} {'median':>8} {'p95':>8}   {'bare med':>8} {'bare p95':>8}   {'ratio':>6}"
        f"  {'÷(bare+floor)':>13}  verdict"
    )
    ok_all = True
    for page, bare in rows:
        line = f"{page.name:38} {page.median:8.2f} {page.p95:8.2f}"
        if bare is None:
            print(line)
            continue
        ratio = page.p95 / bare.p95 if bare.p95 else float("inf")
        through_http = "(service)" not in page.name
        with_floor = (
            f"{page.p95 / (bare.p95 + floor):12.1f}×" if floor and through_http else f"{'':13}"
        )
        ok = page.p95 <= TARGET_MS and ratio <= TARGET_RATIO
        ok_all &= ok
        print(
            f"{line}   {bare.median:8.2f} {bare.p95:8.2f}   {ratio:5.1f}×  {with_floor}  "
            f"{'ok' if ok else 'MISSED'}"
        )
    print(
        f"\n(ms; target: p95 ≤ {TARGET_MS:.0f} ms and ≤ {TARGET_RATIO:.0f}× the bare query's p95;"
        f" page and bare query timed alternately; load average at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    return ok_all


def restore(touched: dict) -> None:
    """Puts back what the decisions changed (photos pending, candidates submitted, their
    events, claims and messages gone), so the next run measures the same work."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE materials_materialimage SET status = 'pending', decided_by_id = NULL, "
            "decided_at = NULL WHERE id = ANY(%s)",
            [touched["images"]],
        )
        cursor.execute(
            "UPDATE accounts_candidate SET status = 'submitted', status_changed_at = submitted_at "
            "WHERE id = ANY(%s)",
            [touched["candidates"]],
        )
        cursor.execute("DELETE FROM review_reviewevent WHERE id > %s", [touched["event_id"]])
        cursor.execute("DELETE FROM review_reviewclaim")


def site_clientless_get(client, url):
    response = client.get(url)
    if response.status_code != 404:
        raise RuntimeError(f"{url} → {response.status_code}, expected 404")
    return response


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%"))
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def captured(fn: Callable[[], object]) -> list[dict]:
    """The SQL `fn` sends (as sent, parameters in place)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        fn()
    return context.captured_queries


def run(*, runs: int, exports: bool = True) -> bool:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.enums import CandidateStatus
    from accounts.models import Candidate, Province
    from materials.enums import ImageStatus
    from materials.models import MaterialImage
    from review import selectors, services
    from review.api import encode_cursor, sign_request, status_change_q
    from review.models import ReviewEvent

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s of the floor
    start_event_id = ReviewEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    User = get_user_model()
    site_user = User.objects.get(username=SITE_USER)
    province_user = User.objects.get(username=PROVINCE_USER)
    province = Province.objects.get(code=PROVINCE_CODE)
    site_profile = site_user.staff_profile
    province_profile = province_user.staff_profile
    site = site_profile.site
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_candidate WHERE province_id = %s", [province.pk]
        )
        n_candidates = cursor.fetchone()[0]
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'materials_materialimage'"
        )
        n_images = cursor.fetchone()[0]
    print(
        f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(f"\nprovince {province}: {n_candidates:,} candidates, ~{n_images:,} photos")

    # --- the bare queries: the selector each page calls, without the page around it ---
    def deep_cursor(profile, status, depth):
        rows, cursor = selectors.queue_page(profile, selectors.QueueFilter(status=status))
        qs = Candidate.objects.filter(status=status)
        if profile.site_id:
            qs = qs.filter(site_id=profile.site_id)
        else:
            qs = qs.filter(province_id=profile.province_id)
        at, pk = qs.order_by("submitted_at", "pk").values_list("submitted_at", "pk")[depth]
        return selectors.Cursor(submitted_at=at, pk=pk)

    queues = [
        # key, label, client user, profile, status, cursor
        ("site_first", "queue page, site, first page", site_user, site_profile, "submitted", None),
        (
            "site_deep",
            "queue page, site, after 4,000 rows",
            site_user,
            site_profile,
            "submitted",
            deep_cursor(site_profile, "submitted", 4000),
        ),
        (
            "prov_first",
            "queue page, province, first page",
            province_user,
            province_profile,
            "site_passed",
            None,
        ),
        (
            "prov_deep",
            "queue page, province, after 30,000",
            province_user,
            province_profile,
            "site_passed",
            deep_cursor(province_profile, "site_passed", 30000),
        ),
    ]

    def bare_queue(profile, status, cursor):
        return selectors.queue_page(profile, selectors.QueueFilter(status=status), cursor=cursor)

    for key, _label, _user, profile, status, cursor in queues:
        if key in ("site_deep", "prov_first"):
            [query] = [
                q
                for q in captured(lambda p=profile, s=status, c=cursor: bare_queue(p, s, c))
                if "ORDER BY" in q["sql"]
            ]
            print(f"\nEXPLAIN ANALYZE of the bare queue query ({key}):")
            print(explain(query["sql"]))

    sample_ids = list(
        Candidate.objects.filter(site=site, status=CandidateStatus.SUBMITTED)
        .order_by("-submitted_at", "pk")
        .values_list("pk", flat=True)[: runs + 10]
    )

    def candidate_bare(i):
        """What the candidate page reads: the candidate, its photos by category, its history
        and messages (the selectors the view calls)."""
        candidate = (
            Candidate.objects.select_related("exam_year", "province", "site", "category")
            .filter(site=site)
            .get(pk=sample_ids[i % len(sample_ids)])
        )
        selectors.candidate_material_blocks(candidate)
        selectors.candidate_history(candidate)
        list(selectors.feedback_for_candidate(candidate))

    timings: list[tuple[Timing, Timing | None]] = []
    clients = {}
    for user in (site_user, province_user):
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)

    def get(client, url, params=None):
        response = client.get(url, params or {})
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params} → {response.status_code}")
        return response

    def page_and_bare(label, page_fn, bare_fn, *, n=runs):
        try:
            page, bare = measure_pair(label, page_fn, bare_fn, runs=n)
        except Exception as exc:  # a page of the workbench that is not finished yet
            print(f"({label}: skipped, {type(exc).__name__}: {str(exc)[:160]})")
            return
        timings.append((page, bare))

    # The floor under every page: session, user, staff profile, middleware, a tiny response.
    try:
        floor_url = reverse("review:candidate", kwargs={"pk": 0})
        floor = measure(
            "request floor (workbench 404)",
            lambda i: site_clientless_get(clients[site_user.pk], floor_url),
            runs=runs,
        )
        timings.append((floor, None))
    except Exception as exc:
        print(f"(request floor skipped: {type(exc).__name__})")

    try:
        queue_url = reverse("review:queue")
    except NoReverseMatch:
        queue_url = None
        print("(review:queue is not there yet: queue page timings skipped)")
    for _key, label, user, profile, status, cursor in queues:
        if queue_url is None:
            break
        params = {"status": status}
        if cursor is not None:
            params["cursor"] = cursor.encode()
        page_and_bare(
            label,
            lambda i, c=clients[user.pk], p=params: get(c, queue_url, p),
            lambda i, p=profile, s=status, c=cursor: bare_queue(p, s, c),
        )
    # The per-status counts above the queue are cached for a few seconds; this is the price
    # of a miss, paid by one request of the province every time the cache runs out.
    if hasattr(selectors, "status_counts"):
        from django.core.cache import cache

        def counts_uncached(i):
            cache.clear()
            selectors.status_counts(province_profile)

        timings.append(
            (
                measure(
                    "status counts, province, uncached", counts_uncached, runs=max(10, runs // 4)
                ),
                None,
            )
        )

    page_and_bare(
        "candidate page, site reviewer",
        lambda i: get(
            clients[site_user.pk],
            reverse("review:candidate", kwargs={"pk": sample_ids[i % len(sample_ids)]}),
        ),
        candidate_bare,
    )
    try:
        for label, fn in (
            ("queue page, site", lambda: get(clients[site_user.pk], queue_url)),
            (
                "candidate page",
                lambda: get(
                    clients[site_user.pk],
                    reverse("review:candidate", kwargs={"pk": sample_ids[-1]}),
                ),
            ),
        ):
            print(f"(the {label} sends {len(captured(fn))} queries)")
    except Exception as exc:
        print(f"(query counts skipped: {type(exc).__name__})")

    # --- decisions, on different candidates each time ---
    def one_pending_image_each(order: str, count: int) -> list:
        """A pending photo of each of `count` submitted candidates."""
        chosen, seen = [], set()
        images = (
            MaterialImage.objects.filter(
                candidate__site=site,
                candidate__status=CandidateStatus.SUBMITTED,
                status=ImageStatus.PENDING,
                removed_at__isnull=True,
            )
            .select_related("candidate")
            .order_by(order, "pk")
        )
        for image in images[: count * 10]:
            if image.candidate_id not in seen:
                seen.add(image.candidate_id)
                chosen.append(image)
            if len(chosen) == count:
                break
        return chosen

    # The decisions take the newest candidates' photos and candidates, their bare writes
    # the oldest: never the same rows, and every call on rows of its own (a write that
    # changes nothing is cheaper than one that does).
    n = runs + 3  # warm-up included
    pending = one_pending_image_each("-candidate__submitted_at", 2 * n)
    spare = [
        (img.pk, img.candidate_id)
        for img in one_pending_image_each("candidate__submitted_at", 2 * n)
    ]
    ready_all = Candidate.objects.filter(site=site, status=CandidateStatus.SUBMITTED).exclude(
        images__status__in=[ImageStatus.PENDING, ImageStatus.RETURNED]
    )
    ready = list(ready_all.order_by("-submitted_at")[: 2 * n])
    spare_ready = list(ready_all.order_by("submitted_at").values_list("pk", flat=True)[: 2 * n])
    # Undone at the end, so that every run finds the same work (see restore()).
    touched = {
        "images": [img.pk for img in pending] + [image_id for image_id, _c in spare],
        "candidates": [c.pk for c in ready] + spare_ready,
        "event_id": start_event_id,
    }

    def bare_image_approve(offset):
        """The writes of a photo approval, by hand: lock the candidate, the photo's new
        state, the audit row."""

        def bare(i):
            image_id, candidate_id = spare[offset + i]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM accounts_candidate WHERE id = %s FOR UPDATE", [candidate_id]
                )
                cursor.execute(
                    "UPDATE materials_materialimage SET status = 'approved', "
                    "return_reason = '', decided_by_id = %s, decided_at = now() WHERE id = %s",
                    [site_user.pk, image_id],
                )
                ReviewEvent.objects.create(
                    candidate_id=candidate_id,
                    image_id=image_id,
                    actor_kind="staff",
                    action="image_approve",
                    data={"bench": 1},
                )

        return bare

    def bare_site_pass(offset):
        """The reads and writes of 考点通过, by hand: lock the candidate, its photos' states
        (the completeness check), the conditional status update, the audit row."""

        def bare(i):
            candidate_id = spare_ready[offset + i]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT status FROM accounts_candidate WHERE id = %s FOR UPDATE",
                    [candidate_id],
                )
                cursor.execute(
                    "SELECT category_id, status FROM materials_materialimage "
                    "WHERE candidate_id = %s AND removed_at IS NULL",
                    [candidate_id],
                )
                cursor.fetchall()
                cursor.execute(
                    "UPDATE accounts_candidate SET status = 'site_passed', "
                    "status_changed_at = now(), updated_at = now() "
                    "WHERE id = %s AND status = 'submitted'",
                    [candidate_id],
                )
                ReviewEvent.objects.create(
                    candidate_id=candidate_id,
                    actor_kind="staff",
                    action="site_pass",
                    from_status="submitted",
                    to_status="site_passed",
                    data={"bench": 1},
                )

        return bare

    # The decisions commit, and each commit waits for its WAL to reach the disk: a checkpoint
    # flushing the previous run's restore during the timings would land on page or bare
    # at random. Flush it now (needs a superuser; skipped otherwise).
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except Exception as exc:
        print(f"(no CHECKPOINT before the decisions: {type(exc).__name__})")
    try:
        if len(pending) == len(spare) == len(ready) == len(spare_ready) == 2 * n:
            page_and_bare(
                "decision: image_approve (service)",
                lambda i: services.image_approve(image=pending[i], by=site_user, ip="127.0.0.1"),
                bare_image_approve(0),
            )
            page_and_bare(
                "decision: candidate_site_pass (service)",
                lambda i: services.candidate_site_pass(
                    candidate=ready[i], by=site_user, ip="127.0.0.1"
                ),
                bare_site_pass(0),
            )

            from django.contrib.messages.storage.cookie import CookieStorage

            def post(url, data):
                client = clients[site_user.pk]
                response = client.post(url, data)
                if response.status_code != 302:
                    raise RuntimeError(f"{url} → {response.status_code}")
                # A browser follows the redirect, whose page shows and so consumes the
                # message of the decision; here the redirect is not followed, and without
                # this the messages cookie would grow with every POST of the run.
                client.cookies.pop(CookieStorage.cookie_name, None)
                return response

            page_and_bare(
                "decision page: approve a photo (POST)",
                lambda i: post(
                    reverse(
                        "review:image_approve",
                        kwargs={"pk": pending[n + i].candidate_id, "image_pk": pending[n + i].pk},
                    ),
                    {"expected_status": "submitted"},
                ),
                bare_image_approve(n),
            )
            page_and_bare(
                "decision page: 考点通过 + next (POST)",
                lambda i: post(
                    reverse("review:decide", kwargs={"pk": ready[n + i].pk}),
                    {"action": "site_pass", "expected_status": "submitted", "next": "on"},
                ),
                bare_site_pass(n),
            )
        else:
            print("(not enough pending photos or ready candidates in the site: --reseed)")
    finally:
        restore(touched)

    # --- the results API: first page and a deep page of 500 ---
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

    deep_event = (
        ReviewEvent.objects.filter(status_change_q())
        .order_by("pk")
        .values_list("pk", flat=True)[150000]
    )

    def api_bare(after):
        list(
            ReviewEvent.objects.filter(status_change_q(), pk__gt=after)
            .filter(candidate__province_id=province.pk)
            .order_by("pk")
            .values(
                "pk",
                "to_status",
                "created_at",
                "candidate__reg_no",
                "candidate__exam_year__year",
                "candidate__province__code",
                "candidate__site__code",
                "candidate__category__code",
            )[:501]
        )

    for label, after in (
        ("results API, 500 rows", 0),
        ("results API, 500 after 150,000", deep_event),
    ):
        params = {"limit": 500, "province": PROVINCE_CODE}
        if after:
            params["since"] = encode_cursor(after)
        page_and_bare(
            label,
            lambda i, p=params: api_get(p),
            lambda i, a=after: api_bare(a),
            n=max(10, runs // 2),
        )
    ok = report(timings)
    if exports:
        export_figures(province_user)
    return ok


def export_figures(user) -> None:
    """One export of the whole province in each format: time, size, memory."""
    import resource

    from django.test import Client

    client = Client()
    client.force_login(user)
    print("\nexports of the whole province (one run each):")
    for url in ("/api/v1/exports/results.csv", "/api/v1/exports/results.xlsx"):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        response = client.get(url)
        size = lines = 0
        first = None
        for chunk in response.streaming_content:
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
        took = time.perf_counter() - started
        grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        rows = f"{lines - 1:,} rows, " if url.endswith(".csv") else ""
        print(
            f"  {url.rsplit('/', 1)[1]:14} {response.status_code} {rows}{size / 2**20:.1f} MiB "
            f"in {took:.1f} s (first byte after {first:.2f} s), peak memory +{grew:.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--candidates", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--reseed", action="store_true", help="drop the bench database and seed again"
    )
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument(
        "--no-exports", action="store_true", help="skip the whole-province CSV/XLSX exports"
    )
    args = parser.parse_args()

    check_local(args.database_url)
    ensure_database(args.database_url, reseed=args.reseed)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if seeded(args.candidates):
        print("bench database already seeded (--reseed to start again)")
    elif partly_seeded():
        sys.exit("the bench database holds an unfinished seed: run again with --reseed")
    else:
        seed(candidates=args.candidates)
    if not args.seed_only:
        ok = run(runs=args.runs, exports=not args.no_exports)
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
