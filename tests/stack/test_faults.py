"""Faults on the production stack (issue: "faults survived"): the worker killed with SIGKILL in
the middle of a batch, the stack's Redis stopped for 30 seconds while people work, the object
store failing during an upload, and no beat at all. What users see is checked through nginx;
what became of the work, in the stack's database and the SMS provider's log (the console
backend's lines in the worker's log: one line is one message handed to the provider)."""

from __future__ import annotations

import contextlib
import re
import shutil
import time

import pytest

from tests import photos
from tests.stack.conftest import (
    STACK_DIR,
    STACK_MODE,
    Client,
    activated_candidate,
    candidate_client,
    link_for,
    make_place,
    manage,
    service_process,
    sms_lines,
    stack_command,
    staff_client,
    unique_digits,
    upload,
    wait_for,
    worker_log,
)

pytestmark = [pytest.mark.stack]

# "Within 60 s of the restart / of Redis's return" (the bound), for photos and SMS
# alike: an SMS a killed worker held ends SENT or in the honest 结果未知 state by then (the
# sweep the restarted worker queues settles interrupted sends, docs/faults.md).
RECOVERY_SECONDS = 60
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _photo(seed: str | int) -> bytes:
    """A typical upload (1600×1200, ~110 KB), different for each seed (the upload refuses the
    same photo twice in one category)."""
    return photos.make_typical_jpeg(seed=int(seed))


def _seed() -> int:
    return int(unique_digits(7))


def _sms_fates(rows, log: str) -> list[str]:
    """What is wrong with the SMS rows: each must have reached the provider exactly once and
    say SENT, or say honestly that its fate is unknown (and then have reached it at most
    once); none may be left waiting or claimed."""
    wrong = []
    for row in rows:
        handed = sms_lines(row, log)
        label = str(row.get_status_display())
        if row.status == "sent":
            if handed != 1:
                wrong.append(f"{row.pk} SENT but handed to the provider {handed} times")
        elif "未知" in label:
            if handed > 1:
                wrong.append(f"{row.pk} fate unknown but handed {handed} times")
        else:
            wrong.append(f"{row.pk} ends {row.status} ({label}), handed {handed} times")
    return wrong


def _upload_errors(html: str) -> list[str]:
    return re.findall(r'<ul class="errorlist upload-errors">(.*?)</ul>', html, re.S)


# --- 1. worker killed ----------------------------------------------------------------------


def test_stack_worker_killed_mid_batch_loses_no_photo_and_sends_no_sms_twice(place, services):
    from django.db import transaction

    from materials.enums import ProcessingState
    from materials.models import MaterialImage
    from notifications.models import Notification
    from notifications.services import notification_create

    candidates = [activated_candidate(place) for _ in range(3)]
    clients = [candidate_client(c) for c in candidates]
    run = unique_digits(8)
    texts = []
    # The work queues up while no worker runs, each photo followed by one or two SMS, so that
    # when the kill comes (once some of each are done) a photo and an SMS are likely in hand.
    services.stop("worker")
    for i, (candidate, client) in enumerate(zip(candidates, clients, strict=True)):
        for j in range(8):
            response = upload(client, place.other, _photo(f"{run[:5]}{i}{j}"))
            assert response.status_code == 200, response.text[:300]
            with transaction.atomic():
                for n in range(2 if j < 5 else 1):
                    text = f"【医审】故障测试 {run}-{i}-{j}-{n}：您的材料审核结果已更新。"
                    texts.append(text)
                    # Each to a number of its own: the per-phone limits (1 a minute) would
                    # otherwise hold most of them for hours.
                    notification_create(
                        recipient=f"13{run[:6]}{i}{j}{n}",
                        text=text,
                        purpose="result",
                        candidate=candidate,
                    )
    images = MaterialImage.objects.filter(candidate__in=candidates)
    sms = Notification.objects.filter(text__in=texts)
    assert images.count() == 24 and sms.count() == 39

    services.start("worker")
    assert wait_for(
        lambda: (
            sms.filter(status="sent").count() >= 3
            and images.filter(processing=ProcessingState.READY).count() >= 3
        ),
        timeout=120,
        interval=0.05,
    )
    services.kill("worker")
    photos_done = images.filter(processing=ProcessingState.READY).count()
    sms_done = sms.filter(status="sent").count()
    assert photos_done < 24 and sms_done < 39, "the kill came after the batch"

    services.start("worker")
    restarted = time.monotonic()
    processed = wait_for(
        lambda: not images.exclude(processing=ProcessingState.READY).exists(),
        timeout=RECOVERY_SECONDS,
    )
    photos_after = time.monotonic() - restarted
    settled = wait_for(
        lambda: not sms.filter(status__in=["ready", "sending"]).exists(),
        timeout=max(1, RECOVERY_SECONDS - (time.monotonic() - restarted)),
    )
    left = list(images.exclude(processing=ProcessingState.READY).values_list("pk", "processing"))
    assert processed, (
        f"{len(left)} of 24 photos not processed {RECOVERY_SECONDS} s after the restart "
        f"(killed after {photos_done} were done): {left}"
    )
    print(f"photos: all processed {photos_after:.1f} s after the restart")
    assert settled, list(sms.filter(status__in=["ready", "sending"]).values_list("pk", "status"))
    print(f"sms: every row settled {time.monotonic() - restarted:.1f} s after the restart")
    assert _sms_fates(sms.order_by("pk"), worker_log()) == []


