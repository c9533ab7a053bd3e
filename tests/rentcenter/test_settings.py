"""rentcenter/settings.py: every difference between environments is an environment variable.

The module is imported once per process, so the tests that need other variables import it in a
subprocess with an environment they control."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rentcenter.settings import envbool, envint, envlimits, envlist

# What production must provide besides SECRET_KEY (keys for the encrypted ID numbers).
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 50,
    "ID_NUMBER_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "ID_NUMBER_HMAC_KEY": "y" * 32,
}

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


def test_local_defaults_are_sqlite_and_local_memory_cache(tmp_path):
    values = report(tmp_path)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "db.sqlite3")
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["debug"] is True


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    without_key = {**PRODUCTION, "SECRET_KEY": ""}
    result = run_settings(tmp_path, "import rentcenter.settings", **without_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr


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
    values = report(tmp_path, DATABASE_URL="postgres://rent:pw@db.internal:5432/rentcenter")
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "rentcenter"
    assert values["host"] == "db.internal"
    assert values["conn_max_age"] == 600
    assert values["conn_health_checks"] is True
    assert values["pool"] is None


def test_database_pool_uses_psycopg_pool_instead_of_persistent_connections(tmp_path):
    values = report(
        tmp_path,
        DATABASE_URL="postgres://rent:pw@db.internal:5432/rentcenter",
        DATABASE_POOL="1",
        DATABASE_POOL_MAX="20",
    )
    assert values["conn_max_age"] == 0
    assert values["conn_health_checks"] is False
    assert values["pool"] == {"min_size": 2, "max_size": 20}


def test_redis_url_selects_the_redis_cache(tmp_path):
    values = report(tmp_path, REDIS_URL="redis://cache.internal:6379/1")
    assert values["cache"] == "rentcenter.cache.SharedRedisCache"
    assert values["cache_location"] == "redis://cache.internal:6379/1"
    assert values["session_engine"] == "django.contrib.sessions.backends.cached_db"


def test_without_redis_sessions_stay_in_the_database(tmp_path):
    assert report(tmp_path)["session_engine"] == "django.contrib.sessions.backends.db"


def test_production_refuses_to_serve_media_itself(tmp_path):
    result = run_settings(tmp_path, **PRODUCTION, SERVE_MEDIA="1")
    assert result.returncode != 0
    assert "SERVE_MEDIA" in result.stderr
