"""Rapport settings: everything comes from the environment, with safe defaults for the embedded mode.

RAPPORT_ENV=development (the default) runs on SQLite in a local data folder with a generated secret key.
RAPPORT_ENV=production demands a real secret key and allowed hosts, and turns on secure cookies and HSTS.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from config.env import ConfigurationError, env_bool, env_int, env_list, env_str, env_weights

BASE_DIR = Path(__file__).resolve().parent.parent

RAPPORT_ENV = env_str("RAPPORT_ENV", "development")
if RAPPORT_ENV not in {"development", "production"}:
    raise ConfigurationError(f"RAPPORT_ENV must be development or production, got {RAPPORT_ENV!r}")
PRODUCTION = RAPPORT_ENV == "production"

DATA_DIR = Path(env_str("RAPPORT_DATA_DIR", str(BASE_DIR / "data"))).resolve()


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        if PRODUCTION and len(configured) < 50:
            raise ConfigurationError("SECRET_KEY must be at least 50 characters in production")
        return configured
    if PRODUCTION:
        raise ConfigurationError("SECRET_KEY is required when RAPPORT_ENV=production")
    # Embedded mode keeps a generated key in the data folder so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Keys that seal secrets Rapport must read back, such as IMAP passwords (rapport.core.sealed): the first
# seals, every one opens. Empty, SECRET_KEY is the key.
RAPPORT_SEALING_KEYS = env_list("RAPPORT_SEALING_KEYS")
DEBUG = env_bool("RAPPORT_DEBUG", False)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError("ALLOWED_HOSTS is required when RAPPORT_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "rapport.core",
    "rapport.accounts",
    "rapport.customers",
    "rapport.commerce",
    "rapport.desk",
    "rapport.channels",
    "rapport.webhooks",
    "rapport.recovery",
    "rapport.listening",
    "rapport.insights",
    "rapport.demo",
    "rapport.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rapport.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rapport.core.middleware.RapportErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "rapport.accounts.context_processors.permissions",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
        config["CONN_HEALTH_CHECKS"] = True
        return dict(config)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "rapport.core.sqlite",
        "NAME": DATA_DIR / "rapport.sqlite3",
        # Opening a connection runs the PRAGMAs below; a process that writes often (the SMTP listener,
        # the worker, a busy web thread) keeps its connection instead of paying for that every time.
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
            # busy timeout instead of failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=268435456;"
            ),
        },
        # ":memory:" by name: pytest-django recognises an in-memory test database only under Django's
        # own ENGINE path, and would otherwise give each xdist worker a file named after NAME.
        "TEST": {"NAME": env_str("SQLITE_TEST_NAME") or ":memory:"},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login rate limit: after AXES_FAILURE_LIMIT failures for one email from one address, that pair
# is locked out for the cool-off period.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
if not PRODUCTION:
    # WhiteNoise serves from the finders in embedded mode but warns when its root is missing.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Largest request body held in memory: API attachments arrive base64-encoded in JSON (4/3 of their size),
# so the default leaves room for the desk's default 20 MB attachment limit. File uploads from pages
# stream to disk and are not bound by this.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_MB", 30, minimum=1) * 1024 * 1024
# Attachment bytes, named by content hash; served only through a permission check, never from here.
RAPPORT_ATTACHMENTS_DIR = Path(env_str("RAPPORT_ATTACHMENTS_DIR", str(DATA_DIR / "attachments"))).resolve()

# The SMTP listener for inbound mail (`manage.py smtp`, started by `serve`). Mail larger than
# RAPPORT_SMTP_MAX_MB is refused with 552 before it is stored.
RAPPORT_SMTP_HOST = env_str("RAPPORT_SMTP_HOST", "127.0.0.1")
RAPPORT_SMTP_PORT = env_int("RAPPORT_SMTP_PORT", 2525, minimum=1)
RAPPORT_SMTP_MAX_BYTES = env_int("RAPPORT_SMTP_MAX_MB", 25, minimum=1) * 1024 * 1024

# Phone and social webhooks (docs/channels-webhooks.md). Standard Webhooks secrets are "whsec_<base64>",
# several separated by spaces while one is rotated; unset, the endpoint answers 503.
RAPPORT_PHONE_WEBHOOK_SECRET = env_str("RAPPORT_PHONE_WEBHOOK_SECRET", "")
RAPPORT_SOCIAL_WEBHOOK_SECRET = env_str("RAPPORT_SOCIAL_WEBHOOK_SECRET", "")
RAPPORT_TWILIO_AUTH_TOKEN = env_str("RAPPORT_TWILIO_AUTH_TOKEN", "")
# Proxies in front of gunicorn that append to X-Forwarded-For; the widget's rate limits read the client there.
RAPPORT_PROXY_HOPS = env_int("RAPPORT_PROXY_HOPS", 0, minimum=0)
# Outbound webhooks (docs/webhooks.md) refuse URLs that resolve to loopback, private, link-local or
# metadata addresses, except for these hosts (comma-separated names or IP addresses, matched exactly),
# e.g. "127.0.0.1,store.internal" for a store on the same network.
RAPPORT_WEBHOOK_ALLOWED_HOSTS = env_list("RAPPORT_WEBHOOK_ALLOWED_HOSTS", [])

# Lifetime value (docs/insights.md): the yearly discount rate in percent and the horizon in months.
RAPPORT_CLV_ANNUAL_DISCOUNT_RATE = env_int("RAPPORT_CLV_DISCOUNT_PERCENT", 10, minimum=0) / 100
RAPPORT_CLV_HORIZON_MONTHS = env_int("RAPPORT_CLV_HORIZON_MONTHS", 12, minimum=1)
# Relationship health weights (docs/insights.md), e.g. "buying=50,open_problems=10,sentiment=15,defection=15,
# csat=5,sla=5": signal=points pairs adding up to 100; empty keeps the documented defaults.
RAPPORT_HEALTH_WEIGHTS = env_weights("RAPPORT_HEALTH_WEIGHTS")
# A product's page in the store, with {sku} where its SKU goes (e.g. https://shop.example/p/{sku}): agents
# insert it into replies from the recommendations. Empty: the name and SKU are inserted instead.
RAPPORT_PRODUCT_URL = env_str("RAPPORT_PRODUCT_URL", "")

# Where customers and staff reach Rapport: links in survey invitations and alert mail start with it.
RAPPORT_PUBLIC_URL = env_str("RAPPORT_PUBLIC_URL", "http://localhost:8000").rstrip("/")
if not RAPPORT_PUBLIC_URL.startswith(("http://", "https://")):
    raise ConfigurationError(f"RAPPORT_PUBLIC_URL must begin with http:// or https://: {RAPPORT_PUBLIC_URL}")
if PRODUCTION and not RAPPORT_PUBLIC_URL.startswith("https://"):
    raise ConfigurationError("RAPPORT_PUBLIC_URL must be an https:// address when RAPPORT_ENV=production")

# Outbound mail (agents' replies) goes to this SMTP server. With no EMAIL_HOST, replies are written as
# .eml files into $RAPPORT_DATA_DIR/outbox instead, so the embedded mode works without a mail server.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", bool(EMAIL_HOST))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 30, minimum=1)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "outbox"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

RAPPORT_API_PAGE_SIZE_MAX = 200
# Region for phone numbers typed without a country code (ISO 3166 alpha-2, e.g. GB).
RAPPORT_DEFAULT_PHONE_REGION = env_str("DEFAULT_PHONE_REGION", "").upper()
RAPPORT_LIST_PAGE_SIZE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # aiosmtpd logs every SMTP command at INFO: a line per message and peer at mail volume.
    "loggers": {"axes": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}
