"""The delivery log in the admin: an operator sees 结果未知 and resends such a message only
after confirming that it did not arrive."""

import pytest

from notifications.enums import NotificationStatus
from tests.factories.accounts import CandidateFactory, ProvinceFactory, TestSiteFactory, operator
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/notifications/notification/"


@pytest.fixture
def tianjin_operator_client(client):
    tianjin = ProvinceFactory(code="12", name="天津")
    candidate = CandidateFactory(site=TestSiteFactory(province=tianjin, code="1201"))
    client.force_login(operator(tianjin, username="operator12"))
    client.candidate = candidate
    return client


def test_admin_unknown_message_shown_as_result_unknown(tianjin_operator_client):
    NotificationFactory(
        candidate=tianjin_operator_client.candidate, status=NotificationStatus.UNKNOWN
    )
    body = tianjin_operator_client.get(CHANGELIST).content.decode()
    assert "结果未知" in body


def test_admin_failed_resend_action_leaves_unknown_alone(
    tianjin_operator_client, sms_outbox, django_capture_on_commit_callbacks
):
    unknown = NotificationFactory(
        candidate=tianjin_operator_client.candidate, status=NotificationStatus.UNKNOWN
    )
    with django_capture_on_commit_callbacks(execute=True):
        tianjin_operator_client.post(
            CHANGELIST, {"action": "requeue_failed", "_selected_action": [unknown.pk]}
        )
    unknown.refresh_from_db()
    assert unknown.status == NotificationStatus.UNKNOWN
    assert sms_outbox == []


def test_admin_unknown_resend_asks_for_confirmation_first(
    tianjin_operator_client, sms_outbox, django_capture_on_commit_callbacks
):
    unknown = NotificationFactory(
        candidate=tianjin_operator_client.candidate, status=NotificationStatus.UNKNOWN
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = tianjin_operator_client.post(
            CHANGELIST, {"action": "resend_unknown", "_selected_action": [unknown.pk]}
        )
    assert page.status_code == 200
    assert "请先在短信服务商的发送记录中核实" in page.content.decode()
    unknown.refresh_from_db()
    assert unknown.status == NotificationStatus.UNKNOWN
    assert sms_outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        done = tianjin_operator_client.post(
            CHANGELIST,
            {"action": "resend_unknown", "_selected_action": [unknown.pk], "confirmed": "yes"},
        )
    assert done.status_code == 302
    unknown.refresh_from_db()
    assert unknown.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_admin_operator_sees_the_reason_of_a_failed_message(tianjin_operator_client):
    NotificationFactory(
        candidate=tianjin_operator_client.candidate,
        status=NotificationStatus.FAILED,
        last_error="手机号码无效（阿里云 isv.MOBILE_NUMBER_ILLEGAL）",
    )
    body = tianjin_operator_client.get(CHANGELIST).content.decode()
    assert "手机号码无效（阿里云 isv.MOBILE_NUMBER_ILLEGAL）" in body


def test_admin_undelivered_message_sent_again(
    tianjin_operator_client, sms_outbox, django_capture_on_commit_callbacks
):
    undelivered = NotificationFactory(
        candidate=tianjin_operator_client.candidate,
        status=NotificationStatus.UNDELIVERED,
        last_error="未送达（腾讯云 UNDELIV）",
    )
    with django_capture_on_commit_callbacks(execute=True):
        tianjin_operator_client.post(
            CHANGELIST, {"action": "requeue_failed", "_selected_action": [undelivered.pk]}
        )
    undelivered.refresh_from_db()
    assert undelivered.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1
