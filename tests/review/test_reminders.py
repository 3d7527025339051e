"""The reminder SMS: one before the province's upload window closes to every candidate who
has not submitted (a roster's candidate who never entered included, at the roster's mobile
number), one before a return's reply deadline; each once, never in the quiet hours, and in
the SMS log with purpose 提醒. The clock is given to the sender (`now`), so the tests hold
at any hour."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.enums import CandidateStatus as S
from accounts.models import BEIJING, Candidate
from accounts.services.roster import roster_upsert
from materials.enums import ImageStatus
from notifications.enums import NotificationPurpose, SmsKind
from notifications.models import Notification, SmsTemplate
from review import services
from review.services.reminders import reply_reminder_key
from tests.concurrency import run_at_once, skip_unless_postgres
from tests.factories.accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ExamYearFactory,
    ProvinceFactory,
    TestSiteFactory,
)
from tests.factories.review import candidate_with_photos

pytestmark = pytest.mark.django_db


def bj(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of May 2026, Beijing time."""
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=BEIJING)


# The window closes on 10 May at 17:00; with the default 48 hours the reminder is due on
# 8 May at 17:00, outside the default quiet hours (22:00–08:00).
CLOSES = bj(10, 17)
DUE = bj(8, 17)


@pytest.fixture
def tianjin():
    province = ProvinceFactory(code="12", name="天津", opens_at=bj(1, 8), closes_at=CLOSES)
    TestSiteFactory(province=province, code="1201", name="和平区")
    ExamCategoryFactory(code="110")
    ExamYearFactory(year=2026)
    return province


def draft(province, **fields) -> Candidate:
    """An activated candidate who entered and has not submitted (no photo yet)."""
    return CandidateFactory(site=province.sites.get(), status=S.DRAFT, **fields)


def roster_record(n: int, **changes) -> dict:
    return {
        "reg_no": f"1226{n:08d}",
        "year": 2026,
        "name": f"考生{n}",
        "id_type": "id_card",
        "id_no": f"12010119900101{n:04d}",
        "province": "12",
        "site": "1201",
        "category": "110",
        "tags": [],
        **changes,
    }


def reminders() -> list[tuple[str, str]]:
    """(registration number, recipient) of each window reminder in the log."""
    return list(
        Notification.objects.filter(kind=SmsKind.WINDOW_REMINDER)
        .order_by("candidate__reg_no")
        .values_list("candidate__reg_no", "recipient")
    )


# --- who is reminded -------------------------------------------------------------------------


def test_roster_candidate_who_never_entered_gets_one_reminder_at_the_roster_mobile(tianjin):
    report = roster_upsert(records=[roster_record(1, mobile="13812345678"), roster_record(2)])
    assert report.counts["created"] == 2
    never_entered = Candidate.objects.get(reg_no="122600000001")
    assert never_entered.last_entry_at is None and never_entered.phone == ""

    assert services.window_reminders_send(now=DUE) == 1

    sms = Notification.objects.get()
    assert (sms.candidate, sms.recipient) == (never_entered, "13812345678")
    assert sms.kind == SmsKind.WINDOW_REMINDER
    assert sms.purpose == NotificationPurpose.REMINDER
    assert sms.get_purpose_display() == "提醒"
    assert sms.province_code == "12"
    assert sms.text == (
        "您的医师资格考试报名材料尚未完成上传提交，材料上传将于2026年5月10日17:00截止，"
        "请尽快登录报名网站，访问报名材料上传页面处理。"
    )
    assert sms.params == {
        "name": "考生1",
        "reg_no": "122600000001",
        "year": "2026",
        "deadline": "2026年5月10日17:00",
    }
    # The second record had no mobile: nobody to reach, nothing queued.


def test_rerun_sends_no_second_reminder(tianjin):
    draft(tianjin)
    assert services.window_reminders_send(now=DUE) == 1
    assert services.window_reminders_send(now=DUE + dt.timedelta(minutes=15)) == 0
    assert services.window_reminders_send(now=CLOSES - dt.timedelta(minutes=1)) == 0
    assert Notification.objects.count() == 1


def test_started_not_submitted_gets_one_with_or_without_photos(tianjin):
    empty = draft(tianjin, phone="13900000001")
    with_photos, _cats, _imgs = candidate_with_photos(
        site=tianjin.sites.get(), status=S.DRAFT, phone="13900000002"
    )
    services.window_reminders_send(now=DUE)
    assert reminders() == sorted(
        [(empty.reg_no, "13900000001"), (with_photos.reg_no, "13900000002")]
    )