# --- 2. Redis stopped for 30 s ------------------------------------------------------------


def _reason_value(html: str) -> str:
    match = re.search(r'<select name="reason"[^>]*>.*?<option value="(\d+)">', html, re.S)
    assert match, "no standard return reason on the page"
    return match.group(1)


def test_stack_redis_stopped_30s_pages_work_and_the_work_is_done_after(place, services):
    from accounts.enums import CandidateStatus
    from materials.enums import ProcessingState
    from materials.models import MaterialImage
    from notifications.models import Notification

    # Before: Bob submitted three processed photos; Alice and a reviewer are logged in.
    alice, bob = activated_candidate(place), activated_candidate(place)
    alice_client, bob_client = candidate_client(alice), candidate_client(bob)
    seed = _seed()
    for n, category in enumerate((place.id_card, place.id_card, place.diploma)):
        assert upload(bob_client, category, _photo(seed + n)).status_code == 200
    bob_images = MaterialImage.objects.filter(candidate=bob).order_by("pk")
    assert wait_for(
        lambda: not bob_images.exclude(processing=ProcessingState.READY).exists(), timeout=60
    )
    submitted = bob_client.post_form("/materials/submit/")
    assert submitted.status_code == 200
    bob.refresh_from_db()
    assert bob.status == CandidateStatus.SUBMITTED
    reviewer = staff_client(place.site_user, place.password)
    reason = _reason_value(reviewer.get(f"/review/c/{bob.pk}/").text)
    first, *others = list(bob_images)

    problems: list[str] = []
    # The Celery workers must ride out the outage themselves (reconnect), not be restarted,
    # also while holding a message not yet acknowledged (a countdown; Celery 5.7.0 ended the
    # worker then, docs/faults.md). The sweep it holds is harmless when it runs.
    from config.celery import app

    workers = {name: service_process(name) for name in ("worker", "precheck")}
    assert None not in workers.values(), workers
    held = app.send_task("materials.retry_stuck_images", countdown=120)
    assert wait_for(lambda: f"[{held.id}] received" in worker_log(), timeout=20)

    def works(response, what: str):
        if response.status_code >= 500:
            problems.append(f"{what}: {response.status_code}")
        return response

    services.stop("redis")
    stopped = time.monotonic()

    # Candidates: the page, a new entry, an upload.
    works(alice_client.get("/materials/"), "material page")
    newcomer = activated_candidate(place)
    entered = works(Client().get(link_for(newcomer)), "entry by a signed link")
    assert entered.url.endswith("/materials/"), entered.url
    uploaded = works(upload(alice_client, place.other, _photo(seed + 10)), "upload")
    accepted = MaterialImage.objects.filter(candidate=alice).exists()
    if not accepted:
        assert uploaded.status_code < 500 and "重试" in uploaded.text, uploaded.text[:500]

    # The reviewer decides: every saved decision answers without an error.
    works(reviewer.get("/review/"), "queue")
    works(reviewer.get(f"/review/c/{bob.pk}/"), "candidate page")
    form = {"expected_status": "submitted", "queue": ""}
    for image in others:
        works(
            reviewer.post_form(f"/review/c/{bob.pk}/photo/{image.pk}/approve/", form),
            "approve a photo",
        )
    works(
        reviewer.post_form(
            f"/review/c/{bob.pk}/photo/{first.pk}/return/",
            {**form, "reason": reason, "text": "请在光线充足处重拍"},
        ),
        "return a photo",
    )
    decided = works(
        reviewer.post_form(
            f"/review/c/{bob.pk}/decide/", {**form, "action": "return", "message": "", "next": ""}
        ),
        "return the candidate",
    )
    bob.refresh_from_db()
    assert bob.status == CandidateStatus.RETURNED
    assert decided.status_code == 200 and "已退回考生" in decided.text

    # Pages keep working for the rest of the 30 seconds.
    while time.monotonic() - stopped < 30:
        works(alice_client.get("/materials/"), "material page")
        works(reviewer.get("/review/"), "queue")
        time.sleep(2)
    services.start("redis")
    back = time.monotonic()
    assert problems == []

    # After Redis returns, the queued work is done within 60 s.
    alice_images = MaterialImage.objects.filter(candidate=alice)
    sms = Notification.objects.filter(candidate=bob, purpose="return")
    done = wait_for(
        lambda: (
            not alice_images.exclude(processing=ProcessingState.READY).exists()
            and sms.filter(status="sent").count() == 1
        ),
        timeout=RECOVERY_SECONDS,
    )
    assert done, (
        list(alice_images.values_list("pk", "processing")),
        list(sms.values_list("pk", "status")),
    )
    print(f"redis: queued work done {time.monotonic() - back:.1f} s after its return")
    assert _sms_fates(Notification.objects.filter(candidate=bob), worker_log()) == []
    assert {name: service_process(name) for name in workers} == workers, (
        "a Celery worker exited during the outage and was started again instead of reconnecting"
    )


