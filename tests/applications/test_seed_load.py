"""manage.py seed_load: signed-in applicants for the load test, in bulk."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from applications.models import ApplicationInfo, Registration
from tests.factories import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(now):
    return make_plan(
        min_age=18,
        max_age=35,
        requires_no_home=True,
        min_contribution_months=6,
        employer_districts=["haidian", "chaoyang"],
    )


def seed(tmp_path, count: int) -> dict:
    out = tmp_path / "applicants.json"
    call_command(
        "seed_load",
        applicants=count,
        out=out,
        yes_this_is_a_load_test_database=True,
        stdout=io.StringIO(),
    )
    return json.loads(out.read_text())


def test_makes_verified_applicants_with_a_submission_and_a_session(tmp_path, plan):
    data = seed(tmp_path, 30)
    assert data["plan"] == plan.pk
    assert [o["id"] for o in data["offerings"]] == [o.pk for o in plan.plan_projects.all()]
    assert len(data["sessions"]) == len(set(data["sessions"])) == 30
    applicants = User.objects.filter(phone__startswith="+86136")
    assert applicants.count() == 30
    assert all(user.has_real_name for user in applicants)
    assert len({user.id_number_digest for user in applicants}) == 30
    assert ApplicationInfo.objects.filter(plan=plan, applicant__in=applicants).count() == 30


def test_each_session_is_signed_in_and_can_register(tmp_path, plan):
    data = seed(tmp_path, 3)
    for key in data["sessions"]:
        client = Client()
        client.cookies[data["session_cookie"]] = key
        assert client.get(reverse("applications:records")).status_code == 200
        response = client.post(
            reverse("applications:register", args=[plan.pk]),
            {"offering": data["offerings"][0]["id"]},
        )
        assert response.status_code == 302
        assert response.url.startswith("/records/")
    assert Registration.objects.filter(plan=plan).count() == 3


def test_running_again_adds_new_applicants(tmp_path, plan):
    seed(tmp_path, 5)
    seed(tmp_path, 5)
    assert User.objects.filter(phone__startswith="+86136").count() == 10


def test_refuses_without_an_open_plan(tmp_path, db):
    make_plan(status="draft")
    with pytest.raises(CommandError, match="没有正在登记的配租计划"):
        seed(tmp_path, 1)


def test_refuses_a_production_database_without_being_told(tmp_path, plan):
    with pytest.raises(CommandError, match="压测数据库"):
        call_command("seed_load", applicants=1, out=tmp_path / "x.json", stdout=io.StringIO())
