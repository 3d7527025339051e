#!/usr/bin/env python
"""How much PostgreSQL a season takes: seeds a slice of a season, reads its size, extrapolates.

Seeds (in a database of its own on 127.0.0.1, dropped and made again each run) a slice of
`--candidates` activated candidates with 10 photos each, with the rows a season leaves behind
them: one upload event per photo (with the data and address the upload service writes), one
decision event per photo, the candidate's status events (提交, 考点通过, 审核通过) and
two SMS rows (the phone code and the result). Then it prints pg_total_relation_size (table,
indexes and TOAST) of each table, per row, and extrapolated to a season of `--season`
candidates. The slice is inserted with INSERT … SELECT generate_series, like bench/review.py.

    .venv/bin/python bench/sizing.py                      # 100,000 candidates, 1 M photos
    .venv/bin/python bench/sizing.py --candidates 20000   # quicker, same per-row figures

See bench/README.md and docs/operations.md (容量规划).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.review import (  # noqa: E402
    check_local,
    ensure_database,
    id_no_columns,
    insert_select,
    setup_django,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yishen_upload_sizing"
PHOTOS = 10


def seed(candidates: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Candidate, ExamCategory, ExamYear, Province, TestSite
    from materials.models import MaterialCategory, MaterialImage
    from notifications.models import Notification
    from review.models import ReviewEvent

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        year, _ = ExamYear.objects.get_or_create(year=2026, defaults={"is_current": True})
        province, _ = Province.objects.get_or_create(code="37", defaults={"name": "山东"})
        site, _ = TestSite.objects.get_or_create(
            code="3701", defaults={"province": province, "name": "济南"}
        )
        exam_category, _ = ExamCategory.objects.get_or_create(
            code="110", defaults={"name": "临床执业医师"}
        )
        categories = [
            MaterialCategory.objects.get_or_create(
                exam_year=year,
                province=province,
                code=f"sizing-{n}",
                defaults={"name": f"材料类别{n}", "max_count": 5, "order": n},
            )[0].pk
            for n in range(5)
        ]
    started = time.perf_counter()
    with transaction.atomic():
        insert_select(
            Candidate,
            {
                "exam_year": str(year.pk),
                "reg_no": "'2026' || lpad(g::text, 8, '0')",
                "name": "'考生' || g",
                "id_type": "'id_card'",
                **id_no_columns("g"),
                "province": str(province.pk),
                "site": str(site.pk),
                "category": str(exam_category.pk),
                "phone": "'139' || lpad(g::text, 8, '0')",
                "phone_verified_at": "now()",
                "address": "'山东省济南市历下区经十路' || g || '号'",
                "registration_confirmed_at": "now()",
                "consent_at": "now()",
                "activated_at": "now()",
                "last_entry_at": "now()",
                "status": "'approved'",
                "submitted_at": "now()",
                "status_changed_at": "now()",
            },
            f"FROM generate_series(1, {candidates}) AS g",
        )
        category_array = "ARRAY[" + ",".join(map(str, categories)) + "]::bigint[]"
        insert_select(
            MaterialImage,
            {
                "candidate": "c.id",
                "category": f"({category_array})[1 + n % 5]",
                "status": "'approved'",
                "decided_at": "now()",
                "processing": "'ready'",
                "processing_attempts": "1",
                # Names as the services generate them.
                "original": "'originals/' || md5(c.id::text || n)",
                "display": "'display/' || md5(n || c.id::text) || '.jpg'",
                "thumbnail": "'thumbs/' || md5(n || c.id::text || 't') || '.jpg'",
                "image_format": "'jpeg'",
                "size_bytes": "150000 + n",
                "width": "1600",
                "height": "1200",
                "sha256": "encode(sha256((c.id::text || '-' || n)::bytea), 'hex')",
                "uploaded_at": "now()",
            },
            f"FROM {Candidate._meta.db_table} AS c CROSS JOIN generate_series(1, {PHOTOS}) AS n",
        )
    print(f"  candidates and photos ({time.perf_counter() - started:.0f} s)", flush=True)
    images = MaterialImage._meta.db_table
    with transaction.atomic():
        # The upload event, as materials.services.image_upload writes it.
        insert_select(
            ReviewEvent,
            {
                "candidate": "i.candidate_id",
                "image": "i.id",
                "actor_kind": "'candidate'",
                "action": "'image_upload'",
                "from_status": "'draft'",
                "to_status": "'draft'",
                "data": (
                    """jsonb_build_object('category', '身份证明', 'category_id', i.category_id, """
                    """'size', i.size_bytes, 'format', 'jpeg', 'replaces', null)"""
                ),
                "ip_address": "'10.12.34.56'",
                "created_at": "now()",
            },
            f"FROM {images} AS i",
        )
        # A reviewer's decision on each photo.
        insert_select(
            ReviewEvent,
            {
                "candidate": "i.candidate_id",
                "image": "i.id",
                "actor_kind": "'staff'",
                "role": "'site_reviewer'",
                "action": "'image_approve'",
                "from_status": "'submitted'",
                "to_status": "'submitted'",
                "data": (
                    """jsonb_build_object('level', 'site', 'before', 'pending', """
                    """'category', '身份证明')"""
                ),
                "ip_address": "'10.98.7.6'",
                "created_at": "now()",
            },
            f"FROM {images} AS i",
        )
        for action, before, after in (
            ("submit", "draft", "submitted"),
            ("site_pass", "submitted", "site_passed"),
            ("province_approve", "site_passed", "approved"),
        ):
            insert_select(
                ReviewEvent,
                {
                    "candidate": "c.id",
                    "actor_kind": "'staff'",
                    "role": "'site_reviewer'",
                    "action": f"'{action}'",
                    "from_status": f"'{before}'",
                    "to_status": f"'{after}'",
                    "ip_address": "'10.98.7.6'",
                    "created_at": "now()",
                },
                f"FROM {Candidate._meta.db_table} AS c",
            )
        for purpose, text in (
            ("phone_code", "【医审】您的验证码是 123456，5 分钟内有效。"),
            ("result", "【医审】您的医师资格考试报名材料已审核通过，无需再进行任何操作。"),
        ):
            insert_select(
                Notification,
                {
                    "candidate": "c.id",
                    "recipient": "c.phone",
                    "text": f"'{text}'",
                    "purpose": f"'{purpose}'",
                    "event_key": f"'{purpose}:' || c.id",
                    "status": "'sent'",
                    "attempts": "1",
                    "provider_id": "md5(c.id::text)",
                    "sent_at": "now()",
                },
                f"FROM {Candidate._meta.db_table} AS c",
            )
    print(f"  events and SMS rows ({time.perf_counter() - started:.0f} s)", flush=True)


def report(candidates: int, season: int) -> None:
    from django.db import connection

    from accounts.models import Candidate
    from materials.models import MaterialImage
    from notifications.models import Notification
    from review.models import ReviewEvent

    with connection.cursor() as cursor:
        for model in (Candidate, MaterialImage, ReviewEvent, Notification):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        scale = season / candidates
        print(
            f"\n{'table':24}{'rows':>12}{'MB':>9}{'B/row':>8}{'season rows':>14}{'season GB':>11}"
        )
        total = season_total = 0
        for model in (Candidate, MaterialImage, ReviewEvent, Notification):
            table = model._meta.db_table
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            rows, size = cursor.fetchone()
            total += size
            season_total += size * scale
            print(
                f"{table:24}{rows:12,}{size / 2**20:9.1f}{size / max(rows, 1):8.0f}"
                f"{rows * scale:14,.0f}{size * scale / 2**30:11.2f}"
            )
        cursor.execute("SELECT pg_database_size(current_database())")
        (database,) = cursor.fetchone()
    print(
        f"{'these four tables':24}{'':12}{total / 2**20:9.1f}{'':8}{'':14}"
        f"{season_total / 2**30:11.2f}"
    )
    print(
        f"\nwhole database {database / 2**20:.1f} MB; extrapolated linearly from {candidates:,} "
        f"to {season:,} candidates ({PHOTOS} photos each), indexes included, before WAL and "
        f"backups; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--season", type=int, default=1_000_000)
    args = parser.parse_args()
    check_local(args.database_url)
    ensure_database(args.database_url, reseed=True)
    setup_django(args.database_url)
    print(
        f"seeding {args.candidates:,} candidates, {args.candidates * PHOTOS:,} photos", flush=True
    )
    seed(args.candidates)
    report(args.candidates, args.season)


if __name__ == "__main__":
    main()
