"""Settings shared by every environment. Every value read from the environment is named
in the README with its default; a malformed value stops start-up (django-environ raises)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

from config.idkeys import derived_key, hash_key_parse, keyring_parse

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --- Django core -------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    # TOTP second factor for staff, with recovery codes (static tokens); before accounts,
    # whose admin takes their device pages away (a device is reset only by the audited
    # action).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The audit table's triggers (PostgreSQL refuses UPDATE and DELETE of audit rows).
    "pgtrigger",
    "accounts",
    "materials",
    "review",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before anything that renders (LANGUAGE_CODE below).
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions: idle and absolute time-outs, then the second factor (accounts).
    "accounts.middleware.StaffSessionTimeoutMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# The refused-CSRF page in Chinese, with what to do next (config/errors.py).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.yishen",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a page's photos in parallel threads, and each staff view
    # writes an audit row. SQLite's default (deferred) transactions fail at once with
    # "database is locked" when two of them turn into writers; BEGIN IMMEDIATE takes the
    # write lock first, so a second writer waits (up to `timeout` seconds) instead. The
    # write-ahead log lets readers go on while one writes, and a commit is one sync of the
    # log (about 2 ms here) instead of the rollback journal's several (about 20 ms).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out log-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.StaffModelBackend",
]
LOGIN_URL = "review:login"
LOGIN_REDIRECT_URL = "review:queue"

# --- Staff log-in: failed attempts (django-axes, on the workbench's and the admin's log-in) --
# Counted per pair of user name and client address: five wrong passwords lock that name from
# that address for 15 minutes, and the reviewer still logs in from their own desk, so nobody
# can lock a reviewer out from elsewhere. The address is the one our proxy gives
# (accounts.http.client_ip, the same as the audit trail's). Attempts are rows in the database
# (the database handler), so the limit holds, and no page fails, while Redis is away.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.http.client_ip"
AXES_LOCKOUT_CALLABLE = "review.views.login.locked_out"

# --- Staff: second factor and session time-outs (accounts.middleware) ----------------------
# Every staff account (every Django user: candidates are not users) passes a TOTP code, or
# one of its recovery codes, after the password, on the workbench and the admin alike; an
# account without an authenticator enrols one at its first log-in. Until then only these
# pages open (view names).
YISHEN_STAFF_OTP_EXEMPT_VIEWS = (
    "accounts:staff_otp_verify",
    "accounts:staff_otp_setup",
    "accounts:staff_otp_recovery_codes",
    "review:login",
    "review:logout",
    "admin:login",
    "admin:logout",
)
OTP_TOTP_ISSUER = "医审"
# The admin's device pages are taken away (accounts.admin); this keeps keys out of any page.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
YISHEN_RECOVERY_CODES = 10  # recovery codes given at enrolment, each usable once
# A staff session ends after this long without a request, and this long after its log-in
# whatever happens (the session id itself changes at log-in and at the second factor).
YISHEN_STAFF_IDLE_SECONDS = 30 * 60
YISHEN_STAFF_SESSION_MAX_SECONDS = 10 * 3600

# --- Language and time: the interface speaks Chinese; source strings are Chinese and marked
# for translation, and English is a translation catalogue (locale/, <app>/locale/; README,
# "Translations"). Chinese unless the visitor chose English with the switch on every page:
# the choice is the language cookie (config.middleware.ChosenLanguageMiddleware; the
# browser's Accept-Language is not read), remembered for a year.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_ROOT = env.path("YISHEN_MEDIA_ROOT", default=VAR_DIR / "media")
# Photos are never under a public URL: every one goes through a permission-checked view.
MEDIA_URL = None

YISHEN_STORAGE = env.str("YISHEN_STORAGE", default="filesystem")
if YISHEN_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "config.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("YISHEN_S3_BUCKET"),
            "endpoint_url": env("YISHEN_S3_ENDPOINT_URL", default=None),
            "public_endpoint_url": env("YISHEN_S3_PUBLIC_ENDPOINT_URL", default=None),
            "region_name": env("YISHEN_S3_REGION", default=None),
            "access_key": env("YISHEN_S3_ACCESS_KEY", default=None),
            "secret_key": env("YISHEN_S3_SECRET_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("YISHEN_S3_URL_SECONDS", default=60),
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
elif YISHEN_STORAGE == "filesystem":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
else:
    raise environ.ImproperlyConfigured("YISHEN_STORAGE must be 'filesystem' or 's3'")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# How a permitted photo leaves the server: "file" (Django streams it), "x-accel" (nginx
# serves an internal location; see docker/nginx.conf). S3 storage always uses signed URLs.
YISHEN_SERVE_MODE = env.str("YISHEN_SERVE_MODE", default="file")
YISHEN_X_ACCEL_PREFIX = env.str("YISHEN_X_ACCEL_PREFIX", default="/protected-media/")

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Cache, sessions ---------------------------------------------------------------------
# Redis may go away (restart, failover): the cache then fails soft. django-redis (the
# maintained Redis cache for Django, Jazzband) answers a miss for every read and ignores
# every write while Redis is unreachable, and logs each ignored error; Django's own
# RedisCache raises instead, which turned every page into a 500. Timeouts are short so a
# Redis that hangs costs a request at most about a second.
REDIS_URL = env.str("REDIS_URL", default="")


def redis_cache(location: str) -> dict:
    """The cache on Redis at `location` (also what the fault tests run on their own Redis)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "config.cache"
