"""Periodic review work. Thin: each task calls a service and is safe to run again."""

from celery import shared_task

from . import services


@shared_task(name="review.close_upload_windows")
def close_upload_windows() -> int:
    """Every province whose upload window has closed: each DRAFT with at least one photo is
    submitted and locked (through the candidate transition). Idempotent; batched. It also
    deletes the expired claims: a claim ends by itself when it expires, its row is only
    tidied away here."""
    done = services.candidates_close_windows()
    services.claims_purge_expired()
    return done


@shared_task(name="review.remind_reply_deadlines")
def remind_reply_deadlines() -> int:
    """A reminder SMS when a reply deadline is near and nothing was resubmitted (once per
    return; held in the province's quiet hours)."""
    return services.reply_deadline_reminders_send()


@shared_task(name="review.remind_window_closing")
def remind_window_closing() -> int:
    """A reminder SMS before the province's upload window closes, to every candidate who has
    not submitted, including those from a roster who never entered (once per window)."""
    return services.window_reminders_send()
