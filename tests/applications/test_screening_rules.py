"""Rules stated before they bite (issue 12): the 配租公告 and 项目详情 print the plan's 粗筛选
rules from the rule objects the screening runs; a signed-in applicant reads, before 立即登记,
which ones their submitted form does not meet; the refusal tells what 修改填报信息 can change."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import eligibility
from applications.models import Registration
from plans.models import Education, HukouRequirement, Plan
from tests.clock import beijing
from tests.factories import make_applicant, make_info, make_plan

pytestmark = pytest.mark.django_db

EVERY_RULE = {
    "min_age": 18,
    "max_age": 35,
    "hukou_requirement": HukouRequirement.OTHER,
    "requires_no_home": True,
    "min_contribution_months": 12,
    "asks_education": True,
    "min_education": Education.BACHELOR,
    "max_years_since_graduation": 5,
    "employer_districts": ["chaoyang", "haidian"],
    "max_family_size": 3,
}


def test_every_rule_the_screening_applies_is_published():
    """One source: a rule that can refuse someone for a plan always has a public sentence for
    that plan, and a plan that sets no rule publishes none."""
    plan = Plan(**EVERY_RULE)
    assert len(eligibility.published(plan)) == len(eligibility.RULES)
    for rule in eligibility.RULES:
        alone = Plan(**{name: EVERY_RULE[name] for name in rule.fields})
        assert rule.describe(alone), rule.name
        assert len(eligibility.published(alone)) == 1, rule.name
        assert rule.describe(Plan()) is None, rule.name
    assert eligibility.published(Plan()) == []


def test_a_rule_that_refuses_is_one_the_plan_publishes(now):
    applicant = make_applicant(birth=date(1980, 1, 1))
    plan = make_plan(**EVERY_RULE)
    info = make_info(applicant, plan, hukou_type="beijing", housing_status="owns")
    published = eligibility.published(plan)
    names = {rule.name for rule in eligibility.RULES}
    failed = [
        rule.name
        for rule in eligibility.RULES
        if rule.check(plan, info, now.date()) and rule.describe(plan) in published
    ]
    assert {"age", "hukou", "no_home", "education", "graduation"} <= set(failed) <= names


@pytest.mark.parametrize("page", ["announcement", "project"])
def test_the_rules_are_on_the_announcement_and_project_pages(client, page):
    plan = make_plan(min_age=18, max_age=35, min_contribution_months=12)
    url = (
        reverse("plans:announcement", args=[plan.pk])
        if page == "announcement"
        else plan.plan_projects.get().project.get_absolute_url()
    )
    html = client.get(url).content.decode()
    assert "登记条件（粗筛选）" in html
    for sentence in eligibility.published(plan):
        assert sentence in html
    assert "申请人年龄须在 18 至 35 周岁之间" in html


def test_a_plan_without_rules_says_so(client):
    plan = make_plan()
    html = client.get(reverse("plans:announcement", args=[plan.pk])).content.decode()
    assert "本计划未设置粗筛选条件" in html


def signed_in_as(applicant) -> Client:
    client = Client()
    client.force_login(applicant)
    return client


def test_before_registering_an_applicant_reads_what_they_do_not_meet():
    plan = make_plan(min_age=18, max_age=35)
    too_old = make_applicant(birth=date(1980, 1, 1))
    make_info(too_old, plan)
    client = signed_in_as(too_old)
    for url in (
        reverse("plans:home"),
        reverse("plans:announcement", args=[plan.pk]),
        plan.plan_projects.get().project.get_absolute_url(),
    ):
        html = client.get(url).content.decode()
        assert "您目前不满足：" in html, url
        assert "申请人年龄须在 18 至 35 周岁之间" in html
        assert "修改填报信息不能改变" in html
    home = client.get(reverse("plans:home")).content.decode()
    assert 'aria-disabled="true" aria-describedby="unmet-' in home
    assert f'href="{reverse("applications:register", args=[plan.pk])}"' not in home


def test_a_fixable_answer_leads_to_editing_the_form():
    plan = make_plan(requires_no_home=True)
    owner = make_applicant()
    make_info(owner, plan, housing_status="owns")
    html = signed_in_as(owner).get(reverse("plans:home")).content.decode()
    assert "您目前不满足：" in html
    assert "申请人在本市名下不得有住房" in html
    assert "按您填报的信息判断；如填报有误，修改填报信息后可以再登记。" in html
    assert reverse("applications:fill", args=[plan.pk]) in html


def test_one_applicants_state_is_never_shown_to_another():
    plan = make_plan(min_age=18, max_age=35)
    too_old, fine = make_applicant(birth=date(1980, 1, 1)), make_applicant()
    make_info(too_old, plan)
    make_info(fine, plan)
    assert "您目前不满足" in signed_in_as(too_old).get("/").content.decode()
    for page in (signed_in_as(fine).get("/"), Client().get("/")):
        html = page.content.decode()
        assert "您目前不满足" not in html
        assert f'href="{reverse("applications:register", args=[plan.pk])}"' in html


def test_the_notice_costs_one_query_however_many_plans():
    """One query for the latest forms of all the plans on the page, on top of what any
    signed-in page costs (the session and user unless Redis holds the session; the state)."""
    plans = [make_plan(max_age=35) for _ in range(5)]
    Client().get("/")  # warm the page

    def queries_for(applicant, notices: int) -> int:
        client = signed_in_as(applicant)
        client.get("/records/")  # the session's clock starts
        with CaptureQueriesContext(connection) as captured:
            html = client.get("/").content.decode()
        assert html.count("您目前不满足：") == notices
        return len(captured.captured_queries)

    too_old = make_applicant(birth=date(1980, 1, 1))
    for plan in plans:
        make_info(too_old, plan)
    assert queries_for(too_old, notices=5) == queries_for(make_applicant(), notices=0) + 1


def test_the_next_page_reads_the_notice_from_the_cache(now):
    """A submitted version never changes: the second page of the day costs no query for it
    (the clock stands still: the day is part of what is kept)."""
    plans = [make_plan(max_age=35) for _ in range(3)]
    Client().get("/")  # warm the page
    too_old = make_applicant(birth=date(1980, 1, 1))
    for plan in plans:
        make_info(too_old, plan)
    client = signed_in_as(too_old)
    client.get("/records/")  # the session's clock starts

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            html = client.get("/").content.decode()
        assert html.count("您目前不满足：") == 3
        return len(captured.captured_queries)

    # The second page reads neither the forms (the notice) nor the plan states (kept with the
    # account: accounts/usercache.py).
    assert queries() == queries() + 2


def test_a_new_version_of_the_form_is_screened_again():
    plan = make_plan(requires_no_home=True)
    owner = make_applicant()
    make_info(owner, plan, housing_status="owns")
    client = signed_in_as(owner)
    assert "申请人在本市名下不得有住房" in client.get("/").content.decode()
    make_info(owner, plan, housing_status="none")  # 修改填报信息: version 2
    assert "您目前不满足" not in client.get("/").content.decode()


def test_a_birthday_at_midnight_changes_the_notice(time_machine):
    """The day is part of what is kept: at 00:00 Beijing time an applicant turning 36 reads
    the age rule, though the form and the rules did not change."""
    time_machine.move_to(beijing(2026, 6, 1, 23, 59), tick=False)
    plan = make_plan(min_age=18, max_age=35)
    turning = make_applicant(birth=date(1990, 6, 2))
    make_info(turning, plan)
    client = signed_in_as(turning)
    assert "您目前不满足" not in client.get("/").content.decode()
    time_machine.move_to(beijing(2026, 6, 2, 0, 0, 30), tick=False)
    assert "申请人年龄须在 18 至 35 周岁之间" in client.get("/").content.decode()


def test_the_refusal_tells_what_editing_can_and_cannot_change():
    plan = make_plan(min_age=18, max_age=35, requires_no_home=True)
    applicant = make_applicant(birth=date(1980, 1, 1))
    make_info(applicant, plan, housing_status="owns")
    client = signed_in_as(applicant)
    response = client.post(
        reverse("applications:register", args=[plan.pk]), {"offering": plan.plan_projects.get().pk}
    )
    html = response.content.decode()
    assert "不能通过修改填报信息改变的条件" in html
    assert "按填报内容未满足的条件" in html
    unfixable, fixable = html.split("按填报内容未满足的条件")
    assert "申请人年龄须" in unfixable
    assert "名下不得有住房" in fixable
    assert "如果是填报有误，可以修改填报信息后重新登记" not in html
    assert not Registration.objects.exists()


def test_a_refusal_only_the_form_can_fix_offers_editing():
    plan = make_plan(requires_no_home=True)
    applicant = make_applicant()
    make_info(applicant, plan, housing_status="owns")
    response = signed_in_as(applicant).post(
        reverse("applications:register", args=[plan.pk]), {"offering": plan.plan_projects.get().pk}
    )
    html = response.content.decode()
    assert "不能通过修改填报信息改变的条件" not in html
    assert "如果是填报有误，可以修改填报信息后重新登记" in html
    assert reverse("applications:fill", args=[plan.pk]) in html


def test_the_register_page_says_what_is_not_met_and_disables_the_button():
    plan = make_plan(max_age=35)
    applicant = make_applicant(birth=date(1980, 1, 1))
    make_info(applicant, plan)
    html = signed_in_as(applicant).get(reverse("applications:register", args=[plan.pk]))
    html = html.content.decode()
    assert "您目前不满足：" in html
    assert "申请人年龄须不超过 35 周岁" in html
    assert f'disabled aria-describedby="unmet-{plan.pk}">确认登记' in html
