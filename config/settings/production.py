"""Production (docker-compose.yml): PostgreSQL, Redis, Celery workers and beat, S3 storage,
gunicorn behind nginx. Values that have no safe default must be given."""

from config.idkeys import hash_key_parse, keyring_parse

from .base import *  # noqa: F403
from .base import env, environ

# Secrets shorter than this stop the start: a short HMAC or signing key can be guessed.
MIN_SECRET_BYTES = 32


def secret(name: str) -> str:
    """A required secret from the environment, refused at start if it is too short."""
    value = env.str(name)
    size = len(value.encode())
    if size < MIN_SECRET_BYTES:
        raise environ.ImproperlyConfigured(
            f"{name} is {size} bytes long; production needs at least {MIN_SECRET_BYTES} "
            "random bytes. Make one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'"
        )
    return value


DEBUG = False
SECRET_KEY = secret("DJANGO_SECRET_KEY")
# Signs the entry links and the results API (review/api/signing.py).
YISHEN_ENTRY_SECRET = secret("YISHEN_ENTRY_SECRET")
# ID numbers: no derived keys here; a missing, malformed or short key stops start-up.
YISHEN_ID_KEYRING = keyring_parse(env.list("YISHEN_ID_KEYS", default=[]))
YISHEN_ID_HASH_KEY = hash_key_parse(env.str("YISHEN_ID_HASH_KEY", default=""))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
YISHEN_DEMO = env.bool("YISHEN_DEMO", default=False)
if YISHEN_DEMO:  # the demo app (registration stand-in, SMS banner, seed_demo)
    INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
# The refusal pages send candidates back there: no demo stand-in in production.
YISHEN_REGISTRATION_URL = env.str("YISHEN_REGISTRATION_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health probes reach gunicorn directly over HTTP (container runtime, load balancer).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
