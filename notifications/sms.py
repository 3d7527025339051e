"""The SMS texts, in one place: which template each kind of message is written from, and the
context it is rendered with. Callers name the kind and give what only they know (the code,
the reply hours, the deadline); everything else is chosen here.

notifications imports none of the apps that use it: the candidate (accounts.Candidate) is
read through the attributes it has (phone, name, reg_no, exam_year, province), and the
texts an operator edits per province through the Province field each kind names."""

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .enums import SMS_KIND_PARAMS, NotificationPurpose, SmsKind
from .models import Notification
from .services import notification_create

__all__ = [
    "SmsKind",
    "sms_language",
    "sms_render",
    "sms_send",
    "sms_staff_send",
    "sms_text",
]


# The verification code's text is ours; the others are the province's (Province fields that
# the operator edits, with the defaults in accounts.models).
CODE_TEXT = _("您的医师资格考试报名材料上传系统验证码为{code}，5分钟内有效。请勿告诉他人。")
PROVINCE_TEXT_FIELDS = {
    SmsKind.RETURN: "sms_return_text",
    SmsKind.APPROVED: "sms_approved_text",
    SmsKind.REJECTED: "sms_rejected_text",
    SmsKind.REMINDER: "sms_reminder_text",
    SmsKind.WINDOW_REMINDER: "sms_window_reminder_text",
}
PURPOSES = {
    SmsKind.CODE: NotificationPurpose.VERIFICATION_CODE,
    SmsKind.RETURN: NotificationPurpose.RETURN,
    SmsKind.APPROVED: NotificationPurpose.RESULT,
    SmsKind.REJECTED: NotificationPurpose.RESULT,
    SmsKind.REMINDER: NotificationPurpose.REMINDER,
    SmsKind.WINDOW_REMINDER: NotificationPurpose.REMINDER,
    SmsKind.STAFF_INVITE: NotificationPurpose.STAFF_INVITE,
}
# Messages to staff (not to a candidate): their texts are ours. The account's one-time link
# carries no password; it lets the new reviewer set one and enrol the second factor.
STAFF_TEXTS = {
    SmsKind.STAFF_INVITE: _(
        "{name}您好，您的医师资格考试材料审核账号{username}已开通。请在{hours}小时内打开以下"
        "链接设置密码并绑定验证器，链接仅可使用一次：{link}"
    ),
}


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def sms_render(template: str, **context) -> str:
    """The one place message templates are rendered. Placeholders are {hours}, {deadline},
    {name}, {reg_no}, {year}, {code}; one without a value is left as written, and stray
    braces typed by an operator never break a message."""

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in context or context[key] is None:
            return match.group(0)
        return _as_text(context[key])

    return _PLACEHOLDER.sub(replace, template)


