import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from pytest_django.asserts import assertContains, assertNotContains

from plans.models import Plan
from plans.views import PLANS_PER_PAGE
from tests.clock import AFTER_MIDNIGHT
from tests.conftest import clear_cache
from tests.factories import make_plan, make_project, make_project_photo

HOME = "/"


def card(response, plan: Plan) -> str:
    """The HTML of one plan's card on the home page."""
    html = response.content.decode()
    match = re.search(rf'<article[^>]*id="plan-{plan.pk}".*?</article>', html, re.S)
    assert match, f"no card for {plan}"
    return match.group(0)


def plan_ids_in_order(response) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'<article[^>]*id="plan-(\d+)"', response.content.decode())
    ]


def test_lists_published_and_closed_plans_newest_first(client, db, now):
    closed = make_plan(starts=now - timedelta(days=60), status=Plan.Status.CLOSED)
    upcoming = make_plan(starts=now + timedelta(days=10))
    current = make_plan(starts=now - timedelta(days=1))
    response = client.get(HOME)
    assert response.status_code == 200
    assert plan_ids_in_order(response) == [upcoming.pk, current.pk, closed.pk]


def test_hides_draft_plans(client, db):
    draft = make_plan(status=Plan.Status.DRAFT, title="内部草稿计划")
    response = client.get(HOME)
    assertNotContains(response, "内部草稿计划")
    assertNotContains(response, f'id="plan-{draft.pk}"')
    assertContains(response, "暂无已发布的配租计划")


@pytest.mark.time_machine(AFTER_MIDNIGHT, tick=False)
def test_card_shows_dates_in_beijing_time_after_midnight(client, db):
    # 00:30 on 1 March in Beijing is still 28 February in UTC: the card says 3月1日.
    plan = make_plan(starts=AFTER_MIDNIGHT)
    html = card(client.get(HOME), plan)
    assert "2027年3月1日 00:30" in strip_tags(html)
    assert "2月28日" not in html
    assert "16:30" not in html
    assert '<span class="badge badge--open">登记中</span>' in html


def test_card_shows_dates_projects_and_announcement_link(client, db):
    project = make_project(name="望京锦苑公寓")
    plan = make_plan(projects=[project], summary="面向青年人才。")
    html = card(client.get(HOME), plan)
    assert plan.title in html
    assert "面向青年人才。" in html
    local = timezone.localtime(plan.registration_starts_at)
    assert f"{local:%Y}年{local.month}月{local.day}日 {local:%H:%M}" in strip_tags(html)
    assert f'href="{project.get_absolute_url()}"' in html
    assert "望京锦苑公寓" in html
    assert f'href="{reverse("plans:announcement", args=[plan.pk])}"' in html
    assert ">配租公告</a>" in html


@pytest.mark.parametrize(
    ("starts_in", "status", "badge"),
    [
        (timedelta(days=3), Plan.Status.PUBLISHED, "未开始"),
        (timedelta(days=-1), Plan.Status.PUBLISHED, "登记中"),
        (timedelta(days=-30), Plan.Status.PUBLISHED, "已结束"),
        (timedelta(days=-1), Plan.Status.CLOSED, "已结束"),
    ],
)
def test_badge_shows_the_registration_state(client, db, starts_in, status, badge, now):
    plan = make_plan(starts=now + starts_in, status=status)
    html = card(client.get(HOME), plan)
    assert re.search(rf'<span class="badge badge--\w+">{badge}</span>', html)


def test_open_plan_offers_both_buttons(client, db, now):
    plan = make_plan(starts=now - timedelta(days=1))
    html = card(client.get(HOME), plan)
    assert f'href="{reverse("applications:fill", args=[plan.pk])}">填报信息</a>' in html
    assert f'href="{reverse("applications:register", args=[plan.pk])}">立即登记</a>' in html


def test_upcoming_plan_offers_filling_but_not_registering(client, db, now):
    plan = make_plan(starts=now + timedelta(days=2), info_opens_at=now - timedelta(days=1))
    html = card(client.get(HOME), plan)
    assert "填报信息" in html
    assert "立即登记" not in html


def test_plan_before_info_filling_opens_offers_no_button_but_says_when(client, db, now):
    plan = make_plan(starts=now + timedelta(days=9), info_opens_at=now + timedelta(days=2))
    html = card(client.get(HOME), plan)
    assert "填报信息</a>" not in html
    assert "立即登记" not in html
    local = timezone.localtime(plan.info_opens_at)
    when = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    assert f"信息填报将于 {when} 开始" in strip_tags(html)


