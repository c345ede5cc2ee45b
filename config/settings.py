"""Settings for Konvergensi, read from the environment only.

Defaults make `make run` work on one machine (SQLite, tasks in-process, console email).
Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; with
those, `manage.py check --deploy` is clean (tests/config/test_settings.py asserts it).
"""

import os
import sys
import warnings
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# pyhanko imports cryptography's DSA support at import time, which printed a deprecation warning
# on every command (the portal makes no DSA key: documents/dev_seal.py makes RSA)
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The test suite runs with DEBUG off, as production does.
TESTING = "pytest" in sys.modules
SECRET_KEY = env("SECRET_KEY") or (
    # Only a development server or the test suite may run without a secret.
    "dev-insecure-key-only-for-make-run-and-tests" if DEBUG or TESTING else ""
)
# Commands that only read code sign nothing: a throwaway key lets them run without a secret.
OFFLINE_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "showmigrations"}
if not SECRET_KEY and Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2]:
    if sys.argv[1] in OFFLINE_COMMANDS:
        import secrets

        SECRET_KEY = secrets.token_urlsafe(50)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is false. For local commands use "
        "`DEBUG=true python manage.py …` (as `make run` and `make lint` do)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# A follow-up is unique per document, point and owner with NULLs equal (PostgreSQL); SQLite
# (make run) skips that constraint and the service checks it before inserting.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_scopes",
    "accounts",
    "villages",
    "documents",
    "convergence",
    "rembuk",
    "commitments",
    "village_reports",
    "outcomes",
    "reports",
]

MIDDLEWARE = [
    # /healthz for load balancers, before host validation and the HTTPS redirect (a probe
    # calls the node's own address over plain HTTP), and unlogged (one every few seconds)
    "config.health.HealthMiddleware",
    # the request id, and one structured line per request (lib/logs.py)
    "lib.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # outside RequestGuardMiddleware, so that its 413 and 429 pages are not framed either
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.LanguageMiddleware",
    # before CSRF checking, which reads a POST's body: size caps and per-address limits
    "lib.ratelimit.RequestGuardMiddleware",
    "lib.controlchars.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth.usersessions' middleware, writing the session row at most every five minutes
    "accounts.middleware.UserSessionsMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "accounts.middleware.DistrictMiddleware",
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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
            "builtins": ["accounts.templatetags.portal"],
        },
    },
]

# Database: SQLite by default (make run), PostgreSQL from DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# no server-side cursors: Django opens one (DECLARE ... WITH HOLD, FETCH, CLOSE: three round
# trips and a copy of the rows at the commit) for every choice list of a form, where the portal
# reads a few dozen rows; nothing in the portal iterates more rows than it holds at once, and
# a connection pooler in transaction mode cannot keep a cursor open between transactions
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Invitation links live 24 hours (accounts.Invitation); password reset links as long.
PASSWORD_RESET_TIMEOUT = 24 * 3600
INVITATION_TTL_HOURS = 24

# The cache holds rate limits and TOTP replay protection, so it must be shared by every
# process: Redis when REDIS_URL is set, falling back to the database cache while Redis does
# not answer (lib/cache.py); the database cache alone without Redis. The table is made by a
# migration (accounts 00xx_cache_table), so `migrate` is all a fresh machine needs.
REDIS_URL = env("REDIS_URL")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "konvergensi")
CACHE_TABLE = "konvergensi_cache"
CACHES = {
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # rate-limit windows are minutes long; cull expired rows now and then
        "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 4},
    }
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "lib.cache.FailoverCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "OPTIONS": {
            "FALLBACK": "database",
            "RETRY_AFTER": 30,
            # Redis answers in a millisecond on loopback or a LAN: a Redis that is down (a
            # refused connection costs nothing) or hangs (a frozen server, a broken network:
            # these timeouts) costs each web process at most half a second, then the
            # database cache serves for RETRY_AFTER seconds (tests/ops/test_faults_redis.py)
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
        },
    }
else:
    CACHES["default"] = CACHES["database"]

# Sessions read from the cache (Redis) and kept in the database too: a page reads its session
# without a query, and a flushed cache loses no login.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# allauth: email login, no public signup, invitations only (accounts.adapter).
ACCOUNT_ADAPTER = "accounts.adapter.InvitationOnlyAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
if not ACCOUNT_RATE_LIMITS_ENABLED:
    ACCOUNT_RATE_LIMITS = False
# How many proxies of ours stand in front (docker-compose.yml: one). lib.ratelimit.client_ip
# takes the client address that many hops from the right of X-Forwarded-For, for every rate
# limit and the audit log; allauth asks it too (accounts.adapter), and gets the same count.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Konvergensi"
# allauth offers MFA; accounts.middleware.MfaRequiredMiddleware enforces it for the roles
# that can change a district's data or read several districts.
MFA_REQUIRED = env_bool("MFA_REQUIRED", True)
USERSESSIONS_TRACK_ACTIVITY = True

