"""What the project's logs leave out: query strings and the tokens some paths carry. An entry
link holds the candidate's name and ID number in ?t=, a hand-off (/m/<token>/) and a staff
welcome link (/staff/welcome/<token>/) a credential in their path. Django writes request
paths in two places: the development server's request line (django.server) and the warning
for every 4xx/5xx answer ("Forbidden: /m/…/", django.request and django.security.*). nginx's
access log does the same in docker/nginx.conf.template; tests/deploy/test_nginx_log.py keeps
the token routes of both in step with urls.py."""

from __future__ import annotations

import logging
import re

# The token segment of a hand-off or a staff welcome path, kept as "-" so the line still
# says which page was asked for.
TOKEN_PATH = re.compile(r"(/m/|/staff/welcome/)[^/\s\"?]+")
# A query string, up to the end of the URL in a request line ("GET /entry/?t=… HTTP/1.1").
QUERY = re.compile(r"\?[^\s\"]*")


def without_tokens(text: str) -> str:
    return TOKEN_PATH.sub(r"\1-", QUERY.sub("", text))


class WithoutTokens(logging.Filter):
    """Rewrites the arguments of a record (the request line, the path), never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and not record.args:
            record.msg = without_tokens(record.msg)
        return True
