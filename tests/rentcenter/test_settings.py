"""rentcenter/settings.py: every difference between environments is an environment variable.

The module is imported once per process, so the tests that need other variables import it in a
subprocess with an environment they control."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rentcenter.settings import envbool, envint, envlimits, envlist

# What production must provide besides SECRET_KEY (keys for the encrypted ID numbers, the
# shared cache, who compares names with ID numbers).
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 50,
    "IDENTITY_VERIFIER": "local",
    "ID_NUMBER_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "ID_NUMBER_HMAC_KEY": "y" * 32,
    "REDIS_URL": "redis://cache.internal:6379/0",
}
DEVELOPMENT = {"DEBUG": "1"}

REPORT = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST"),
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "conn_health_checks": db.get("CONN_HEALTH_CHECKS"),
    "pool": db.get("OPTIONS", {}).get("pool"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
    "serve_media": settings.SERVE_MEDIA,
    "session_engine": settings.SESSION_ENGINE,
}))
"""


def run_settings(tmp_path, code: str = REPORT, **env: str) -> subprocess.CompletedProcess:
    # Nothing from the shell that runs the tests (DATABASE_URL, DEBUG…): only what is given.
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "rentcenter.settings",
        "VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def report(tmp_path, **env: str) -> dict:
    result = run_settings(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# The helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("off", False),
     ("", False)],
)  # fmt: skip
def test_envbool_understands_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("RC_TEST_FLAG", value)
    assert envbool("RC_TEST_FLAG", not expected) is expected


def test_envbool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("RC_TEST_FLAG", raising=False)
    assert envbool("RC_TEST_FLAG", True) is True
    assert envbool("RC_TEST_FLAG", False) is False


