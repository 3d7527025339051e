#!/usr/bin/env python
"""Benchmark of the candidate's photo upload against a bare Django upload view and the floor.

All three run on the same gunicorn (production settings plus two bench-only URLs,
bench/settings.py), the same PostgreSQL, Redis and filesystem storage, and are loaded by wrk at
8 connections, in turn, round after round, so that whatever else the machine does weighs on
all alike.

- upload: the complete endpoint as page.js posts it (session, CSRF, the category check, the
  lock rule, the full decode, the candidate's row lock, the photo row, its audit row, the
  stored original, the pipeline task queued, and the category fragment it answers);
- floor:  bench/views.py's floor view, the floor issue 8 names ("a decode and one
  transaction"): the bare view plus the upload's full content check (the project's function)
  and one transaction holding the photo row and its audit row (as the upload writes it);
- bare:   bench/views.py's bare view, which stores the same photo under a generated name and
  inserts one row (no session, CSRF, checks, audit, queue or fragment).

No Celery worker runs: the tasks go to a Redis broker queue (a database of its own) that
nobody consumes and that the bench empties at its end. Then one upload is profiled in-process
(cProfile, and the SQL statements it sends).

    .venv/bin/python bench/upload.py                 # 3 rounds of 10 s each, 8 connections
    .venv/bin/python bench/upload.py --seconds 20 --rounds 5

The load generator is wrk (Debian package `wrk`, installed with apt-get when missing and run
as root): written in C, it needs a fraction of a core at these rates, where a Python client
would take CPU from the two gunicorn workers it measures. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The one way the benches create their database (bench/sizing.py imports it too).
from bench.review import ensure_database  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/yishen_upload_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
MEDIA = ROOT / "var" / "bench-upload-media"
PROVINCE_CODE = "98"
SITE_CODE = "9801"
CANDIDATES = 600
TARGET_RATIO = 0.4
TARGET_P99_MS = 50.0
# What wrk loads in each round, in this order.
KINDS = ("upload", "floor", "bare")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("bench/upload.py needs wrk: apt-get install -y wrk")
    print("installing wrk (apt-get install -y wrk)", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk is still missing")


def check_local(url: str) -> None:
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1":
        sys.exit(f"bench/upload.py only runs on 127.0.0.1, not {url!r}")


def bench_environment(args) -> dict[str, str]:
    """What gunicorn and this process run with: production settings as docker-compose.yml
    gives them, except the services' addresses and filesystem storage."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": "bench-upload-secret-key-not-for-any-deployment-0123456789",
        "YISHEN_ENTRY_SECRET": "bench-upload-entry-secret-not-for-any-deployment",
        # 32 bytes each, base64 (config/idkeys.py); not for any deployment.
        "YISHEN_ID_KEYS": "bench:YmVuY2gtdXBsb2FkLWlkLWtleS0zMi1ieXRlcy0hISE=",
        "YISHEN_ID_HASH_KEY": "YmVuY2gtdXBsb2FkLWlkLWhhc2gta2V5LTMyYnl0ZXM=",
        "YISHEN_REGISTRATION_URL": "https://registration.example.org/",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DATABASE_URL": args.database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": f"{args.redis}/{args.cache_db}",
        "CELERY_BROKER_URL": f"{args.redis}/{args.broker_db}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "YISHEN_CLIENT_IP_HEADER": "X-Real-IP",  # as behind nginx: upload.lua sets it
        "YISHEN_STORAGE": "filesystem",
        "YISHEN_MEDIA_ROOT": str(MEDIA),
        "YISHEN_LOG_LEVEL": "WARNING",
        "YISHEN_SMS_BACKEND": "notifications.backends.console.ConsoleSmsBackend",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


# --- Data ---------------------------------------------------------------------------------


