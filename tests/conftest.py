import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings


@pytest.fixture(autouse=True, scope="session")
def _files_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory):
    """Uploads written by tests go to a throw-away folder, never to var/."""
    root = tmp_path_factory.mktemp("files")
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root / "media", "base_url": "/media/"},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root / "private", "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        STORAGES=storages, MEDIA_ROOT=root / "media", PRIVATE_MEDIA_ROOT=root / "private"
    ):
        yield root


@pytest.fixture(autouse=True, scope="session")
def _a_redis_database_per_worker():
    """With REDIS_URL set, tests use the real Redis, one logical database per xdist worker,
    so that clearing the cache between tests cannot disturb a neighbour."""
    if not settings.REDIS_URL:
        yield
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    parts = urlsplit(settings.REDIS_URL)
    location = urlunsplit(parts._replace(path=f"/{1 + int(worker or 0) % 15}"))
    caches = {k: {**v, "LOCATION": location} for k, v in settings.CACHES.items()}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate limits, captcha answers)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="concurrency tests need PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
