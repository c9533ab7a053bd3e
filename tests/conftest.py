import os
import uuid

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
def _own_cache_keys():
    """With REDIS_URL set, tests use the real Redis under a key prefix of their own, so that
    parallel workers (and other checkouts) never see or clear each other's keys."""
    caches = {
        alias: {**config, "KEY_PREFIX": f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"}
        for alias, config in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield


def clear_cache() -> None:
    from django.core.cache import cache

    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate limits, captcha answers)."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True, scope="session")
def _sms_in_memory():
    """Texts go to rentcenter.sms.outbox, whatever SMS_BACKEND the environment sets."""
    with override_settings(SMS_BACKEND="locmem"):
        yield


@pytest.fixture(autouse=True)
def _empty_outbox():
    from rentcenter import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="concurrency tests need PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