def seed(run: str, count: int, extra: int):
    """The bench province (its material list is the demo's), and `count` fresh activated
    candidates in 填报 for this run, each with a session as the entry link leaves it, and
    `extra` more without (the bare and floor views' and the profile's)."""
    from datetime import timedelta

    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.auth import SESSION_KEY
    from accounts.models import Candidate, ExamCategory, ExamYear, Province, TestSite
    from demo.seed.materials import seed_demo_materials
    from materials.selectors import categories_for_candidate

    call_command("migrate", verbosity=0, interactive=False)
    now = timezone.now()
    year, _ = ExamYear.objects.get_or_create(year=2026, defaults={"is_current": True})
    province, _ = Province.objects.update_or_create(
        code=PROVINCE_CODE,
        defaults={
            "name": "压测考区",
            "opens_at": now - timedelta(days=1),
            "closes_at": now + timedelta(days=30),
        },
    )
    site, _ = TestSite.objects.get_or_create(
        code=SITE_CODE, defaults={"province": province, "name": "压测考点"}
    )
    exam_category, _ = ExamCategory.objects.get_or_create(
        code="110", defaults={"name": "临床执业医师"}
    )
    seed_demo_materials(exam_year=year, provinces=[province])
    Candidate.objects.bulk_create(
        Candidate(
            exam_year=year,
            reg_no=f"B{run}{i:05d}",
            name=f"压测考生{i}",
            id_type="id_card",
            id_no=f"370101199001{i % 10000:04d}1X"[:18],
            province=province,
            site=site,
            category=exam_category,
            phone="13900000000",
            phone_verified_at=now,
            address="山东省济南市历下区",
            registration_confirmed_at=now,
            consent_at=now,
            activated_at=now,
        )
        for i in range(count + extra)
    )
    candidates = list(Candidate.objects.filter(reg_no__startswith=f"B{run}").order_by("pk"))
    sessions = []
    for candidate in candidates[:count]:
        store = SessionStore()
        store[SESSION_KEY] = candidate.pk
        store.create()
        sessions.append((candidate.pk, store.session_key))
    categories = categories_for_candidate(candidates[0])
    # Slot order: first photo of every category, then the second, … up to each maximum.
    slots = [
        category.pk
        for level in range(max(c.max_count for c in categories))
        for category in categories
        if category.max_count > level
    ]
    return candidates, sessions, categories, slots


# --- gunicorn and wrk ---------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """As docker-compose.yml's web service starts it (sync workers), on loopback."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--timeout=60",
        "--forwarded-allow-ips=*",
        "--log-level=warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            if process.poll() is not None:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)
    process.terminate()
    sys.exit("gunicorn did not listen within 30 s")


