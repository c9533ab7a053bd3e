import functools
import importlib
import os
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.test import Client, override_settings


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("TEST_CLOCK", ""),
        help="Run the whole session with the process clock moved to this instant (ISO 8601 with "
        "an offset, e.g. 2026-12-31T23:59:30+08:00), ticking from there. Also TEST_CLOCK.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--clock` moves every clock the process reads (time.time, datetime.now, date.today) to an
    awkward instant before any test runs: tests that read the wall clock must give the same
    answers at 23:59 on 31 December or at 00:30 in Beijing, when the UTC date is the day before.
    Tests that pin their own instant with time-machine travel from there as usual."""
    instant = config.getoption("--clock")
    if instant:
        traveller = time_machine.travel(instant, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = config.getoption("--clock")
    return f"clock moved to {instant} (ticking)" if instant else None


@pytest.fixture
def now(time_machine) -> datetime:
    """The one instant a test runs at: the clock is frozen where it stands when the test starts
    (wherever --clock put it), so what the test builds relative to "now", what the code under
    test reads as now and what the test expects all come from the same instant."""
    instant = datetime.now(tz=UTC)
    time_machine.move_to(instant, tick=False)
    return instant


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

    from rentcenter import pagecache

    pagecache.forget_local()
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


IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["high", "default"],
    }
}


@pytest.fixture(autouse=True, scope="session")
def _sms_in_memory():
    """Texts go to rentcenter.sms.outbox, whatever SMS_BACKEND the environment sets."""
    with override_settings(SMS_BACKEND="locmem"):
        yield


@pytest.fixture(autouse=True, scope="session")
def _tasks_at_commit():
    """The outbox's tasks run as soon as the transaction commits (the immediate backend),
    whatever TASKS_BACKEND the environment sets, so a test sees the text its request caused;
    the outbox's own tests choose other backends."""
    with override_settings(TASKS=IMMEDIATE_TASKS):
        yield


@pytest.fixture(autouse=True, scope="session")
def _no_record_pdfs_ahead():
    """Registrations and decisions do not render their PDF ahead (a WeasyPrint rendering each,
    on the immediate backend); tests/applications/test_pdf_ahead.py turns it on."""
    with override_settings(RECORD_PDF_AHEAD=False):
        yield


@pytest.fixture(autouse=True)
def _empty_outbox():
    from rentcenter import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


# The staff groups and their permissions are made by data migrations. A transactional test
# (browser and concurrency tests) ends by emptying every table, then Django sends post_migrate
# to recreate content types and permissions; replaying those data migrations there keeps the
# groups for the tests that follow, as on a migrated database.
ROLE_MIGRATIONS = [
    ("plans", "0002_staff_groups", "create_groups"),
    ("applications", "0004_review_roles", "grant"),
    ("lottery", "0003_staff_permissions", "grant"),
    ("messaging", "0002_staff_permissions", "grant"),
    ("allocation", "0002_staff_permissions", "grant"),
]


@functools.cache
def _migrated_apps():
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(None, ignore_no_migrations=True).project_state().apps


@receiver(post_migrate)
def _replay_role_migrations(sender, using: str = "default", **kwargs) -> None:
    if sender is not list(django_apps.get_app_configs())[-1]:
        return  # once, after every app's permissions exist
    from django.contrib.auth.models import Group

    if Group.objects.using(using).exists():
        return  # a real migrate made them
    for app_label, name, function in ROLE_MIGRATIONS:
        module = importlib.import_module(f"{app_label}.migrations.{name}")
        getattr(module, function)(_migrated_apps(), None)


# Client.force_login as Django wrote it, before the fixture below wraps it.
_force_login = Client.force_login


def log_in_without_second_factor(client: Client, user) -> None:
    """Signed in as `user` as Client.force_login always did: no password proved here, no code
    typed. For the tests of the second factor."""
    _force_login(client, user)


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for "the user has logged in", skipping the password;
    for a staff account with an authenticator app (tests.factories.make_staff) it skips the
    code too, as if it had been typed, so that admin tests need not repeat the login."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.admin_site import PASSWORD_CHECKED
    from accounts.models import StaffTOTPDevice

    def force_login(self: Client, user, backend=None) -> None:
        _force_login(self, user, backend)
        if not user.is_staff:
            return
        device = StaffTOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = self.session
            session[PASSWORD_CHECKED] = user.pk
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(params=["superuser", "配租管理员"])
def staff_client(request, client, db):
    """Logged in to admin as a superuser, then as a member of the plan managers' group."""
    from tests.factories import make_staff

    if request.param == "superuser":
        client.force_login(make_staff(superuser=True))
    else:
        client.force_login(make_staff(group=request.param))
    return client


@pytest.fixture
def reviewer_client(client, db):
    """Logged in to admin as a member of the reviewers' group."""
    from tests.factories import make_staff

    client.force_login(make_staff(group="资格审核员"))
    return client


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="concurrency tests need PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