# --- 3. storage failing during an upload --------------------------------------------------


def _stored_names() -> set[str]:
    if STACK_MODE == "s3":
        from django.core.files.storage import default_storage

        return {o.key for o in default_storage.bucket.objects.all()}
    media = STACK_DIR / "media"
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


@contextlib.contextmanager
def _storage_failing():
    if STACK_MODE == "s3":
        stack_command("s3-fault", "writes")
        try:
            yield
        finally:
            stack_command("s3-fault", "off")
        return
    # The media folder turns into a file: every write fails (we run as root, so permissions
    # would not stop it).
    media, away = STACK_DIR / "media", STACK_DIR / "media.away"
    media.rename(away)
    media.write_text("not a folder")
    try:
        yield
    finally:
        media.unlink()
        away.rename(media)


def test_stack_storage_failure_on_upload_says_so_in_chinese_and_leaves_nothing(place):
    from materials.enums import ProcessingState
    from materials.models import MaterialImage

    alice = activated_candidate(place)
    client = candidate_client(alice)
    seed = _seed()
    before = _stored_names()
    with _storage_failing():
        failed = upload(client, place.other, _photo(seed))
        after_failure = _stored_names() if STACK_MODE == "s3" else None
    assert failed.status_code < 500, failed.status_code
    errors = _upload_errors(failed.text)
    assert errors and CHINESE.search(errors[0]), failed.text[:500]
    assert "重试" in errors[0] or "稍后" in errors[0], errors[0]
    assert not MaterialImage.objects.filter(candidate=alice).exists()
    assert (after_failure if after_failure is not None else _stored_names()) == before
    # The page still shows the category empty, and once storage is back the upload works.
    page = client.get("/materials/")
    assert page.status_code == 200
    retried = upload(client, place.other, _photo(seed))
    assert retried.status_code == 200, retried.text[:300]
    assert wait_for(
        lambda: (
            MaterialImage.objects.filter(candidate=alice, processing=ProcessingState.READY).count()
            == 1
        ),
        timeout=60,
    )


# --- 4. no beat --------------------------------------------------------------------------