@pytest.mark.parametrize(
    ("starts_in", "status"),
    [(timedelta(days=-30), Plan.Status.PUBLISHED), (timedelta(days=-1), Plan.Status.CLOSED)],
)
def test_ended_plan_offers_no_button(client, db, starts_in, status, now):
    plan = make_plan(starts=now + starts_in, status=status)
    html = card(client.get(HOME), plan)
    assert "填报信息" not in html
    assert "立即登记" not in html


@pytest.mark.parametrize("name", ["applications:fill", "applications:register"])
def test_buttons_send_anonymous_visitors_to_login_and_back(client, db, name):
    plan = make_plan()
    target = reverse(name, args=[plan.pk])
    assertContains(client.get(HOME), f'href="{target}"')
    response = client.get(target)
    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == reverse("accounts:login")
    assert parse_qs(login.query) == {"next": [target]}


def test_header_offers_register_and_login(client, db):
    response = client.get(HOME)
    assertContains(response, f'href="{reverse("accounts:register")}">注册</a>')
    assertContains(response, f'href="{reverse("accounts:login")}">登录</a>')


def test_footer_gives_the_service_contact(client, db):
    response = client.get(HOME)
    assertContains(response, "技术支持电话")
    assertContains(response, '<a href="tel:01081120588">010-81120588</a>', html=True)
    assertContains(response, "服务时间：登记期间早 9 点至 17 点")


def test_pages_plans(client, db, now):
    plans = [
        make_plan(projects=[], starts=now - timedelta(days=day))
        for day in range(PLANS_PER_PAGE + 3)
    ]
    first = client.get(HOME)
    assert plan_ids_in_order(first) == [plan.pk for plan in plans[:PLANS_PER_PAGE]]
    assertContains(first, '<a class="button button--secondary" href="?page=2" rel="next">')
    assertNotContains(first, 'rel="prev"')
    second = client.get(HOME, {"page": 2})
    assert plan_ids_in_order(second) == [plan.pk for plan in plans[PLANS_PER_PAGE:]]
    assertContains(second, "第 2 页，共 2 页")
    assertContains(second, 'href="?page=1" rel="prev"')


@pytest.mark.parametrize(("page", "shown"), [("99", "第 2 页"), ("x", "第 1 页")])
def test_page_out_of_range_or_not_a_number_leads_to_a_real_page(client, db, page, shown, now):
    """By a redirect, so that only real pages are kept in the cache (issue 17, finding 2)."""
    for day in range(PLANS_PER_PAGE + 1):
        make_plan(projects=[], starts=now - timedelta(days=day))
    response = client.get(HOME, {"page": page}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain
    assertContains(response, shown)


def test_refuses_post(client, db):
    assert client.post(HOME).status_code == 405


# Query count -------------------------------------------------------------------------------


def make_catalog(plans: int, projects_per_plan: int, *, latest: datetime) -> None:
    for day in range(plans):
        projects = [make_project() for _ in range(projects_per_plan)]
        for project in projects:
            make_project_photo(project)
            make_project_photo(project)
        make_plan(projects=projects, starts=latest - timedelta(days=day))


def test_runs_the_same_few_queries_for_one_plan_as_for_fifty(
    client, db, django_assert_num_queries, now
):
    make_catalog(plans=1, projects_per_plan=1, latest=now - timedelta(days=100))
    with CaptureQueriesContext(connection) as small:
        assert client.get(HOME).status_code == 200
    # count, plans, their projects, the covers; when the page next changes (2)
    assert len(small) <= 6

    make_catalog(plans=49, projects_per_plan=10, latest=now)
    clear_cache()  # as the catalogue change does once committed
    with django_assert_num_queries(len(small)):
        response = client.get(HOME)
    # The big page really shows ten plans of ten projects, each with its cover.
    assert len(plan_ids_in_order(response)) == PLANS_PER_PAGE
    assert response.content.decode().count('class="project-tile"') == PLANS_PER_PAGE * 10
    assert response.content.decode().count("srcset=") == PLANS_PER_PAGE * 10
    with django_assert_num_queries(0):  # from the cache
        assert client.get(HOME).content == response.content
