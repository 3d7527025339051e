"""The reviewer workbench (/review/), one module per job: log-in (login), the queue
(queue), the candidate page (candidate), the decisions (decisions), the dashboard
(dashboard) and the reviewers' marks on the machine pre-check's hints (precheck). Every change goes through review.services; who may see what is
accounts.selectors (the one scope rule)."""

from .candidate import candidate, next_candidate, photos_shown
from .dashboard import dashboard
from .decisions import approve_remaining, decide, image_approve, image_return, note, release
from .login import login, logout
from .precheck import hint_wrong
from .queue import queue

__all__ = [
    "approve_remaining",
    "candidate",
    "dashboard",
    "decide",
    "hint_wrong",
    "image_approve",
    "image_return",
    "login",
    "logout",
    "next_candidate",
    "note",
    "photos_shown",
    "queue",
    "release",
]
