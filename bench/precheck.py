"""Benchmark of the machine pre-check (materials/precheck): speed, memory and accuracy of
the ID card check, and the reused-photo lookup at scale.

    .venv/bin/python bench/precheck.py                     # 100 clear + 100 degraded cards
    .venv/bin/python bench/precheck.py --clear 300 --degraded 300
    .venv/bin/python bench/precheck.py --hashes 8000000    # the lookup, PostgreSQL

OCR part. The photos are generated (tests/idcards.py): ID-card-like fronts drawn with Pillow
and the project's CJK font, random valid numbers and names, on a desk background, shrunk
under 200 KB as the upload page does. Clear: nearly straight, sharp, JPEG quality 90.
Degraded: perspective, rotation up to 10°, blur, JPEG quality 40-90. Each mode runs in a fresh
child process with one thread (OMP_NUM_THREADS=1, onnxruntime intra-op threads 1), like one
pre-check worker process on one core:

- stock: rapidocr-onnxruntime as it comes (whole photo, angle classifier, every line), the
  number and name then taken from its lines by the same rules (on the first --stock cards of
  each set: it is several times slower);
- precheck: materials.precheck.reading.check, what the worker runs (quality hints and the
  hash included).

Figures: processor seconds per photo (one thread: seconds per photo per core) and wall
seconds (median), photos/s of one worker process, its peak resident memory (VmHWM, whole
process), and the exact-read rates of the number and the name, clear and degraded apart;
"mismatch flagged" checks each card again against another registered number.

Lookup part (--hashes N): N random 64-bit hashes in materials_photocheck of a database of its
own (default postgres://postgres@127.0.0.1:5432/yishen_bench_phash, created and migrated
once), then similar_photos() — the workbench's lookup — for near-copies of stored hashes and
for fresh ones: median and p95 milliseconds, the query plan, and the size of the four
indexes. Goals (issue 11): ≤ 0.5 s per ID photo per core, ≤ 600 MB per worker, ≥ 98 % exact
numbers on the clear set and ≥ 90 % on the degraded set, every mismatch flagged when the
number was read.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yishen_bench_phash"


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


# --- OCR: speed, memory, accuracy ---------------------------------------------------------


def _stock_check(data: bytes, name: str, id_no: str):
    """rapidocr-onnxruntime as it comes, then the same comparison rules."""
    from rapidocr_onnxruntime import RapidOCR

    from materials.precheck import reading
    from materials.precheck.ocr import Line

    global _STOCK
    if _STOCK is None:
        _STOCK = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    found, _ = _STOCK(data)
    lines = [
        Line(text=text, score=float(score), box=[[int(x), int(y)] for x, y in box])
        for box, text, score in found or []
    ]
    result = reading.Result(kind=reading.ID_CARD, lines=lines)
    reading.compare_card(result, lines, name=name, id_no=id_no)
    return result


_STOCK = None


def _child(mode: str, samples: list[tuple[str, str, str, bool, str]], out) -> None:
    from materials.precheck import idno, names, reading

    imported = _rss_mb()

    def run(data: bytes, name: str, id_no: str):
        if mode == "stock":
            return _stock_check(data, name, id_no)
        return reading.check(data, kind=reading.ID_CARD, name=name, id_no=id_no)

    first = Path(samples[0][0]).read_bytes()
    run(first, samples[0][1], samples[0][2])  # loads the models: not counted
    loaded = _rss_mb()
    rows = []
    for path, name, number, degraded, other in samples:
        data = Path(path).read_bytes()
        wall, cpu = time.perf_counter(), time.process_time()
        result = run(data, name, number)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        # The same card against another registered number: is the mismatch flagged?
        against = reading.Result(kind=reading.ID_CARD)
        reading.compare_card(against, result.lines, name=name, id_no=other)
        rows.append(
            {
                "degraded": degraded,
                "cpu": cpu,
                "wall": wall,
                "number_exact": result.id_no == number,
                "number_read": bool(result.id_no and idno.is_valid(result.id_no)),
                "false_mismatch": result.id_no_match is False,
                "name_exact": names.same(result.name or "", name),
                "mismatch_flagged": against.id_no_match is False,
            }
        )
    out.put(
        {"rows": rows, "imported": imported, "loaded": loaded, "peak": _peak_mb(), "mode": mode}
    )


def _run(mode: str, samples) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(mode, samples, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _pct(rows, key) -> str:
    return f"{100 * sum(r[key] for r in rows) / len(rows):5.1f} %" if rows else "  —  "


def ocr_bench(clear: int, degraded: int, seed: int, stock: int) -> None:
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    import random

    from materials.precheck import idno
    from tests.idcards import random_id_no, sample

    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="yishen-bench-precheck-"))
    samples = []
    started = time.perf_counter()
    for n in range(clear + degraded):
        is_degraded = n >= clear
        s = sample(seed * 100_000 + n, degraded=is_degraded)
        path = folder / f"{n:05d}.jpg"
        path.write_bytes(s.data)
        other = random_id_no(rng)
        while other == s.id_no:
            other = random_id_no(rng)
        assert idno.is_valid(s.id_no)
        samples.append((str(path), s.name, s.id_no, is_degraded, other))
    print(
        f"{clear} clear + {degraded} degraded cards generated in "
        f"{time.perf_counter() - started:.0f} s ({folder})"
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    head = (
        f"{'mode':<9}{'set':<10}{'cpu s/photo':>12}{'wall s':>8}{'photos/s':>9}"
        f"{'number':>9}{'name':>9}{'mismatch':>10}{'false':>8}{'peak RSS':>10}"
    )
    print(head)
    # The stock engine costs ~6× more: the baseline runs on the first `stock` of each set.
    baseline = samples[:stock] + samples[clear : clear + stock]
    for mode, chosen in (("stock", baseline), ("precheck", samples)):
        if not chosen:
            continue
        result = _run(mode, chosen)
        for label, rows in (
            ("clear", [r for r in result["rows"] if not r["degraded"]]),
            ("degraded", [r for r in result["rows"] if r["degraded"]]),
        ):
            if not rows:
                continue
            cpu = statistics.median(r["cpu"] for r in rows)
            wall = statistics.median(r["wall"] for r in rows)
            read = [r for r in rows if r["number_read"]]
            print(
                f"{mode:<9}{label:<10}{cpu:12.3f}{wall:8.3f}{1 / wall:9.2f}"
                f"{_pct(rows, 'number_exact'):>9}{_pct(rows, 'name_exact'):>9}"
                f"{_pct(read, 'mismatch_flagged'):>10}{_pct(rows, 'false_mismatch'):>8}"
                f"{result['peak']:8.0f}MB"
            )
        print(
            f"{'':<19}memory: {result['imported']:.0f} MB after imports, "
            f"{result['loaded']:.0f} MB with the models loaded, peak {result['peak']:.0f} MB"
        )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    print(
        "number/name: exact reads; mismatch: flagged against another registered number, among "
        "cards whose number was read (valid check character); false: 号码不一致 given for a "
        "card that matches its registration."
    )


# --- the reuse lookup at scale ------------------------------------------------------------


def lookup_bench(url: str, hashes: int, queries: int, reseed: bool) -> None:
    from urllib.parse import urlsplit

    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or parts.hostname != "127.0.0.1":
        sys.exit(f"the lookup bench only runs on PostgreSQL at 127.0.0.1, not {url!r}")
    name = parts.path.strip("/")
    admin = psycopg2.connect(
        host="127.0.0.1", port=parts.port or 5432, user="postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        if reseed:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=url,
        DJANGO_DEBUG="0",
        CELERY_BROKER_URL="memory://",
        YISHEN_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    import random

    from django.core.management import call_command
    from django.db import connection

    from materials.models import PhotoCheck
    from materials.precheck import dhash
    from materials.precheck.selectors import similar_photos

    call_command("migrate", verbosity=0)
    table = PhotoCheck._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table name)
        have = cur.fetchone()[0]
    rng = random.Random(11)
    year_id = 1
    if have != hashes:
        print(f"loading {hashes:,} hashes (had {have:,})…")
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {table}")  # noqa: S608
            # The hash rows alone: the photos and candidates they point to are not needed
            # for the lookup, so the foreign keys' triggers are off for this session.
            cur.execute("SET session_replication_role = replica")
            raw = cur.connection
            batch = 500_000
            for start in range(0, hashes, batch):
                import io

                buf = io.StringIO()
                for image_id in range(start + 1, min(hashes, start + batch) + 1):
                    value = rng.getrandbits(64)
                    p = dhash.parts(value)
                    buf.write(
                        f"{image_id}\t{image_id // 4 + 1}\t{year_id}\tnone\t{dhash.to_signed(value)}\t"
                        f"{p[0]}\t{p[1]}\t{p[2]}\t{p[3]}\t\t\\N\t\\N\t\t\\N\t[]\t[]\t0\t2026-05-01 00:00:00+00\n"
                    )
                buf.seek(0)
                with raw.cursor() as c:
                    c.copy_expert(
                        f"COPY {table} (image_id, candidate_id, exam_year_id, read, dhash, dhash_0, "
                        "dhash_1, dhash_2, dhash_3, id_no_masked, id_no_valid, id_no_match, "
                        "name_read, name_match, quality, lines, seconds, checked_at) FROM STDIN",
                        buf,
                    )
                print(f"  {min(hashes, start + batch):,}", flush=True)
            cur.execute("SET session_replication_role = origin")
            cur.execute(f"ANALYZE {table}")
        print(f"loaded in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass ORDER BY 1",
            [table],
        )
        sizes = cur.fetchall()
        cur.execute("SELECT pg_relation_size(%s::regclass)", [table])
        table_bytes = cur.fetchone()[0]
        cur.execute(f"SELECT dhash FROM {table} TABLESAMPLE SYSTEM (0.1) LIMIT %s", [queries])  # noqa: S608
        stored = [dhash.to_unsigned(v) for (v,) in cur.fetchall()]
    print(f"\n{hashes:,} hashes; table {table_bytes / 2**20:,.0f} MB")
    for index, size in sizes:
        print(f"  index {index:<28} {size / 2**20:8,.0f} MB")
    print(
        f"  the four hash indexes together: "
        f"{sum(s for i, s in sizes if 'dhash' in i) / 2**20:,.0f} MB"
    )

    def near(value: int) -> int:
        for bit in rng.sample(range(64), rng.randint(1, dhash.HAMMING_LIMIT)):
            value ^= 1 << bit
        return value

    for label, values in (
        ("near-copies of stored hashes", [near(v) for v in stored]),
        ("fresh hashes", [rng.getrandbits(64) for _ in range(len(stored))]),
    ):
        times, found = [], 0
        for value in values:
            started = time.perf_counter()
            found += bool(similar_photos(exam_year_id=year_id, value=value))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(
            f"lookup, {label:<30} median {statistics.median(times):6.2f} ms   "
            f"p95 {times[int(len(times) * 0.95)]:6.2f} ms   found {found}/{len(values)}"
        )
    qs = PhotoCheck.objects.filter(exam_year_id=year_id)
    p = dhash.parts(stored[0])
    from django.db.models import Q

    plan = (
        qs.filter(Q(dhash_0=p[0]) | Q(dhash_1=p[1]) | Q(dhash_2=p[2]) | Q(dhash_3=p[3]))
        .values_list("image_id", "candidate_id", "dhash")
        .explain(analyze=True)
    )
    print("\nplan of one lookup:\n" + plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clear", type=int, default=100)
    parser.add_argument("--degraded", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--stock", type=int, default=20, help="cards per set for the stock baseline (slow)"
    )
    parser.add_argument("--hashes", type=int, default=0, help="run the lookup bench instead")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_PHASH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    if args.hashes:
        lookup_bench(args.database_url, args.hashes, args.queries, args.reseed)
    else:
        ocr_bench(args.clear, args.degraded, args.seed, args.stock)


if __name__ == "__main__":
    main()