def test_verified_phone_is_used_over_the_roster_mobile(tianjin):
    roster_upsert(records=[roster_record(1, mobile="13812345678")])
    Candidate.objects.filter(reg_no="122600000001").update(
        phone="13900000009", last_entry_at=bj(2, 9)
    )
    services.window_reminders_send(now=DUE)
    assert reminders() == [("122600000001", "13900000009")]


@pytest.mark.parametrize("status", [S.SUBMITTED, S.SITE_PASSED, S.RETURNED, S.APPROVED, S.REJECTED])
def test_submitted_or_decided_candidates_get_none(tianjin, status):
    candidate_with_photos(site=tianjin.sites.get(), status=status, image_status=ImageStatus.PENDING)
    assert services.window_reminders_send(now=DUE) == 0
    assert not Notification.objects.exists()


def test_candidate_without_any_number_gets_none(tianjin):
    draft(tianjin, activated=False, last_entry_at=None)
    assert services.window_reminders_send(now=DUE) == 0


def test_draft_of_an_earlier_exam_year_gets_none(tianjin):
    draft(tianjin, exam_year=ExamYearFactory(year=2025, is_current=False))
    assert services.window_reminders_send(now=DUE) == 0


# --- when --------------------------------------------------------------------------------------


def test_nothing_before_the_lead_time_nor_after_the_close(tianjin):
    draft(tianjin)
    assert services.window_reminders_send(now=DUE - dt.timedelta(minutes=1)) == 0
    assert services.window_reminders_send(now=CLOSES) == 0
    assert services.window_reminders_send(now=DUE) == 1


def test_lead_time_is_the_province_setting(tianjin):
    tianjin.window_reminder_hours = 72
    tianjin.save()
    draft(tianjin)
    assert services.window_reminders_send(now=bj(7, 17)) == 1


@pytest.mark.parametrize(
    "settings_",
    [
        {"closes_at": None},
        {"window_reminder_hours": 0},
        {"entry_enabled": False},
        {"opens_at": bj(9, 8)},  # not open yet
    ],
    ids=["no-close", "reminder-off", "entry-off", "not-open"],
)
def test_province_without_a_window_to_remind_of_sends_none(tianjin, settings_):
    for field, value in settings_.items():
        setattr(tianjin, field, value)
    tianjin.save()
    draft(tianjin)
    assert services.window_reminders_send(now=DUE) == 0


def test_a_moved_close_reminds_again_once(tianjin):
    candidate = draft(tianjin)
    services.window_reminders_send(now=DUE)
    tianjin.closes_at = bj(12, 17)  # the operator extends the window
    tianjin.save()
    assert services.window_reminders_send(now=bj(10, 17)) == 1
    assert services.window_reminders_send(now=bj(10, 18)) == 0
    texts = list(
        Notification.objects.filter(candidate=candidate)
        .order_by("pk")
        .values_list("text", flat=True)
    )
    assert ["5月10日17:00" in texts[0], "5月12日17:00" in texts[1]] == [True, True]


def test_quiet_hours_hold_the_reminder_until_they_end(tianjin):
    tianjin.closes_at = bj(10, 23)  # due on 8 May at 23:00, in the quiet hours
    tianjin.save()
    draft(tianjin)
    assert services.window_reminders_send(now=bj(8, 23)) == 0
    assert services.window_reminders_send(now=bj(9, 7, 59)) == 0
    assert services.window_reminders_send(now=bj(9, 8)) == 1


def test_nothing_goes_in_the_quiet_hours_even_when_long_due(tianjin):
    draft(tianjin)
    assert services.window_reminders_send(now=bj(9, 2)) == 0
    assert services.window_reminders_send(now=bj(9, 8, 15)) == 1


def test_close_before_the_quiet_hours_end_reminds_the_evening_before(tianjin):
    # Due at 04:00 (2 hours ahead of a 06:00 close): the night would swallow it.
    tianjin.closes_at = bj(10, 6)
    tianjin.window_reminder_hours = 2
    tianjin.save()
    draft(tianjin)
    assert services.window_reminders_send(now=bj(9, 20, 45)) == 0
    assert services.window_reminders_send(now=bj(9, 21)) == 1


