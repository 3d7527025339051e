"""The error pages (400, 403, 404, 413, 500 and a refused CSRF check), in the visitor's
language and in the site's style, each saying what to do next. Wired in config.urls (handler400 …) and
settings.CSRF_FAILURE_VIEW; they show with DEBUG off, as deployed."""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _context(status_code: int) -> dict:
    return {
        "status_code": status_code,
        "registration_url": settings.YISHEN_REGISTRATION_URL,
        "review_url": reverse("review:queue"),
    }


def bad_request(request, exception=None):
    return render(request, "errors/400.html", _context(400), status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", _context(403), status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", _context(404), status=404)


def server_error(request):
    # Rendered without the request: its context processors (or the database behind them)
    # may be what failed.
    try:
        body = loader.get_template("errors/500.html").render(_context(500))
    except Exception:
        logger.exception("the 500 page itself could not be rendered")
        body = _("系统暂时出现问题，请稍后刷新重试。")
        return HttpResponse(body, status=500, content_type="text/plain; charset=utf-8")
    return HttpResponse(body, status=500)


def request_too_large(request):
    """What nginx shows in place of its own page when a post is larger than its
    client_max_body_size (error_page 413 in docker/nginx.conf.template): nginx refuses such
    a post before Django sees it, then asks for this page (GET, no body)."""
    context = {**_context(413), "materials_url": reverse("materials:page")}
    return render(request, "errors/413.html", context, status=413)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", _context(403), status=403)
