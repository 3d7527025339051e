"""The staff's second factor (django-otp): a TOTP authenticator enrolled at the first log-in,
recovery codes (a static device) given once at enrolment, the check after the password, and
the reset of a lost device by a superuser, which leaves an audit row (the signal
second_factor_reset, answered by the review app's audit trail)."""

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..signals import second_factor_reset

AUTHENTICATOR = "authenticator"  # the name of every staff TOTP device
RECOVERY = "recovery"  # the name of every staff static device (the recovery codes)
TOTP_DIGITS = 6


def staff_has_second_factor(*, user) -> bool:
    return django_otp.user_has_device(user, confirmed=True)


def staff_totp_pending(*, user) -> TOTPDevice:
    """The authenticator being enrolled: unconfirmed until a code from it is entered. The
    same one on every visit, so the QR code scanned a minute ago stays valid."""
    if staff_has_second_factor(user=user):
        raise PermissionDenied  # a second device only after a superuser's reset
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


def staff_totp_confirm(*, user, token: str) -> tuple[Device, list[str]]:
    """Confirms the pending authenticator with a code from it and makes the recovery codes.
    Returns the device (to mark the session verified) and the codes, to show once."""
    token = token.strip()
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or staff_has_second_factor(user=user):
            raise PermissionDenied
        if not device.verify_token(token):
            raise ValidationError(_("验证码不正确或已过期，请输入验证器当前显示的6位数字。"))
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.YISHEN_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=c) for c in codes)
    return device, codes


def staff_second_factor_check(*, user, token: str) -> Device:
    """The device that accepts `token`: six digits are an authenticator code, anything else
    a recovery code (used up by this). Repeated wrong codes are slowed down by django-otp's
    throttling, per device."""
    token = "".join(token.split()).lower()
    device_class = TOTPDevice if token.isdigit() and len(token) == TOTP_DIGITS else StaticDevice
    devices = list(device_class.objects.devices_for_user(user, confirmed=True))
    for device in devices:
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(_("验证码错误次数过多，请稍等片刻再试。"))
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    raise ValidationError(_("验证码不正确。请输入验证器当前显示的6位数字，或一个未用过的恢复码。"))


def staff_second_factor_reset(*, user, by, ip: str | None = None) -> int:
    """Removes every device of `user` (a lost phone): their next log-in enrols a new
    authenticator. Only a superuser may, never on their own account, and the audit trail
    records who did it, for whom and from where, in the same transaction."""
    if not by.is_superuser or by.pk == user.pk:
        raise PermissionDenied
    with transaction.atomic():
        removed = 0
        for device in django_otp.devices_for_user(user, confirmed=None):
            device.delete()
            removed += 1
        second_factor_reset.send(sender=get_user_model(), user=user, by=by, ip=ip, devices=removed)
    return removed
