"""Every staff account passes a TOTP code (django-otp) after the password, on the workbench
and on the admin; enrolment with an inline QR code; recovery codes shown once and usable
once each; the reset of a lost device by a superuser, audited. Candidates are not staff and
never see any of it."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import staff_totp_confirm
from tests.factories.accounts import PASSWORD
from tests.staff import authenticator, login_with_code, totp_code

pytestmark = pytest.mark.django_db

VERIFY = "/staff/2fa/"
SETUP = "/staff/2fa/setup/"


def _enrolled(user) -> list[str]:
    """The user after enrolment: a confirmed authenticator and their recovery codes."""
    from accounts.services import staff_totp_pending

    device = staff_totp_pending(user=user)
    _device, codes = staff_totp_confirm(user=user, token=totp_code(device))
    return codes


def _password_only(client, user, login_url="/review/login/"):
    response = client.post(login_url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


# --- required everywhere ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/review/", "/review/dashboard/", "/api/v1/exports/", "/materials/image/1/display/"]
)
def test_workbench_pages_after_password_only_ask_for_the_code(client, org, url):
    user = org.staff["site"]
    authenticator(user)
    client.force_login(user, second_factor=False)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY}?next=")


def test_workbench_without_authenticator_asks_to_enrol_first(client, org):
    client.force_login(org.staff["site"], second_factor=False)
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=/review/"


def test_admin_after_password_only_asks_for_the_code(client, org):
    user = org.staff["operator"]
    authenticator(user)
    _password_only(client, user, login_url="/admin/login/?next=/admin/")
    for url in ("/admin/", "/admin/accounts/candidate/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{VERIFY}?next=")


def test_admin_login_then_code_opens_the_admin(client, org):
    page = login_with_code(
        client, org.staff["operator"], password=PASSWORD, login_url="/admin/login/?next=/admin/"
    )
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == "/admin/"
    assert "考区管理" in page.content.decode()


def test_workbench_login_then_code_opens_the_queue(client, org):
    page = login_with_code(client, org.staff["site"], password=PASSWORD)
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == "/review/"


def test_wrong_code_is_refused_in_chinese_and_opens_nothing(client, org):
    user = org.staff["site"]
    device = authenticator(user)
    _password_only(client, user)
    right = totp_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"token": wrong, "next": "/review/"})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert client.get("/review/").status_code == 302


def test_repeated_wrong_codes_are_slowed_down(client, org):
    user = org.staff["site"]
    authenticator(user)
    _password_only(client, user)
    client.post(VERIFY, {"token": "000000"})
    response = client.post(VERIFY, {"token": "111111"})
    assert "验证码错误次数过多" in response.content.decode()


def test_a_code_is_accepted_once(client, org):
    user = org.staff["site"]
    device = authenticator(user)
    _password_only(client, user)
    code = totp_code(device)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.post(reverse("review:logout"))
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    _password_only(client, user)
    response = client.post(VERIFY, {"token": code})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()


def test_logout_works_before_the_code(client, org):
    client.force_login(org.staff["site"], second_factor=False)
    response = client.post(reverse("review:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_candidate_pages_ask_nothing_of_candidates(client):
    from tests.factories.review import candidate_with_photos
    from tests.materials.conftest import login_candidate

    candidate, _cats, _imgs = candidate_with_photos(photos=1)
    login_candidate(client, candidate)
    assert client.get("/materials/").status_code == 200
    assert client.get("/profile/").status_code == 200


# --- session ids -----------------------------------------------------------------------------


def test_session_id_changes_at_password_and_at_code(client, org):
    user = org.staff["site"]
    device = authenticator(user)
    client.get("/review/login/")
    client.session.save()
    before = client.session.session_key
    _password_only(client, user)
    after_password = client.session.session_key
    client.post(VERIFY, {"token": totp_code(device)})
    after_code = client.session.session_key
    assert len({before, after_password, after_code}) == 3


# --- enrolment --------------------------------------------------------------------------------


def test_enrolment_shows_inline_qr_and_secret_and_confirms_with_a_code(client, org):
    user = org.staff["province"]
    client.force_login(user, second_factor=False)
    page = client.get(f"{SETUP}?next=/review/")
    body = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<img src="data:image/svg\+xml[^"]+"', body)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert len(secret) == 32 and secret in body.replace(" ", "")

    refused = client.post(SETUP, {"token": "123", "next": "/review/"})
    assert "验证码不正确" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    response = client.post(SETUP, {"token": totp_code(device), "next": "/review/"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/2fa/recovery-codes/?next=%2Freview%2F"
    device.refresh_from_db()
    assert device.confirmed
    codes = client.get(response["Location"])
    shown = codes.context["codes"]
    assert len(shown) == 10
    assert all(code in codes.content.decode() for code in shown)
    assert sorted(shown) == sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    again = client.get(response["Location"]).content.decode()
    assert "只在绑定时显示一次" in again
    assert not any(code in again for code in shown)
    assert client.get("/review/").status_code == 200


def test_enrolment_is_closed_once_an_authenticator_exists(client, org):
    user = org.staff["site"]
    device = authenticator(user)
    client.force_login(user, second_factor=False)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    client.post(SETUP, {"token": totp_code(device)})
    assert list(TOTPDevice.objects.filter(user=user)) == [device]


def test_demo_shows_the_current_code_on_the_verification_page(client, org, settings):
    assert settings.YISHEN_DEMO  # the test settings run the demo, as `make run`
    user = org.staff["site"]
    device = authenticator(user)
    _password_only(client, user)
    body = client.get(VERIFY).content.decode()
    code = re.search(r'id="demo-otp-code">(\d{6})<', body).group(1)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    assert device.pk == TOTPDevice.objects.get(user=user).pk


# --- recovery codes ----------------------------------------------------------------------------


def test_recovery_code_logs_in_once(client, org):
    user = org.staff["site"]
    codes = _enrolled(user)
    _password_only(client, user)
    response = client.post(VERIFY, {"token": codes[0].upper(), "next": "/review/"})
    assert response.status_code == 302
    assert client.get("/review/").status_code == 200
    client.post(reverse("review:logout"))
    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0)

    _password_only(client, user)
    response = client.post(VERIFY, {"token": codes[0]})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    StaticDevice.objects.filter(user=user).update(throttling_failure_count=0)
    assert client.post(VERIFY, {"token": codes[1]}).status_code == 302
    assert StaticToken.objects.filter(device__user=user).count() == 8


# --- reset by a superuser ----------------------------------------------------------------------


def _reset_post(client, user):
    return client.post(
        "/admin/accounts/staffaccount/",
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
        REMOTE_ADDR="10.2.0.9",
    )


def test_superuser_resets_a_lost_device_and_the_reset_is_audited(client, org):
    from review.enums import ActorKind, EventAction
    from review.models import ReviewEvent
    from tests.factories.accounts import national_admin
    from tests.staff import StaffClient

    reviewer = org.staff["site"]
    _enrolled(reviewer)
    reviewer_client = StaffClient()
    reviewer_client.force_login(reviewer)
    assert reviewer_client.get("/review/").status_code == 200
    superuser = national_admin(username="root", is_superuser=True)
    client.force_login(superuser)

    response = _reset_post(client, reviewer)

    assert response.status_code == 302
    assert "已重置" in client.get(response["Location"]).content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    event = ReviewEvent.objects.get(action=EventAction.STAFF_2FA_RESET)
    assert (event.candidate, event.actor, event.actor_kind, event.ip_address) == (
        None,
        superuser,
        ActorKind.STAFF,
        "10.2.0.9",
    )
    assert event.data == {"user_id": reviewer.pk, "username": reviewer.username, "devices": 2}
    # The reviewer's open session has lost its second factor: they enrol anew.
    after = reviewer_client.get("/review/")
    assert after.status_code == 302 and after["Location"].startswith(SETUP)


@pytest.mark.parametrize("who", ["national", "operator"])
def test_only_superusers_may_reset_a_second_factor(client, org, who):
    from review.models import ReviewEvent

    reviewer = org.staff["site"]
    _enrolled(reviewer)
    client.force_login(org.staff[who])
    page = client.get("/admin/accounts/staffaccount/").content.decode()
    assert "reset_second_factor" not in page
    _reset_post(client, reviewer)
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    assert not ReviewEvent.objects.exists()


def test_reset_service_refuses_non_superusers_and_oneself(org):
    from django.core.exceptions import PermissionDenied

    from accounts.services import staff_second_factor_reset
    from tests.factories.accounts import national_admin

    reviewer = org.staff["site"]
    _enrolled(reviewer)
    with pytest.raises(PermissionDenied):
        staff_second_factor_reset(user=reviewer, by=org.staff["national"])
    root = national_admin(username="root", is_superuser=True)
    with pytest.raises(PermissionDenied):
        staff_second_factor_reset(user=root, by=root)
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_device_pages_of_django_otp_are_not_in_the_admin(client, org):
    from tests.factories.accounts import national_admin

    client.force_login(national_admin(username="root", is_superuser=True))
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_reset_command_resets_another_superuser_and_is_audited(org):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from review.models import ReviewEvent
    from tests.factories.accounts import national_admin

    root = national_admin(username="root", is_superuser=True)
    other = national_admin(username="root2", is_superuser=True)
    _enrolled(other)
    out = StringIO()
    call_command("reset_second_factor", "root2", "--by", "root", stdout=out)
    assert "root2: 2 device(s) removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=other).exists()
    assert ReviewEvent.objects.get().actor == root
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "root", "--by", "root", stdout=out)
