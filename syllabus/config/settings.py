"""The one settings module. Every value comes from the environment (see docs/configuration.md).

Embedded defaults need nothing installed: SQLite in WAL mode, a local-memory cache, huey on
SQLite and files on the local disk, all under ``SYLLABUS_DATA_DIR``. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from syllabus.config.database_url import parse_postgres_url
from syllabus.config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_str,
    env_url,
)
from syllabus.config.huey import build_huey

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# --- Core ------------------------------------------------------------------------------

DEBUG = env_bool("SYLLABUS_DEBUG", default=False)
DATA_DIR = Path(env_str("SYLLABUS_DATA_DIR", "var")).resolve()

# Keys that ship in our own files: using one in production is as bad as having none.
KNOWN_DEFAULT_SECRET_KEYS = {"change-me", "changeme", "secret", "dev-insecure-secret-key"}
_secret_key = env_optional("SYLLABUS_SECRET_KEY")
if _secret_key is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SYLLABUS_SECRET_KEY (or SYLLABUS_SECRET_KEY_FILE): production mode "
            "(SYLLABUS_DEBUG off) refuses to start without a secret key. Generate one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    _secret_key = "dev-insecure-secret-key"  # noqa: S105 (development only, refused below in production)  # nosec B105
elif not DEBUG and (
    _secret_key in KNOWN_DEFAULT_SECRET_KEYS
    or _secret_key.startswith("django-insecure")
    or len(_secret_key) < 50
    or len(set(_secret_key)) < 5
):
    raise ImproperlyConfigured(
        "SYLLABUS_SECRET_KEY is a default or too weak (it needs at least 50 characters, not a "
        "published example): production mode refuses to start with it."
    )
SECRET_KEY = _secret_key

ALLOWED_HOSTS = env_list(
    "SYLLABUS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] + (["*"] if DEBUG else [])
)
CSRF_TRUSTED_ORIGINS = env_list("SYLLABUS_CSRF_TRUSTED_ORIGINS")
SITE_NAME = env_str("SYLLABUS_SITE_NAME", "Syllabus")
# The public address, for links in emails sent by background jobs (no request to ask).
SITE_URL = env_url("SYLLABUS_SITE_URL", schemes=("https", "http")) or ""
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "template_partials",
    "ninja",
    "huey.contrib.djhuey",
    "simple_history",
    "corsheaders",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    # Syllabus apps, lowest layer first (see DESIGN.md).
    "syllabus.core",
    "syllabus.audit",
    "syllabus.accounts",
    "syllabus.communication",
    "syllabus.courses",
    "syllabus.learning",
    "syllabus.assessments",
    "syllabus.assignments",
    "syllabus.grades",
    "syllabus.certificates",
    "syllabus.privacy",
    "syllabus.backups",
    "syllabus.reviews",
    "syllabus.compliance",
    "syllabus.ops",
]

MIDDLEWARE = [
    "syllabus.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise so static files carry the policies too; CORS answers preflights early.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the chooser's cookie, else the browser's Accept-Language, else
    # SYLLABUS_LANGUAGE_CODE. After sessions, before CommonMiddleware (Django's order).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's saved language wins over the cookie and the browser.
    "syllabus.accounts.middleware.UserLanguageMiddleware",
    # Read replicas: which database the rest of the request reads from (nothing without
    # replicas). After authentication: a pin after a write follows the user.
    "syllabus.core.replicas.ReplicaMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # NUL characters in paths, queries, forms or JSON: a 400 before any view or database.
    "syllabus.core.middleware.RejectNulMiddleware",
    # After authentication: a session request is counted per user.
    "syllabus.core.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Session limits and MFA enrolment: after authentication and messages.
    "syllabus.accounts.sessions.SessionPolicyMiddleware",
    "syllabus.accounts.middleware.MfaEnrolmentMiddleware",
    # After MFA enrolment: people who have not accepted the current policies accept them.
    "syllabus.privacy.middleware.ConsentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns axes' lockout flag into the response (ours: the wrong-password page).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "syllabus.config.urls"
WSGI_APPLICATION = "syllabus.config.wsgi.application"
ASGI_APPLICATION = "syllabus.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "syllabus.core.context_processors.site",
                "syllabus.accounts.context_processors.security",
                "syllabus.communication.context_processors.notifications",
                "syllabus.ops.context_processors.manage",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------

_database_url = env_optional("DATABASE_URL")
# Several hosts (host1:5432,host2:5432: libpq finds the primary) are checked by the
# PostgreSQL URL parser below; a single host is checked here first.
DATABASE_URL = (
    _database_url
    if _database_url and "," in urlsplit(_database_url).netloc
    else env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
)
DB_POOL_MIN = env_int("SYLLABUS_DB_POOL_MIN", 2, minimum=0)
DB_POOL_MAX = env_int("SYLLABUS_DB_POOL_MAX", 10, minimum=1)
if DB_POOL_MIN > DB_POOL_MAX:
    raise ImproperlyConfigured("SYLLABUS_DB_POOL_MIN must not exceed SYLLABUS_DB_POOL_MAX.")

if DATABASE_URL and not DATABASE_URL.startswith("sqlite"):
    _db: dict[str, Any] = parse_postgres_url(DATABASE_URL, variable="DATABASE_URL")
    # psycopg 3's pool: connections are reused across requests; Django requires
    # CONN_MAX_AGE=0 with it. Timeouts keep a dead server from hanging requests.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "connect_timeout": 5,
        **_db["OPTIONS"],
        "pool": {"min_size": DB_POOL_MIN, "max_size": DB_POOL_MAX, "timeout": 10},
    }
    DATABASES: dict[str, dict[str, Any]] = {"default": _db}
    # Read replicas (DATABASE_REPLICA_URLS): reads of safe requests go to a healthy one;
    # see syllabus.core.replicas for the routing rules.
    for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
        _replica = parse_postgres_url(_url, variable="DATABASE_REPLICA_URLS")
        _replica["CONN_MAX_AGE"] = 0
        _replica["OPTIONS"] = {
            "connect_timeout": 2,
            **_replica["OPTIONS"],
            "pool": {"min_size": 0, "max_size": DB_POOL_MAX, "timeout": 5},
        }
        # Tests run against one database: the replica aliases mirror it.
        _replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica{_index + 1}"] = _replica
else:
    _sqlite_path: Path = (
        Path(DATABASE_URL.removeprefix("sqlite://").removeprefix("/"))
        if DATABASE_URL and DATABASE_URL.removeprefix("sqlite://").strip("/")
        else DATA_DIR / "syllabus.sqlite3"
    )
    _sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _sqlite_path,
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE takes the write
                # lock at BEGIN so concurrent writers wait (busy timeout) instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["TEST"] = {"NAME": None}
IS_POSTGRES = str(DATABASES["default"]["ENGINE"]).endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASE_ROUTERS = ["syllabus.core.replicas.ReplicaRouter"]
# After a request writes, its client reads from the primary for this long.
READ_YOUR_WRITES_SECONDS = env_int("SYLLABUS_READ_YOUR_WRITES_SECONDS", 5, minimum=0, maximum=600)
# A replica whose replay lags more than this is skipped.
REPLICA_MAX_LAG_SECONDS = env_int("SYLLABUS_REPLICA_MAX_LAG_SECONDS", 10, minimum=0, maximum=3600)
# How often each process checks each replica's health and lag.
REPLICA_CHECK_SECONDS = env_int("SYLLABUS_REPLICA_CHECK_SECONDS", 5, minimum=1, maximum=300)
if env_list("DATABASE_REPLICA_URLS") and not (DATABASE_URL or "").startswith("postgres"):
    raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL.")

# --- Cache, sessions, jobs --------------------------------------------------------------

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "syllabus.core.metrics.CountingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "syllabus",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "syllabus.core.metrics.CountingLocMemCache",
            "LOCATION": "syllabus",
        }
    }

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

JOBS_IMMEDIATE = env_bool("SYLLABUS_JOBS_IMMEDIATE", default=False)
JOBS_WORKERS = env_int("SYLLABUS_JOBS_WORKERS", 2, minimum=1, maximum=64)
JOBS_RETRIES = env_int("SYLLABUS_JOBS_RETRIES", 5, minimum=0, maximum=50)
JOBS_RETRY_DELAY = env_int("SYLLABUS_JOBS_RETRY_DELAY", 10, minimum=0)
# How much the worker lowers its own CPU priority (nice), so that on a machine it shares
# with the web server, jobs (certificates, emails, exports) yield the CPU to requests.
JOBS_NICE = env_int("SYLLABUS_JOBS_NICE", 10, minimum=0, maximum=19)
HUEY = build_huey(
    name="syllabus",
    redis_url=REDIS_URL,
    sqlite_path=DATA_DIR / "jobs.sqlite3",
    immediate=JOBS_IMMEDIATE,
)

# Health checks (syllabus.ops.health): each check's time limit, and how long one result is
# reused, so that probes cannot turn into load on the services they check.
HEALTH_TIMEOUT_SECONDS = env_int("SYLLABUS_HEALTH_TIMEOUT_SECONDS", 2, minimum=1, maximum=30)
HEALTH_CACHE_SECONDS = env_int("SYLLABUS_HEALTH_CACHE_SECONDS", 5, minimum=0, maximum=300)

# Metrics (syllabus.core.metrics, GET /metrics): a bearer token for scrapers; without one
# /metrics answers only in DEBUG. Every process of this install writes its samples under
# PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode), read when scraped.
METRICS_TOKEN = env_str("SYLLABUS_METRICS_TOKEN", "")
METRICS_DIR = Path(env_str("PROMETHEUS_MULTIPROC_DIR", str(DATA_DIR / "prometheus"))).resolve()
METRICS_DIR.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
# Business numbers (users, enrolments, ...) are computed at most this often.
METRICS_BUSINESS_SECONDS = env_int("SYLLABUS_METRICS_BUSINESS_SECONDS", 60, minimum=0)
# Per-minute request aggregates for the ops dashboard: written this often (0: never).
METRICS_FLUSH_SECONDS = env_int("SYLLABUS_METRICS_FLUSH_SECONDS", 60, minimum=0, maximum=600)
METRICS_KEEP_DAYS = env_int("SYLLABUS_METRICS_KEEP_DAYS", 30, minimum=1, maximum=366)
# Alerts evaluated by the worker from those aggregates (for installs without Prometheus):
# admins are emailed once per incident. The certificate is read to warn before it expires.
ALERTS_ENABLED = env_bool("SYLLABUS_ALERTS_ENABLED", default=True)
TLS_CERT_FILE = env_str("SYLLABUS_TLS_CERT_FILE", "")

# --- Accounts ---------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses locked-out accounts and addresses before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    # Argon2id with the cost below (syllabus/accounts/hashers.py says why it is a setting).
    "syllabus.accounts.hashers.ConfiguredArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
# A user's site roles, shared between requests in the cache (syllabus.accounts.permissions):
# a change closes the entry at once; this bounds how long an entry lives, and so how long a
# change made while Redis could not be reached may go unseen. 0 reads the database each time.
ROLES_CACHE_SECONDS = env_int("SYLLABUS_ROLES_CACHE_SECONDS", 300, minimum=0, maximum=3600)
# After a change, requests read roles from the database (and cache nothing) for this long.
ROLES_CLOSED_SECONDS = env_int("SYLLABUS_ROLES_CLOSED_SECONDS", 30, minimum=1, maximum=600)

# --- Identity: sign-in, sign-up, passwords, lockout, invitations ------------------------

# Passwords: the seed's rules (length, a mix of character kinds) plus Django's checks for
# common passwords and passwords close to the user's name or email. The first hasher
# (Argon2id) hashes new passwords; older hashes are upgraded at the next sign-in.
# Argon2id's cost: OWASP's recommended configuration by default (19 MiB, 2 passes, 1 lane).
# A hash with other parameters is re-made with these at its owner's next sign-in.
ARGON2_MEMORY_KIB = env_int("SYLLABUS_ARGON2_MEMORY_KIB", 19_456, minimum=19_456, maximum=4_194_304)
ARGON2_TIME_COST = env_int("SYLLABUS_ARGON2_TIME_COST", 2, minimum=1, maximum=16)
ARGON2_PARALLELISM = env_int("SYLLABUS_ARGON2_PARALLELISM", 1, minimum=1, maximum=64)
PASSWORD_MIN_LENGTH = env_int("SYLLABUS_PASSWORD_MIN_LENGTH", 12, minimum=8, maximum=128)
PASSWORD_CLASSES = env_int("SYLLABUS_PASSWORD_CLASSES", 3, minimum=1, maximum=4)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "syllabus.accounts.validators.ComplexityValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH, "min_classes": PASSWORD_CLASSES},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password-reset links: valid this long, and single use (the token covers the password hash).
PASSWORD_RESET_TIMEOUT = (
    env_int("SYLLABUS_PASSWORD_RESET_MINUTES", 60, minimum=5, maximum=7 * 24 * 60) * 60
)

# Sign-up: open (anyone), invite (only through an invitation link) or off.
SIGNUP = env_choice("SYLLABUS_SIGNUP", "invite", ("open", "invite", "off"))
INVITATION_DAYS = env_int("SYLLABUS_INVITATION_DAYS", 7, minimum=1, maximum=90)
ACCOUNT_ADAPTER = "syllabus.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "syllabus.accounts.forms_signin.SignupForm"}
# Self-registered addresses must be confirmed before the first sign-in (mandatory); an
# invitation link confirms its address by itself.
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "SYLLABUS_EMAIL_VERIFICATION", "mandatory", ("mandatory", "optional", "none")
)
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_PASSWORD_INPUT_RENDER_VALUE = False
# axes locks accounts and addresses below; allauth's own failed-login limit would answer a
# locked account differently from a wrong password, telling attackers it exists.
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# Lockout (django-axes): LOCKOUT_ATTEMPTS failures of one account, or from one address,
# lock it for LOCKOUT_MINUTES counted from the failure that locked it.
LOCKOUT_ATTEMPTS = env_int("SYLLABUS_LOCKOUT_ATTEMPTS", 5, minimum=1, maximum=100)
LOCKOUT_MINUTES = env_int("SYLLABUS_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
AXES_ENABLED = True
AXES_FAILURE_LIMIT = LOCKOUT_ATTEMPTS
AXES_COOLOFF_TIME = timedelta(minutes=LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "syllabus.accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "syllabus.accounts.lockout.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "syllabus.accounts.lockout.axes_lockout_response"
AXES_PASSWORD_FORM_FIELD = "password"  # noqa: S105 (a form field name)  # nosec B105
# Masked in what axes stores of a failed attempt's form (its post_data column).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "password",
    "otp_code",
    "code",
    "csrfmiddlewaretoken",
]
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail already
AXES_ENABLE_ADMIN = False  # lockouts are seen and cleared on /account/lockouts/, audited
AXES_VERBOSE = False

# --- Identity: sessions and MFA ------------------------------------------------------------

# Sessions: an idle timeout that every request slides forward, and an absolute lifetime
# counted from sign-in (both enforced by syllabus.accounts.sessions.SessionPolicyMiddleware).
SESSION_IDLE_MINUTES = env_int("SYLLABUS_SESSION_IDLE_MINUTES", 30, minimum=3, maximum=24 * 60)
SESSION_MAX_HOURS = env_int("SYLLABUS_SESSION_MAX_HOURS", 12, minimum=1, maximum=24 * 30)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# MFA policy (the seed: required for admin and instructor, a 7-day grace period).
MFA_REQUIRED_ROLES = env_list("SYLLABUS_MFA_REQUIRED_ROLES", ["admin", "instructor"])
MFA_GRACE_DAYS = env_int("SYLLABUS_MFA_GRACE_DAYS", 7, minimum=0, maximum=365)
MFA_RECENT_MINUTES = env_int("SYLLABUS_MFA_RECENT_MINUTES", 15, minimum=1, maximum=24 * 60)
# allauth's own "confirm it is you" pages (adding or removing a factor) use the same window.
ACCOUNT_REAUTHENTICATION_TIMEOUT = MFA_RECENT_MINUTES * 60

# allauth.mfa: TOTP, the seed's 8 recovery codes (shown once; their seed and TOTP secrets
# are encrypted by our adapter), WebAuthn security keys and passkeys. One-time codes by
# email and SMS are ours (syllabus.accounts.one_time_codes); the forms accept them too.
MFA_ADAPTER = "syllabus.accounts.mfa_adapter.MfaAdapter"
MFA_FORMS = {
    "authenticate": "syllabus.accounts.mfa_adapter.SignInCodeForm",
    "reauthenticate": "syllabus.accounts.mfa_adapter.ReauthenticateCodeForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_RECOVERY_CODE_COUNT = 8
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_PASSKEY_LOGIN_ENABLED = env_bool("SYLLABUS_PASSKEY_LOGIN", default=True)
# Browsers only offer WebAuthn on HTTPS (and localhost); plain-HTTP origins are for development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# Circuit breakers for calls to other systems (syllabus.core.breakers; the seed's 3.3).
BREAKER_FAILURES = env_int("SYLLABUS_BREAKER_FAILURES", 5, minimum=1, maximum=100)
BREAKER_RESET_SECONDS = env_int("SYLLABUS_BREAKER_RESET_SECONDS", 60, minimum=1, maximum=3600)

# Text messages for one-time codes (syllabus.communication.sms).
SMS_GATEWAY = env_choice("SYLLABUS_SMS_GATEWAY", "console", ("console", "http"))
SMS_GATEWAY_URL = env_url("SYLLABUS_SMS_GATEWAY_URL", schemes=("https", "http")) or ""
SMS_GATEWAY_TOKEN = env_str("SYLLABUS_SMS_GATEWAY_TOKEN", "")
if SMS_GATEWAY == "http" and not SMS_GATEWAY_URL:
    raise ImproperlyConfigured("SYLLABUS_SMS_GATEWAY=http needs SYLLABUS_SMS_GATEWAY_URL.")

# --- Identity: API tokens, rate limits, CORS and security headers --------------------------

# Personal API tokens always expire: within SYLLABUS_API_TOKEN_MAX_DAYS, after
# SYLLABUS_API_TOKEN_DEFAULT_DAYS when no expiry is chosen (and for POST /api/v1/auth/token).
API_TOKEN_MAX_DAYS = env_int("SYLLABUS_API_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650)
API_TOKEN_DEFAULT_DAYS = env_int("SYLLABUS_API_TOKEN_DEFAULT_DAYS", 90, minimum=1, maximum=3650)
if API_TOKEN_DEFAULT_DAYS > API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured(
        "SYLLABUS_API_TOKEN_DEFAULT_DAYS must not exceed SYLLABUS_API_TOKEN_MAX_DAYS."
    )


def _rate(name: str, default: str) -> str:
    """A rate such as 100/minute: a count, a slash, and second, minute, hour or day."""
    value = env_str(name, default).strip().lower()
    count, _, unit = value.partition("/")
    if (
        not count.strip().isdigit()
        or int(count) < 1
        or unit.strip().rstrip("s")
        not in {
            "second",
            "minute",
            "hour",
            "day",
        }
    ):
        raise ImproperlyConfigured(
            f"{name} must look like 100/minute (a count, then /second, /minute, /hour or "
            f"/day); got {value!r}."
        )
    return f"{int(count)}/{unit.strip().rstrip('s')}"


# Rate limits (syllabus.core.ratelimit): moving windows, shared through Redis when
# REDIS_URL is set. API requests count per token, per signed-in user, else per client IP;
# sign-in, MFA code, password reset and token requests also count per client IP.
RATE_LIMIT_ENABLED = env_bool("SYLLABUS_RATE_LIMIT_ENABLED", default=True)
RATE_LIMIT_API = _rate("SYLLABUS_RATE_LIMIT_API", "100/minute")
RATE_LIMIT_AUTH = _rate("SYLLABUS_RATE_LIMIT_AUTH", "10/minute")
RATE_LIMIT_STORAGE_URL = REDIS_URL or "memory://"
RATE_LIMIT_API_PREFIX = "/api/"
# POSTs to these paths count against SYLLABUS_RATE_LIMIT_AUTH ("/" at the end: and below).
RATE_LIMIT_AUTH_PATHS = [
    "/accounts/login/",  # with /accounts/login/code/confirm/ (one-time codes)
    "/accounts/reauthenticate/",
    "/accounts/2fa/authenticate/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/password/reset/",  # the request form and the emailed link's form
    "/account/mfa/",  # one-time codes sent by email or SMS, and checking them
    "/account/security/codes/",  # confirming a phone or email for one-time codes
    "/api/v1/auth/token",
]

# CORS (django-cors-headers), for the API only, with the seed's settings. Cross-origin
# scripts authenticate with bearer tokens; cookies are sent, CSRF still applies to them.
CORS_ALLOWED_ORIGINS = env_list("SYLLABUS_CORS_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_METHODS = ["DELETE", "GET", "OPTIONS", "POST", "PUT"]
CORS_ALLOW_HEADERS = ["authorization", "content-type"]
CORS_EXPOSE_HEADERS = [
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Retry-After",
    "X-Request-ID",
]
CORS_PREFLIGHT_MAX_AGE = 600

# Content Security Policy (django-csp): scripts from our origin or with the response's
# nonce, never inline code or styles; no framing, plugins, or foreign form targets.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features (django-permissions-policy): off, except passkeys and security keys
# (WebAuthn), copying to the clipboard, and full screen or picture-in-picture for videos.
# Only features browsers know: Chromium warns on every page about any other name
# ("bluetooth" is one: Web Bluetooth asks the user each time and has no policy there).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
    "clipboard-write": ["self"],
    "fullscreen": ["self"],
    "picture-in-picture": ["self"],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# --- Internationalisation ----------------------------------------------------------------

# The languages Syllabus ships a complete translation of (the chooser offers these). Each
# app keeps its messages in its own locale/ folder; the site-wide templates' are here.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# English dates as "26 November 2026, 14:30" (Django's own English is American).
FORMAT_MODULE_PATH = ["syllabus.formats"]
LANGUAGE_CODE = env_str("SYLLABUS_LANGUAGE_CODE", "en").lower()
if LANGUAGE_CODE not in {code for code, _ in LANGUAGES}:
    raise ImproperlyConfigured(
        "SYLLABUS_LANGUAGE_CODE must be one of the languages Syllabus ships: "
        f"{', '.join(code for code, _ in LANGUAGES)}; got {LANGUAGE_CODE!r}."
    )
# The chooser's choice, for a year; Secure like the session cookie (set with it below).
LANGUAGE_COOKIE_NAME = "syllabus_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("SYLLABUS_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"SYLLABUS_TIME_ZONE must be an IANA time zone such as Europe/Paris; got {TIME_ZONE!r}."
    ) from None
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------

STATIC_URL = "/static/"
# Collected static files. Container images collect them at build time into a read-only
# folder of their own (the Dockerfile sets SYLLABUS_STATIC_ROOT=/opt/syllabus/static).
STATIC_ROOT = Path(env_str("SYLLABUS_STATIC_ROOT", str(DATA_DIR / "static"))).resolve()
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Private files (lesson videos, captions, documents) are handed to browsers as short-lived
# signed URLs (syllabus.core.signed_media) under MEDIA_URL: this server's /media/ by
# default, or a CDN's base URL whose origin is this server's /media/ (SYLLABUS_MEDIA_URL).
_media_cdn = env_url("SYLLABUS_MEDIA_URL", schemes=("https", "http"))
if _media_cdn and not _media_cdn.endswith("/"):
    raise ImproperlyConfigured("SYLLABUS_MEDIA_URL must end with a slash, like https://cdn/media/.")
MEDIA_URL = _media_cdn or "/media/"
MEDIA_CDN = _media_cdn is not None
MEDIA_ROOT = DATA_DIR / "media"
SIGNED_URL_SECONDS = env_int("SYLLABUS_SIGNED_URL_SECONDS", 300, minimum=10, maximum=86400)
if _media_cdn:
    # Videos, captions and images may come from the CDN: its origin, nothing wider.
    _cdn = urlsplit(_media_cdn)
    for _directive in ("img-src", "media-src"):
        _sources = CONTENT_SECURITY_POLICY["DIRECTIVES"].setdefault(_directive, ["'self'"])
        _sources.append(f"{_cdn.scheme}://{_cdn.netloc}")
# Uploaded files (course images, videos, captions, documents): local disk by default, or
# an S3-compatible bucket shared by every app server.
STORAGE_BACKEND = env_choice("SYLLABUS_STORAGE", "local", ("local", "s3"))
if STORAGE_BACKEND == "s3":
    from botocore.config import Config as _BotoConfig

    _default_storage: dict[str, Any] = {
        "BACKEND": "syllabus.core.storage_s3.GuardedS3Storage",
        "OPTIONS": {
            "bucket_name": env_str("SYLLABUS_S3_BUCKET"),
            "endpoint_url": env_optional("SYLLABUS_S3_ENDPOINT_URL"),
            "region_name": env_optional("SYLLABUS_S3_REGION"),
            "access_key": env_optional("SYLLABUS_S3_ACCESS_KEY_ID"),
            "secret_key": env_optional("SYLLABUS_S3_SECRET_ACCESS_KEY"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # Short timeouts: a bucket that does not answer trips the storage breaker
            # instead of holding requests for botocore's default minute.
            "client_config": _BotoConfig(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}
            ),
        },
    }
else:
    _default_storage = {"BACKEND": "syllabus.core.storage.GuardedFileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "syllabus.core.storage.StaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000  # hashed names: cache for a year
# Files browsers ask for at the site's root: /favicon.ico, which pages without our layout
# (the Django admin, the API docs) do not link, would otherwise be a 404 on every first visit.
WHITENOISE_ROOT = PACKAGE_DIR / "core" / "root_files"

# Upload limits, checked by size and by content (not only by the file name).
UPLOAD_MAX_IMAGE_MB = env_int("SYLLABUS_UPLOAD_MAX_IMAGE_MB", 5, minimum=1, maximum=100)
UPLOAD_MAX_VIDEO_MB = env_int("SYLLABUS_UPLOAD_MAX_VIDEO_MB", 500, minimum=1, maximum=20_000)
UPLOAD_MAX_FILE_MB = env_int("SYLLABUS_UPLOAD_MAX_FILE_MB", 50, minimum=1, maximum=5_000)
UPLOAD_MAX_CAPTIONS_KB = env_int("SYLLABUS_UPLOAD_MAX_CAPTIONS_KB", 1024, minimum=1)
UPLOAD_MAX_CSV_KB = env_int("SYLLABUS_UPLOAD_MAX_CSV_KB", 2048, minimum=1)
UPLOAD_IMAGE_TYPES = env_list("SYLLABUS_UPLOAD_IMAGE_TYPES", ["png", "jpg", "webp", "gif"])
UPLOAD_VIDEO_TYPES = env_list("SYLLABUS_UPLOAD_VIDEO_TYPES", ["mp4", "webm"])
UPLOAD_FILE_TYPES = env_list(
    "SYLLABUS_UPLOAD_FILE_TYPES",
    ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "txt", "csv", "png", "jpg", "zip"],
)

# --- Courses and learning ------------------------------------------------------------------

# A video lesson is complete once this share of it has been watched.
VIDEO_COMPLETION_PERCENT = env_int("SYLLABUS_VIDEO_COMPLETION_PERCENT", 90, minimum=1, maximum=100)
# Course metadata and outlines in the cache (invalidated by the services that change them).
COURSE_CACHE_SECONDS = env_int("SYLLABUS_COURSE_CACHE_SECONDS", 3600, minimum=0, maximum=86400)
# Whole API answers that are the same for everyone with the same view (the catalog, its
# categories and tags): changes clear them at once; this bounds changes made behind
# Syllabus's back. 0 turns the API response cache off.
API_CACHE_SECONDS = env_int("SYLLABUS_API_CACHE_SECONDS", 60, minimum=0, maximum=3600)
CATALOG_PAGE_SIZE = env_int("SYLLABUS_CATALOG_PAGE_SIZE", 12, minimum=1, maximum=100)
# Daily email digests of notifications go out at this hour (TIME_ZONE).
NOTIFICATION_DIGEST_HOUR = env_int("SYLLABUS_NOTIFICATION_DIGEST_HOUR", 7, minimum=0, maximum=23)

# --- Security ----------------------------------------------------------------------------

TLS = env_bool("SYLLABUS_TLS", default=False)
if env_bool("SYLLABUS_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env_int("SYLLABUS_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
SECURE_SSL_REDIRECT = TLS
# Load balancers probe over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health(/|$)", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SYLLABUS_HSTS_SECONDS", 31536000, minimum=0) if TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SYLLABUS_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = TLS
LANGUAGE_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Preloading commits a domain to browsers' built-in lists; it stays an explicit opt-in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SYLLABUS_MAX_REQUEST_BYTES", 2_621_440, minimum=1024)

# --- Logging -----------------------------------------------------------------------------

LOG_LEVEL = env_choice(
    "SYLLABUS_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
).upper()
LOG_FORMAT = env_choice("SYLLABUS_LOG_FORMAT", "json", ("json", "console"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structlog": {"()": "syllabus.core.logging.build_formatter", "fmt": LOG_FORMAT},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "structlog",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our access log replaces Django's and gunicorn's per-request lines.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # With a handler of its own, huey's consumer does not add its plain-text one.
        "huey": {"level": LOG_LEVEL, "handlers": ["stdout"], "propagate": False},
    },
}

# --- Email -------------------------------------------------------------------------------

EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if env_optional("SYLLABUS_SMTP_HOST") is None
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("SYLLABUS_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("SYLLABUS_SMTP_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("SYLLABUS_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("SYLLABUS_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SYLLABUS_SMTP_STARTTLS", default=True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("SYLLABUS_FROM_EMAIL", "Syllabus <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CSRF_FAILURE_VIEW = "syllabus.core.views.csrf_failure"

# --- Assignments ---------------------------------------------------------------------------

# Learners' submitted files: at most this many per submission, each at most this large
# (and within SYLLABUS_UPLOAD_MAX_FILE_MB, whose type and content checks they also pass).
ASSIGNMENT_MAX_FILE_MB = env_int("SYLLABUS_ASSIGNMENT_MAX_FILE_MB", 20, minimum=1, maximum=5_000)
ASSIGNMENT_MAX_FILES = env_int("SYLLABUS_ASSIGNMENT_MAX_FILES", 5, minimum=1, maximum=50)
# Versions a learner may hand in for one assignment (resubmissions included).
ASSIGNMENT_MAX_VERSIONS = env_int("SYLLABUS_ASSIGNMENT_MAX_VERSIONS", 20, minimum=1, maximum=500)

# --- FERPA directory information -----------------------------------------------------------
# Fields a learner's directory opt-out withholds from rosters, listings and the API.
DIRECTORY_FIELDS = env_list("SYLLABUS_DIRECTORY_FIELDS", ["full_name", "email"])
if unknown := set(DIRECTORY_FIELDS) - {"full_name", "email"}:
    raise ImproperlyConfigured(
        f"SYLLABUS_DIRECTORY_FIELDS may list full_name and email; got {', '.join(sorted(unknown))}."
    )

# --- Access reviews -------------------------------------------------------------------------
# A role holder with no sign-in for this many days is flagged as a leaver in reviews.
ACCESS_REVIEW_INACTIVE_DAYS = env_int("SYLLABUS_ACCESS_REVIEW_INACTIVE_DAYS", 90, minimum=1)
# Reviewers have this many days to decide.
ACCESS_REVIEW_DUE_DAYS = env_int("SYLLABUS_ACCESS_REVIEW_DUE_DAYS", 14, minimum=1, maximum=365)

# --- Certificates ---------------------------------------------------------------------------

# Looking up certificate codes (the public verification page and its API) counts per
# client IP against this rate, so codes cannot be enumerated.
CERTIFICATE_VERIFY_RATE = _rate("SYLLABUS_CERTIFICATE_VERIFY_RATE", "30/minute")

# --- Field encryption ----------------------------------------------------------------------

# The key ring of syllabus.core.crypto (docs/encryption.md): "<id>:<base64 of 32 bytes>,...",
# the first key current. Production refuses to start without one; development keeps a
# generated ring in SYLLABUS_DATA_DIR/field_keys (mode 0600, never committed).
FIELD_KEYS = env_optional("SYLLABUS_FIELD_KEYS") or ""
if not FIELD_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SYLLABUS_FIELD_KEYS (or SYLLABUS_FIELD_KEYS_FILE): production mode refuses "
            "to start without field encryption keys. Generate one with: "
            "syllabus generate-field-key"
        )
    _field_keys_file = DATA_DIR / "field_keys"
    if not _field_keys_file.exists():
        import base64 as _base64

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        _fd = os.open(_field_keys_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(_fd, "w") as _out:
            _out.write("dev1:" + _base64.b64encode(os.urandom(32)).decode() + "\n")
    FIELD_KEYS = _field_keys_file.read_text(encoding="utf-8").strip()
from syllabus.core.crypto import KeyRing as _KeyRing  # noqa: E402 (validates at start-up)

_KeyRing.parse(FIELD_KEYS)
# Uploaded files on S3 are written with server-side encryption: AES256 (S3-managed keys)
# or aws:kms (with SYLLABUS_S3_KMS_KEY_ID, else the bucket's default KMS key).
S3_SSE = env_choice("SYLLABUS_S3_SSE", "none", ("none", "aes256", "aws:kms"))
S3_KMS_KEY_ID = env_optional("SYLLABUS_S3_KMS_KEY_ID")
if S3_KMS_KEY_ID and S3_SSE != "aws:kms":
    raise ImproperlyConfigured("SYLLABUS_S3_KMS_KEY_ID needs SYLLABUS_S3_SSE=aws:kms.")
if STORAGE_BACKEND == "s3" and S3_SSE != "none":
    _default_storage["OPTIONS"]["object_parameters"] = {
        "ServerSideEncryption": "AES256" if S3_SSE == "aes256" else "aws:kms",
        **({"SSEKMSKeyId": S3_KMS_KEY_ID} if S3_KMS_KEY_ID else {}),
    }

# --- Backups ---------------------------------------------------------------------------

# Backups (syllabus.backups): encrypted archives of the database and uploaded files, in a
# folder or an S3 bucket. Keys: 32 random bytes in base64, comma-separated; the first
# encrypts, all decrypt (older keys stay listed until their archives have expired).
from syllabus.backups.crypto import parse_key as _parse_backup_key  # noqa: E402

BACKUP_KEYS = env_list("SYLLABUS_BACKUP_KEY")
for _backup_key in BACKUP_KEYS:
    try:
        _parse_backup_key(_backup_key)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"SYLLABUS_BACKUP_KEY holds a key that is not 32 bytes in base64 ({_exc})."
        ) from None
BACKUP_DIR = Path(env_str("SYLLABUS_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
BACKUP_S3_BUCKET = env_str("SYLLABUS_BACKUP_S3_BUCKET", "")
BACKUP_S3_PREFIX = env_str("SYLLABUS_BACKUP_S3_PREFIX", "backups")
# The bucket's endpoint and credentials default to those of the uploaded-files bucket.
BACKUP_S3_OPTIONS = {
    "bucket_name": BACKUP_S3_BUCKET,
    "endpoint_url": env_optional("SYLLABUS_BACKUP_S3_ENDPOINT_URL")
    or env_optional("SYLLABUS_S3_ENDPOINT_URL"),
    "region_name": env_optional("SYLLABUS_BACKUP_S3_REGION") or env_optional("SYLLABUS_S3_REGION"),
    "access_key": env_optional("SYLLABUS_BACKUP_S3_ACCESS_KEY_ID")
    or env_optional("SYLLABUS_S3_ACCESS_KEY_ID"),
    "secret_key": env_optional("SYLLABUS_BACKUP_S3_SECRET_ACCESS_KEY")
    or env_optional("SYLLABUS_S3_SECRET_ACCESS_KEY"),
}
BACKUP_MEDIA = env_bool("SYLLABUS_BACKUP_MEDIA", default=True)
BACKUP_RETENTION_DAYS = env_int("SYLLABUS_BACKUP_RETENTION_DAYS", 30, minimum=1, maximum=3650)
# The worker takes, verifies and prunes the daily backup at this hour (UTC, as huey runs).
BACKUP_DAILY = env_bool("SYLLABUS_BACKUP_DAILY", default=True)
BACKUP_HOUR = env_int("SYLLABUS_BACKUP_HOUR", 2, minimum=0, maximum=23)
# /health reports "error" when the last backup failed or is older than this.
BACKUP_MAX_AGE_HOURS = env_int("SYLLABUS_BACKUP_MAX_AGE_HOURS", 26, minimum=1, maximum=24 * 60)

# --- Privacy and retention ---------------------------------------------------------------

# The seed's data retention table (6.2), in days: user profiles (active + 3 years, then
# secure deletion), course progress (active + 7 years, then anonymisation), assessment
# results (active + 7 years, then archive), system logs (1 year, then deletion), privacy
# records such as consents and data requests (7 years, then archive). "Active" means the
# last sign-in or learning activity (docs/privacy.md). Audit events follow their own
# categories (seed 6.1, syllabus.audit.catalog).
RETENTION_PROFILE_DAYS = env_int("SYLLABUS_RETENTION_PROFILE_DAYS", 3 * 365, minimum=30)
RETENTION_PROGRESS_DAYS = env_int("SYLLABUS_RETENTION_PROGRESS_DAYS", 7 * 365, minimum=30)
RETENTION_ASSESSMENT_DAYS = env_int("SYLLABUS_RETENTION_ASSESSMENT_DAYS", 7 * 365, minimum=30)
RETENTION_SYSTEM_LOG_DAYS = env_int("SYLLABUS_RETENTION_SYSTEM_LOG_DAYS", 365, minimum=1)
RETENTION_AUDIT_LOG_DAYS = env_int("SYLLABUS_RETENTION_AUDIT_LOG_DAYS", 7 * 365, minimum=365)
# Notifications are deleted this long after they were read (unread ones after a year).
RETENTION_NOTIFICATION_READ_DAYS = env_int(
    "SYLLABUS_RETENTION_NOTIFICATION_READ_DAYS", 180, minimum=1
)
# Archived records: JSON Lines files with their SHA-256 in a manifest, one folder per run.
RETENTION_ARCHIVE_DIR = Path(
    env_str("SYLLABUS_RETENTION_ARCHIVE_DIR", str(DATA_DIR / "archives"))
).resolve()
# Rows (or people) per transaction; each batch records where the run has got to.
RETENTION_BATCH_SIZE = env_int("SYLLABUS_RETENTION_BATCH_SIZE", 200, minimum=1, maximum=10_000)
# A data export (GDPR access request) can be downloaded for this many days.
PRIVACY_EXPORT_DAYS = env_int("SYLLABUS_PRIVACY_EXPORT_DAYS", 7, minimum=1, maximum=30)

# --- Web server (read by `syllabus serve`) --------------------------------------------------

WEB_WORKERS = env_int("SYLLABUS_WEB_WORKERS", 2, minimum=1, maximum=64)
WEB_THREADS = env_int("SYLLABUS_WEB_THREADS", 8, minimum=1, maximum=256)
WEB_TIMEOUT = env_int("SYLLABUS_WEB_TIMEOUT", 30, minimum=5, maximum=600)
# Seconds an idle kept-alive connection stays open (gthread and asgi; sync workers close
# after each response). Longer than the proxy's own idle timeout for its upstream
# connections (nginx: keepalive_timeout 60s in deploy/nginx), or the proxy sends a request
# on a connection the server is closing: nginx answers such a POST with 502.
WEB_KEEPALIVE = env_int("SYLLABUS_WEB_KEEPALIVE", 75, minimum=1, maximum=3600)
# gunicorn's worker class: gthread, sync, or asgi (uvicorn); bench/RESULTS.md has the numbers.
WEB_WORKER_CLASS = env_choice("SYLLABUS_WEB_WORKER_CLASS", "gthread", ("gthread", "sync", "asgi"))
