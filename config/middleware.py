import contextlib

from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

# No inline script or style anywhere, so the policy can stay strict. blob: and data: are for
# the in-browser preview and shrinking of photos before upload.
_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The admin ships inline scripts of its own; it is for operators on trusted desks.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", _POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


class NoStoreMiddleware:
    """Every page is personal or staff-only (a candidate's materials, a reviewer's queue, the
    admin): no browser, proxy or shared computer keeps a copy. A response that says its own
    Cache-Control keeps it (the photos say "private, no-store"; the public example pictures
    and static files may be cached)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class ChosenLanguageMiddleware:
    """The interface language: Chinese (settings.LANGUAGE_CODE) unless the visitor chose
    another with the language switch, which set_language keeps in the language cookie.
    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not read: a national
    Chinese service opens in Chinese on every phone, and English is a choice on the page.
    URLs carry no language prefix."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        # A cookie naming a language we do not offer leaves the default (LookupError).
        if chosen:
            with contextlib.suppress(LookupError):
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Cookie",))
        return response
