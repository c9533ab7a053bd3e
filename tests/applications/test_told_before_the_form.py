"""Issue 16, item 3: a rule the 实名 data decides (age) is told before the form — in 个人中心
right after 实名, on the plan card, on the form's first screen — and after 提交 the
confirmation states what is and is not met, each unmet rule saying whether 修改填报信息 can
change it (applications.eligibility's Basis)."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from applications import eligibility
from tests.clock import AFTER_MIDNIGHT, MORNING
from tests.factories import (
    INFO_FIELDS,
    id_number_for,
    make_applicant,
    make_info,
    make_plan,
    make_user,
)

pytestmark = pytest.mark.django_db

AGE_RULE = "申请人年龄须在 18 至 35 周岁之间"
REAL_NAME_REMEDY = "按实名认证的身份证信息判断，修改填报信息不能改变。"
DECLARED_REMEDY = "按您填报的信息判断；如填报有误，修改填报信息后可以再登记。"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def forty_one(today: date):
    """Born 41 years and a day before `today`."""
    return make_applicant(name="周建国", birth=today.replace(year=today.year - 41) - timedelta(1))


def test_each_rule_says_what_it_is_decided_on():
    bases = {rule.name: rule.basis for rule in eligibility.RULES}
    assert bases.pop("age") is eligibility.Basis.REAL_NAME
    assert set(bases.values()) == {eligibility.Basis.DECLARED}
    assert eligibility.remedy(False) == REAL_NAME_REMEDY
    assert eligibility.remedy(True) == DECLARED_REMEDY


@pytest.mark.time_machine(MORNING, tick=False)
def test_real_name_failures_need_no_form():
    plan = make_plan(min_age=18, max_age=35, requires_no_home=True)
    person = forty_one(MORNING.date())
    failures = eligibility.real_name_failures(plan=plan, person=person, today=MORNING.date())
    assert [str(f) for f in failures] == [f"{AGE_RULE}，您现在 41 周岁。"]
    assert not failures[0].fixable
    assert failures[0].remedy == REAL_NAME_REMEDY
    young = make_applicant(birth=date(2000, 1, 1))
    assert eligibility.real_name_failures(plan=plan, person=young, today=MORNING.date()) == []
    # Someone without a real name yet has nothing to be screened on.
    assert eligibility.real_name_failures(plan=plan, person=make_user(), today=MORNING.date()) == []


@pytest.mark.time_machine(MORNING, tick=False)
def test_assess_states_every_condition_met_or_not():
    plan = make_plan(min_age=18, max_age=35, requires_no_home=True)
    info = make_info(forty_one(MORNING.date()), plan, housing_status="none")
    assessments = eligibility.assess(plan=plan, info=info, today=MORNING.date())
    assert [(a.condition, a.met) for a in assessments] == [
        ("申请人年龄须在 18 至 35 周岁之间（按身份证出生日期计算）。", False),
        ("申请人在本市名下无住房。", True),
    ]
    assert assessments[0].failure.remedy == REAL_NAME_REMEDY


@pytest.mark.parametrize("instant", [MORNING, AFTER_MIDNIGHT])
def test_the_plan_card_tells_a_41_year_old_before_any_form(time_machine, instant):
    time_machine.move_to(instant, tick=False)
    # Filling is open, registration has not started: the card already says it.
    plan = make_plan(
        min_age=18,
        max_age=35,
        starts=instant + timedelta(days=3),
        info_opens_at=instant - timedelta(days=1),
    )
    html = signed_in(forty_one(instant.date())).get(reverse("plans:home")).content.decode()
    assert "您目前不满足：" in html
    assert f"{AGE_RULE}，您现在 41 周岁。" in html
    assert REAL_NAME_REMEDY in html
    assert reverse("applications:fill", args=[plan.pk]) in html  # still free to look


@pytest.mark.time_machine(MORNING, tick=False)
def test_while_registering_the_card_keeps_register_disabled_for_a_41_year_old():
    plan = make_plan(min_age=18, max_age=35)
    html = signed_in(forty_one(MORNING.date())).get(reverse("plans:home")).content.decode()
    assert f'aria-disabled="true" aria-describedby="unmet-{plan.pk}"' in html
    assert f'href="{reverse("applications:register", args=[plan.pk])}' not in html


@pytest.mark.time_machine(MORNING, tick=False)
def test_the_card_says_nothing_to_the_eligible_nor_to_visitors():
    plan = make_plan(min_age=18, max_age=35)
    for client in (signed_in(make_applicant(birth=date(2000, 2, 2))), Client()):
        html = client.get(reverse("plans:home")).content.decode()
        assert "您目前不满足" not in html
        assert f'href="{reverse("applications:register", args=[plan.pk])}' in html
    # Signed in without a real name: nothing to say yet either.
    assert "您目前不满足" not in signed_in(make_user()).get("/").content.decode()


@pytest.mark.time_machine(MORNING, tick=False)
def test_the_form_says_it_on_its_first_screen():
    plan = make_plan(min_age=18, max_age=35)
    html = (
        signed_in(forty_one(MORNING.date()))
        .get(reverse("applications:fill", args=[plan.pk]))
        .content.decode()
    )
    notice = html.index("您目前不满足：")
    assert notice < html.index('class="info-form"')
    assert f"{AGE_RULE}，您现在 41 周岁。" in html
    assert "本表填写的内容不能改变以上结果" in html
    eligible = signed_in(make_applicant()).get(reverse("applications:fill", args=[plan.pk]))
    assert "您目前不满足" not in eligible.content.decode()


@pytest.mark.time_machine(MORNING, tick=False)
def test_profile_after_real_name_lists_the_plans_the_id_rules_out():
    ruled_out = make_plan(min_age=18, max_age=35, title="青年人才专项配租计划")
    make_plan(title="面向所有人的配租计划")
    make_plan(title="已结束的计划", min_age=18, max_age=35, starts=MORNING - timedelta(days=30))
    client = signed_in(make_user())
    response = client.post(
        reverse("accounts:verify_real_name"),
        {"real_name": "周建国", "id_number": id_number_for(date(1985, 1, 1))},  # 41 in June 2026
        follow=True,
    )
    html = response.content.decode()
    assert "实名认证成功" in html
    assert "按您实名认证的身份证信息，您不满足以下配租计划的条件：" in html
    assert f"{ruled_out.title}</a>：{AGE_RULE}，您现在 41 周岁。" in html
    assert "已结束的计划" not in html
    assert "面向所有人的配租计划" not in html
    assert "其他正在进行的配租计划，按身份证信息判断的条件" in html


@pytest.mark.time_machine(MORNING, tick=False)
def test_profile_of_an_eligible_applicant_says_the_id_rules_are_met():
    make_plan(min_age=18, max_age=35)
    html = signed_in(make_applicant()).get(reverse("accounts:profile")).content.decode()
    assert "按身份证信息判断的条件（如年龄）您都满足" in html
    assert "您不满足以下配租计划" not in html


@pytest.mark.time_machine(MORNING, tick=False)
def test_profile_without_open_plans_or_real_name_has_no_panel():
    profile = reverse("accounts:profile")
    assert "配租计划的登记条件" not in signed_in(make_applicant()).get(profile).content.decode()
    make_plan(min_age=18)
    unverified = signed_in(make_user()).get(profile).content.decode()
    assert "配租计划的登记条件" not in unverified


def submitted_page(client: Client, plan) -> str:
    data = {**INFO_FIELDS, "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    response = client.post(reverse("applications:fill", args=[plan.pk]), data, follow=True)
    assert response.redirect_chain, response.content.decode()[:500]
    return response.content.decode()


@pytest.mark.time_machine(MORNING, tick=False)
def test_after_submit_the_confirmation_separates_met_unmet_and_what_editing_can_fix():
    plan = make_plan(min_age=18, max_age=35, requires_no_home=True, min_contribution_months=6)
    applicant = forty_one(MORNING.date())
    make_info(applicant, plan)  # documents to prefill from
    client = signed_in(applicant)
    html = submitted_page(client, plan)  # declares 本市名下无住房 and 24 months
    assert "信息填报已提交" in html
    unmet, met = html.split("已满足的条件：")
    assert f"{AGE_RULE}，您现在 41 周岁。" in unmet
    assert REAL_NAME_REMEDY in unmet
    assert "申请人在本市名下无住房。" in met
    assert "在本市连续缴纳社保或个税满 6 个月。" in met
    assert "现在即可登记摇号" not in html
    assert f'href="{reverse("applications:register", args=[plan.pk])}"' not in html
    assert "修改填报信息</a>" not in html  # nothing the form could change


@pytest.mark.time_machine(MORNING, tick=False)
def test_after_submit_a_fixable_failure_offers_editing_and_an_eligible_one_registering():
    plan = make_plan(requires_no_home=True)
    owner = make_applicant()
    make_info(owner, plan)
    client = signed_in(owner)
    data = {
        **INFO_FIELDS,
        "housing_status": "owns",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
    }
    html = client.post(
        reverse("applications:fill", args=[plan.pk]), data, follow=True
    ).content.decode()
    assert "申请人在本市名下不得有住房，您填报为本市名下有住房。" in html
    assert DECLARED_REMEDY in html
    assert f'href="{reverse("applications:fill", args=[plan.pk])}">修改填报信息' in html

    fine = make_applicant()
    make_info(fine, plan)
    html = submitted_page(signed_in(fine), plan)
    assert "按本次填报的信息，本计划的登记条件您都满足：" in html
    assert "现在即可登记摇号" in html
    assert f'href="{reverse("applications:register", args=[plan.pk])}"' in html


@pytest.mark.time_machine(MORNING, tick=False)
def test_a_submitted_form_before_registration_opens_still_hears_the_age_rule():
    plan = make_plan(
        min_age=18,
        max_age=35,
        starts=MORNING + timedelta(days=3),
        info_opens_at=MORNING - timedelta(days=1),
    )
    applicant = forty_one(MORNING.date())
    make_info(applicant, plan)
    html = signed_in(applicant).get(reverse("plans:home")).content.decode()
    assert f"{AGE_RULE}，您现在 41 周岁。" in html
    assert reverse("applications:info", args=[plan.pk]) in html  # 查看填报信息, not 修改
