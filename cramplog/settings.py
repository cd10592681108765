"""Settings for cramplog, driven by environment variables.

The defaults are safe for running on one's own machine: DEBUG off, SQLite under var/, a secret
key generated once and kept in var/. Production sets the variables the README lists.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRAMPLOG_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    """A yes/no setting. A typo fails loudly: DJANGO_HTTPS=ture must not turn HTTPS off."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0 (or true/false, yes/no, on/off).")
    return word in TRUE_WORDS


def env_int(name, default, minimum, maximum):
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not minimum <= number <= maximum:
        raise ImproperlyConfigured(
            f"{name}={value!r}: use a whole number from {minimum} to {maximum}."
        )
    return number


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_base_url(name, default):
    """The site's address as people reach it, for links in mail sent without a request."""
    value = os.environ.get(name, default).rstrip("/")
    if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
        raise ImproperlyConfigured(f"{name}={value!r}: use the address, e.g. https://example.org")
    return value


def first_domain_name(hosts):
    """The first host that is a domain name, not an IP address or a wildcard, or ""."""
    for host in hosts:
        name = host.lstrip(".")
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name and name != "*":
                return name
    return ""


def secret_key_from_file(path):
    """Read the local secret key, creating it on first use so a fresh clone needs no set-up."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# var/ holds the database, the secret key and the backups: the owner's alone.
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secret_key_from_file(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Passkeys (WebAuthn) belong to a domain name, the relying party: the first name in
# ALLOWED_HOSTS that is not an IP address ("localhost" by default), and work on that name and
# its subdomains only. Browsers refuse them on a bare IP address, and over plain HTTP except on
# localhost. diary/passkeys.py accepts them from the page's own address and the trusted origins.
PASSKEY_RP_ID = first_domain_name(ALLOWED_HOSTS)

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "diary",
    "knowledge",
]

MIDDLEWARE = [
    # First, so their headers reach every response: health checks, static files, errors.
    "cramplog.middleware.ContentSecurityPolicyMiddleware",
    "cramplog.middleware.PermissionsPolicyMiddleware",
    # Before anything reads the body (CSRF reads the form), so an oversized upload is
    # refused without being read, kept in memory or written to a temporary file.
    "cramplog.middleware.RequestSizeLimitMiddleware",
    "cramplog.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cramplog.middleware.PrivateCacheMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "diary.middleware.TimezoneMiddleware",
    "diary.middleware.KeepSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cramplog.urls"
WSGI_APPLICATION = "cramplog.wsgi.application"

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
                "diary.context_processors.person",
            ],
        },
    },
]

# SQLite by default. WAL lets readers run beside the writer, IMMEDIATE takes the write lock
# when a transaction starts (so no transaction fails half-way on upgrading its lock), and the
# timeout makes writers queue instead of failing with "database is locked".
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    # SQLite gives the -wal and -shm files the mode of the database file, so making that one
    # owner-only covers all three. An older, readable database is closed up too.
    (VAR_DIR / "db.sqlite3").touch(mode=0o600)
    (VAR_DIR / "db.sqlite3").chmod(0o600)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # secure_delete overwrites deleted rows, so a deleted diary leaves no copy
                # in free pages of the file.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Reusing a worker's connection saves opening the file and running the PRAGMAs on
            # every request.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url):
    """The cache a CACHE_URL names: locmem:// (each process its own) or redis:// / rediss://."""
    scheme, separator, _rest = url.partition("://")
    if separator and scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if separator and scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"CACHE_URL={url!r}: use locmem:// or redis://host:port/db (rediss:// for TLS)."
    )