def test_quiet_hours_are_per_province(tianjin):
    tianjin.quiet_start, tianjin.quiet_end = dt.time(0, 0), dt.time(6, 30)
    tianjin.save()
    draft(tianjin)
    assert services.window_reminders_send(now=bj(9, 6)) == 0
    assert services.window_reminders_send(now=bj(9, 6, 30)) == 1


def test_quiet_period_crossing_midnight_and_within_a_day(tianjin):
    assert tianjin.quiet_period(bj(8, 21, 59)) is None
    assert tianjin.quiet_period(bj(8, 22)) == (bj(8, 22), bj(9, 8))
    assert tianjin.quiet_period(bj(9, 7, 59)) == (bj(8, 22), bj(9, 8))
    assert tianjin.quiet_period(bj(9, 8)) is None
    tianjin.quiet_start, tianjin.quiet_end = dt.time(12), dt.time(14)
    assert tianjin.quiet_period(bj(9, 13)) == (bj(9, 12), bj(9, 14))
    assert tianjin.quiet_period(bj(9, 23)) is None
    tianjin.quiet_end = dt.time(12)  # the same time: no quiet hours
    assert tianjin.quiet_period(bj(9, 12)) is None


# --- the reply-deadline reminder ---------------------------------------------------------------


def returned(province, deadline: dt.datetime) -> Candidate:
    candidate, _cats, _imgs = candidate_with_photos(
        site=province.sites.get(), status=S.RETURNED, image_status=ImageStatus.RETURNED
    )
    candidate.reply_deadline = deadline
    candidate.save()
    return candidate


def test_reply_deadline_reminder_waits_for_the_end_of_the_quiet_hours(tianjin):
    candidate = returned(tianjin, deadline=bj(9, 10))  # 6 hours before: 04:00, at night
    services.reply_deadline_reminders_send(now=bj(9, 4))
    services.reply_deadline_reminders_send(now=bj(9, 7, 45))
    assert not Notification.objects.exists()
    services.reply_deadline_reminders_send(now=bj(9, 8))
    sms = Notification.objects.get()
    assert (sms.candidate, sms.kind, sms.purpose) == (
        candidate,
        SmsKind.REMINDER,
        NotificationPurpose.REMINDER,
    )
    assert "2026年5月9日10:00截止" in sms.text
    services.reply_deadline_reminders_send(now=bj(9, 9))
    assert Notification.objects.count() == 1


def test_reply_deadline_in_the_night_is_reminded_the_evening_before(tianjin):
    returned(tianjin, deadline=bj(9, 6))
    services.reply_deadline_reminders_send(now=bj(8, 20, 45))
    assert not Notification.objects.exists()
    services.reply_deadline_reminders_send(now=bj(8, 21))
    assert Notification.objects.filter(kind=SmsKind.REMINDER).count() == 1


def test_reply_deadline_reminder_by_day_is_not_held(tianjin):
    returned(tianjin, deadline=bj(9, 18))
    services.reply_deadline_reminders_send(now=bj(9, 11, 59))
    assert not Notification.objects.exists()
    services.reply_deadline_reminders_send(now=bj(9, 12))
    assert Notification.objects.count() == 1


def test_reply_deadline_reminder_rerun_counts_none_and_adds_none(tianjin):
    candidate = returned(tianjin, deadline=bj(9, 18))
    assert services.reply_deadline_reminders_send(now=bj(9, 12)) == 1
    assert services.reply_deadline_reminders_send(now=bj(9, 12, 15)) == 0
    assert services.reply_deadline_reminders_send(now=bj(9, 17)) == 0
    sms = Notification.objects.get()
    assert sms.event_key == reply_reminder_key(candidate=candidate, deadline=bj(9, 18))


def test_reply_deadline_reminder_counts_each_batch_once(tianjin):
    first = returned(tianjin, deadline=bj(9, 18))
    services.reply_deadline_reminders_send(now=bj(9, 12))
    later = [returned(tianjin, deadline=bj(9, 18)) for _ in range(3)]
    # Batches of two: the first batch holds the candidate reminded before.
    assert services.reply_deadline_reminders_send(now=bj(9, 13), batch=2) == 3
    assert sorted(Notification.objects.values_list("candidate_id", flat=True)) == sorted(
        c.pk for c in [first, *later]
    )


