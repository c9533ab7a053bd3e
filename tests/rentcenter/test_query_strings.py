"""What any GET may carry in its query (issue 17, findings 1 and 5): a NUL anywhere in the query
is refused at one place, with 400 and the Chinese error page, before any view or middleware
reads it (PostgreSQL refuses a NUL in a query with an error: it was a 500 on 摇号结果's code
search, admin's list filters and admin's autocomplete); digits of other scripts and everything
else of tests/strategies.py never make a server error, on every public page and every admin
page."""

from urllib.parse import parse_qsl

import pytest
from django.contrib import admin
from hypothesis import given

from applications.registration import register
from tests.clock import MORNING
from tests.factories import (
    make_announcement,
    make_applicant,
    make_attachment,
    make_document,
    make_floor_plan,
    make_info,
    make_plan,
    make_staff,
)
from tests.lottery.factories import make_drawn_draw
from tests.strategies import query_strings

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

NUL_QUERIES = [
    "/plans/{plan}/lottery/?code=%00",
    "/plans/{plan}/lottery/?code=AB%00CD&page=2",
    "/?page=%00",
    "/?%00=1",
    "/projects/{project}/?x=%00",
    "/accounts/login/?next=%00",
    "/admin/applications/registration/?district=%00",
    "/admin/applications/registration/?progress=%00",
    "/admin/applications/registration/?progress__exact=%00",
    "/admin/applications/registration/?q=%00",
    "/admin/accounts/user/?q=138%000",
    "/admin/autocomplete/?term=%00&app_label=plans&model_name=announcement&field_name=plan",
    "/admin/?%00",
]


@pytest.fixture
def world(db):
    """A plan registering now with a project, floor plan, announcement and attachment; a plan
    whose draw is published; an applicant registered with documents; a superuser."""
    plan = make_plan()
    project = plan.plan_projects.get().project
    floor_plan = make_floor_plan(project)
    make_attachment(make_announcement(plan))
    applicant = make_applicant()
    make_info(applicant, plan)
    registration = register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    drawn = make_drawn_draw(count=3)
    return {
        "plan": plan.pk,
        "project": project.pk,
        "floor_plan": floor_plan.pk,
        "applicant": applicant,
        "registration": registration.registration.number,
        "document": make_document(applicant).pk,
        "drawn_plan": drawn.plan_id,
        "superuser": make_staff(superuser=True),
    }


def public_paths(world) -> list[str]:
    return [
        "/",
        f"/plans/{world['plan']}/announcement/",
        f"/projects/{world['project']}/",
        f"/projects/{world['project']}/floorplans/{world['floor_plan']}/",
        f"/plans/{world['drawn_plan']}/lottery/",
        f"/plans/{world['drawn_plan']}/lottery/entries.txt",
        "/lottery/verify.py",
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/captcha/",
        "/accounts/captcha.png",
        "/accounts/profile/",
        "/records/",
        f"/records/{world['registration']}/",
        f"/plans/{world['plan']}/info/",
        f"/plans/{world['plan']}/info/edit/",
        f"/plans/{world['plan']}/register/",
        f"/documents/{world['document']}/",
        "/display/elder/",
    ]


def admin_paths() -> list[str]:
    paths = ["/admin/", "/admin/login/", "/admin/second-factor/backup-codes/"]
    for model in admin.site._registry:
        opts = model._meta
        paths.append(f"/admin/{opts.app_label}/{opts.model_name}/")
    paths.append("/admin/autocomplete/?app_label=plans&model_name=announcement&field_name=plan")
    return paths


def has_nul(query: str) -> bool:
    return any("\x00" in name + value for name, value in parse_qsl(query, keep_blank_values=True))


def with_query(path: str, query: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{query}" if query else path


@pytest.mark.parametrize("template", NUL_QUERIES)
def test_a_nul_in_the_query_is_refused_with_the_chinese_error_page(client, world, template):
    client.force_login(world["superuser"])
    url = template.format(plan=world["drawn_plan"], project=world["project"])

    response = client.get(url)

    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_the_refusal_happens_before_any_view_or_query(client, world, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(f"/plans/{world['drawn_plan']}/lottery/?code=%00")
    assert response.status_code == 400


def test_the_same_query_without_the_nul_is_answered(client, world):
    response = client.get(f"/plans/{world['drawn_plan']}/lottery/?code=ABCD")
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@pytest.mark.parametrize("index", range(19))
@given(query=query_strings())
def test_public_pages_answer_any_query_without_a_server_error(client, world, who, index, query):
    client.logout()
    if who == "applicant":
        client.force_login(world["applicant"])
    path = public_paths(world)[index]

    response = client.get(with_query(path, query))

    assert response.status_code < 500, (path, query)
    if has_nul(query):
        assert response.status_code == 400, (path, query)


@pytest.mark.parametrize("index", range(len(admin_paths())))
@given(query=query_strings())
def test_admin_pages_answer_any_query_without_a_server_error(client, world, index, query):
    client.force_login(world["superuser"])
    path = admin_paths()[index]

    response = client.get(with_query(path, query))

    assert response.status_code < 500, (path, query)
    if has_nul(query):
        assert response.status_code == 400, (path, query)


def test_every_public_path_is_tried(world):
    assert len(public_paths(world)) == 19
