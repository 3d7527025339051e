#!/usr/bin/env python
"""Benchmark of the reviewer's candidate page in Chromium: the scripted reviewer of the
browser test (tests/review/workbench_journey.py) clears clean candidates of 8 photos by
keyboard alone, round after round, and this prints the figures the test only prints once.

    .venv/bin/python bench/workbench.py               # 5 rounds
    .venv/bin/python bench/workbench.py --rounds 10

Each round: the candidate page is reloaded once (the baseline: what showing a photo cost
when every action reloaded the page), then J through the 8 photos (the first is shown on
arrival), ⇧A for the rest, P to pass; the next round starts on the page P led to.

Figures, median and worst over the rounds:
- keys per candidate (goal ≤ 10);
- switch: from a key's own time stamp to the frame after the photo it shows is loaded and
  decoded (goal < 100 ms, the next photos preloaded);
- next candidate: from the P key to the next candidate's page with its first photo painted
  (the larger of DOMContentLoaded and the largest contentful paint) (goal < 300 ms);
- reload (baseline): from location.reload() to the same «ready» on the same page;
- next: server CPU: the processor time of the requests the server answered during the
  next-candidate time (what the load of a shared machine does not inflate as much).

The server is Django's WSGI handler with static files (as the browser tests' live server),
threaded, on 127.0.0.1, on a SQLite database and a media folder made for the run, with the
test settings (config/settings/test.py); photos of 1600×1200 at about 200 KB, as uploads
are. Chromium is Debian's (/usr/bin/chromium, or YISHEN_CHROMIUM). Run it on a quiet
machine: the times are the machine's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHOTOS = 8


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


class _Timeline:
    """The server's side of the figures: when each request came in and when its answer was
    complete (wall clock, ms, as the page's performance.timeOrigin), to show where the
    next-candidate time goes."""

    def __init__(self, app):
        self.app = app
        self.requests: list[tuple[float, float, str, str, str, float]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        t0, cpu0 = time.time() * 1000, time.thread_time()
        status = []

        def start(code, headers, exc_info=None):
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, exc_info)

        body = self.app(environ, start)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()
            with self.lock:
                self.requests.append(
                    (
                        t0,
                        time.time() * 1000,
                        environ["REQUEST_METHOD"],
                        environ["PATH_INFO"],
                        status[0] if status else "",
                        # The request's own processor time (one thread per request).
                        (time.thread_time() - cpu0) * 1000,
                    )
                )

    def between(self, start: float, end: float) -> list[tuple[float, float, str, str, str, float]]:
        with self.lock:
            return sorted(r for r in self.requests if r[1] >= start and r[0] <= end)


def _setup(workdir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["YISHEN_TEST_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per log-in otherwise


def _seed(rounds: int):
    """rounds + 1 candidates of one site in queue order, 8 photos each (4 categories × 2)."""
    from django.core.files.base import ContentFile

    from accounts.enums import CandidateStatus
    from tests.factories.accounts import site_reviewer
    from tests.factories.materials import MaterialImageFactory
    from tests.factories.review import candidate_with_photos
    from tests.photos import make_jpeg

    # Noise 12 at quality 85 gives about 200 KB, what an upload of a real photo weighs after
    # the page's shrinking (a smooth synthetic scene at quality 80 is only about 95 KB).
    photo = make_jpeg(1600, 1200, quality=85, noise=12)
    first, cats, _imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, photos=0, categories=4
    )
    candidates = [first]
    for n in range(rounds):
        c, _c, _i = candidate_with_photos(
            status=CandidateStatus.SUBMITTED, site=first.site, photos=0, categories=cats
        )
        c.submitted_at = first.submitted_at + dt.timedelta(seconds=n + 1)
        c.save(update_fields=["submitted_at"])
        candidates.append(c)
    for c in candidates:
        for cat in cats:
            for _k in range(2):
                MaterialImageFactory(
                    candidate=c, category=cat, display=ContentFile(photo, name="display.jpg")
                )
    return site_reviewer(first.site), candidates, len(photo)


def _summary(name: str, values: list[float], goal: str) -> str:
    values = sorted(values)
    return f"{name:<26}{statistics.median(values):>9.1f}{values[-1]:>9.1f}{len(values):>6}   {goal}"


def _detail(marks: dict, timeline: _Timeline) -> str:
    """The next candidate's time, from the pass key: the requests the server answered (start
    and end) and the page's own timings, in ms after the key."""
    key = marks["key"]
    lines = []
    for start, end, method, path, status, cpu in timeline.between(key, marks["ready"]):
        lines.append(
            f"    {start - key:7.1f} → {end - key:7.1f}  {method:<4} {status} {path}"
            f"  (server CPU {cpu:.1f} ms)"
        )
    for name, at in marks.items():
        if name != "key" and at:
            lines.append(f"    {at - key:7.1f}            page: {name}")
    return "\n".join(sorted(lines, key=lambda line: float(line.split()[0])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--detail",
        action="store_true",
        help="print where each next-candidate time went (the requests, the page's timings)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="yishen-bench-workbench-"))
    _setup(workdir)
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from playwright.sync_api import sync_playwright

    from tests.factories.accounts import PASSWORD
    from tests.review.workbench_journey import clear_candidate_by_keyboard, reload_ready_ms
    from tests.staff import browser_login

    reviewer, candidates, photo_bytes = _seed(args.rounds)
    timeline = _Timeline(StaticFilesHandler(WSGIHandler()))
    server = make_server(
        "127.0.0.1",
        0,
        timeline,
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    chromium = os.environ.get("YISHEN_CHROMIUM", "/usr/bin/chromium")
    keys, switches, nexts, reloads, next_cpu = [], [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        browser_login(page, reviewer, password=PASSWORD, base=base)
        page.goto(f"{base}/review/c/{candidates[0].pk}/")
        for n in range(args.rounds):
            reloads.append(reload_ready_ms(page))
            journey = clear_candidate_by_keyboard(page, photos=PHOTOS)
            keys.append(len(journey.keys))
            switches.extend(journey.switch_ms)
            nexts.append(journey.next_ready_ms)
            marks = journey.next_marks
            next_cpu.append(sum(r[5] for r in timeline.between(marks["key"], marks["ready"])))
            print(
                f"round {n + 1}: {len(journey.keys)} keys, switch ms "
                f"{[round(t) for t in journey.switch_ms]}, next candidate "
                f"{journey.next_ready_ms:.0f} ms, reload {reloads[-1]:.0f} ms",
                flush=True,
            )
            if args.detail:
                print(_detail(journey.next_marks, timeline), flush=True)
        browser.close()
    server.shutdown()
    print()
    print(
        f"{args.rounds} candidates of {PHOTOS} photos ({photo_bytes // 1024} KB each), "
        "1366×768, Chromium headless"
    )
    print(f"{'figure':<26}{'median':>9}{'worst':>9}{'n':>6}   goal")
    print(_summary("keys per candidate", keys, "≤ 10"))
    print(_summary("switch ms", switches, "< 100"))
    print(_summary("next candidate ms", nexts, "< 300"))
    print(_summary("reload ms (baseline)", reloads, "—"))
    print(_summary("next: server CPU ms", next_cpu, "—"))
    print(
        f"switch / reload: {statistics.median(switches) / statistics.median(reloads):.2f}×; "
        f"next candidate / reload: {statistics.median(nexts) / statistics.median(reloads):.2f}×"
    )


if __name__ == "__main__":
    main()
