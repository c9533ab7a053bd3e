"""Simultaneous requests on PostgreSQL (skipped on SQLite by tests/conftest.py)."""

import time

import pytest
from django.utils import timezone

from privacy import export
from privacy.export import ExportRefused, request_export
from privacy.models import DataExport
from tests.accounts.test_concurrency import run_together
from tests.factories import make_applicant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_simultaneous_requests_at_the_limit_make_one_more_export(monkeypatch):
    """Two asked for today, ten clicks at once: the account's row lock lets one through. Each
    request dawdles after counting, so that without the lock all ten would count two."""
    counted = export.requested_within

    def slowly(*args, **kwargs):
        recent = counted(*args, **kwargs)
        time.sleep(0.3)
        return recent

    monkeypatch.setattr(export, "requested_within", slowly)
    applicant = make_applicant()
    for _ in range(2):
        DataExport.objects.create(user=applicant, status=DataExport.Status.FAILED)

    def ask() -> bool:
        try:
            request_export(user=applicant, address=None, now=timezone.now())
        except ExportRefused:
            return False
        return True

    results = run_together(10, ask)
    assert results.count(True) == 1
    assert DataExport.objects.filter(user=applicant).count() == 3