def test_stack_without_beat_the_sweep_command_runs_every_periodic_job(place, services):
    """With beat stopped, one run of the sweep command (cron's job) does what each entry of
    CELERY_BEAT_SCHEDULE does: lost photo tasks and lost SMS are queued again and done,
    closed upload windows submit their drafts, reply-deadline reminders go out, expired
    claims and entry nonces are purged."""
    from django.conf import settings
    from django.db.models import F
    from django.utils import timezone

    from accounts.enums import CandidateStatus
    from accounts.models import EntryNonce
    from materials.enums import ProcessingState
    from materials.models import MaterialImage
    from notifications.models import Notification
    from review.models import ReviewClaim

    services.stop("beat")
    now = timezone.now()
    long_ago = now - timezone.timedelta(hours=2)

    # Work whose task was lost (as when the broker lost it): a photo row still processing and
    # an SMS row still ready, both long ago, with no message anywhere for them.
    alice = activated_candidate(place)
    assert upload(candidate_client(alice), place.other, _photo(_seed())).status_code == 200
    uploaded = MaterialImage.objects.get(candidate=alice)
    assert wait_for(
        lambda: MaterialImage.objects.get(pk=uploaded.pk).processing == ProcessingState.READY,
        timeout=60,
    )
    lost_photo = MaterialImage.objects.create(
        candidate=alice,
        category=place.other,
        original=uploaded.original.name,
        image_format="jpeg",
        size_bytes=uploaded.size_bytes,
        width=uploaded.width,
        height=uploaded.height,
        sha256=unique_digits(30).ljust(64, "1"),
        processing=ProcessingState.PROCESSING,
    )
    _age(lost_photo, long_ago)
    text = f"【医审】无定时任务测试 {unique_digits(8)}：请登录查看审核结果。"
    lost_sms = Notification.objects.create(
        candidate=alice, recipient=alice.phone, text=text, purpose="result"
    )
    _age(lost_sms, long_ago)

    # A province whose upload window has closed, with a draft holding a photo.
    closed = make_place(closed=True)
    late = activated_candidate(closed)
    MaterialImage.objects.create(
        candidate=late,
        category=closed.other,
        original=uploaded.original.name,
        image_format="jpeg",
        size_bytes=uploaded.size_bytes,
        width=uploaded.width,
        height=uploaded.height,
        sha256=unique_digits(30).ljust(64, "0"),
        processing=ProcessingState.READY,
    )
    # A returned candidate whose reply deadline is an hour away, in a province without quiet
    # hours (this runs at whatever hour the clock says; quiet hours would hold the reminder).
    returned = activated_candidate(place)
    type(returned.province).objects.filter(pk=returned.province_id).update(
        quiet_start=F("quiet_end")
    )
    type(returned).objects.filter(pk=returned.pk).update(
        status=CandidateStatus.RETURNED, reply_deadline=now + timezone.timedelta(hours=1)
    )
    # An expired claim and an old entry nonce.
    claimed = activated_candidate(place)
    ReviewClaim.objects.create(
        candidate=claimed, reviewer=place.site_user, expires_at=now - timezone.timedelta(minutes=1)
    )
    nonce = EntryNonce.objects.create(nonce=f"stack-{unique_digits(12)}")
    EntryNonce.objects.filter(pk=nonce.pk).update(
        used_at=now - timezone.timedelta(seconds=settings.YISHEN_ENTRY_TOKEN_SECONDS + 7200)
    )

    output = manage(_sweep_command())
    print(output)
    swept = time.monotonic()
    # Every job of the schedule ran, and none failed (a failure ends the command in error).
    assert [key for key in settings.CELERY_BEAT_SCHEDULE if f"{key} (" not in output] == []

    late.refresh_from_db()
    assert late.status == CandidateStatus.SUBMITTED, "the closed window did not submit"
    assert not ReviewClaim.objects.filter(candidate=claimed).exists(), "expired claim kept"
    assert not EntryNonce.objects.filter(pk=nonce.pk).exists(), "old nonce kept"
    assert Notification.objects.filter(candidate=returned, purpose="reminder").exists()
    done = wait_for(
        lambda: (
            MaterialImage.objects.get(pk=lost_photo.pk).processing == ProcessingState.READY
            and Notification.objects.get(pk=lost_sms.pk).status == "sent"
        ),
        timeout=RECOVERY_SECONDS,
    )
    assert done, (
        MaterialImage.objects.get(pk=lost_photo.pk).processing,
        Notification.objects.get(pk=lost_sms.pk).status,
    )
    print(f"sweep: lost work done {time.monotonic() - swept:.1f} s after the command")
    assert sms_lines(lost_sms) == 1


def _age(row, when) -> None:
    """Every timestamp the row has is set to `when`: it has been sitting there since."""
    from django.db.models import DateTimeField

    stamps = {
        f.attname: when
        for f in type(row)._meta.get_fields()
        if isinstance(f, DateTimeField) and getattr(row, f.attname) is not None
    }
    type(row).objects.filter(pk=row.pk).update(**stamps)


def _sweep_command() -> str:
    """The one command cron runs: `sweep` when it exists, else the README's review_sweep."""
    from django.core.management import get_commands

    return "sweep" if "sweep" in get_commands() else "review_sweep"


@pytest.fixture(autouse=True)
def _no_fault_left_behind():
    """Whatever a test broke is repaired before the next one (services restarts what it
    stopped; the storage switch is turned off; the media folder is put back)."""
    yield
    if STACK_MODE == "s3":
        stack_command("s3-fault", "off")
    else:
        media, away = STACK_DIR / "media", STACK_DIR / "media.away"
        if away.exists():
            if media.is_file():
                media.unlink()
            elif media.exists():
                shutil.rmtree(media)
            away.rename(media)