def test_envbool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("RC_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"RC_TEST_FLAG.*'maybe'"):
        envbool("RC_TEST_FLAG", False)


def test_envint_reads_whole_numbers_and_defaults_when_unset_or_blank(monkeypatch):
    monkeypatch.setenv("RC_TEST_NUMBER", " 42 ")
    assert envint("RC_TEST_NUMBER", 7) == 42
    monkeypatch.setenv("RC_TEST_NUMBER", "  ")
    assert envint("RC_TEST_NUMBER", 7) == 7
    monkeypatch.delenv("RC_TEST_NUMBER")
    assert envint("RC_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("value", ["ten", "1.5", "600s"])
def test_envint_refuses_anything_else_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("RC_TEST_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match=f"RC_TEST_NUMBER.*{value!r}"):
        envint("RC_TEST_NUMBER", 7)


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("RC_TEST_LIST", " rent.example.cn, ,www.rent.example.cn,")
    assert envlist("RC_TEST_LIST", ["x"]) == ["rent.example.cn", "www.rent.example.cn"]
    monkeypatch.setenv("RC_TEST_LIST", "")
    assert envlist("RC_TEST_LIST", ["x"]) == []
    monkeypatch.delenv("RC_TEST_LIST")
    assert envlist("RC_TEST_LIST", ["x"]) == ["x"]


def test_envlimits_reads_count_per_seconds(monkeypatch):
    monkeypatch.setenv("RC_TEST_LIMITS", " 1/60, 300/3600 ")
    assert envlimits("RC_TEST_LIMITS", "9/60") == ((1, 60), (300, 3600))
    monkeypatch.delenv("RC_TEST_LIMITS")
    assert envlimits("RC_TEST_LIMITS", "9/60") == ((9, 60),)


@pytest.mark.parametrize("value", ["", "20", "20/h", "0/3600", "5/10", "5/60,", "-1/60"])
def test_envlimits_refuses_anything_else_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("RC_TEST_LIMITS", value)
    with pytest.raises(ImproperlyConfigured, match=f"RC_TEST_LIMITS.*{value!r}"):
        envlimits("RC_TEST_LIMITS", "9/60")


# The settings module -----------------------------------------------------------------------


def test_development_defaults_are_sqlite_and_local_memory_cache(tmp_path):
    values = report(tmp_path, **DEVELOPMENT)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "db.sqlite3")
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["debug"] is True


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    without_key = {**PRODUCTION, "SECRET_KEY": ""}
    result = run_settings(tmp_path, "import rentcenter.settings", **without_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_without_debug_set_the_site_is_production_and_needs_its_secrets(tmp_path):
    """An unset DEBUG is production (issue #10, finding 5: it was debug with a development key)."""
    result = run_settings(tmp_path, "import rentcenter.settings")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr
    production_without_debug = {k: v for k, v in PRODUCTION.items() if k != "DEBUG"}
    assert report(tmp_path, **production_without_debug)["debug"] is False


def test_production_refuses_to_start_without_redis(tmp_path):
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = run_settings(tmp_path, "import rentcenter.settings", **without_redis)
    assert result.returncode != 0
    assert "REDIS_URL must be set when DEBUG is off" in result.stderr


def test_a_single_process_deployment_may_use_the_local_cache(tmp_path):
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    values = report(tmp_path, **without_redis, ALLOW_LOCAL_CACHE="1")
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_task_queue_may_have_a_redis_of_its_own(tmp_path):
    code = "from django.conf import settings; print(settings.RQ_QUEUES['high']['URL'])"
    queue = "redis://queue.internal:6379/0"
    shared = run_settings(tmp_path, code, **PRODUCTION, TASKS_BACKEND="rq")
    assert shared.stdout.strip() == PRODUCTION["REDIS_URL"]
    own = run_settings(tmp_path, code, **PRODUCTION, TASKS_BACKEND="rq", TASKS_REDIS_URL=queue)
    assert own.stdout.strip() == queue, own.stderr


def test_check_deploy_warns_when_the_queue_shares_the_cache_redis(tmp_path):
    environment = readme_production_environment()
    del environment["TASKS_REDIS_URL"]
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy')"
    result = run_settings(tmp_path, code, **environment)
    assert "rentcenter.W002" in result.stderr + result.stdout
    assert "TASKS_REDIS_URL" in result.stderr + result.stdout


def test_production_refuses_the_dev_sms_page(tmp_path):
    result = run_settings(tmp_path, "import rentcenter.settings", **PRODUCTION, DEV_SMS_PAGE="1")
    assert result.returncode != 0
    assert "DEV_SMS_PAGE must not be on when DEBUG is off" in result.stderr


def readme_production_environment() -> dict[str, str]:
    """The README's production environment, its <secrets> filled in as the secret store would."""
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The production environment", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    environment = dict(line.split("=", 1) for line in block.strip().splitlines())
    filled = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ID_NUMBER_KEYS": Fernet.generate_key().decode(),
        "ID_NUMBER_HMAC_KEY": secrets.token_urlsafe(40),
        "SMS_GATEWAY_KEY": secrets.token_urlsafe(20),
    }
    for name, value in environment.items():
        if "<" in value:
            environment[name] = filled.get(name) or re.sub(r"<[^>]+>", "secret", value)
    return environment


def test_check_deploy_is_clean_with_the_readmes_production_environment(tmp_path):
    environment = readme_production_environment()
    assert environment["DEBUG"] == "0"
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    result = run_settings(tmp_path, code, **environment)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_hsts(tmp_path):
    environment = readme_production_environment()
    del environment["SECURE_HSTS_SECONDS"]
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy')"
    result = run_settings(tmp_path, code, **environment)
    assert "security.W004" in result.stderr + result.stdout


def test_the_ssl_redirect_warning_is_silenced_only_behind_the_proxy(tmp_path):
    environment = readme_production_environment()
    environment["TRUST_X_FORWARDED_PROTO"] = "0"
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy')"
    result = run_settings(tmp_path, code, **environment)
    assert "security.W008" in result.stderr + result.stdout


def test_production_with_a_secret_key_starts_with_safe_defaults(tmp_path):
    values = report(tmp_path, **PRODUCTION)
    assert values["debug"] is False
    assert values["allowed_hosts"] == []
    assert values["secure_cookies"] is True
    assert values["serve_media"] is False


def test_a_bad_value_stops_the_process_naming_the_variable(tmp_path):
    result = run_settings(tmp_path, "import rentcenter.settings", DEBUG="sometimes")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be a boolean" in result.stderr


def test_database_url_selects_postgresql_with_health_checked_connections(tmp_path):
    values = report(
        tmp_path, **DEVELOPMENT, DATABASE_URL="postgres://rent:pw@db.internal:5432/rentcenter"
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "rentcenter"
    assert values["host"] == "db.internal"
    assert values["conn_max_age"] == 600
    assert values["conn_health_checks"] is True
    assert values["pool"] is None


def test_database_pool_uses_psycopg_pool_instead_of_persistent_connections(tmp_path):
    values = report(
        tmp_path,
        **DEVELOPMENT,
        DATABASE_URL="postgres://rent:pw@db.internal:5432/rentcenter",
        DATABASE_POOL="1",
        DATABASE_POOL_MAX="20",
    )
    assert values["conn_max_age"] == 0
    assert values["conn_health_checks"] is False
    assert values["pool"] == {"min_size": 2, "max_size": 20}


def test_redis_url_selects_the_redis_cache(tmp_path):
    values = report(tmp_path, **DEVELOPMENT, REDIS_URL="redis://cache.internal:6379/1")
    assert values["cache"] == "rentcenter.cache.SharedRedisCache"
    assert values["cache_location"] == "redis://cache.internal:6379/1"
    assert values["session_engine"] == "django.contrib.sessions.backends.cached_db"


def test_without_redis_sessions_stay_in_the_database(tmp_path):
    assert (
        report(tmp_path, **DEVELOPMENT)["session_engine"] == "django.contrib.sessions.backends.db"
    )


def test_production_refuses_to_serve_media_itself(tmp_path):
    result = run_settings(tmp_path, **PRODUCTION, SERVE_MEDIA="1")
    assert result.returncode != 0
    assert "SERVE_MEDIA" in result.stderr


def test_public_files_are_readable_by_nginx_and_private_uploads_are_not(tmp_path):
    """nginx's workers run as another user than the site: they read public media and collected
    static files, never private uploads (make stack-test found nginx answering 403 for every
    photo, and for static files to clients without gzip)."""
    code = (
        "import os, stat, django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import storages\n"
        "def mode(path): return oct(stat.S_IMODE(os.stat(path).st_mode))\n"
        "for alias in ('default', 'staticfiles', 'private'):\n"
        "    path = storages[alias].path(storages[alias].save('a/b.txt', ContentFile(b'x')))\n"
        "    print(alias, mode(path), mode(os.path.dirname(path)))\n"
    )
    result = run_settings(tmp_path, code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    modes = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert modes["default"] == ["0o644", "0o755"]
    assert modes["staticfiles"] == ["0o644", "0o755"]
    assert modes["private"][0] == "0o640"
