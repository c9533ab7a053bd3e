"""配租登记 (manual section 五): applications.views.registration."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from applications.models import Progress, Registration
from applications.registration import register, registered_counts
from plans.models import Plan
from rentcenter import sms
from tests.clock import MORNING, beijing
from tests.factories import make_applicant, make_info, make_plan, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant():
    return make_applicant()


@pytest.fixture
def plan():
    return make_plan(projects=[make_project(name="望京锦苑"), make_project(name="上地青年汇")])


@pytest.fixture
def signed_in(client: Client, applicant) -> Client:
    client.force_login(applicant)
    return client


def register_url(plan) -> str:
    return reverse("applications:register", args=[plan.pk])


def test_anonymous_visitor_is_sent_to_login(client, plan):
    response = client.get(register_url(plan))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_user_without_real_name_is_sent_to_verify(client, plan):
    client.force_login(make_user())
    response = client.get(register_url(plan))
    assert response.url.startswith(reverse("accounts:profile"))


def test_without_submitted_info_applicant_is_sent_to_fill_in(signed_in, plan):
    response = signed_in.get(register_url(plan), follow=True)
    assert response.redirect_chain[0][0] == reverse("applications:fill", args=[plan.pk])
    assert "登记前请先完成该计划的信息填报" in response.content.decode()


def test_a_post_without_submitted_info_is_sent_to_fill_in(signed_in, plan):
    offering = plan.plan_projects.first()
    response = signed_in.post(register_url(plan), {"offering": offering.pk}, follow=True)
    assert response.redirect_chain[0][0] == reverse("applications:fill", args=[plan.pk])
    assert "登记前请先完成该计划的信息填报" in response.content.decode()
    assert not Registration.objects.exists()


def test_registering_costs_few_queries_and_renders_nothing(
    signed_in, applicant, plan, settings, django_assert_num_queries
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # as with Redis
    make_info(applicant, plan)
    offering = plan.plan_projects.first()
    signed_in.force_login(applicant)
    signed_in.get("/")  # the session's clock starts, and the account is kept (usercache)
    # The plan with its projects, the latest submission and its family members, then four
    # inserts (registration, event, household, its text in the SMS outbox) in a savepoint
    # (a transaction outside tests). Neither the session nor the account is read from the
    # database, and nothing is read to check what a constraint checks (one registration a
    # person, one a family).
    with django_assert_num_queries(9):
        response = signed_in.post(register_url(plan), {"offering": offering.pk})
    assert response.status_code == 302
    assert response.templates == []
    assert Registration.objects.filter(applicant=applicant).count() == 1


def test_registered_applicant_posting_again_is_told_so_even_if_the_rules_changed(
    signed_in, applicant, plan
):
    make_info(applicant, plan)
    offering = plan.plan_projects.first()
    signed_in.post(register_url(plan), {"offering": offering.pk})
    Plan.objects.filter(pk=plan.pk).update(min_contribution_months=600)
    again = signed_in.post(register_url(plan), {"offering": offering.pk}, follow=True)
    assert "您已完成登记，无需重复提交" in again.content.decode()
    assert Registration.objects.get().applicant == applicant


def test_page_offers_the_plans_projects_and_preselects_the_one_chosen(signed_in, applicant, plan):
    make_info(applicant, plan)
    chosen = plan.plan_projects.get(project__name="上地青年汇")
    html = signed_in.get(register_url(plan) + f"?project={chosen.project_id}").content.decode()
    assert "望京锦苑" in html
    assert "上地青年汇" in html
    radios = re.findall(r"<input[^>]*name=\"offering\"[^>]*>", html)
    assert [("checked" in tag) for tag in radios] == [
        f'value="{offering.pk}"' in tag for tag in radios for offering in [chosen]
    ]
    assert any("checked" in tag for tag in radios)
    assert "粗筛选" in html


def test_registering_creates_one_registration_counts_it_and_sends_sms(
    signed_in, applicant, plan, django_capture_on_commit_callbacks
):
    info = make_info(applicant, plan)
    offering = plan.plan_projects.get(project__name="望京锦苑")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(register_url(plan), {"offering": offering.pk})
    registration = Registration.objects.get()
    assert response.url == reverse("applications:registered", args=[registration.number])
    assert registration.info == info
    assert registration.offering == offering
    assert registration.progress == Progress.REGISTERED
    assert registered_counts([offering.pk]) == {offering.pk: 1}
    assert [m.phone for m in sms.outbox] == [applicant.phone.as_e164]
    assert registration.number in sms.outbox[0].text
    page = signed_in.get(response.url).content.decode()
    assert "登记成功" in page
    assert registration.number in page
    assert reverse("applications:records") in page


def test_registration_uses_the_latest_info_version(signed_in, applicant, plan):
    make_info(applicant, plan)
    latest = make_info(applicant, plan, employer="第二版单位")
    signed_in.post(register_url(plan), {"offering": plan.plan_projects.first().pk})
    assert Registration.objects.get().info == latest


def test_second_post_returns_the_same_registration_with_a_friendly_message(
    signed_in, applicant, plan
):
    make_info(applicant, plan)
    offering = plan.plan_projects.first()
    signed_in.post(register_url(plan), {"offering": offering.pk})
    again = signed_in.post(register_url(plan), {"offering": offering.pk}, follow=True)
    registration = Registration.objects.get()
    assert again.redirect_chain[0][0] == registration.get_absolute_url()
    assert f"您已完成登记，无需重复提交。登记编号 {registration.number}" in again.content.decode()
    assert registered_counts([offering.pk]) == {offering.pk: 1}


def test_failed_screening_lists_each_condition_and_registers_nothing(signed_in, applicant):
    plan = make_plan(min_contribution_months=12, requires_no_home=True)
    make_info(applicant, plan, contribution_months=6, housing_status="owns")
    response = signed_in.post(register_url(plan), {"offering": plan.plan_projects.get().pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "暂不满足本次配租登记条件" in html
    assert "须在本市连续缴纳社保或个税满 12 个月" in html
    assert "申请人在本市名下不得有住房" in html
    assert reverse("plans:announcement", args=[plan.pk]) in html
    assert not Registration.objects.exists()


def test_project_of_another_plan_is_refused(signed_in, applicant, plan):
    make_info(applicant, plan)
    elsewhere = make_plan().plan_projects.get()
    response = signed_in.post(register_url(plan), {"offering": elsewhere.pk})
    assert response.status_code == 200
    assert "请选择本计划中的项目小区" in response.content.decode()
    assert not Registration.objects.exists()


def test_no_project_chosen_is_reported(signed_in, applicant, plan):
    make_info(applicant, plan)
    response = signed_in.post(register_url(plan), {})
    assert "请选择要登记的项目小区" in response.content.decode()
    assert 'href="#field-offering"' in response.content.decode()


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (timedelta(microseconds=-1), False),
        (timedelta(0), True),
        (timedelta(days=7) - timedelta(microseconds=1), True),
        (timedelta(days=7), False),
    ],
)
@pytest.mark.time_machine(MORNING, tick=False)
def test_registration_only_inside_the_window(client, applicant, offset, allowed):
    starts = beijing(2026, 7, 1, 9)
    plan = make_plan(starts=starts, ends=starts + timedelta(days=7))
    make_info(applicant, plan)
    with time_machine.travel(starts + offset, tick=False):
        client.force_login(applicant)  # sessions last 12 hours at most
        response = client.post(register_url(plan), {"offering": plan.plan_projects.get().pk})
    assert Registration.objects.exists() is allowed
    if not allowed:
        assert response.url == reverse("plans:announcement", args=[plan.pk])


def test_closed_plan_refuses_registration(signed_in, applicant):
    plan = make_plan(status="closed")
    make_info(applicant, plan)
    response = signed_in.post(register_url(plan), {"offering": plan.plan_projects.get().pk})
    assert response.status_code == 302
    assert not Registration.objects.exists()


def test_draft_plan_is_not_found(signed_in):
    assert signed_in.get(register_url(make_plan(status="draft"))).status_code == 404


def test_success_page_of_another_applicant_is_not_found(signed_in, plan):
    other = make_applicant()
    make_info(other, plan)
    theirs = register(applicant=other, plan=plan, offering=plan.plan_projects.first()).registration
    url = reverse("applications:registered", args=[theirs.number])
    assert signed_in.get(url).status_code == 404


def test_wrong_method_and_missing_csrf_are_refused(signed_in, applicant, plan):
    assert signed_in.put(register_url(plan)).status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    make_info(applicant, plan)
    response = client.post(register_url(plan), {"offering": plan.plan_projects.first().pk})
    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_a_plan_with_one_project_has_it_chosen_already(signed_in, applicant):
    plan = make_plan()
    make_info(applicant, plan)
    html = signed_in.get(register_url(plan)).content.decode()
    radios = re.findall(r"<input[^>]*name=\"offering\"[^>]*>", html)
    assert len(radios) == 1
    assert "checked" in radios[0]