def _as_text(value) -> str:
    if hasattr(value, "strftime"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        # In the active language (the candidate's, in sms_text).
        value = gettext("{year}年{month}月{day}日{time}").format(
            year=value.year,
            month=value.month,
            day=value.day,
            mm=f"{value.month:02}",
            dd=f"{value.day:02}",
            time=f"{value:%H:%M}",
        )
    return str(value)


def _values(*, kind: str, candidate, **context) -> dict:
    if kind == SmsKind.CODE:
        return context
    return {
        "name": candidate.name,
        "reg_no": candidate.reg_no,
        "year": getattr(candidate.exam_year, "year", None),
        **context,
    }


def sms_language(*, kind: str, candidate=None) -> str:
    """The language a message of `kind` is written in, one of settings.LANGUAGES: a
    verification code, and a message to staff, in the active language (the page that asked
    for it); the other kinds in the candidate's language (`candidate.language`, the
    interface language they last used). The row keeps it: a provider that sends only
    approved templates sends the province's template of that language (sending.py)."""
    if kind == SmsKind.CODE or kind in STAFF_TEXTS:
        try:
            return translation.get_supported_language_variant(
                translation.get_language() or settings.LANGUAGE_CODE
            )
        except LookupError:
            return settings.LANGUAGE_CODE
    return getattr(candidate, "language", "") or settings.LANGUAGE_CODE


def _template_values(kind: str, values: dict, language: str) -> dict[str, str]:
    """The values a message of `kind` gives a provider template (SMS_KIND_PARAMS), as the
    text they read in the message, in `language` (a deadline is a date in words)."""
    with translation.override(language):
        return {
            name: _as_text(values[name])
            for name in SMS_KIND_PARAMS[kind]
            if values.get(name) is not None
        }


def _fallback_values(kind: str, values: dict, language: str) -> dict[str, str]:
    """The values again in Chinese (the default language), for the province's Chinese
    template, which a message in another language goes out as when the province has no
    template in that language (sending.outgoing_sms); nothing for a message in Chinese."""
    if language == settings.LANGUAGE_CODE:
        return {}
    return _template_values(kind, values, settings.LANGUAGE_CODE)


def sms_text(*, kind: str, candidate, **context) -> str:
    """The text of an SMS of `kind` for the candidate, in its language (sms_language). A
    province's text may use {name}, {reg_no} and {year} (filled in here) and what the caller
    gives ({hours}, {deadline}).

    The province's texts are written by its operator in Chinese: while a field still holds
    its standard text (the field's default), it is sent as translated in the candidate's
    language; a text the operator changed is sent as written, whatever the language."""
    if kind == SmsKind.CODE:
        return sms_render(str(CODE_TEXT), **context)
    with translation.override(sms_language(kind=kind, candidate=candidate)):
        template = _province_text(candidate.province, PROVINCE_TEXT_FIELDS[kind])
        return sms_render(template, **_values(kind=kind, candidate=candidate, **context))


def _province_text(province, field_name: str) -> str:
    template = getattr(province, field_name)
    standard = type(province)._meta.get_field(field_name).default
    if template == standard:
        return gettext(standard)
    return template


def sms_send(
    *,
    kind: str,
    candidate,
    recipient: str | None = None,
    event_key: str | None = None,
    quiet_hours: tuple[dt.time, dt.time] | None = None,
    send_before: dt.datetime | None = None,
    **context,
) -> Notification | None:
    """Creates the message row in the caller's transaction; it is sent after commit. The
    recipient is the candidate's phone unless given (a code goes to the number being
    verified). None when there is no number: nothing was queued. The row keeps the text (for
    the log and the candidate's page) and, for a provider that sends approved templates only,
    the kind, the province's code, the language and the template's values (and the same
    values in Chinese, for the Chinese template it goes out as when the province has none in
    its language). A reminder gives its
    province's `quiet_hours` (start, end) and its deadline as `send_before`: the row
    carries them, so that no retry hands it over in the night or too late."""
    recipient = recipient or candidate.phone
    if not recipient:
        return None
    language = sms_language(kind=kind, candidate=candidate)
    values = _values(kind=kind, candidate=candidate, **context)
    return notification_create(
        recipient=recipient,
        text=sms_text(kind=kind, candidate=candidate, **context),
        purpose=PURPOSES[kind],
        candidate=candidate,
        event_key=event_key,
        kind=kind,
        province_code=getattr(candidate.province, "code", "") or "",
        params=_template_values(kind, values, language),
        fallback_params=_fallback_values(kind, values, language),
        language=language,
        quiet_hours=quiet_hours,
        send_before=send_before,
    )


def sms_staff_send(
    *, kind: str, recipient: str, province_code: str, event_key: str | None = None, **context
) -> Notification:
    """A message to a staff member (`kind` one of STAFF_TEXTS) of the province whose
    provider template it goes out with; stored in the caller's transaction, sent after
    commit."""
    language = sms_language(kind=kind)
    return notification_create(
        recipient=recipient,
        text=sms_render(str(STAFF_TEXTS[kind]), **context),
        purpose=PURPOSES[kind],
        event_key=event_key,
        kind=kind,
        province_code=province_code,
        language=language,
        params=_template_values(kind, context, language),
        fallback_params=_fallback_values(kind, context, language),
    )