# Local memory needs nothing installed; Redis is shared by every worker and server.
CACHE_URL = os.environ.get("CACHE_URL", "locmem://")
CACHES = {
    "default": cache_from_url(CACHE_URL),
    # A {% cache %} fragment shows nothing that is not in its key, so each process keeps its
    # own, nobody gets another's, and a deploy starts without them.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "template-fragments",
    },
}
# Sessions are read from the cache only when every process shares it: with a cache per
# process, signing out in one worker would leave the session alive in the others' copies.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"].endswith("LocMemCache")
    else "django.contrib.sessions.backends.cached_db"
)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "diary.backends.ProfileModelBackend",
]
PASSWORD_HASHERS = [
    "cramplog.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Five failed logins for one username from one address lock that pair out for a while;
# other people, and the same person from elsewhere, can still sign in.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Log lines name the account by id and the address, never the username typed in.
AXES_CLIENT_STR_CALLABLE = "cramplog.log.axes_client_str"
AXES_CLIENT_IP_CALLABLE = "cramplog.log.client_ip"
# Axes keeps what a failed attempt posted; second-step codes and passkey answers are masked
# there like the password.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "credential"]

# Per-address limits across usernames, per hour (diary/limits.py); 0 turns one off, e.g. for a
# clinic whose staff all come from one address.
CRAMPLOG_LOGIN_FAILURES_PER_HOUR = env_int("CRAMPLOG_LOGIN_FAILURES_PER_HOUR", 20, 0, 1_000_000)
CRAMPLOG_SIGNUPS_PER_HOUR = env_int("CRAMPLOG_SIGNUPS_PER_HOUR", 5, 0, 1_000_000)
# Reset requests from one address, and reset mails to one account.
CRAMPLOG_RESETS_PER_HOUR = env_int("CRAMPLOG_RESETS_PER_HOUR", 5, 0, 1_000_000)
# Shared reports (/share/<token>/) opened from one address, working links or not: a doctor
# opens a few, someone trying tokens many.
CRAMPLOG_SHARE_VIEWS_PER_HOUR = env_int("CRAMPLOG_SHARE_VIEWS_PER_HOUR", 60, 0, 1_000_000)
# Links to confirm a reminder address, sent for one account.
CRAMPLOG_CONFIRMATIONS_PER_HOUR = env_int("CRAMPLOG_CONFIRMATIONS_PER_HOUR", 5, 0, 1_000_000)
# Wrong second-step codes (authenticator app or recovery code) for one account, from anywhere:
# the password is known by then, and six digits must not be guessed from many addresses.
CRAMPLOG_SECOND_STEP_FAILURES_PER_HOUR = env_int(
    "CRAMPLOG_SECOND_STEP_FAILURES_PER_HOUR", 10, 0, 1_000_000
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "cramplog.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587, 1, 65535)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "cramplog <noreply@localhost>")
# Reminders sent by `manage.py send_reminders` link here.
CRAMPLOG_BASE_URL = env_base_url("CRAMPLOG_BASE_URL", "http://127.0.0.1:8000")
# Web push signs each message with this key (VAPID), kept like the secret key: made by
# `manage.py make_vapid_key` into var/vapid_private_key, or given here. Without it, reminders
# go by e-mail only.
VAPID_KEY_FILE = VAR_DIR / "vapid_private_key"
CRAMPLOG_VAPID_PRIVATE_KEY = os.environ.get("CRAMPLOG_VAPID_PRIVATE_KEY") or (
    VAPID_KEY_FILE.read_text().strip() if VAPID_KEY_FILE.exists() else ""
)
# Whom a push service may contact about this site's messages.
CRAMPLOG_VAPID_SUBJECT = os.environ.get("CRAMPLOG_VAPID_SUBJECT", "mailto:noreply@localhost")

# "Keep me signed in" keeps a session this long after its last day of use
# (diary.middleware.KeepSignedInMiddleware); without it, a session ends with the browser.
SESSION_COOKIE_AGE = 60 * 60 * 24 * 60
SESSION_COOKIE_HTTPONLY = True
# A logging form posted with a token that signing in again replaced is still saved when the
# browser vouches that it came from this site (diary.views.csrf_failure).
CSRF_FAILURE_VIEW = "diary.views.csrf_failure"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# How many proxies stand in front of the app, each appending to X-Forwarded-For; the client's
# address is read that far from the right (cramplog.log.client_ip). None by default; one, the
# TLS proxy, with DJANGO_HTTPS.
CRAMPLOG_TRUSTED_PROXIES = env_int("CRAMPLOG_TRUSTED_PROXIES", int(env_bool("DJANGO_HTTPS")), 0, 10)

# The largest request body: a 5 MB CSV import and its form. Bigger ones are refused before
# they are read; smaller uploads stay in memory and are never written to a temporary file.
REQUEST_MAX_BYTES = 6 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES

# Behind an HTTPS proxy. Off by default so `make run` works over plain HTTP on 127.0.0.1.
if env_bool("DJANGO_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix makes browsers refuse the cookie unless it is secure, host-only and
    # path=/, so a sibling subdomain cannot plant or read it.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Sent on every response by cramplog.middleware.ContentSecurityPolicyMiddleware. The name and
# shape are Django 6's, whose own middleware can then replace ours unchanged.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# Night, in each person's local time: from the start hour up to the end hour, across midnight
# when start > end. Matching, the month page, the report and the demo data all use it
# (diary.vocabulary.night).
CRAMPLOG_NIGHT_START_HOUR = env_int("CRAMPLOG_NIGHT_START_HOUR", 22, 0, 23)
CRAMPLOG_NIGHT_END_HOUR = env_int("CRAMPLOG_NIGHT_END_HOUR", 6, 0, 23)
if CRAMPLOG_NIGHT_START_HOUR == CRAMPLOG_NIGHT_END_HOUR:
    raise ImproperlyConfigured("CRAMPLOG_NIGHT_START_HOUR and _END_HOUR must differ.")

# `manage.py backup` deletes its backups after this many days, so deleted accounts go too.
CRAMPLOG_BACKUP_KEEP_DAYS = env_int("CRAMPLOG_BACKUP_KEEP_DAYS", 30, 1, 3650)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "cramplog.log.RequestContextFilter"}},
    "formatters": {
        "plain": {
            "()": "cramplog.log.PrivateFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s user=%(user_id)s ip=%(client_ip)s "
            "%(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
