"""The dashboard's SMS delivery rate per province, from the providers' receipts; each
reviewer sees the messages of the candidates in their scope only."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from notifications.enums import NotificationStatus
from tests.factories.accounts import CandidateFactory
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db


def _messages(candidate, **counts):
    for status, n in counts.items():
        for _i in range(n):
            NotificationFactory(
                candidate=candidate,
                province_code=candidate.province.code,
                status=NotificationStatus(status),
            )


def test_dashboard_shows_the_delivery_rate_of_the_province(client, org):
    candidate = CandidateFactory(site=org.site)
    _messages(candidate, delivered=3, undelivered=1, sent=2, failed=1, unknown=1)
    far = CandidateFactory(site=org.far_site)
    _messages(far, delivered=5)
    client.force_login(org.staff["province"])
    response = client.get(reverse("review:dashboard"))
    (row,) = response.context["sms_delivery"]
    assert row["province_code"] == org.province.code
    assert row["name"] == org.province.name
    assert (row["sent"], row["delivered"], row["undelivered"], row["awaiting"]) == (6, 3, 1, 2)
    assert (row["unknown"], row["failed"]) == (1, 1)
    assert row["rate"] == 0.75
    body = response.content.decode()
    assert "短信送达率" in body
    assert f"<td>{org.province.code} {org.province.name}</td>" in body
    assert "<td>75%</td>" in body


def test_dashboard_national_sees_every_province(client, org):
    _messages(CandidateFactory(site=org.site), delivered=1)
    _messages(CandidateFactory(site=org.far_site), undelivered=1)
    client.force_login(org.staff["national"])
    rows = client.get(reverse("review:dashboard")).context["sms_delivery"]
    assert [(r["province_code"], r["rate"]) for r in rows] == sorted(
        [(org.province.code, 1.0), (org.other_province.code, 0.0)]
    )


def test_dashboard_rate_shown_as_dash_before_any_receipt(client, org):
    _messages(CandidateFactory(site=org.site), sent=2)
    client.force_login(org.staff["province"])
    response = client.get(reverse("review:dashboard"))
    assert response.context["sms_delivery"][0]["rate"] is None
    assert "<td>—</td>" in response.content.decode()


def test_sweep_command_runs_the_receipt_task(capsys):
    """Beat's schedule is the one list of periodic work; `manage.py sweep` (installations
    without beat) runs all of it, the receipts too."""

    call_command("sweep")
    out = capsys.readouterr().out
    assert "fetch-sms-receipts (notifications.fetch_receipts): {'checked': 0" in out
