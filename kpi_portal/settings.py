"""Settings for the KPI Portal, all driven by the environment.

SQLite is the default database; set DATABASE_URL for PostgreSQL. DEBUG is off
unless DJANGO_DEBUG=1. Production (DEBUG off) requires DJANGO_SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ImproperlyConfigured(f"{name} must be a positive whole number, got {value!r}")
    return number


DEBUG = env_bool("DJANGO_DEBUG")

# Without DJANGO_SECRET_KEY and outside development the key stays empty: commands
# that sign nothing (migrate, makemigrations) still run, while anything that signs
# (sessions, CSRF) fails loudly and `check --deploy` reports it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Development only: a key that never protects real data.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "kpi_portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "kpi_portal",
    "axes",
    "csp",
    "indicators",
    "reports",
]

MIDDLEWARE = [
    # First: every log line of the request, and the response, carry its id.
    "kpi_portal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kpi_portal.middleware.SlidingSessionMiddleware",
    "kpi_portal.middleware.ThaiFirstLocaleMiddleware",
    "kpi_portal.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Two-factor sign-in: which device verified this session, then the gate that
    # keeps unverified users (auditors, administrators, anyone with a device) out.
    "django_otp.middleware.OTPMiddleware",
    "kpi_portal.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Writes refused requests (403) to the audit log.
    "kpi_portal.audit_middleware.AuditRefusalsMiddleware",
    # Last, so that it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kpi_portal.urls"

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
                "django.template.context_processors.i18n",
                "indicators.context_processors.portal",
                "reports.notifications.context_processors.unread_notifications",
            ],
            "builtins": ["indicators.templatetags.thai", "reports.templatetags.pdf"],
        },
    },
]

WSGI_APPLICATION = "kpi_portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web requests and book workers write at the same time: wait for the lock
    # instead of failing, and take it when a transaction starts.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in safety (django-axes). Failures are counted per username *and* address
# together: a whole city hall shares one public address. Against password spraying
# (a few passwords tried on every account) a second, much higher limit counts the
# failures of all usernames from one address (kpi_portal.sign_in_limits); browsers
# that signed in successfully as the user before are exempt from that one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_positive_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_positive_int("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kpi_portal.session_views.lockout_response"
AXES_HANDLER = "kpi_portal.sign_in_limits.PortalAxesHandler"
SIGN_IN_ADDRESS_FAILURE_LIMIT = env_positive_int("SIGN_IN_ADDRESS_FAILURE_LIMIT", 100)
SIGN_IN_KNOWN_BROWSER_DAYS = env_positive_int("SIGN_IN_KNOWN_BROWSER_DAYS", 90)

# Behind reverse proxies (nginx, a load balancer) every request comes from a proxy's
# address: the client's is the one the outermost of our proxies appended to
# X-Forwarded-For. DJANGO_TRUSTED_PROXY_COUNT says how many of ours there are (0: none,
# the header is ignored, as any client can send it); DJANGO_TRUSTED_PROXIES optionally
# lists their addresses or networks, from which alone the header is believed. Used by
# django-axes (lockouts), the audit log and the request id (kpi_portal.client_address).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0") or 0)
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "kpi_portal.client_address.client_address"

# Two-factor sign-in (django-otp): TOTP apps plus one-time recovery codes. Required
# for auditors, administrators and anyone who may open the admin site; optional for
# the other roles (kpi_portal.two_factor). A wrong code doubles the wait before the
# next try (1, 2, 4, 8 ... seconds, django-otp's throttling).
OTP_TOTP_ISSUER = "KPI Portal"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
TWO_FACTOR_RECOVERY_CODES = 10

# Sessions end after SESSION_IDLE_MINUTES without a request (sliding expiry:
# kpi_portal.middleware.SlidingSessionMiddleware pushes the server-side expiry back,
# at most once every SESSION_REFRESH_SECONDS). Pages warn two minutes before
# (static/js/session-timeout.js) and offer to stay signed in.
SESSION_IDLE_MINUTES = env_positive_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_REFRESH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
# Django's database sessions, their read written once as SQL (kpi_portal/sessions.py).
SESSION_ENGINE = "kpi_portal.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Scripts take the CSRF token from <meta name="csrf-token"> (base.html), never the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Security headers (SecurityMiddleware, XFrameOptionsMiddleware, django-csp).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: JavaScript lives in static/js/, styles in static/css/.
# (templates/reports/indicator_pdf.html has a <style>, but it is only rendered to PDF.)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Evidence, books and rendered sheets are only ever read and written through the
# storage API, so that several servers can share them: the local disk (MEDIA_ROOT) by
# default, S3-compatible object storage (django-storages) when a bucket is configured.
# Files are private: never a public URL, always served by a view that checks rights.
S3_BUCKET = os.environ.get("DJANGO_S3_BUCKET", "")
if S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("DJANGO_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DJANGO_S3_REGION") or None,
            # Unset: boto3 finds keys itself (an instance role, ~/.aws, AWS_* variables).
            "access_key": os.environ.get("DJANGO_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("DJANGO_S3_SECRET_ACCESS_KEY") or None,
            "addressing_style": os.environ.get("DJANGO_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
            "location": os.environ.get("DJANGO_S3_PREFIX", ""),
            "default_acl": None,  # the bucket's own (private) policy
            "querystring_auth": True,
            "file_overwrite": False,  # never replace a stored file: a clash gets a new name
            "max_memory_size": 8 * 1024 * 1024,  # larger downloads spool to a temporary file
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise before any
# sign-in check.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


INDICATORS_PER_PAGE = 50

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    # Load balancers probe the servers themselves, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to standard error (journald, a container's log): one JSON object a line outside
# development (DJANGO_LOG_FORMAT=json|text), each with the request's id
# (kpi_portal.request_id). DJANGO_ACCESS_LOG=1 (gunicorn.conf.py sets it) adds a line
# per request: method, path, status, duration, user id.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kpi_portal.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        "kpi_portal.access": {"level": "INFO" if env_bool("DJANGO_ACCESS_LOG") else "WARNING"},
    },
}
# A request id from the proxy (nginx's $request_id) is kept when the request came
# through trusted proxies; otherwise the portal makes one.
REQUEST_ID_HEADER = os.environ.get("DJANGO_REQUEST_ID_HEADER", "X-Request-ID")
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_MB", "20")) * 1024 * 1024
# An imported .xlsx is checked before it is opened, against zip bombs (indicators/exchange/read.py).
# A city's export (2,500 indicators, 41 columns, long Thai texts) unpacks to about 35 MB,
# packed about 20 times, with about 10,000 different texts.
IMPORT_XLSX_MAX_MEMBERS = env_positive_int("IMPORT_XLSX_MAX_MEMBERS", 1000)  # parts of the archive
IMPORT_XLSX_MAX_UNPACKED_MB = env_positive_int("IMPORT_XLSX_MAX_UNPACKED_MB", 200)  # all parts
IMPORT_XLSX_MAX_PART_MB = env_positive_int("IMPORT_XLSX_MAX_PART_MB", 100)  # a sheet, the shared strings
IMPORT_XLSX_MAX_RATIO = env_positive_int("IMPORT_XLSX_MAX_RATIO", 100)  # unpacked / packed, parts over 1 MB
IMPORT_XLSX_MAX_SHARED_STRINGS = env_positive_int("IMPORT_XLSX_MAX_SHARED_STRINGS", 200_000)
CSRF_FAILURE_VIEW = "kpi_portal.csrf.csrf_failure"

# Caches: the default in each process's memory (Django's own default); the detail pages'
# sheets, by content (reports/sheet_page.py), in each process's memory too, apart so that
# browsing many sheets does not push the dashboard out (some 15-30 KB a sheet; past
# SHEET_CACHE_MAX_ENTRIES the least used third is dropped); sheet PDFs already rendered, by
# content (reports/sheet_pdf.py), in files shared by the workers of a server. Bounded: past
# PDF_CACHE_MAX_ENTRIES (a sheet's body is some 30-300 KB) a third of the entries are
# dropped; entries nobody printed for PDF_CACHE_DAYS expire.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "sheets": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sheets",
        "OPTIONS": {"MAX_ENTRIES": env_positive_int("SHEET_CACHE_MAX_ENTRIES", 1000), "CULL_FREQUENCY": 3},
    },
    "pdf": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("PDF_CACHE_DIR", str(BASE_DIR / "pdf-cache")),
        "TIMEOUT": env_positive_int("PDF_CACHE_DAYS", 30) * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": env_positive_int("PDF_CACHE_MAX_ENTRIES", 2000), "CULL_FREQUENCY": 3},
    },
}

# Background jobs (books): django-tasks with its database backend; run workers with
# `manage.py book_worker` (or django-tasks-db's `db_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
BOOK_CHUNK_SIZE = int(os.environ.get("BOOK_CHUNK_SIZE", "25"))
# A chunk whose worker shows no sign of life for this long is handed to another worker.
BOOK_CHUNK_LEASE_SECONDS = int(os.environ.get("BOOK_CHUNK_LEASE_SECONDS", "120"))

# Mail (reminders and notifications, reports/notifications/). SMTP from the environment;
# `make run` prints mails on the console, tests keep them in memory (Django's locmem).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    f"django.core.mail.backends.{'console' if DEBUG else 'smtp'}.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_positive_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_positive_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "KPI Portal <kpi-portal@localhost>")
# Links in mails are absolute: the address people open the portal at.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


# Reminders, all in working days of the Thai calendar (indicators/calendar.py).
def env_day_list(name: str, default: str) -> list[int]:
    items = env_list(name, default)
    if not all(item.isdigit() and int(item) > 0 for item in items):
        raise ImproperlyConfigured(f"{name} must list positive whole numbers, e.g. {default!r}")
    return sorted({int(item) for item in items})


# Unit staff are reminded this many working days before the deadline, on the day, and
# this many after it (the later ones copied to the unit's head).
REMINDER_DAYS_BEFORE = env_day_list("REMINDER_DAYS_BEFORE", "5,1")
REMINDER_DAYS_AFTER = env_day_list("REMINDER_DAYS_AFTER", "1,3")
REMINDER_EXECUTIVE_DAYS_LATE = env_positive_int("REMINDER_EXECUTIVE_DAYS_LATE", 5)
REMINDER_REVIEW_WAITING_DAYS = env_positive_int("REMINDER_REVIEW_WAITING_DAYS", 3)
# How often each book worker runs the reminder pass (a database lock lets one at a time).
REMINDER_INTERVAL_SECONDS = env_positive_int("REMINDER_INTERVAL_SECONDS", 300)
# A failed mail is tried again after 1, 5, 15, 60, 240 minutes, then given up (and shown
# to administrators in the admin).
MAIL_RETRY_MINUTES = [1, 5, 15, 60, 240]
# Health endpoints (kpi_portal.health): /health/ for load balancers (database, storage),
# /health/background/ for monitoring (the task queue and the book workers). A task
# waiting longer than the first figure is a warning, longer than the second unhealthy;
# a worker whose heartbeat is older than the third is taken for dead.
HEALTH_QUEUE_WARNING_SECONDS = env_positive_int("HEALTH_QUEUE_WARNING_SECONDS", 300)
HEALTH_QUEUE_MAX_SECONDS = env_positive_int("HEALTH_QUEUE_MAX_SECONDS", 1800)
HEALTH_WORKER_MAX_SECONDS = env_positive_int("HEALTH_WORKER_MAX_SECONDS", 60)
# The audit log (indicators.audit) keeps this many days; `manage.py prune_audit_log` deletes older entries.
AUDIT_LOG_RETENTION_DAYS = env_positive_int("AUDIT_LOG_RETENTION_DAYS", 730)
