"""rentcenter settings.

One module for every environment: each difference between a developer's laptop, CI and
production is an environment variable, read with the small helpers below. A value that cannot
be understood stops the process with ImproperlyConfigured naming the variable, so a typo in a
deployment never turns into a silently different site. README.md lists every variable.
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlimits(name: str, default: str) -> tuple[tuple[int, int], ...]:
    """Rate limits written `count/seconds`, comma-separated: "1/60,5/3600"."""
    value = os.environ.get(name, default)
    limits = []
    for item in value.split(","):
        count, _, seconds = item.strip().partition("/")
        if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) >= 60):
            raise ImproperlyConfigured(
                f"{name} must be comma-separated count/seconds limits with at least 60 seconds "
                f"each (e.g. 5/3600), not {value!r}"
            )
        limits.append((int(count), int(seconds)))
    return tuple(limits)


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Core ------------------------------------------------------------------------------------------

# Debug is off unless asked for: a deployment that forgets the variable must not serve debug
# pages, a development key and /dev/sms/ (OWASP ASVS 5.0 §13.4). `make run` and the tests set
# DEBUG=1; without it the site needs SECRET_KEY and refuses debug-only options.
DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off; on a development machine run "
            "management commands with DEBUG=1 (as the Makefile does)"
        )
    SECRET_KEY = "django-insecure-local-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# Everything the site writes at run time (SQLite database, uploads) lives under var/.
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# A worker renders a record's PDF when the applicant opens the record page (where 导出 PDF is),
# so the export reads a stored file (applications/tasks.py). The tests turn it off but where
# they test it.
RECORD_PDF_AHEAD = envbool("RECORD_PDF_AHEAD", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "accounts",
    "projects",
    "plans",
    "applications",
    "lottery",
    # After the draw: 房源, 资格复核, 选房, 签约 (above lottery, below demo).
    "allocation",
    # 个人信息: the applicant's rights over what every room holds (README, "Personal data").
    "privacy",
    # Demo seeding sits on top of every room (README, "The room order").
    "demo",
    # The site's own management commands (check_documents); it holds no models.
    "rentcenter",
]

MIDDLEWARE = [
    # One log line per request with its id (rentcenter/logs.py).
    "rentcenter.logs.RequestLogMiddleware",
    "rentcenter.health.ProbeMiddleware",
    # A NUL anywhere in the query is a 400 before anything reads it (rentcenter/http.py).
    "rentcenter.http.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Outside the page cache, so cached pages get the same headers.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous visits to cached public pages are answered here (rentcenter/pagecache.py).
    "rentcenter.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # django.contrib.auth's, with an applicant's user from the shared cache (accounts/usercache.py).
    "accounts.usercache.CachedAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    # A signed-in applicant agrees to a new 个人信息处理规则 before going on (accounts/consent.py).
    "accounts.middleware.ConsentMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "rentcenter.urls"
WSGI_APPLICATION = "rentcenter.wsgi.application"
ASGI_APPLICATION = "rentcenter.asgi.application"

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
                "rentcenter.context_processors.site",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "rentcenter.pagecache",
                "rentcenter.dates",
            ],
        },
    },
]

# Database --------------------------------------------------------------------------------------

DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections with health checks by default; DATABASE_POOL=1 uses psycopg's
    # connection pool instead (the two are exclusive in Django).
    _pool = envbool("DATABASE_POOL", False)
    _default_db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=0 if _pool else envint("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=not _pool,
    )
    if _pool:
        _default_db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("DATABASE_POOL_MIN", 2),
            "max_size": envint("DATABASE_POOL_MAX", 10),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        # IMMEDIATE transactions and WAL let the development server take concurrent writes
        # without "database is locked" errors.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
        },
    }
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache -----------------------------------------------------------------------------------------

REDIS_URL = envstr("REDIS_URL")
# Rate limits, captcha answers and the SMS circuit breaker must be shared by every worker: with
# a cache per process, four workers allowed four times the limits. One process alone (a small
# deployment with a single worker) may say so with ALLOW_LOCAL_CACHE=1.
ALLOW_LOCAL_CACHE = envbool("ALLOW_LOCAL_CACHE", False)
if not DEBUG and not REDIS_URL and not ALLOW_LOCAL_CACHE:
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is off (or ALLOW_LOCAL_CACHE=1 for a single process)"
    )
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "rentcenter.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "rentcenter"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Public pages (home, 配租公告, 项目详情, 户型详情) are served from that cache until the catalogue
# changes or a plan crosses a boundary (rentcenter/pagecache.py), and at most this long.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600)
# Browsers revalidate an anonymous public page every time they show it (a 304 from the page
# cache); nginx or a CDN may answer for it this many seconds (s-maxage, never past a boundary),
# so a staff edit reaches every visitor within this time and a second.
PUBLIC_PAGE_SHARED_MAX_AGE = envint("PUBLIC_PAGE_SHARED_MAX_AGE", 5)

# Accounts and sessions -------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "plans:home"
LOGOUT_REDIRECT_URL = "plans:home"
PHONENUMBER_DEFAULT_REGION = "CN"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
# With Redis, sessions are read from the cache and written through to the database: thousands of
# applicants in the first hour of a window cost no session query per page.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A signed-in session ends after 30 minutes without a request and 12 hours after the login,
# whatever happens in between (OWASP ASVS 5.0 §7.3); accounts.middleware enforces both.
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# Behind nginx, which terminates TLS and sets X-Forwarded-Proto.
if envbool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Behind the TLS-terminating nginx, plain HTTP never reaches Django: nginx answers it with the
# redirect to HTTPS (README, "Deploying for real"), so Django's own redirect is not wanted and
# `check --deploy` is told so. Anywhere else the warning stays.
SILENCED_SYSTEM_CHECKS = (
    ["security.W008"]
    if envbool("TRUST_X_FORWARDED_PROTO", False) and not SECURE_SSL_REDIRECT
    else []
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Every page may run only the site's own script files and style sheets: no inline script or
# style, no eval, no plugin, no framing (OWASP ASVS 5.0 §3.4.3). htmx is told not to inject its
# indicator styles (base.html); public pages are cached, so the policy holds no per-request
# nonce. Responses that set their own policy (media and documents: a sandbox) keep it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features the site never uses are turned off for it and anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "display-capture",
        "encrypted-media",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    ]
}

# Accounts, SMS and identity --------------------------------------------------------------------

# How text messages leave the site (rentcenter/sms.py): console prints them (local use), file
# appends one JSON line per message to SMS_FILE_PATH, locmem keeps them in memory (tests), http
# posts them to the SMS gateway at SMS_GATEWAY_URL with SMS_GATEWAY_KEY.
SMS_BACKEND = envstr("SMS_BACKEND", "console").strip().lower()
if SMS_BACKEND not in {"console", "file", "locmem", "http"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be one of console, file, locmem, http, not {SMS_BACKEND!r}"
    )
SMS_FILE_PATH = Path(envstr("SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl")))
SMS_GATEWAY_URL = envstr("SMS_GATEWAY_URL")
SMS_GATEWAY_KEY = envstr("SMS_GATEWAY_KEY")
# Seconds the http backend waits for the gateway's answer; longer counts as a failure, retried
# by the outbox (messaging/outbox.py).
SMS_GATEWAY_TIMEOUT = envint("SMS_GATEWAY_TIMEOUT", 5)
if SMS_BACKEND == "http" and not (SMS_GATEWAY_URL and SMS_GATEWAY_KEY):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL and SMS_GATEWAY_KEY")
if SMS_GATEWAY_URL and not SMS_GATEWAY_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SMS_GATEWAY_URL must be an http(s):// address")

# How many texts may be sent (accounts/otp.py), as count/seconds: per phone, and per client
# address. An address is often shared on opening day (an office's NAT, a carrier's gateway for
# thousands of phones), so its limit is high; the per-phone limits stop bombing one number.
SMS_PHONE_LIMITS = envlimits("SMS_PHONE_LIMITS", "1/60,5/3600,10/86400")
SMS_ADDRESS_LIMITS = envlimits("SMS_ADDRESS_LIMITS", "200/3600")
# The circuit breaker against SMS pumping: when the whole site sends more texts than this in a
# minute, every further send needs a captcha drawn within SMS_SURGE_CAPTCHA_SECONDS (no stock
# of images solved in advance) and staff see an alert on the plans' dashboards. Set it above
# the busiest minute a real opening brings.
SMS_SITE_CEILING_PER_MINUTE = envint("SMS_SITE_CEILING_PER_MINUTE", 1000)
SMS_SURGE_CAPTCHA_SECONDS = envint("SMS_SURGE_CAPTCHA_SECONDS", 60)
if SMS_SITE_CEILING_PER_MINUTE < 1 or SMS_SURGE_CAPTCHA_SECONDS < 10:
    raise ImproperlyConfigured(
        "SMS_SITE_CEILING_PER_MINUTE must be at least 1 and SMS_SURGE_CAPTCHA_SECONDS at least 10"
    )

# /dev/sms/ lists the last texts (and so their codes) to log in locally without a phone: only
# when asked for, and never with DEBUG off.
DEV_SMS_PAGE = envbool("DEV_SMS_PAGE", False)
if DEV_SMS_PAGE and not DEBUG:
    raise ImproperlyConfigured("DEV_SMS_PAGE must not be on when DEBUG is off")

# Automated tests of a running site answer the image captcha with "PASSED". Never in production.
CAPTCHA_TEST_MODE = envbool("CAPTCHA_TEST_MODE", False)
if CAPTCHA_TEST_MODE and not DEBUG:
    raise ImproperlyConfigured("CAPTCHA_TEST_MODE must not be on when DEBUG is off")

# Who compares a name with an ID number (accounts/realname.py): "http" asks the operator's
# identity-check service at IDENTITY_SERVICE_URL, "local" accepts what passes the GB 11643-1999
# checks (names compared with nothing: check --deploy says so), "refuse" refuses everyone (a
# test double), or a dotted path to a class. Production names it: no silent "local".
IDENTITY_VERIFIER = envstr("IDENTITY_VERIFIER").strip()
if not IDENTITY_VERIFIER:
    if not DEBUG:
        raise ImproperlyConfigured(
            "IDENTITY_VERIFIER must be set when DEBUG is off: http (the operator's identity-check "
            "service, with IDENTITY_SERVICE_URL and IDENTITY_SERVICE_KEY) or local (the ID "
            "number's own checks only, names compared with nothing)"
        )
    IDENTITY_VERIFIER = "local"
if IDENTITY_VERIFIER not in {"local", "refuse", "http"} and "." not in IDENTITY_VERIFIER:
    raise ImproperlyConfigured(
        "IDENTITY_VERIFIER must be http, local, refuse or the dotted path of a verifier class, "
        f"not {IDENTITY_VERIFIER!r}"
    )
if IDENTITY_VERIFIER == "refuse" and not DEBUG:
    raise ImproperlyConfigured("IDENTITY_VERIFIER=refuse is a test double; not with DEBUG off")
IDENTITY_SERVICE_URL = envstr("IDENTITY_SERVICE_URL")
IDENTITY_SERVICE_KEY = envstr("IDENTITY_SERVICE_KEY")
# Seconds to wait for one answer; the verifier tries three times before telling the applicant.
IDENTITY_SERVICE_TIMEOUT = envint("IDENTITY_SERVICE_TIMEOUT", 3)
if IDENTITY_VERIFIER == "http" and not (IDENTITY_SERVICE_URL and IDENTITY_SERVICE_KEY):
    raise ImproperlyConfigured(
        "IDENTITY_VERIFIER=http needs IDENTITY_SERVICE_URL and IDENTITY_SERVICE_KEY"
    )
if IDENTITY_SERVICE_URL and not IDENTITY_SERVICE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("IDENTITY_SERVICE_URL must be an http(s):// address")
if not 1 <= IDENTITY_SERVICE_TIMEOUT <= 8:
    raise ImproperlyConfigured("IDENTITY_SERVICE_TIMEOUT must be 1 to 8 seconds")

# Resident ID numbers are stored encrypted (Fernet; the first key encrypts, every key decrypts,
# so keys can be rotated) next to a keyed HMAC that keeps them unique (rentcenter/crypto.py).
ID_NUMBER_KEYS = envlist("ID_NUMBER_KEYS", [])
ID_NUMBER_HMAC_KEY = envstr("ID_NUMBER_HMAC_KEY")
if not DEBUG and not ID_NUMBER_KEYS:
    raise ImproperlyConfigured("ID_NUMBER_KEYS must be set when DEBUG is off")
if not DEBUG and not ID_NUMBER_HMAC_KEY:
    raise ImproperlyConfigured("ID_NUMBER_HMAC_KEY must be set when DEBUG is off")
# Locally, fixed keys derived from the development SECRET_KEY: data made with `make run` stays
# readable across restarts.
ID_NUMBER_KEYS = ID_NUMBER_KEYS or [
    base64.urlsafe_b64encode(
        hashlib.sha256(f"id-number-key:{SECRET_KEY}".encode()).digest()
    ).decode()
]
ID_NUMBER_HMAC_KEY = (
    ID_NUMBER_HMAC_KEY or hashlib.sha256(f"id-number-hmac:{SECRET_KEY}".encode()).hexdigest()
)
for _key in ID_NUMBER_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "ID_NUMBER_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes)"
        ) from None
if len(ID_NUMBER_HMAC_KEY) < 32:
    raise ImproperlyConfigured("ID_NUMBER_HMAC_KEY must be at least 32 characters long")

# How many applicants' documents one staff member may open (applications/access.py), as
# count/seconds limits: a reviewer opens a dozen per registration; a script copying files does
# not get far.
STAFF_DOCUMENT_LIMITS = envlimits("STAFF_DOCUMENT_LIMITS", "300/600,5000/86400")

# Behind nginx, the client's address is the last one nginx appended to X-Forwarded-For; without a
# proxy that header is the client's own word and is ignored (rate limits per address).
TRUST_X_FORWARDED_FOR = envbool("TRUST_X_FORWARDED_FOR", False)

# Staff sign-in to admin -----------------------------------------------------------------------

# Admin is where full ID numbers are read and decisions are made, so staff prove two factors
# (OWASP ASVS 5.0 §6.3, §6.5): their password, whose guessing django-axes throttles per account
# and per address, then a code from an authenticator app (TOTP, RFC 6238) or a backup code
# (django-otp). The admin site (accounts.admin_site) refuses a session without the second factor.
# Kept in this block of its own: the lists above are extended here rather than edited.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "accounts.apps.StaffAdminConfig"
INSTALLED_APPS += [
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# Right after the user is known: request.user.is_verified() reads the device from the session.
MIDDLEWARE.insert(
    MIDDLEWARE.index("accounts.usercache.CachedAuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
# Last, as django-axes requires: it answers a login refused by the lockout.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# The axes backend refuses a locked account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# 5 wrong passwords within 15 minutes for one account from one address lock that account from
# that address for 15 minutes after the last of them: a person who mistypes gets through after
# a short wait, a guesser gets 5 tries a quarter of an hour (ASVS 5.0 §6.3.1). The account from
# everywhere, and an address for every account, lock only past STAFF_LOGIN_CEILING, which a
# browser that passed the account's second factor before does not meet: five wrong passwords
# from five addresses no longer keep a staff member out (issue 17; accounts/staff_login.py).
# Attempts during a lockout are refused without looking at the password and do not prolong
# it, so the time the login page names holds.
STAFF_LOGIN_FAILURE_LIMIT = envint("STAFF_LOGIN_FAILURE_LIMIT", 5)
STAFF_LOGIN_CEILING = envint("STAFF_LOGIN_CEILING", 20)
STAFF_LOGIN_LOCKOUT_MINUTES = envint("STAFF_LOGIN_LOCKOUT_MINUTES", 15)
if STAFF_LOGIN_FAILURE_LIMIT < 1 or STAFF_LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured(
        "STAFF_LOGIN_FAILURE_LIMIT and STAFF_LOGIN_LOCKOUT_MINUTES must be at least 1"
    )
if STAFF_LOGIN_CEILING <= STAFF_LOGIN_FAILURE_LIMIT:
    raise ImproperlyConfigured("STAFF_LOGIN_CEILING must be above STAFF_LOGIN_FAILURE_LIMIT")
AXES_HANDLER = "accounts.staff_login.StaffLoginHandler"
AXES_FAILURE_LIMIT = STAFF_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = STAFF_LOGIN_LOCKOUT_MINUTES / 60  # hours, as axes reads a float
# The pair axes records and resets by; the ceilings are StaffLoginHandler's.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The admin form posts the phone as "username"; "138 0000 0000" and "+8613800000000" are one
# account to the lockout as they are to the login.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.staff_login.login_name"
AXES_CLIENT_IP_CALLABLE = "rentcenter.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.staff_login.lockout_response"
# Every failure is kept (AccessFailureLog, with whether it locked): the audit trail. Successful
# logins are not logged by axes: applicants log in by the thousand, and staff logins are logged
# by accounts.admin_site.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True
# Shown in Chinese by accounts.admin (登录锁定), not by axes' own English pages.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False  # no banner at every start

# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "配租平台管理")
# Static tokens and TOTP keys stay out of admin pages (accounts.apps.StaffAdminConfig).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Metrics ---------------------------------------------------------------------------------------

# /metrics for Prometheus (rentcenter/metrics.py): off unless asked for, and then only for a
# scraper sending METRICS_TOKEN as a bearer token.
METRICS_ENABLED = envbool("METRICS_ENABLED", False)
METRICS_TOKEN = envstr("METRICS_TOKEN")
if METRICS_ENABLED and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_ENABLED needs METRICS_TOKEN of 32 characters or more")
# With several worker processes, where each keeps its counts for the scrape to add up.
PROMETHEUS_MULTIPROC_DIR = envstr("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured("PROMETHEUS_MULTIPROC_DIR must be an existing directory")
if METRICS_ENABLED:
    # Counting starts first and ends last (before axes, which must stay last); /metrics is
    # answered right after the probes, before the host check.
    MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("rentcenter.health.ProbeMiddleware") + 1,
        "rentcenter.metrics.MetricsMiddleware",
    )
    MIDDLEWARE.insert(
        MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    )

# Internationalisation --------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
# One date format everywhere (rentcenter/dates.py): these formats for zh-hans, the same as the
# fallbacks below for any code that formats without the language.
FORMAT_MODULE_PATH = ["rentcenter.formats"]
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
USE_I18N = True
USE_TZ = True
# Admin's words as staff read them, before Django's own catalogue (locale/zh_Hans: issue 16).
LOCALE_PATHS = [BASE_DIR / "locale"]

# Static files and uploads ----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG

MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"

# Public files are read by nginx's workers, another user than the site's (README, "Serving
# /media/"): world-readable, unlike private uploads (FILE_UPLOAD_PERMISSIONS below).
PUBLIC_FILE_PERMISSIONS = {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755}

STORAGES = {
    # Public catalog pictures (renditions of project photos, announcement attachments).
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL, **PUBLIC_FILE_PERMISSIONS},
    },
    # Never served by URL: original uploads and applicants' documents, read only through views
    # that check who is asking.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "OPTIONS": PUBLIC_FILE_PERMISSIONS,
    },
}

# Django serves /media/ itself only for local use; production serves it from nginx or object
# storage (README, "Deploying").
SERVE_MEDIA = envbool("SERVE_MEDIA", DEBUG)
if SERVE_MEDIA and not DEBUG:
    raise ImproperlyConfigured("SERVE_MEDIA is for local use: with DEBUG off, nginx serves /media/")

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Site ------------------------------------------------------------------------------------------

SUPPORT_PHONE = envstr("SUPPORT_PHONE", "010-81120588")
SUPPORT_HOURS = envstr("SUPPORT_HOURS", "登记期间早 9 点至 17 点")

# Personal data: retention periods and the daily purge ------------------------------------------

# How long each kind of personal data is kept (rentcenter/retention.py; privacy/retention.py
# lists the rules, the 个人信息处理规则 prints them, `manage.py purge_expired` applies them).
# Document files of applicants not housed: this many days after their plan's draw.
RETENTION_DOCUMENT_DAYS = envint("RETENTION_DOCUMENT_DAYS", 180)
# 信息填报 drafts never submitted: this many days after their plan's registration ended.
RETENTION_DRAFT_DAYS = envint("RETENTION_DRAFT_DAYS", 30)
# A text's words after it was delivered (or failed), for 客服 to answer "what did it say".
RETENTION_TEXT_BODY_DAYS = envint("RETENTION_TEXT_BODY_DAYS", 30)
# The delivery record of a text (phone, kind, status, times).
RETENTION_TEXT_DAYS = envint("RETENTION_TEXT_DAYS", 180)
# Security logs (wrong admin passwords, lockouts, expired sessions' rows): 网络安全法 art. 21
# asks for at least six months (183 days: the longest six months).
RETENTION_SECURITY_LOG_DAYS = envint("RETENTION_SECURITY_LOG_DAYS", 183)
# 查看记录 (staff access events) and admin's change history: 个人信息保护法 art. 56 keeps records
# of processing at least three years.
RETENTION_ACCESS_LOG_DAYS = envint("RETENTION_ACCESS_LOG_DAYS", 3 * 365)
# Consents of a closed account, the proof of what was agreed: three years after closing.
RETENTION_CONSENT_DAYS = envint("RETENTION_CONSENT_DAYS", 3 * 365)
# A 我的个人信息 ZIP: downloadable this many days after it was made, then deleted.
RETENTION_EXPORT_DAYS = envint("RETENTION_EXPORT_DAYS", 7)
if RETENTION_SECURITY_LOG_DAYS < 183:
    raise ImproperlyConfigured(
        "RETENTION_SECURITY_LOG_DAYS must be at least 183: 网络安全法 art. 21 keeps security "
        "logs at least six months"
    )
if RETENTION_ACCESS_LOG_DAYS < 3 * 365:
    raise ImproperlyConfigured(
        "RETENTION_ACCESS_LOG_DAYS must be at least 1095: 个人信息保护法 art. 56 keeps records "
        "of processing at least three years"
    )
for _name in (
    "RETENTION_DOCUMENT_DAYS",
    "RETENTION_DRAFT_DAYS",
    "RETENTION_TEXT_BODY_DAYS",
    "RETENTION_TEXT_DAYS",
    "RETENTION_CONSENT_DAYS",
    "RETENTION_EXPORT_DAYS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1")
if RETENTION_TEXT_BODY_DAYS > RETENTION_TEXT_DAYS:
    raise ImproperlyConfigured("RETENTION_TEXT_BODY_DAYS must not exceed RETENTION_TEXT_DAYS")

# Who runs `manage.py purge_expired --commit` every day: `worker` (the task workers, as they
# sweep the outbox, from RETENTION_PURGE_HOUR Beijing time: messaging/schedule.py), `cron` (the
# operator's cron, deploy/cron.d/rentcenter), or `off` (nothing: `check --deploy` warns).
RETENTION_PURGE = envstr("RETENTION_PURGE", "worker").strip().lower()
if RETENTION_PURGE not in {"worker", "cron", "off"}:
    raise ImproperlyConfigured(
        f"RETENTION_PURGE must be one of worker, cron, off, not {RETENTION_PURGE!r}"
    )
RETENTION_PURGE_HOUR = envint("RETENTION_PURGE_HOUR", 3)
if not 0 <= RETENTION_PURGE_HOUR <= 23:
    raise ImproperlyConfigured("RETENTION_PURGE_HOUR must be an hour from 0 to 23")

# Logging ---------------------------------------------------------------------------------------

# One line per request and every other line in the same format: JSON lines for the log store in
# production, plain text on a developer's terminal (rentcenter/logs.py). Phones and ID numbers
# are masked in both.
LOG_FORMAT = envstr("LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "rentcenter.logs.RequestIdFilter"}},
    "formatters": {
        "text": {
            "()": "rentcenter.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "rentcenter.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pikepdf announces at INFO that it was loaded, in every worker.
        "pikepdf": {"level": "WARNING"},
        # django-axes narrates every login at INFO; its warnings are the failures.
        "axes": {"level": "WARNING"},
    },
}

# Background tasks and the SMS outbox -----------------------------------------------------------

# Every text is a row of the outbox (messaging/outbox.py) written with the change that causes
# it, then sent by a task (Django's tasks API: the django-tasks backport on 5.2). TASKS_BACKEND:
# `immediate` runs a task inside the request once it commits (unit tests), `database` keeps
# tasks in the database for `manage.py db_worker` (the default; `make run` starts one), `rq`
# puts them on Redis (REDIS_URL) for `manage.py rqworker high default` (production).
TASKS_BACKEND = envstr("TASKS_BACKEND", "database").strip().lower()
TASK_QUEUES = ["high", "default"]  # high: verification codes; default: every other text
_task_backends = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
if TASKS_BACKEND not in _task_backends:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of immediate, database, rq, not {TASKS_BACKEND!r}"
    )
if TASKS_BACKEND == "immediate" and not DEBUG:
    raise ImproperlyConfigured(
        "TASKS_BACKEND=immediate sends texts inside the request; "
        "use database or rq when DEBUG is off"
    )
if TASKS_BACKEND == "rq" and not (REDIS_URL or envstr("TASKS_REDIS_URL")):
    raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (or TASKS_REDIS_URL)")
TASKS = {"default": {"BACKEND": _task_backends[TASKS_BACKEND], "QUEUES": TASK_QUEUES}}
# The outbox app first: its db_worker (with the outbox sweep) replaces django-tasks-db's.
INSTALLED_APPS += ["messaging", "django_tasks", "django_tasks_db"]
# The queue's own Redis, which must never evict a key (README, "Redis"); by default the cache's.
TASKS_REDIS_URL = envstr("TASKS_REDIS_URL") or REDIS_URL
if TASKS_REDIS_URL:
    RQ_QUEUES = {name: {"URL": TASKS_REDIS_URL} for name in TASK_QUEUES}
    # `manage.py rqworker high default` as it stands: the worker class runs RQ's scheduler (the
    # outbox's retries wait with run_after) and the outbox sweep; the job class is the one
    # django-tasks-rq needs (its README asks for --job-class), so no option can be forgotten.
    RQ = {
        "WORKER_CLASS": "messaging.rqworker.OutboxWorker",
        "JOB_CLASS": "django_tasks_rq.Job",
    }
    INSTALLED_APPS += ["django_rq"]
    # No RQ dashboard in admin: django-rq would register it in our admin site, and its
    # stats.json answers any is_staff session, so a password without the second factor read
    # it (tests/accounts/test_second_factor.py). Queue lengths: `manage.py rqstats`, /metrics.
    RQ_SHOW_ADMIN_LINK = False

# A worker holds a text it is sending for this long; one that died mid-send lets it go then.
# Longer than the gateway's timeout, so a slow answer is not taken for a dead worker.
OUTBOX_LEASE_SECONDS = envint("OUTBOX_LEASE_SECONDS", 60)
# A pending text this much past its due time, held by no worker, has lost its task: the sweep,
# which every worker runs every OUTBOX_SWEEP_SECONDS, enqueues it again.
OUTBOX_STRANDED_SECONDS = envint("OUTBOX_STRANDED_SECONDS", 120)
OUTBOX_SWEEP_SECONDS = envint("OUTBOX_SWEEP_SECONDS", 60)
if OUTBOX_LEASE_SECONDS <= SMS_GATEWAY_TIMEOUT:
    raise ImproperlyConfigured("OUTBOX_LEASE_SECONDS must be longer than SMS_GATEWAY_TIMEOUT")
if min(OUTBOX_STRANDED_SECONDS, OUTBOX_SWEEP_SECONDS) < 1:
    raise ImproperlyConfigured(
        "OUTBOX_STRANDED_SECONDS and OUTBOX_SWEEP_SECONDS must be at least 1"
    )