# Sessions are read from the cache and written through to the database (cached_db): with
# the cache failing soft, a Redis outage turns every session read into a database read and
# nothing is lost. The one thing an outage leaves: a session deleted while Redis was away (a
# log-out) keeps its cached copy until that expires; the browser's cookie is gone, so only a
# stolen copy of it could use that (docs/faults.md). A session in the database alone would
# close that too, at one more statement on every request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("YISHEN_SESSION_SECONDS", default=4 * 3600)

# --- Celery ------------------------------------------------------------------------------
# The in-process default names a host: even an eager task takes a producer from the broker's
# connection pool (Celery serialises its arguments through it), and kombu warns "No hostname
# was supplied" on every such dispatch for a bare `memory://`.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = False
# A task is acknowledged when it has finished, and a worker process that dies mid-task
# gives its message back: work is repeated (every task is idempotent), never lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Hard and soft limits for tasks that do not set their own (the longest of all tasks).
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# No countdown/ETA longer than this (longer waits are left to the sweeps, which read the
# due time from the database).
YISHEN_MAX_COUNTDOWN_SECONDS = 300
# Redis broker: a message taken by a worker that is then killed (SIGKILL, OOM, a lost host)
# comes back after visibility_timeout. It must exceed the longest countdown plus the longest
# hard time limit (300 + 120 s), or a message still waiting or running would be delivered a
# second time; 600 s leaves a margin. The sweeps below recover such work within a minute
# anyway; the broker's redelivery is the second net (a duplicate finds the work done).
# Connections time out quickly so a dispatch during a Redis outage fails in about two
# seconds (and is logged, see config.celery) instead of holding the request.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A worker that loses Redis, or starts while it is away, keeps trying to connect (pauses of
# 2, 4, 6 … up to 30 s) instead of exiting; what it held comes back through the sweeps.
# Celery 5.7.0 ends the worker instead on the first lost connection while it holds
# unacknowledged messages (pyproject.toml says why it is pinned below 5.7).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
# The machine pre-check (OCR, ~0.3 GB per process) has its own queue and workers.
CELERY_TASK_ROUTES = {"materials.precheck_image": {"queue": "precheck"}}
# Periodic work, in one visible place. `python manage.py sweep` runs every entry once (cron
# installations without beat). The recovery sweeps run every 30 s and take up a photo or a
# message overdue by 20 s, so that work whose task was lost (broker down at dispatch, a worker
# killed) is done within a minute of the broker or the worker coming back: at worst the
# threshold, one interval and the processing (20 + 30 + a few seconds). An entry expires after
# its interval so that sweeps queued while no worker was up do not pile up.
YISHEN_SWEEP_SECONDS = 30
# A photo still processing this long after its upload, a processed photo whose pre-check is
# still due this long after it was queued, or a message still unsent this long after it was
# due, has lost its task: the sweep queues it again (a duplicate finds the work
# done). A worker that starts runs the recovery sweeps once this long after its start, so
# work held by a worker that was killed is done within a minute of the restart.
YISHEN_STUCK_AFTER_SECONDS = 20
# The hard time limit of one SMS send (the provider call): a row SENDING longer than this plus
# a margin for the pool's timer is held by no live send; its worker died during the call, so
# the sweep marks it 结果未知 (notifications.sending). Short, so that the fate of every SMS a
# killed worker held is settled within a minute of the restart (docs/faults.md).
YISHEN_SMS_SEND_TIME_LIMIT = 30
YISHEN_SMS_SENDING_STALE_SECONDS = YISHEN_SMS_SEND_TIME_LIMIT + 10
# The recovery sweeps a starting worker queues, each to run once what it recovers is overdue:
# photos and unsent messages after the stuck threshold, interrupted sends once stale.
YISHEN_RECOVERY_SWEEPS = {
    "retry-stuck-images": YISHEN_STUCK_AFTER_SECONDS + 1,
    "retry-stuck-prechecks": YISHEN_STUCK_AFTER_SECONDS + 1,
    "retry-stuck-notifications": YISHEN_SMS_SENDING_STALE_SECONDS + 1,
}
CELERY_BEAT_SCHEDULE = {
    "close-upload-windows": {
        "task": "review.close_upload_windows",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "remind-reply-deadlines": {
        "task": "review.remind_reply_deadlines",
        "schedule": crontab(minute="*/15"),
    },
    # Every quarter of an hour: a reminder held by the quiet hours goes soon after they end.
    "remind-window-closing": {
        "task": "review.remind_window_closing",
        "schedule": crontab(minute="*/15"),
    },
    "purge-entry-nonces": {
        "task": "accounts.purge_entry_nonces",
        "schedule": crontab(minute=7),
    },
    "retry-stuck-images": {
        "task": "materials.retry_stuck_images",
        "schedule": float(YISHEN_SWEEP_SECONDS),
        "options": {"expires": YISHEN_SWEEP_SECONDS},
    },
    "retry-stuck-prechecks": {
        "task": "materials.retry_stuck_prechecks",
        "schedule": float(YISHEN_SWEEP_SECONDS),
        "options": {"expires": YISHEN_SWEEP_SECONDS},
    },
    "retry-stuck-notifications": {
        "task": "notifications.retry_stuck",
        "schedule": float(YISHEN_SWEEP_SECONDS),
        "options": {"expires": YISHEN_SWEEP_SECONDS},
    },
    # Delivery receipts (阿里云 QuerySendDetails, 腾讯云 PullSmsSendStatus); nothing to do
    # with the console backend.
    "fetch-sms-receipts": {
        "task": "notifications.fetch_receipts",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
}

# --- Yishen ------------------------------------------------------------------------------
# Shared with the registration system: signs entry links and the results API.
YISHEN_ENTRY_SECRET = env.str("YISHEN_ENTRY_SECRET", default="yishen-demo-entry-secret")
YISHEN_ENTRY_TOKEN_SECONDS = env.int("YISHEN_ENTRY_TOKEN_SECONDS", default=600)
# ID numbers at rest (accounts/idcrypt.py): AES-256-GCM under a keyring, found by an HMAC.
# YISHEN_ID_KEYS is "KEY_ID:BASE64_KEY" entries, newest first (the first encrypts, every one
# decrypts: docs/operations.md says how to rotate); YISHEN_ID_HASH_KEY is base64, 32+ bytes.
# Where none is given (embedded default, tests) both are derived from SECRET_KEY; production
# requires its own (production.py).
_id_keys = env.list("YISHEN_ID_KEYS", default=[])
YISHEN_ID_KEYRING = (
    keyring_parse(_id_keys) if _id_keys else {"local": derived_key(SECRET_KEY, "id-encryption")}
)
_id_hash_key = env.str("YISHEN_ID_HASH_KEY", default="")
YISHEN_ID_HASH_KEY = (
    hash_key_parse(_id_hash_key) if _id_hash_key else derived_key(SECRET_KEY, "id-hash")
)
# The SMS provider (docs/operations.md, 短信服务商): the console (the default), 阿里云
# notifications.backends.aliyun.AliyunSmsBackend or 腾讯云
# notifications.backends.tencent.TencentSmsBackend, each with its account below. The
# endpoints are the providers' own unless set (a private endpoint, or a local stand-in).
YISHEN_SMS_BACKEND = env.str(
    "YISHEN_SMS_BACKEND", default="notifications.backends.console.ConsoleSmsBackend"
)
YISHEN_SMS_SIGN_NAME = env.str("YISHEN_SMS_SIGN_NAME", default="")
YISHEN_SMS_TIMEOUT_SECONDS = env.int("YISHEN_SMS_TIMEOUT_SECONDS", default=10)
YISHEN_SMS_ALIYUN_ACCESS_KEY_ID = env.str("YISHEN_SMS_ALIYUN_ACCESS_KEY_ID", default="")
YISHEN_SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("YISHEN_SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
YISHEN_SMS_ALIYUN_ENDPOINT = env.str("YISHEN_SMS_ALIYUN_ENDPOINT", default="dysmsapi.aliyuncs.com")
YISHEN_SMS_TENCENT_SECRET_ID = env.str("YISHEN_SMS_TENCENT_SECRET_ID", default="")
YISHEN_SMS_TENCENT_SECRET_KEY = env.str("YISHEN_SMS_TENCENT_SECRET_KEY", default="")
YISHEN_SMS_TENCENT_SDK_APP_ID = env.str("YISHEN_SMS_TENCENT_SDK_APP_ID", default="")
YISHEN_SMS_TENCENT_REGION = env.str("YISHEN_SMS_TENCENT_REGION", default="ap-guangzhou")
YISHEN_SMS_TENCENT_ENDPOINT = env.str(
    "YISHEN_SMS_TENCENT_ENDPOINT", default="sms.tencentcloudapi.com"
)
# Per-phone limits, checked before each send (0: no limit of that length). The defaults are
# the providers' own default limits for one number, so their throttling never surprises us.
YISHEN_SMS_LIMIT_PER_MINUTE = env.int("YISHEN_SMS_LIMIT_PER_MINUTE", default=1)
YISHEN_SMS_LIMIT_PER_HOUR = env.int("YISHEN_SMS_LIMIT_PER_HOUR", default=5)
YISHEN_SMS_LIMIT_PER_DAY = env.int("YISHEN_SMS_LIMIT_PER_DAY", default=10)
# Demo mode shows the registration-system stand-in and the SMS codes on the page.
YISHEN_DEMO = env.bool("YISHEN_DEMO", default=False)
# Where the client's address comes from (accounts/http.py): a header our own proxy sets
# (nginx: X-Real-IP), or the number of our proxies that append to X-Forwarded-For; neither:
# the connection's address. Never what the client sends.
YISHEN_CLIENT_IP_HEADER = env.str("YISHEN_CLIENT_IP_HEADER", default="")
YISHEN_TRUSTED_PROXY_HOPS = env.int("YISHEN_TRUSTED_PROXY_HOPS", default=0)
if YISHEN_CLIENT_IP_HEADER and YISHEN_TRUSTED_PROXY_HOPS:
    raise environ.ImproperlyConfigured(
        "Set YISHEN_CLIENT_IP_HEADER or YISHEN_TRUSTED_PROXY_HOPS, not both."
    )
if "YISHEN_TRUST_X_FORWARDED_FOR" in env.ENVIRON:
    # It took the first entry of X-Forwarded-For, which the client writes.
    raise environ.ImproperlyConfigured(
        "YISHEN_TRUST_X_FORWARDED_FOR is gone: set YISHEN_CLIENT_IP_HEADER=X-Real-IP behind "
        "the nginx of docker/nginx.conf.template (or YISHEN_TRUSTED_PROXY_HOPS)."
    )
# Where the «上传相关材料» page of the registration system is, for the «go back» links.
YISHEN_REGISTRATION_URL = env.str("YISHEN_REGISTRATION_URL", default="/demo/registration/")

# Policy limits (not environment variables: they are the same everywhere).
YISHEN_PHONE_CODE_SECONDS = 300  # an SMS code is valid for 5 minutes
YISHEN_PHONE_CODE_MAX_ATTEMPTS = 5  # wrong tries per code
YISHEN_PHONE_CODE_RESEND_SECONDS = 60  # resend cool-down
YISHEN_PHONE_CODES_PER_HOUR = 5  # per candidate and per phone number
YISHEN_SMS_MAX_ATTEMPTS = 5  # send attempts before a message is FAILED
YISHEN_UPLOADS_PER_WINDOW = 60  # files per candidate (refused ones too) …
YISHEN_UPLOAD_WINDOW_SECONDS = 600  # … in each 10 minutes
YISHEN_MAX_IMAGE_PIXELS = 25_000_000  # larger declared sizes are refused before decoding
# The results API holds back events younger than this, so that an event of a transaction
# still committing is never skipped by a cursor that has passed it.
YISHEN_RESULTS_SETTLE_SECONDS = 5

# One handler, whose filter leaves query strings and path tokens out of every line (an entry
# link carries the ID number: config/logs.py). Django's own loggers are sent to it rather
# than to the handlers of Django's default configuration, which would print the request line
# of the development server and the "Forbidden: <path>" warnings unfiltered.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_tokens": {"()": "config.logs.WithoutTokens"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["without_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("YISHEN_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # django-axes announces its version and settings at INFO in every process, before
        # the output of each manage.py command (make_entry_link's link is its last line).
        "axes": {"level": "WARNING"},
    },
}
