"""TASKS_BACKEND and the outbox's settings (rentcenter/settings.py), read in a subprocess."""

import json

from tests.rentcenter.test_settings import DEVELOPMENT, PRODUCTION, run_settings

TASKS_REPORT = """
import json
from django.conf import settings
print(json.dumps({
    "backend": settings.TASKS["default"]["BACKEND"],
    "queues": settings.TASKS["default"]["QUEUES"],
    "rq": getattr(settings, "RQ", None),
    "rq_queues": sorted(getattr(settings, "RQ_QUEUES", {})),
    "django_rq": "django_rq" in settings.INSTALLED_APPS,
}))
"""


def tasks(tmp_path, **env: str) -> dict:
    result = run_settings(tmp_path, TASKS_REPORT, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_default_is_the_database_backend_with_its_two_queues(tmp_path):
    report = tasks(tmp_path, **DEVELOPMENT)
    assert report["backend"] == "django_tasks_db.DatabaseBackend"
    assert report["queues"] == ["high", "default"]
    assert not report["django_rq"]


def test_rq_runs_on_the_redis_of_the_site_with_the_outbox_worker(tmp_path):
    report = tasks(tmp_path, **PRODUCTION, TASKS_BACKEND="rq")
    assert report["backend"] == "django_tasks_rq.RQBackend"
    assert report["rq_queues"] == ["default", "high"]
    assert report["rq"] == {
        "WORKER_CLASS": "messaging.rqworker.OutboxWorker",
        "JOB_CLASS": "django_tasks_rq.Job",
    }
    assert report["django_rq"]


def test_the_immediate_backend_is_for_development_only(tmp_path):
    assert tasks(tmp_path, **DEVELOPMENT, TASKS_BACKEND="immediate")["backend"].endswith(
        "ImmediateBackend"
    )
    result = run_settings(tmp_path, **PRODUCTION, TASKS_BACKEND="immediate")
    assert "TASKS_BACKEND=immediate sends texts inside the request" in result.stderr


def test_an_unknown_backend_stops_the_process_naming_the_variable(tmp_path):
    result = run_settings(tmp_path, **DEVELOPMENT, TASKS_BACKEND="celery")
    assert "TASKS_BACKEND must be one of immediate, database, rq, not 'celery'" in result.stderr


def test_rq_needs_redis(tmp_path):
    result = run_settings(tmp_path, **DEVELOPMENT, TASKS_BACKEND="rq")
    assert "TASKS_BACKEND=rq needs REDIS_URL" in result.stderr


def test_a_lease_must_outlast_the_gateways_timeout(tmp_path):
    result = run_settings(
        tmp_path, **DEVELOPMENT, SMS_GATEWAY_TIMEOUT="10", OUTBOX_LEASE_SECONDS="10"
    )
    assert "OUTBOX_LEASE_SECONDS must be longer than SMS_GATEWAY_TIMEOUT" in result.stderr
