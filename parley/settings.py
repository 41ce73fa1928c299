"""Django settings for Parley.

One settings module for every environment. It reads the environment once, at
import. ``PARLEY_ENV=production`` switches on production hardening and refuses
insecure defaults.

Environment variables:

``PARLEY_ENV``
    ``development`` (default) or ``production``.
``PARLEY_SECRET_KEY``
    Required in production, and refused there if weak (``parley.secret_key``).
``PARLEY_DEBUG``
    ``1``/``0``. Defaults to on in development; refused in production.
``PARLEY_ALLOWED_HOSTS``
    Comma-separated host names. Required in production.
``PARLEY_CSRF_TRUSTED_ORIGINS``
    Comma-separated origins (``https://parley.example.org``).
``PARLEY_DATABASE_URL``
    ``postgres://user:password@host:5432/name``; SQLite at ``var/parley.sqlite3``
    when unset.
``PARLEY_SECURE_PROXY_SSL_HEADER``
    ``1`` when a TLS-terminating proxy in front sets ``X-Forwarded-Proto``.
``PARLEY_LOG_LEVEL``
    Root log level, ``INFO`` by default.
``PARLEY_VAR_DIR``
    Where local data lives (SQLite database, collected static files).
``PARLEY_LOCKOUT_THRESHOLD``, ``PARLEY_LOCKOUT_MINUTES``, ``PARLEY_TRUSTED_PROXY_COUNT``,
``PARLEY_OIDC_*``
    Sign-in: lockout, the client address behind proxies, single sign-on with
    Microsoft Entra ID. See docs/sign-in.md.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from parley.dburl import database_from_url, sqlite_database
from parley.private_files import private_folder
from parley.secret_key import secret_key_problem


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PARLEY_VAR_DIR") or BASE_DIR / "var")
# It holds the development database, mail and, unless configured elsewhere, evidence.
private_folder(VAR_DIR)
NODE_MODULES = BASE_DIR / "node_modules"

PARLEY_ENV = os.environ.get("PARLEY_ENV", "development").strip().lower()
if PARLEY_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"PARLEY_ENV must be development or production, not {PARLEY_ENV!r}")
PRODUCTION = PARLEY_ENV == "production"

# --------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------
# INSECURE: for development only. Production refuses to start without
# PARLEY_SECRET_KEY.
_INSECURE_DEV_SECRET_KEY = "django-insecure-parley-development-only-do-not-use-in-production"
SECRET_KEY = os.environ.get("PARLEY_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("PARLEY_SECRET_KEY must be set when PARLEY_ENV=production")
    SECRET_KEY = _INSECURE_DEV_SECRET_KEY
if PRODUCTION and (
    _weak := secret_key_problem(SECRET_KEY, development_key=_INSECURE_DEV_SECRET_KEY)
):
    raise ImproperlyConfigured(_weak)

DEBUG = _env_bool("PARLEY_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("PARLEY_DEBUG must be off when PARLEY_ENV=production")

ALLOWED_HOSTS = _env_list(
    "PARLEY_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "PARLEY_ALLOWED_HOSTS must be set when PARLEY_ENV=production "
        "(comma-separated host names, e.g. parley.example.org)"
    )
CSRF_TRUSTED_ORIGINS = _env_list("PARLEY_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    # ---- Parley apps ------------------------------------------------------
    # Add parley.cases, parley.directory, ... here, above parley.web, so their
    # templates can override the shared ones.
    # -----------------------------------------------------------------------
    "parley.cases",
    "parley.audit",
    "parley.accounts",
    "parley.directory",
    "parley.notifications",
    "parley.reports",
    "parley.ops",
    "parley.api",
    "parley.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response.
    "parley.accounts.middleware.SecurityHeadersMiddleware",
    # A NUL character anywhere in a request: 400, before the session store or any view
    # can send it to the database (docs/security.md).
    "parley.web.middleware.InputCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor?
    "parley.accounts.middleware.SecondFactorMiddleware",
    # Cache-Control: no-store on every signed-in response and every API response.
    "parley.web.middleware.PrivateResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every refused request for a case is audited (case.refused), here and only here.
    "parley.web.middleware.RefusalAuditMiddleware",
    # Every page but sign-in needs a second factor; sessions end after 10 hours. Last, so
    # its redirects still pass through every header-setting middleware above.
    "parley.accounts.middleware.RequireSecondFactorMiddleware",
    # A missing or hidden page is the house's 404 in development too, never Django's debug
    # page listing every address.
    "parley.web.middleware.HouseNotFoundMiddleware",
]

ROOT_URLCONF = "parley.urls"
WSGI_APPLICATION = "parley.wsgi.application"
ASGI_APPLICATION = "parley.asgi.application"

# Every template is Jinja2 (docs/adr/0004), in each app's jinja2/ folder. In development
# and tests a name a template does not have, or a method it prints without calling, is an
# error (parley.web.jinja); in production it renders as nothing, as Django's templates did.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "parley.web.jinja.environment",
            "strict": DEBUG,
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------
DATABASE_URL = os.environ.get("PARLEY_DATABASE_URL", "").strip()
if DATABASE_URL:
    try:
        DATABASES = {"default": database_from_url(DATABASE_URL)}
    except ValueError as error:
        raise ImproperlyConfigured(f"PARLEY_DATABASE_URL: {error}") from error
else:
    DATABASES = {"default": sqlite_database(VAR_DIR / "parley.sqlite3")}

# Reports may read from a replica of a PostgreSQL database (docs/deploy.md).
REPLICA_DATABASE_URL = os.environ.get("PARLEY_REPLICA_DATABASE_URL", "").strip()
if REPLICA_DATABASE_URL:
    try:
        DATABASES["replica"] = database_from_url(REPLICA_DATABASE_URL)
    except ValueError as error:
        raise ImproperlyConfigured(f"PARLEY_REPLICA_DATABASE_URL: {error}") from error
    # Tests read the replica through the default connection.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["parley.ops.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------
# Background tasks: django-tasks with the database backend (docs/adr/0002).
# Run the worker with `python manage.py db_worker`.
# --------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Twelve characters at least: accounts open records about children at risk.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in: password (username or email), then a code from an authenticator app or a
# recovery code (docs/sign-in.md). Every page but the sign-in pages needs both.
AUTHENTICATION_BACKENDS = ["parley.accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "/sign-in/"
LOGIN_REDIRECT_URL = "/"
# The only pages open without signing in (path prefixes); static files are open too.
PARLEY_PUBLIC_PATHS = [
    "/sign-in/",
    "/sign-out/",
    "/account/set-up-authenticator/",
    "/healthz",
    # The API signs each request in with a bearer token instead (parley.api.http).
    "/api/",
]
OTP_TOTP_ISSUER = "Parley"
# django-otp's own per-device back-off (1s, 2s, 4s ... after each wrong code) stays on,
# beneath Parley's lockout.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Single sign-on with Microsoft Entra ID (OpenID Connect), off unless PARLEY_OIDC_ENABLED=1;
# the other PARLEY_OIDC_* variables are listed in docs/sign-in.md.
PARLEY_OIDC_ENABLED = _env_bool("PARLEY_OIDC_ENABLED", default=False)
if PARLEY_OIDC_ENABLED:
    from parley.accounts.sso_settings import oidc_settings

    globals().update(oidc_settings(os.environ))
    AUTHENTICATION_BACKENDS.append("parley.accounts.sso_backend.EntraBackend")

# Invitations to set up an account, and links to choose a new password, work once until
# they expire (parley.accounts.lifecycle).
PARLEY_INVITATION_DAYS = int(os.environ.get("PARLEY_INVITATION_DAYS", "7"))
PARLEY_RESET_LINK_MINUTES = int(os.environ.get("PARLEY_RESET_LINK_MINUTES", "60"))

# Lockout: the 10th failure (wrong password or code) within the window locks the
# account typed and the address it came from for PARLEY_LOCKOUT_MINUTES.
PARLEY_LOCKOUT_THRESHOLD = int(os.environ.get("PARLEY_LOCKOUT_THRESHOLD", "10"))
PARLEY_LOCKOUT_MINUTES = int(os.environ.get("PARLEY_LOCKOUT_MINUTES", "15"))
# How many reverse proxies stand in front of Parley and append to X-Forwarded-For.
# 0: the client address is REMOTE_ADDR. Behind one proxy, set 1, or every user would
# share the proxy's address (and its lockout).
PARLEY_TRUSTED_PROXY_COUNT = int(os.environ.get("PARLEY_TRUSTED_PROXY_COUNT", "0"))

# Sessions end after 30 minutes without a request, 10 hours after signing in whatever
# the activity, and when the browser closes. A signed-in request pushes the 30 minutes
# on, writing the session at most once a minute (parley.accounts.services.session_touch)
# rather than on every request: so a session idle for 29 to 30 minutes has ended.
SESSION_COOKIE_AGE = 30 * 60
# Django's database sessions, read with one plain query (parley.accounts.sessions).
SESSION_ENGINE = "parley.accounts.sessions"
SESSION_SAVE_EVERY_REQUEST = False
PARLEY_SESSION_TOUCH_SECONDS = 60

# Board reports on PostgreSQL: run their queries side by side on this many connections,
# each with this much memory for its sorts and groups (docs/performance.md). Six is one
# for each of a report's queries: with fewer, the longest ones ran one after another and
# a national report was slower, even on two cores.
PARLEY_REPORT_THREADS = int(os.environ.get("PARLEY_REPORT_THREADS", "6"))
PARLEY_REPORT_WORK_MEM = os.environ.get("PARLEY_REPORT_WORK_MEM", "64MB")
PARLEY_SESSION_MAX_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --------------------------------------------------------------------------
# Internationalisation
# --------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------
# Static files
# --------------------------------------------------------------------------
# `make install` builds Parley's one stylesheet from GOV.UK Frontend's and MoJ Frontend's
# Sass sources, and copies GOV.UK Frontend's script, into build/assets/ (docs/adr/0006).
# The stylesheet refers to the packages' images by absolute URLs under /assets/images/,
# so static files are served from /assets/ and only the two packages' images/ folders
# are merged there: none of GOV.UK Frontend's font files (GDS Transport is for GOV.UK
# services only) and none of MoJ Frontend's scripts.
STATIC_URL = "/assets/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "parley" / "static",
    # parley/parley.css, govuk-frontend/govuk-frontend.min.js
    BASE_DIR / "build" / "assets",
    ("images", NODE_MODULES / "govuk-frontend" / "dist" / "govuk" / "assets" / "images"),
    ("images", NODE_MODULES / "@ministryofjustice" / "frontend" / "moj" / "assets" / "images"),
]

# --------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Sent on every response by parley.accounts.middleware.SecurityHeadersMiddleware. No
# inline script or style anywhere: the templates load parley/js-enabled.js and init.js.
PARLEY_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
PARLEY_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure,
    # host-only and for path /.
    SESSION_COOKIE_NAME = "__Host-parley-session"
    CSRF_COOKIE_NAME = "__Host-parley-csrf"
    if _env_bool("PARLEY_SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --------------------------------------------------------------------------
# Logging: everything to stderr.
# --------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("PARLEY_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        # WeasyPrint narrates every PDF at INFO; only its warnings matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --------------------------------------------------------------------------
# Notifications (docs/notifications.md, docs/adr/0003)
# --------------------------------------------------------------------------
# The address people follow from a notification; notifications carry only this link,
# what is due and the case reference.
PARLEY_BASE_URL = os.environ.get("PARLEY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# "email" (Django's email backend below) or "govuk-notify".
PARLEY_NOTIFY_CHANNEL = os.environ.get("PARLEY_NOTIFY_CHANNEL", "email").strip() or "email"
if PARLEY_NOTIFY_CHANNEL not in {"email", "govuk-notify"}:
    raise ImproperlyConfigured(
        f"PARLEY_NOTIFY_CHANNEL must be email or govuk-notify, not {PARLEY_NOTIFY_CHANNEL!r}"
    )
# GOV.UK Notify: an API key, and an email template whose subject is ((subject)) and
# whose body is ((body)).
PARLEY_NOTIFY_GOVUK_API_KEY = os.environ.get("PARLEY_NOTIFY_GOVUK_API_KEY", "")
PARLEY_NOTIFY_GOVUK_TEMPLATE_ID = os.environ.get("PARLEY_NOTIFY_GOVUK_TEMPLATE_ID", "")
PARLEY_NOTIFY_GOVUK_BASE_URL = os.environ.get(
    "PARLEY_NOTIFY_GOVUK_BASE_URL", "https://api.notifications.service.gov.uk"
)
# Sending: tries before a notification is marked failed (then retried by hand), the
# first back-off (doubling each time), how long a sender's claim on a message lasts
# (longer than a send can take), and how often the worker sweeps for due deadlines.
PARLEY_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("PARLEY_NOTIFY_MAX_ATTEMPTS", "6"))
PARLEY_NOTIFY_RETRY_SECONDS = int(os.environ.get("PARLEY_NOTIFY_RETRY_SECONDS", "60"))
PARLEY_NOTIFY_CLAIM_SECONDS = int(os.environ.get("PARLEY_NOTIFY_CLAIM_SECONDS", "300"))
PARLEY_NOTIFY_SWEEP_SECONDS = int(os.environ.get("PARLEY_NOTIFY_SWEEP_SECONDS", "60"))
# Urgent notifications (the immediate-risk route) retry on their own, closer schedule.
PARLEY_NOTIFY_URGENT_MAX_ATTEMPTS = int(os.environ.get("PARLEY_NOTIFY_URGENT_MAX_ATTEMPTS", "20"))
PARLEY_NOTIFY_URGENT_RETRY_SECONDS = int(os.environ.get("PARLEY_NOTIFY_URGENT_RETRY_SECONDS", "60"))
PARLEY_NOTIFY_URGENT_RETRY_MAX_SECONDS = int(
    os.environ.get("PARLEY_NOTIFY_URGENT_RETRY_MAX_SECONDS", "300")
)
# How many due notifications a sender claims at a time (with the rest of their
# recipients' due notifications, which travel in the same message).
PARLEY_NOTIFY_BATCH = int(os.environ.get("PARLEY_NOTIFY_BATCH", "20"))
# Email: SMTP in production; files in var/mail/ in development, read on the page
# /notifications/development-mail/ (docs/notifications.md) (or any backend named
# by PARLEY_EMAIL_BACKEND, e.g. django.core.mail.backends.console.EmailBackend).
EMAIL_BACKEND = os.environ.get("PARLEY_EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("PARLEY_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PARLEY_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("PARLEY_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PARLEY_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("PARLEY_EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("PARLEY_EMAIL_FROM", "Parley <parley@localhost>")
