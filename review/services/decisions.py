"""The candidate decisions of the site and the province: thin wrappers around the one
transition function (see review.transitions for who may take which, and the SMS each
sends)."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.models import Candidate

from .transition import CategoryItem, candidate_transition


def candidate_site_pass(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """考点通过: SUBMITTED → SITE_PASSED, only when every photo is approved. No SMS."""
    return candidate_transition(
        candidate=candidate,
        verb="site_pass",
        by=by,
        message=message,
        ip=ip,
        expected_status=expected_status,
    ).candidate


def candidate_return(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    category_items: Sequence[CategoryItem] = (),
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """退回 to the candidate, by the site (SUBMITTED) or the province (SITE_PASSED), with at
    least one returned photo or one category item; the return SMS."""
    return candidate_transition(
        candidate=candidate,
        verb="return",
        by=by,
        message=message,
        category_items=category_items,
        ip=ip,
        expected_status=expected_status,
    ).candidate


def candidate_return_to_site(
    *,
    candidate: Candidate,
    by,
    message: str,
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """The province sends a passed candidate back to the site: SITE_PASSED → SUBMITTED, with
    a note to the site. No SMS, no 审核意见."""
    return candidate_transition(
        candidate=candidate,
        verb="return_to_site",
        by=by,
        message=message,
        ip=ip,
        expected_status=expected_status,
    ).candidate


def candidate_approve(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """审核通过 (province): SITE_PASSED → APPROVED, final; the result SMS."""
    return candidate_transition(
        candidate=candidate,
        verb="approve",
        by=by,
        message=message,
        ip=ip,
        expected_status=expected_status,
    ).candidate


def candidate_reject(
    *,
    candidate: Candidate,
    by,
    reason: str,
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """审核拒绝 from SUBMITTED, SITE_PASSED or RETURNED → REJECTED, final; the reason is
    shown to the candidate as 审核意见; the result SMS."""
    return candidate_transition(
        candidate=candidate,
        verb="reject",
        by=by,
        message=reason,
        ip=ip,
        expected_status=expected_status,
    ).candidate


__all__ = [
    "CategoryItem",
    "candidate_approve",
    "candidate_reject",
    "candidate_return",
    "candidate_return_to_site",
    "candidate_site_pass",
]