def test_a_new_return_reminds_again_once(tianjin):
    candidate = returned(tianjin, deadline=bj(9, 18))
    services.reply_deadline_reminders_send(now=bj(9, 12))
    candidate.reply_deadline = bj(11, 18)  # returned again after a resubmission
    candidate.save()
    assert services.reply_deadline_reminders_send(now=bj(11, 12)) == 1
    assert services.reply_deadline_reminders_send(now=bj(11, 13)) == 0
    assert Notification.objects.filter(candidate=candidate).count() == 2


def test_reminder_rows_carry_the_quiet_hours_and_the_deadline(tianjin):
    # What lets a retry of the send hold the reminder at night (tests/notifications/
    # test_quiet_hours.py): the send path reads no Province.
    tianjin.quiet_start, tianjin.quiet_end = dt.time(21, 30), dt.time(7)
    tianjin.save()
    candidate = returned(tianjin, deadline=bj(9, 18))
    draft(tianjin)
    services.reply_deadline_reminders_send(now=bj(8, 12))  # not due yet
    services.window_reminders_send(now=DUE)
    services.reply_deadline_reminders_send(now=bj(9, 12))
    rows = Notification.objects.order_by("pk").values_list(
        "kind", "quiet_start", "quiet_end", "send_before"
    )
    assert list(rows) == [
        (SmsKind.WINDOW_REMINDER, dt.time(21, 30), dt.time(7), CLOSES),
        (SmsKind.REMINDER, dt.time(21, 30), dt.time(7), bj(9, 18)),
    ]
    assert Notification.objects.filter(candidate=candidate).count() == 1


def test_reminder_send_from_waits_for_the_morning_when_asked_at_night(tianjin):
    # Due at 16:00 (long ago), asked at 23:00: not before the quiet hours end.
    assert tianjin.reminder_send_from(due=bj(8, 16), deadline=bj(9, 18), now=bj(8, 23)) == bj(9, 8)
    assert tianjin.reminder_send_from(due=bj(8, 16), deadline=bj(9, 18), now=bj(8, 21)) == bj(8, 16)
    # Due in the night, the deadline before the morning: the evening before.
    assert tianjin.reminder_send_from(due=bj(9, 2), deadline=bj(9, 6), now=bj(8, 21)) == bj(8, 21)


# --- the province's provider template --------------------------------------------------------


def test_window_reminder_template_mapping_takes_what_the_message_provides():
    template = SmsTemplate(
        province_code="12",
        kind=SmsKind.WINDOW_REMINDER,
        template_code="SMS_490001",
        params="xm=name,jz=deadline",
    )
    template.full_clean()
    assert template.template_params({"name": "王伟", "deadline": "2026年5月10日17:00"}) == {
        "xm": "王伟",
        "jz": "2026年5月10日17:00",
    }
    template.params = "name,hours"
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert refused.value.message_dict["params"] == [
        "“上传截止提醒”短信没有参数“hours”。可用的参数：name（姓名）、reg_no（报名号）、"
        "year（考试年度）、deadline（截止时间）。"
    ]


def test_province_text_is_the_operators(tianjin):
    tianjin.sms_window_reminder_text = "{name}：材料上传{deadline}截止。"
    tianjin.save()
    draft(tianjin, name="王伟")
    services.window_reminders_send(now=DUE)
    assert Notification.objects.get().text == "王伟：材料上传2026年5月10日17:00截止。"


# --- exactly once under concurrency (PostgreSQL) -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_make_one_reminder_per_candidate():
    skip_unless_postgres()
    province = ProvinceFactory(code="12", name="天津", opens_at=bj(1, 8), closes_at=CLOSES)
    site = TestSiteFactory(province=province, code="1201")
    candidates = [CandidateFactory(site=site, status=S.DRAFT) for _ in range(30)]
    outcomes = run_at_once(
        [lambda: services.window_reminders_send(now=DUE, batch=7) for _ in range(3)],
        refusal=lambda exc: exc.code,
    )
    assert outcomes == ["ok", "ok", "ok"]
    per_candidate = sorted(
        Notification.objects.filter(kind=SmsKind.WINDOW_REMINDER).values_list(
            "candidate_id", flat=True
        )
    )
    assert per_candidate == sorted(c.pk for c in candidates)
