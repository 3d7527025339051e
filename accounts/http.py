"""The client's address, the one function that says it: the audit trail, the throttles (the
upload rate, the log-in limit) and whatever else needs it call `client_ip(request)`.

The address is taken only from what our own proxy says, never from what the client says:

- YISHEN_CLIENT_IP_HEADER (e.g. "X-Real-IP"): a header that our proxy sets itself, replacing
  whatever the client sent (docker/nginx.conf.template: X-Real-IP = $remote_addr);
- or YISHEN_TRUSTED_PROXY_HOPS = n: n proxies of ours each append the address they saw to
  X-Forwarded-For, so the n-th entry from the right is the one the first of them saw (the
  entries left of it are the client's to write, and are ignored);
- neither: the address the connection comes from (REMOTE_ADDR), for a server reached directly.

A missing or malformed value falls back to REMOTE_ADDR: nothing that is not an IP address
reaches the audit trail."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(value: str | None) -> str | None:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address, as our proxy saw it (None if there is no valid one)."""
    header = settings.YISHEN_CLIENT_IP_HEADER
    hops = settings.YISHEN_TRUSTED_PROXY_HOPS
    found = None
    if header:
        found = _address(request.headers.get(header))
    elif hops > 0:
        entries = request.headers.get("X-Forwarded-For", "").split(",")
        if len(entries) >= hops:
            found = _address(entries[-hops])
    return found or _address(request.META.get("REMOTE_ADDR"))
