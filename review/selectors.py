"""Reads for the review side: what the candidate is told, and what reviewers see."""

from __future__ import annotations

import zoneinfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Candidate

from .models import Feedback

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def feedback_for_candidate(candidate: Candidate) -> QuerySet[Feedback]:
    """审核意见 shown at the top of the material page, newest first."""
    return Feedback.objects.filter(candidate=candidate).order_by("-created_at", "-id")


def format_moment(value) -> str:
    """As the guides write it: "2020/3/12 22:02:08" (Beijing time, no zero padding on month
    and day)."""
    local = timezone.localtime(value, SHANGHAI)
    return f"{local.year}/{local.month}/{local.day} {local:%H:%M:%S}"


def submitted_message(candidate: Candidate) -> str:
    """ "2020/3/12 22:02:08 上报完成，内容已锁定。" once submitted; empty before."""
    if candidate.submitted_at is None:
        return ""
    return _("%(moment)s 上报完成，内容已锁定。") % {
        "moment": format_moment(candidate.submitted_at)
    }
