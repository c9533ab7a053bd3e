"""`check --deploy` warns when nothing deletes expired personal data (privacy/checks.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from privacy import checks
from privacy.models import PurgeRun
from tests.rentcenter.test_settings import readme_production_environment, run_settings

CHECK = "import django; from django.core.management import call_command; django.setup(); "
CHECK += "call_command('check', '--deploy')"


def test_warns_when_nothing_runs_the_purge(tmp_path):
    environment = readme_production_environment()
    environment["RETENTION_PURGE"] = "off"
    result = run_settings(tmp_path, CHECK, **environment)
    assert "privacy.W001" in result.stderr + result.stdout


@pytest.mark.parametrize("who", ["worker", "cron"])
def test_quiet_when_the_workers_or_cron_run_it(tmp_path, who):
    environment = readme_production_environment()
    environment["RETENTION_PURGE"] = who
    result = run_settings(tmp_path, CHECK, **environment)
    assert "privacy.W001" not in result.stderr + result.stdout


@pytest.mark.django_db
def test_with_the_database_it_warns_when_the_last_purge_is_old(now):
    assert checks.purge_has_run(None, databases=["default"])[0].id == "privacy.W002"
    PurgeRun.objects.create(
        started_at=now - timedelta(hours=51), finished_at=now - timedelta(hours=51)
    )
    assert checks.purge_has_run(None, databases=["default"])[0].id == "privacy.W002"
    PurgeRun.objects.create(started_at=now - timedelta(hours=3), finished_at=timezone.now())
    assert checks.purge_has_run(None, databases=["default"]) == []
    assert checks.purge_has_run(None, databases=None) == []
