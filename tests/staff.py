"""Logging staff in, for tests: every staff page wants the password and then the second
factor (accounts.middleware). Unit tests skip both as Django's force_login skips the
password; tests that go through the pages enter a real code from the user's authenticator.

- `login_staff(client, user)`: a session that has passed both steps (a confirmed
  authenticator is made for the user if they have none).
- `StaffClient`: the `client` fixture's class (tests/conftest.py); its `force_login` is
  `login_staff`, unless `second_factor=False` (a session after the password only).
- `login_with_code(client, user, password=…)`: through the pages, password then code.
- `browser_login(page, user, password=…)`: the same in Chromium.
- `authenticator(user)` and `totp_code(device)`: the device and the code it shows now, for
  tests that type it into the verification page."""

import re
import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator, made when missing (as after enrolment)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code the device shows now. A code is accepted once per 30-second step (django-otp
    refuses a step already used): when this step was used, the next step's code, which the
    device's tolerance of one step accepts; after that, wait for the next step."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    while totp.t() + device.tolerance <= device.last_t:
        time.sleep(1)
        totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def login_staff(client: Client, user) -> Client:
    """Logs `user` in on `client` past the password and the second factor (as the
    verification page does: the session names the device that verified it)."""
    Client.force_login(client, user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()
    return client


def login_with_code(client: Client, user, *, password: str, login_url: str = "/review/login/"):
    """Logs in through the pages: the password on `login_url`, then the authenticator's
    code on the verification page. Returns the last response (the page asked for)."""
    device = authenticator(user)
    response = client.post(login_url, {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    response = client.get(response["Location"])
    assert response.status_code == 302 and "/staff/2fa/" in response["Location"]
    verify = response["Location"]
    next_url = client.get(verify).context["next"]
    response = client.post(verify, {"token": totp_code(device), "next": next_url})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


def browser_login(page, user, *, password: str, base: str = "") -> None:
    """Logs in in Chromium (Playwright) through the pages: the password on the workbench's
    log-in, then the authenticator's code, landing on the workbench."""
    device = authenticator(user)
    page.goto(f"{base}/review/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/2fa/\?"))
    page.locator("#id_token").fill(totp_code(device))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(re.compile(r"/review/$"))


class StaffClient(Client):
    def force_login(self, user, backend=None, *, second_factor: bool = True):
        if second_factor:
            login_staff(self, user)
        else:
            super().force_login(user, backend)