# Email (Django 6.1 MAILERS): console in development, SMTP from EMAIL_* in production.
EMAIL_BACKEND_PATH = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": int(env("EMAIL_PORT", "25")),
        "username": env("EMAIL_HOST_USER") or None,
        "password": env("EMAIL_HOST_PASSWORD") or None,
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 20,
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Konvergensi <noreply@konvergensi.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Internationalisation: Indonesian first, English second.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Fallback only; district pages activate the district's own zone (WIB/WITA/WIT).
TIME_ZONE = "Asia/Jakarta"

# Static files are served by the app (whitenoise); nothing comes from a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (evidence, emblems, imports, scans) and generated PDFs are never published
# under a media URL: views that check the district and role read them from the storage and
# stream them. MEDIA_STORAGE: `filesystem` (default, MEDIA_ROOT; one server or a shared
# volume) or `s3` (S3-compatible object storage shared by several nodes: AWS, MinIO, Ceph,
# Wasabi...; documents/storage.py, which has no URLs). A dotted storage class is also taken.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))


def media_storage() -> dict:
    """STORAGES["default"] from MEDIA_STORAGE and the AWS_* variables (tests call it too)."""
    kind = env("MEDIA_STORAGE", "filesystem").strip() or "filesystem"
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        return {"BACKEND": kind}  # a dotted storage class
    if not env("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    verify = env("AWS_S3_VERIFY")
    return {
        "BACKEND": "documents.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            # empty: AWS itself; else the provider's address, e.g. https://minio.internal:9000
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            # empty: boto3's own chain (instance role, ~/.aws, AWS_ACCESS_KEY_ID...)
            "access_key": env("AWS_S3_ACCESS_KEY_ID") or env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_S3_SECRET_ACCESS_KEY") or env("AWS_SECRET_ACCESS_KEY") or None,
            # a prefix inside the bucket (several portals or environments in one bucket)
            "location": env("AWS_LOCATION"),
            # `path` for MinIO and most self-hosted servers; empty: boto3 decides
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            # a CA bundle's path for a private endpoint's certificate
            "verify": False if verify.lower() == "false" else (verify or None),
            # a file read for a response is held in memory up to this size, then spooled to a
            # temporary file (django-storages' default, 0, would hold a 20 MB scan in memory)
            "max_memory_size": int(env("AWS_S3_MAX_MEMORY_SIZE", str(5 * 1024 * 1024))),
        },
    }


STORAGES = {
    "default": media_storage(),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The electronic seal of final PDFs (documents/seal.py): per district `<slug>.p12` (or
# `<code>.p12`) with its passphrase in `<same name>.pass` next to it, else SEAL_PASSPHRASE.
# A district without a file gets unsealed documents; `make demo` creates development ones.
SEAL_DIR = Path(env("SEAL_DIR", str(BASE_DIR / "var" / "seal")))
SEAL_PASSPHRASE = env("SEAL_PASSPHRASE")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# A request whose declared size is over this is refused before its body is read
# (lib.ratelimit.RequestGuardMiddleware): one upload and the form around it.
MAX_REQUEST_BYTES = int(env("MAX_REQUEST_BYTES", str(MAX_UPLOAD_BYTES + 1024 * 1024)))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security headers. Content Security Policy without inline scripts or styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],  # no <base> anywhere (ASVS 5.0 V3.4.3)
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env("TRUST_X_FORWARDED_PROTO") else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preload is a commitment for the whole domain; on by default so that check --deploy is clean.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31536000)

