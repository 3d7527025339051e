"""The reviewer workbench (/review/), one module per job: log-in (login), the queue
(queue), the candidate page (candidate), the decisions (decisions) and the dashboard
(dashboard). Every change goes through review.services; who may see what is
accounts.selectors (the one scope rule)."""

from .candidate import candidate, next_candidate
from .dashboard import dashboard
from .decisions import approve_remaining, decide, image_approve, image_return, note, release
from .login import login, logout
from .queue import queue

__all__ = [
    "approve_remaining",
    "candidate",
    "dashboard",
    "decide",
    "image_approve",
    "image_return",
    "login",
    "logout",
    "next_candidate",
    "note",
    "queue",
    "release",
]
