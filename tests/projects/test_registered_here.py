"""Issue 16, item 6: after registering, 项目详情 shows 已登记 and the way to the record where
立即登记 was, on every project of that plan, in the page and in the fragment htmx polls; the
shared fragment stays the same for everyone else."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.registration import register
from tests.clock import MORNING
from tests.factories import make_applicant, make_info, make_plan, make_project, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]


@pytest.fixture
def projects():
    return make_project(name="望京锦苑公寓"), make_project(name="酒仙桥青年公寓")


@pytest.fixture
def plan(projects):
    return make_plan(projects=list(projects), title="2026年第九批保障性租赁住房专项配租计划")


@pytest.fixture
def other_plan(projects):
    return make_plan(projects=[projects[1]], title="2026年第十批保障性租赁住房专项配租计划")


@pytest.fixture
def registered(plan, projects):
    """An applicant registered for the plan at the first project."""
    applicant = make_applicant(name="刘洋")
    make_info(applicant, plan)
    offering = plan.plan_projects.get(project=projects[0])
    registration = register(applicant=applicant, plan=plan, offering=offering).registration
    return applicant, registration


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def register_link(plan, project) -> str:
    return f'href="{reverse("applications:register", args=[plan.pk])}?project={project.pk}"'


def test_every_project_of_the_plan_says_registered_with_the_record(
    plan, other_plan, projects, registered
):
    applicant, registration = registered
    client = signed_in(applicant)
    record = f'href="{reverse("applications:record", args=[registration.number])}"'
    first, second = (client.get(p.get_absolute_url()).content.decode() for p in projects)
    assert "您已登记本项目，登记编号" in first
    assert "您已登记该计划的望京锦苑公寓，登记编号" in second
    for html, project in ((first, projects[0]), (second, projects[1])):
        assert record in html
        assert registration.number in html
        assert register_link(plan, project) not in html
    # The other plan on the second project still offers 立即登记.
    assert register_link(other_plan, projects[1]) in second


def test_the_polled_fragment_says_it_too_and_is_private(plan, projects, registered):
    applicant, _ = registered
    response = signed_in(applicant).get(projects[1].get_absolute_url(), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "您已登记该计划的望京锦苑公寓" in html
    assert register_link(plan, projects[1]) not in html
    assert response["Cache-Control"].startswith("private, ")


def test_everyone_else_gets_the_shared_fragment(plan, projects, registered):
    stranger = make_applicant(name="陈晨")
    for client in (Client(), signed_in(stranger)):
        html = client.get(projects[0].get_absolute_url()).content.decode()
        assert register_link(plan, projects[0]) in html
        assert "您已登记" not in html
    poll = Client().get(projects[0].get_absolute_url(), HTTP_HX_REQUEST="true")
    assert poll["Cache-Control"].startswith("public, ")
    assert "您已登记" not in poll.content.decode()


def test_after_a_rejection_or_a_cancellation_register_is_offered_again(plan, projects, registered):
    applicant, registration = registered
    registration.cancel(by=applicant)
    html = signed_in(applicant).get(projects[0].get_absolute_url()).content.decode()
    assert register_link(plan, projects[0]) in html
    make_info(applicant, plan)
    again = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get(project=projects[0])
    ).registration
    reviewer = make_staff(group="资格审核员")
    again.start_review(by=reviewer)
    again.reject(by=reviewer, reason="材料不全")
    html = signed_in(applicant).get(projects[0].get_absolute_url()).content.decode()
    assert register_link(plan, projects[0]) in html  # 重新登记 is theirs to choose
    assert "您已登记" not in html


def test_a_signed_in_visitor_pays_one_query_for_it(plan, projects, registered):
    applicant, _ = registered
    client = signed_in(applicant)
    url = projects[0].get_absolute_url()
    client.get(url)  # the page and its fragment in the cache
    with CaptureQueriesContext(connection) as queries:
        client.get(url, HTTP_HX_REQUEST="true")
    own = [q["sql"] for q in queries if "applications_registration" in q["sql"]]
    assert len(own) == 1
    with CaptureQueriesContext(connection) as anonymous:
        Client().get(url, HTTP_HX_REQUEST="true")
    assert len(anonymous) == 0
