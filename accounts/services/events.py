"""The audit trail of a candidate's own account (CandidateEvent): one row per entry,
activation step and change of registration data, phone or address."""

from ..models import Candidate, CandidateEvent


def candidate_event_create(
    *, candidate: Candidate, action: str, ip: str | None = None, **data
) -> CandidateEvent:
    return CandidateEvent.objects.create(
        candidate=candidate, action=action, data=data, ip_address=ip
    )