def csrf_pair(port: int, session_key: str) -> tuple[str, str]:
    """The CSRF cookie and the form token, from the material page, as a browser gets them."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/materials/",
        headers={"Cookie": f"sessionid={session_key}", "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken="))
    return cookie, token


def run_wrk(wrk: str, *, port, plan, kind, offset, seconds, connections, threads) -> dict:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=10s",
        "-s",
        str(ROOT / "bench" / "upload.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        kind,
        str(offset),
        str(plan),
        str(threads),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk said:\n{out}")
    values = dict(item.split("=") for item in line.split()[1:])
    result = {key: int(value) for key, value in values.items()}
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# --- CPU time -------------------------------------------------------------------------------
# On a shared machine the wall time of a request says more about the neighbours than about the
# request. The CPU time the processes spend does not: the gunicorn workers' and the PostgreSQL
# backends' user+system time per request (from /proc) is what sizing divides a core by.

TICK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:  # the process is gone
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _backends() -> list[int]:
    """The PostgreSQL backends of the bench database (gunicorn's connections)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def cpu_snapshot(gunicorn: subprocess.Popen) -> dict[str, dict[int, int]]:
    return {
        "web": {pid: _ticks(pid) for pid in [gunicorn.pid, *_children(gunicorn.pid)]},
        "db": {pid: _ticks(pid) for pid in _backends()},
    }


def cpu_ms(before: dict, after: dict, requests: int) -> dict[str, float]:
    """CPU milliseconds per request of the web processes and of the database backends (a
    backend that appeared during the run counts whole)."""
    spent = {}
    for what in ("web", "db"):
        ticks = sum(t - before[what].get(pid, 0) for pid, t in after[what].items())
        spent[what] = ticks / TICK * 1000 / max(requests, 1)
    return spent


# --- Profile ------------------------------------------------------------------------------


def profile(candidates, slots, photo: bytes, *, uploads: int):
    """`uploads` uploads through the whole Django stack in this process (the test client on
    the same settings), under cProfile; and the SQL statements of one more."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.auth import SESSION_KEY

    clients = []
    for candidate in candidates:
        client = Client(enforce_csrf_checks=True, HTTP_X_FORWARDED_PROTO="https")
        session = client.session
        session[SESSION_KEY] = candidate.pk
        session.save()
        client.cookies["sessionid"] = session.session_key
        page = client.get("/materials/", secure=True)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
        clients.append((client, token.group(1).decode()))

    def upload(i: int):
        client, token = clients[i]
        data = photo[:2] + b"\xff\xfe\x00\x0bprofile" + bytes([i % 256]) + photo[2:]
        response = client.post(
            f"/materials/category/{slots[0]}/upload/",
            {"photos": _named(data, f"IMG_{i}.jpg"), "csrfmiddlewaretoken": token},
            secure=True,
            HTTP_X_YISHEN_FRAGMENT="1",
            HTTP_ORIGIN="https://testserver",
        )
        if response.status_code != 200:
            raise RuntimeError(f"profiled upload answered {response.status_code}")

    upload(0)  # warm: templates, URL resolvers, connections
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(1, uploads):
        upload(i)
    profiler.disable()
    elapsed = (time.perf_counter() - started) / (uploads - 1)
    with CaptureQueriesContext(connection) as queries:
        upload(uploads)
    return profiler, elapsed, queries.captured_queries


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def print_profile(profiler, elapsed: float, queries, *, uploads: int, top: int) -> None:
    print(
        f"\nProfile: {uploads - 1} uploads in-process, {elapsed * 1000:.1f} ms each (cProfile on)"
    )
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\n".join(lines[start : start + top + 1]))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"yishen|materials|accounts|review|config", top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\nThe project's functions by cumulative time:")
    print("\n".join(line.replace(str(ROOT) + "/", "") for line in lines[start : start + top + 1]))
    print(f"\nSQL statements of one upload: {len(queries)}")
    for number, query in enumerate(queries, 1):
        sql = query["sql"]
        print(f"  {number}. {query['time']}s  {sql[:150]}{'…' if len(sql) > 150 else ''}")


# --- Main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="Redis server URL, no db")
    parser.add_argument("--cache-db", type=int, default=7, help="Redis db of cache and sessions")
    parser.add_argument("--broker-db", type=int, default=6, help="Redis db of the Celery broker")
    parser.add_argument("--port", type=int, default=8301)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile-uploads", type=int, default=40)
    parser.add_argument("--top", type=int, default=25, help="lines of the profile")
    args = parser.parse_args()
    check_local(args.database_url)
    check_local(args.redis)
    wrk = ensure_wrk()
    ensure_database(args.database_url, reseed=False)
    env = bench_environment(args)
    setup_django(env)

    from django.conf import settings

    from materials.models import MaterialImage
    from tests.photos import make_bench_jpeg

    run = time.strftime("%m%d%H%M%S")
    print(f"seeding {CANDIDATES} candidates (run {run})", flush=True)
    shutil.rmtree(MEDIA / "originals", ignore_errors=True)
    candidates, sessions, categories, slots = seed(run, CANDIDATES, args.profile_uploads + 3)
    bare_candidate, floor_candidate = candidates[CANDIDATES], candidates[CANDIDATES + 1]
    profiled = candidates[CANDIDATES + 2 :]
    photo = make_bench_jpeg(seed=7)
    workdir = Path(tempfile.mkdtemp(prefix="yishen-bench-upload-"))
    (workdir / "photo.jpg").write_bytes(photo)
    plan = workdir / "plan.txt"
    capacity = len(sessions) * len(slots)

    threads = 2
    gunicorn = start_gunicorn(env, args.port, args.workers)
    results: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    try:
        cookie, token = csrf_pair(args.port, sessions[0][1])
        plan.write_text(
            f"photo {workdir / 'photo.jpg'}\ncsrf {cookie} {token}\n"
            + "".join(f"session {pk} {key}\n" for pk, key in sessions)
            + "".join(f"slot {pk}\n" for pk in slots)
            + f"bare {bare_candidate.pk}\n"
            + f"floor {floor_candidate.pk}\n"
        )
        print(
            f"photo {len(photo):,} bytes 1600×1200 JPEG; {len(categories)} categories, "
            f"{len(slots)} photos per candidate at most; gunicorn {args.workers} sync workers "
            f"on :{args.port}; wrk {threads} threads, {args.connections} connections",
            flush=True,
        )
        offsets = dict.fromkeys(KINDS, 0)
        warm_answered = dict.fromkeys(KINDS, 0)
        common = dict(port=args.port, plan=plan, connections=args.connections, threads=threads)
        for kind in KINDS:  # warm-up: connections, templates, caches
            warm = run_wrk(wrk, kind=kind, offset=offsets[kind], seconds=2, **common)
            offsets[kind] = warm["next_offset"]
            warm_answered[kind] = warm["requests"] - warm["status_errors"]
        for number in range(1, args.rounds + 1):
            for kind in KINDS:
                before = cpu_snapshot(gunicorn)
                result = run_wrk(
                    wrk, kind=kind, offset=offsets[kind], seconds=args.seconds, **common
                )
                time.sleep(1)  # the requests in flight when wrk stopped finish
                issued = result["next_offset"] - offsets[kind]
                result.update(cpu_ms(before, cpu_snapshot(gunicorn), issued))
                offsets[kind] = result["next_offset"]
                results[kind].append(result)
                print(
                    f"round {number} {kind:6}  {result['rps']:7.1f} req/s  "
                    f"p50 {result['p50_us'] / 1000:6.1f} ms  p99 {result['p99_us'] / 1000:6.1f} ms"
                    f"  CPU {result['web']:5.1f} ms web + {result['db']:4.1f} ms db"
                    f"  non-2xx {result['status_errors']}  socket errors {result['socket_errors']}",
                    flush=True,
                )
                if offsets[kind] >= capacity:
                    sys.exit("the run used up the candidates' places: raise CANDIDATES")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    ids = [c.pk for c in candidates[:CANDIDATES]]
    stored = MaterialImage.objects.filter(candidate_id__in=ids).count()
    answered = warm_answered["upload"] + sum(
        r["requests"] - r["status_errors"] for r in results["upload"]
    )

    profiler, elapsed, queries = profile(profiled, slots, photo, uploads=args.profile_uploads)
    memory = redis_memory(args)
    queued = drop_queued_tasks()

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in results[kind])

    print(
        f"\nMedians of {args.rounds} rounds of {args.seconds} s, {args.connections} connections, "
        f"{args.workers} gunicorn workers, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}:"
    )
    print(
        f"{'':8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms web':>12}{'CPU ms db':>11}"
        f"{'req/s per web core':>20}{'× bare req/s':>14}{'× bare CPU':>12}"
    )
    for kind in KINDS:
        print(
            f"{kind:8}{median(kind, 'rps'):9.1f}{median(kind, 'p50_us') / 1000:9.1f}"
            f"{median(kind, 'p99_us') / 1000:9.1f}{median(kind, 'web'):12.1f}"
            f"{median(kind, 'db'):11.1f}{1000 / median(kind, 'web'):20.0f}"
            f"{median(kind, 'rps') / median('bare', 'rps'):13.2f}×"
            f"{median('bare', 'web') / median(kind, 'web'):11.2f}×"
        )
    ratio = median("upload", "rps") / median("bare", "rps")
    cpu_ratio = median("bare", "web") / median("upload", "web")
    p99 = median("upload", "p99_us") / 1000
    print(
        f"ratio   {ratio:.2f}× the bare view's req/s (target ≥ {TARGET_RATIO}×: "
        f"{'ok' if ratio >= TARGET_RATIO else 'MISSED'}); upload p99 {p99:.1f} ms (target ≤ "
        f"{TARGET_P99_MS:.0f} ms: {'ok' if p99 <= TARGET_P99_MS else 'MISSED'}); by web CPU per "
        f"request {cpu_ratio:.2f}× (what the ratio is on an otherwise idle machine)"
    )
    print(
        f"the floor alone: {median('floor', 'rps') / median('bare', 'rps'):.2f}× the bare view's "
        f"req/s, {median('bare', 'web') / median('floor', 'web'):.2f}× by web CPU; the upload "
        f"{median('upload', 'rps') / median('floor', 'rps'):.2f}× the floor's req/s, "
        f"{median('floor', 'web') / median('upload', 'web'):.2f}× by web CPU; floor p99 "
        f"{median('floor', 'p99_us') / 1000:.1f} ms"
    )
    print(
        f"photos stored by the real uploads: {stored:,}; 2xx answers wrk counted: {answered:,} "
        f"(warm-up included; uploads in flight when wrk stops complete uncounted); pipeline tasks left queued and dropped: "
        f"{queued:,}; storage {settings.STORAGES['default']['BACKEND'].rsplit('.', 1)[1]}"
    )
    print("Redis memory (MEMORY USAGE of the keys):")
    for what, (count, size) in memory.items():
        print(f"  {what:34}{count:7,} {size / 1024:9.1f} KB  {size / max(count, 1):7.0f} B each")
    print_profile(profiler, elapsed, queries, uploads=args.profile_uploads, top=args.top)
    shutil.rmtree(workdir, ignore_errors=True)


def redis_memory(args) -> dict[str, tuple[int, int]]:
    """What the run left in Redis: the queued pipeline tasks (one list; per task), the
    candidates' sessions, and whatever else is in the cache."""
    import redis

    from config.celery import app

    broker = redis.Redis.from_url(f"{args.redis}/{args.broker_db}")
    queue = app.conf.task_default_queue
    tasks = broker.llen(queue)
    found = {"broker: queued pipeline tasks": (tasks, broker.memory_usage(queue) or 0)}
    cache = redis.Redis.from_url(f"{args.redis}/{args.cache_db}")
    sessions = other = (0, 0)
    for key in cache.scan_iter(count=1000):
        size = cache.memory_usage(key) or 0
        if b"sessions" in key:
            sessions = (sessions[0] + 1, sessions[1] + size)
        else:
            other = (other[0] + 1, other[1] + size)
    found["cache: sessions (all runs so far)"] = sessions
    found["cache: everything else"] = other
    return found


def drop_queued_tasks() -> int:
    """Empties the broker queue nobody consumed (the bench's own Redis database)."""
    from config.celery import app

    with app.connection_for_write() as connection:
        queue = app.conf.task_default_queue
        channel = connection.default_channel
        try:
            _, count, _ = channel.queue_declare(queue=queue, passive=True)
        except Exception:  # no queue: nothing was queued
            return 0
        channel.queue_purge(queue)
        return count


if __name__ == "__main__":
    main()
