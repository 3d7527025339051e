"""Quiet hours (免打扰时段): the hours, on the Beijing clock, when no reminder SMS goes.

The rule's one home. A province sets its hours (accounts.models.Province.quiet_start and
quiet_end, read through Province.quiet_period); the reminder senders queue nothing inside
them; and a reminder's row carries them (Notification.quiet_start / quiet_end), so that a
send put off into the night (a provider retry's backoff, the per-phone limit, the sweep, an
operator's resend) waits for their end (sending.py). notifications imports no Province: the
row holds the two times."""

import datetime as dt
import zoneinfo

# Quiet hours are read on the Beijing clock, whatever the server's.
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def quiet_period(
    *, start: dt.time, end: dt.time, when: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """The quiet hours from `start` to `end` that `when` falls in, as (start, end), or None
    when it falls outside them. The hours may cross midnight (22:00–08:00) or not; the same
    time twice means no quiet hours."""
    if start == end:
        return None
    local = when.astimezone(BEIJING)
    moment, day = local.time(), local.date()
    if start < end:
        if not start <= moment < end:
            return None
        first_day = last_day = day
    elif moment >= start:
        first_day, last_day = day, day + dt.timedelta(days=1)
    elif moment < end:
        first_day, last_day = day - dt.timedelta(days=1), day
    else:
        return None
    return (
        dt.datetime.combine(first_day, start, tzinfo=BEIJING),
        dt.datetime.combine(last_day, end, tzinfo=BEIJING),
    )