# Celery: Redis broker in production; without REDIS_URL tasks run in-process (make run).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task that runs longer than its time limit is killed; a job's claim lasts as long. The
# broker redelivers an unacknowledged message (its worker was killed) after the visibility
# timeout, which must be longer, so that the redelivered task finds the claim expired.
CELERY_TASK_TIME_LIMIT = int(env("CELERY_TASK_TIME_LIMIT", "900"))
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - min(60, CELERY_TASK_TIME_LIMIT // 10)
CELERY_VISIBILITY_TIMEOUT = int(env("CELERY_VISIBILITY_TIMEOUT", str(CELERY_TASK_TIME_LIMIT + 300)))
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # a request that hands a job over must not hang when Redis is down or hangs (the job
    # then waits for the sweep); above kombu's BRPOP timeout (1 s), which a worker waits on
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Rendering PDFs has its own queue (a worker started with `-Q pdf`), so that a long render never
# holds up reminders and imports; its worker process is recycled after each few tasks and
# whenever it has grown past the memory limit (WeasyPrint's memory is not given back).
CELERY_TASK_DEFAULT_QUEUE = "celery"  # Celery's own default name; `-Q celery` in docker-compose.yml
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(env("CELERY_WORKER_MAX_MEMORY_KB", "600000"))
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(env("CELERY_WORKER_MAX_TASKS_PER_CHILD", "50"))
# a job never handed over (the broker was down), or handed over this long ago and still
# waiting, is handed over again by the sweep: by then the broker has redelivered any message a
# worker took and lost, so one still waiting was lost with the broker (a job waiting behind
# others in the queue is not handed over twice)
JOB_HANDOVER_GRACE_SECONDS = int(env("JOB_HANDOVER_GRACE_SECONDS", str(CELERY_VISIBILITY_TIMEOUT)))
# attempts of a job whose worker dies each time (out of memory, a crash) before it fails with
# a reason on the page; the page's retry allows as many again
JOB_ATTEMPTS = int(env("JOB_ATTEMPTS", "3"))
# a job run within a request (a small document's PDF) holds its claim this long: gunicorn's
# timeout, after which a request that died has left it to a worker
INLINE_JOB_SECONDS = int(env("INLINE_JOB_SECONDS", "120"))
CELERY_TIMEZONE = "UTC"
# beat writes the time of each tick for /healthz (config/heartbeat.py) and ticks at least this
# often (Celery's default is 300 s)
CELERY_BEAT_SCHEDULER = "config.heartbeat:BeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
# 23:00 UTC is 06:00 WIB, 07:00 WITA and 08:00 WIT: reminders arrive at the start of the day.
CELERY_BEAT_SCHEDULE = {
    "deadline-reminders": {
        "task": "convergence.tasks.deadline_reminders",
        "schedule": crontab(hour=23, minute=0),
    },
    # 23:10 UTC is early morning in every Indonesian zone (06:10 WIB … 08:10 WIT)
    "village-report-reminders": {
        "task": "village_reports.tasks.village_report_reminders",
        "schedule": crontab(hour=23, minute=10),
    },
    # 23:30 UTC (06:30 WIB … 08:30 WIT): the roll-up snapshots recomputed every night, so that
    # none is older than a day even where no change queued a refresh
    "rollup-snapshots": {
        "task": "reports.tasks.refresh_all_snapshots",
        "schedule": crontab(hour=23, minute=30),
    },
    # 17:05 UTC is 00:05 WIB (01:05 WITA, 02:05 WIT): a district's report periods for its new
    # year exist from the first minutes of the year
    "village-report-periods": {
        "task": "village_reports.tasks.create_report_periods",
        "schedule": crontab(hour=17, minute=5),
    },
    # jobs that wait for the broker (it was down) or for a worker that is gone
    "job-sweep": {"task": "documents.tasks.sweep_jobs", "schedule": 60.0},
    # a draft of last year's annual evaluation for every district that has that year open or
    # closed: by default on 5 January, 23:45 UTC (06:45 WIB … 08:45 WIT on the 6th)
    "yearly-evaluations": {
        "task": "reports.tasks.render_yearly_evaluations",
        "schedule": crontab(
            minute=env("EVALUATION_SCHEDULE_MINUTE", "45"),
            hour=env("EVALUATION_SCHEDULE_HOUR", "23"),
            day_of_month=env("EVALUATION_SCHEDULE_DAY", "5"),
            month_of_year=env("EVALUATION_SCHEDULE_MONTH", "1"),
        ),
    },
}

# /healthz (config/health.py): the queues that must each have a worker, the free space
# wanted where MEDIA_ROOT lives, and how long one answer is reused within a process.
HEALTH_QUEUES = env_list("HEALTH_QUEUES", "celery,pdf")
HEALTH_MIN_FREE_MB = int(env("HEALTH_MIN_FREE_MB", "1024"))
HEALTH_CACHE_SECONDS = float(env("HEALTH_CACHE_SECONDS", "2"))

# Logs on stderr: one JSON object per line in production (request id, user, district, task
# and job ids: lib/logs.py), plain lines with the request id under `make run`.
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "lib.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "lib.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # a 4xx is in the request line already (konvergensi.request), with the token-bearing
        # URL arguments blanked; Django's own "Not Found: <path>" would log them
        "django.request": {"level": "ERROR"},
    },
}
if CELERY_BROKER_URL == "memory://":
    # in-process tasks (make run): kombu warns that the memory broker names no host
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}
# The Celery worker and beat log through the same handler, not Celery's own (plain) one.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The national region list shipped with the project (Kepmendagri 300.2.2-2138/2025).
REGIONS_DEFAULT_FILE = BASE_DIR / "villages" / "data" / "wilayah-kemendagri-2025.csv"
