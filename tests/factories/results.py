"""Rows the results API and the exports read, made directly (not through review.services), so
the results tests stand on the models alone."""

import factory
from django.utils import timezone

from accounts.enums import CandidateStatus
from review.enums import ActorKind, EventAction
from review.models import Feedback, ReviewEvent
from tests.factories.accounts import CandidateFactory

# The action that leads to each status (what review.services writes).
ACTION_TO = {
    CandidateStatus.SUBMITTED: EventAction.SUBMIT,
    CandidateStatus.SITE_PASSED: EventAction.SITE_PASS,
    CandidateStatus.RETURNED: EventAction.SITE_RETURN,
    CandidateStatus.APPROVED: EventAction.PROVINCE_APPROVE,
    CandidateStatus.REJECTED: EventAction.REJECT,
}


class ReviewEventFactory(factory.django.DjangoModelFactory):
    """A status change of a candidate (submitted by default)."""

    class Meta:
        model = ReviewEvent

    candidate = factory.SubFactory(CandidateFactory)
    actor_kind = ActorKind.CANDIDATE
    action = EventAction.SUBMIT
    from_status = CandidateStatus.DRAFT
    to_status = CandidateStatus.SUBMITTED


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    candidate = factory.SubFactory(CandidateFactory)
    level = "site"
    action = EventAction.SITE_RETURN
    message = ""
    items = factory.LazyFunction(list)


def status_change(
    candidate,
    to_status,
    *,
    from_status=None,
    action=None,
    reasons=None,
    message="",
    recorded=True,
    at=None,
):
    """Moves `candidate` to `to_status` the way a decision does: the candidate row, the audit
    event and, for a return or a refusal, the Feedback the candidate reads. As
    review.services does, the event's data records the items and message of a return and
    the reason of a refusal (`recorded=False`: an event without them). `at`: when the event
    was written (audit rows are never changed afterwards)."""
    from_status = from_status if from_status is not None else candidate.status
    action = action or ACTION_TO[to_status]
    now = timezone.now()
    candidate.status = to_status
    candidate.status_changed_at = now
    if to_status == CandidateStatus.SUBMITTED and candidate.submitted_at is None:
        candidate.submitted_at = now
    candidate.save(update_fields=["status", "status_changed_at", "submitted_at"])
    level = "province" if action.startswith("province") else "site"
    items = [{"category": c, "image_id": None, "reason": r} for c, r in (reasons or [])]
    data = {"level": level}
    if recorded and action == EventAction.REJECT:
        data["reason"] = message
    elif recorded and to_status == CandidateStatus.RETURNED:
        data.update(message=message, items=items)
    event = ReviewEventFactory(
        candidate=candidate,
        actor_kind=ActorKind.CANDIDATE if action == EventAction.SUBMIT else ActorKind.STAFF,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=data,
        **({"created_at": at} if at is not None else {}),
    )
    if reasons is not None or message:
        FeedbackFactory(
            candidate=candidate, level=level, action=action, message=message, items=items
        )
    return event
