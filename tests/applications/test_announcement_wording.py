"""What a 配租公告's text says about the plan's conditions (applications.announcement_wording,
eligibility.contradictions): the phrasings notices use, agreeing and disagreeing with the plan.

Plans are built in memory: reading a text needs no database.
"""

import pytest

from applications import announcement_wording as wording
from applications.eligibility import contradictions
from plans.models import Plan

YOUNG_TALENT = {"min_age": 18, "max_age": 35}


def plan(**rules) -> Plan:
    return Plan(**rules)


# 年龄 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "申请人年龄在18至35周岁之间。",
        "年龄18-35周岁",
        "年龄 18～35 岁",
        "年龄为18周岁（含）至35周岁（含）",
        "申请人须年满18周岁，不超过35周岁",
        "18周岁以上、35周岁以下",
        "十八周岁以上、三十五周岁及以下",
        "年满18周岁且未满36周岁",
        "年龄 １８—３５ 周岁",
        "申请人须年满**18**周岁，且不超过**35**周岁",
    ],
)
def test_an_age_range_written_as_the_plan_sets_it_agrees(text):
    assert wording.age(plan(**YOUNG_TALENT), text) == []


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        # The case: the text states the lower bound only.
        ("- 申请人须年满18周岁，具有完全民事行为能力；", ["年满18周岁"]),
        ("申请人须18周岁以上", ["18周岁以上"]),
        ("年龄不超过35周岁", ["不超过35周岁"]),
        ("年龄在18至40周岁之间", ["18至40周岁"]),
        ("年满二十周岁、不超过三十五周岁", ["年满二十周岁", "不超过三十五周岁"]),
        ("未满40周岁", ["未满40周岁"]),
        ("年满22周岁", ["年满22周岁"]),
    ],
)
def test_an_age_written_otherwise_than_the_plan_is_quoted(text, quoted):
    assert wording.age(plan(**YOUNG_TALENT), text) == quoted


def test_a_minimum_age_alone_agrees_with_a_plan_that_sets_only_a_minimum():
    assert wording.age(plan(min_age=18), "申请人须年满18周岁。") == []


def test_an_age_the_plan_does_not_screen_is_a_contradiction():
    assert wording.age(plan(), "申请人须年满18周岁。") == ["年满18周岁"]


def test_a_text_that_names_no_age_says_nothing_about_it():
    text = "登记时间为 2026年12月15日 09:00 至 2026年12月25日 17:00。"
    assert wording.age(plan(**YOUNG_TALENT), text) == []


def test_ages_of_other_people_are_not_the_applicants():
    text = "申请人年龄在18至35周岁之间；家庭成员中未成年子女（18周岁以下）可共同居住。"
    assert wording.age(plan(**YOUNG_TALENT), text) == []


# 本市住房 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["申请人及家庭成员在本市无自有住房；", "本市名下无住房", "申请人未在本市拥有住房", "在京无房"],
)
def test_no_home_in_the_text_agrees_with_a_plan_requiring_it(text):
    assert wording.no_home(plan(requires_no_home=True), text) == []


@pytest.mark.parametrize("text", ["申请人及家庭成员在本市无自有住房；", "名下没有房产", "在京无房"])
def test_no_home_in_the_text_contradicts_a_plan_without_the_rule(text):
    assert wording.no_home(plan(requires_no_home=False), text) == [text.rstrip("；")]


@pytest.mark.parametrize("text", ["住房情况不限", "不限住房情况", "本市有房者亦可申请"])
def test_homes_allowed_in_the_text_contradict_a_plan_requiring_none(text):
    assert wording.no_home(plan(requires_no_home=True), text) == [text]


def test_no_homes_left_to_offer_is_not_about_the_applicants_home():
    assert wording.no_home(plan(), "该项目暂无房源，敬请关注后续计划。") == []


# 社保或个税 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "在本市连续缴纳社会保险或个人所得税满 6 个月及以上；",
        "连续缴纳社保满六个月",
        "近三年内在本市缴纳个税满6个月",
        "自2025年6月起连续缴纳社保满6个月",
    ],
)
def test_contribution_months_as_the_plan_sets_them_agree(text):
    assert wording.contributions(plan(min_contribution_months=6), text) == []


@pytest.mark.parametrize(
    "text", ["在本市连续缴纳社会保险满12个月", "连续缴纳社保满1年", "个人所得税连续缴纳满一年"]
)
def test_other_contribution_months_are_quoted(text):
    assert wording.contributions(plan(min_contribution_months=6), text) == [text]


def test_rent_paid_every_three_months_is_not_a_contribution_rule():
    assert wording.contributions(plan(min_contribution_months=6), "租金每3个月缴纳一次") == []


# 工作单位所在区 --------------------------------------------------------------------------------

DISTRICTS = {"employer_districts": ["chaoyang", "haidian"]}


@pytest.mark.parametrize(
    "text",
    [
        "工作单位须位于朝阳区、海淀区",
        "在朝阳、海淀区工作的新就业人员",
        "工作单位注册地或实际经营地位于项目所在区",
        "房源位于通州区、大兴区，面向新市民",
    ],
)
def test_districts_as_the_plan_sets_them_or_none_agree(text):
    assert wording.employer_district(plan(**DISTRICTS), text) == []


@pytest.mark.parametrize(
    "text", ["工作单位须位于朝阳区、丰台区", "在朝阳区工作", "工作单位所在区不限"]
)
def test_other_districts_for_the_workplace_are_quoted(text):
    assert wording.employer_district(plan(**DISTRICTS), text) == [text]


def test_districts_named_for_a_plan_without_the_rule_are_quoted():
    text = "工作单位位于朝阳区"
    assert wording.employer_district(plan(), text) == [text]


# The sentence staff read -------------------------------------------------------------------


def test_the_warning_quotes_the_text_and_the_generated_condition():
    [contradiction] = contradictions(
        plan(**YOUNG_TALENT), "申请人须年满18周岁，具有完全民事行为能力。"
    )

    assert str(contradiction) == (
        "正文写有“年满18周岁”，而计划的年龄条件是："
        "申请人年龄须在 18 至 35 周岁之间（按身份证出生日期计算）。"
    )


def test_the_warning_says_when_the_plan_does_not_screen_the_condition():
    [contradiction] = contradictions(plan(), "在本市无自有住房")

    assert str(contradiction) == (
        "正文写有“在本市无自有住房”，而计划没有设置本市住房条件，登记时不按此筛选。"
    )


def test_a_text_agreeing_with_every_condition_has_no_contradiction():
    young = plan(
        **YOUNG_TALENT,
        requires_no_home=True,
        min_contribution_months=6,
        employer_districts=["chaoyang"],
    )
    text = (
        "## 申请条件\n\n- 申请人年龄在18至35周岁之间；\n- 申请人在本市无自有住房；\n"
        "- 在本市连续缴纳社保满6个月；\n- 工作单位位于朝阳区。"
    )
    assert contradictions(young, text) == []


@pytest.mark.parametrize(
    ("text", "value"), [("18", 18), ("十", 10), ("十八", 18), ("三十五", 35), ("二十", 20)]
)
def test_numbers_are_read_as_notices_write_them(text, value):
    assert wording.number(text) == value


def test_a_run_of_digits_without_ten_is_not_a_number():
    assert wording.number("二三") is None
