"""The results API the registration system pulls: the request signature (signing), the
cursor (cursor), what is read (results) and the view (views). See docs/integration.md,
«审核结果接口 / Results API»."""

from .cursor import decode_cursor, encode_cursor
from .results import feedback_reasons, result_changes, status_change_q
from .signing import canonical_query, canonical_string, sign_request

__all__ = [
    "canonical_query",
    "canonical_string",
    "decode_cursor",
    "encode_cursor",
    "feedback_reasons",
    "result_changes",
    "sign_request",
    "status_change_q",
]
