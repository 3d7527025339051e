"""The one-time link a new staff account gets by SMS: it sets the account's first password,
after which the log-in enrols the second factor (accounts.staff_views.otp_setup). The link
expires after STAFF_INVITE_HOURS and works once; a newer link replaces the older ones. Only
the SHA-256 of the token is stored."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.sms import SmsKind, sms_staff_send

from ..models import StaffInvite, StaffProfile

STAFF_INVITE_HOURS = 72


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_invite_send(*, user, mobile: str, by, base_url: str, now=None) -> StaffInvite:
    """Makes a new link for `user` (the older ones stop working) and queues the SMS with it.
    `base_url` is the site's address as the operator reached it (scheme and host)."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        StaffInvite.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
        invite = StaffInvite.objects.create(
            user=user,
            token_hash=_hash(token),
            created_by=by,
            expires_at=now + timedelta(hours=STAFF_INVITE_HOURS),
        )
        link = base_url.rstrip("/") + reverse("accounts:staff_welcome", args=[token])
        # The province's provider template carries it (national staff: none, the default).
        province_code = (
            StaffProfile.objects.filter(user=user).values_list("province__code", flat=True).first()
        )
        sms_staff_send(
            kind=SmsKind.STAFF_INVITE,
            recipient=mobile,
            province_code=province_code or "",
            event_key=f"staff_invite:{invite.pk}",
            name=user.first_name,
            username=user.get_username(),
            hours=STAFF_INVITE_HOURS,
            link=link,
        )
    return invite


def staff_invite_find(*, token: str, now=None) -> StaffInvite:
    """The link's invite, if it may still be used; else a ValidationError that says why."""
    now = now or timezone.now()
    invite = (
        StaffInvite.objects.select_related("user").filter(token_hash=_hash(token or "")).first()
    )
    if invite is None:
        raise ValidationError(
            _("链接无效。请核对短信中的链接，或联系考区管理员重新发送。"), code="unknown"
        )
    if invite.used_at is not None:
        raise ValidationError(
            _("该链接已使用过。如需重新设置密码，请联系考区管理员。"), code="used"
        )
    if invite.expires_at <= now or not invite.user.is_active:
        raise ValidationError(_("链接已失效。请联系考区管理员重新发送开通短信。"), code="expired")
    return invite


def staff_invite_redeem(*, token: str, password: str, now=None):
    """Sets the account's password through the link and uses the link up. Returns the user.
    The link is claimed by a conditional update, so two tabs cannot both use it."""
    now = now or timezone.now()
    invite = staff_invite_find(token=token, now=now)
    user = invite.user
    validate_password(password, user)
    with transaction.atomic():
        claimed = StaffInvite.objects.filter(
            pk=invite.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            raise ValidationError(
                _("该链接已使用过。如需重新设置密码，请联系考区管理员。"), code="used"
            )
        user.set_password(password)
        user.save(update_fields=["password"])
    return user
