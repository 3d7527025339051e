"""Continue on the phone: a logged-in candidate's desktop page shows a QR code whose link logs
the phone in as the same candidate. The link is single-use and lives HANDOFF_LIFETIME; only its
SHA-256 is stored. A refusal is a ValidationError with a Chinese message and a HandoffRefusal
code."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..enums import CandidateEventAction
from ..models import Candidate, HandoffToken
from .events import candidate_event_create

HANDOFF_LIFETIME = timedelta(minutes=10)
# token_urlsafe(32) gives 43 characters; anything much longer is not ours.
_MAX_TOKEN_LENGTH = 100


class HandoffRefusal:
    INVALID = "invalid"
    USED = "used"
    EXPIRED = "expired"


def handoff_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def handoff_create(
    *, candidate: Candidate, ip: str | None = None, now: datetime | None = None
) -> tuple[HandoffToken, str]:
    """A new link for the candidate's phone: the stored row and the raw token (shown once, in
    the QR code). An unused earlier link of the candidate stops working, so only the code on
    the screen can open the account."""
    now = now or timezone.now()
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        HandoffToken.objects.filter(
            candidate=candidate, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        token = HandoffToken.objects.create(
            candidate=candidate,
            token_hash=handoff_token_hash(raw),
            expires_at=now + HANDOFF_LIFETIME,
        )
        candidate_event_create(
            candidate=candidate,
            action=CandidateEventAction.HANDOFF_CREATED,
            ip=ip,
            handoff=token.pk,
        )
    return token, raw


def handoff_consume(*, raw: str, ip: str | None = None, now: datetime | None = None) -> Candidate:
    """The phone opens the link: the candidate it was made for, or a refusal. Two phones
    racing with the same link: the conditional UPDATE lets exactly one of them through."""
    now = now or timezone.now()
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        raise ValidationError(_("二维码链接无效。"), code=HandoffRefusal.INVALID)
    token_hash = handoff_token_hash(raw)
    # Compare-and-swap: only an unused, unexpired row is claimed; the row count says who won.
    won = HandoffToken.objects.filter(
        token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now, used_ip=ip)
    token = HandoffToken.objects.select_related("candidate").filter(token_hash=token_hash).first()
    if token is None:
        raise ValidationError(_("二维码链接无效。"), code=HandoffRefusal.INVALID)
    if not won:
        code = HandoffRefusal.USED if token.used_at is not None else HandoffRefusal.EXPIRED
        candidate_event_create(
            candidate=token.candidate,
            action=CandidateEventAction.HANDOFF_REFUSED,
            ip=ip,
            handoff=token.pk,
            reason=code,
        )
        if code == HandoffRefusal.USED:
            raise ValidationError(_("此二维码链接已经使用过。"), code=code)
        raise ValidationError(_("此二维码链接已失效。"), code=code)
    candidate_event_create(
        candidate=token.candidate,
        action=CandidateEventAction.HANDOFF_USED,
        ip=ip,
        handoff=token.pk,
    )
    return token.candidate


def handoff_used_by(*, raw: str, candidate: Candidate) -> bool:
    """This link was made for `candidate` and has been opened: the phone that opened it,
    reloading the link, is already logged in as that candidate."""
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        return False
    return HandoffToken.objects.filter(
        token_hash=handoff_token_hash(raw), candidate=candidate, used_at__isnull=False
    ).exists()
