"""粗筛选 (applications.eligibility.screen): each rule of a plan, passing and failing at its edge.

`today` is fixed, so every edge is a known date: a birthday today or tomorrow, a graduation
exactly N years ago or one day more.
"""

from datetime import date, timedelta

import pytest

from applications.eligibility import screen
from plans.models import Education, HukouRequirement
from tests.factories import id_number_for, make_applicant, make_info, make_plan

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def birthday_in(days: int, *, age: int, today: date = TODAY) -> date:
    """The birth date of someone whose `age`th birthday is `days` days from today."""
    return today.replace(year=today.year - age) + timedelta(days=days)


def declared(plan, *, birth: date = date(1996, 5, 20), members: int = 0, **overrides):
    """A submission for `plan` by a new applicant born on `birth`, with `members` relatives."""
    applicant = make_applicant(birth=birth)
    relatives = [
        (f"家人{n}", "other", id_number_for(date(1970, 1, 1), sequence=n)) for n in range(members)
    ]
    return make_info(applicant, plan, members=relatives, documents=[], **overrides)


# 年龄 ------------------------------------------------------------------------------------------


def test_minimum_age_is_reached_on_the_birthday():
    plan = make_plan(min_age=18)

    assert screen(plan=plan, info=declared(plan, birth=birthday_in(0, age=18)), today=TODAY) == []


def test_refuses_the_day_before_the_minimum_age_birthday():
    plan = make_plan(min_age=18)
    info = declared(plan, birth=birthday_in(1, age=18))

    assert screen(plan=plan, info=info, today=TODAY) == [
        "申请人年龄须年满 18 周岁，您现在 17 周岁。"
    ]


def test_maximum_age_holds_until_the_day_before_the_next_birthday():
    plan = make_plan(max_age=35)

    assert screen(plan=plan, info=declared(plan, birth=birthday_in(1, age=36)), today=TODAY) == []


def test_refuses_from_the_birthday_after_the_maximum_age():
    plan = make_plan(max_age=35)
    info = declared(plan, birth=birthday_in(0, age=36))

    assert screen(plan=plan, info=info, today=TODAY) == [
        "申请人年龄须不超过 35 周岁，您现在 36 周岁。"
    ]


@pytest.mark.parametrize(
    ("days", "age", "eligible"),
    [
        (0, 18, True),  # 18th birthday today
        (1, 18, False),  # 18th birthday tomorrow: still 17
        (1, 36, True),  # 36th birthday tomorrow: still 35
        (0, 36, False),  # 36th birthday today
    ],
)
def test_age_range_edges(days, age, eligible):
    plan = make_plan(min_age=18, max_age=35)
    info = declared(plan, birth=birthday_in(days, age=age))
    years = age if days == 0 else age - 1

    expected = [] if eligible else [f"申请人年龄须在 18 至 35 周岁之间，您现在 {years} 周岁。"]
    assert screen(plan=plan, info=info, today=TODAY) == expected


@pytest.mark.parametrize(
    ("today", "eligible"), [(date(2026, 2, 28), False), (date(2026, 3, 1), True)]
)
def test_born_on_29_february_comes_of_age_on_1_march_in_common_years(today, eligible):
    plan = make_plan(min_age=18)
    info = declared(plan, birth=date(2008, 2, 29))

    assert (screen(plan=plan, info=info, today=today) == []) is eligible


# 户籍 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hukou_type", ["beijing", "other"])
def test_any_hukou_is_accepted_when_the_plan_sets_none(hukou_type):
    plan = make_plan(hukou_requirement=HukouRequirement.ANY)

    assert screen(plan=plan, info=declared(plan, hukou_type=hukou_type), today=TODAY) == []


def test_beijing_only_plan_accepts_beijing_hukou():
    plan = make_plan(hukou_requirement=HukouRequirement.BEIJING)

    assert screen(plan=plan, info=declared(plan, hukou_type="beijing"), today=TODAY) == []


def test_beijing_only_plan_refuses_other_hukou():
    plan = make_plan(hukou_requirement=HukouRequirement.BEIJING)

    assert screen(plan=plan, info=declared(plan, hukou_type="other"), today=TODAY) == [
        "本次配租仅限本市户籍申请人，您填报的户籍性质为外省市户籍。"
    ]


def test_other_provinces_only_plan_accepts_other_hukou():
    plan = make_plan(hukou_requirement=HukouRequirement.OTHER)

    assert screen(plan=plan, info=declared(plan, hukou_type="other"), today=TODAY) == []


def test_other_provinces_only_plan_refuses_beijing_hukou():
    plan = make_plan(hukou_requirement=HukouRequirement.OTHER)

    assert screen(plan=plan, info=declared(plan, hukou_type="beijing"), today=TODAY) == [
        "本次配租仅限外省市户籍申请人，您填报的户籍性质为本市户籍。"
    ]


# 本市无房 --------------------------------------------------------------------------------------


def test_no_home_rule_accepts_an_applicant_without_a_home():
    plan = make_plan(requires_no_home=True)

    assert screen(plan=plan, info=declared(plan, housing_status="none"), today=TODAY) == []


def test_no_home_rule_refuses_a_home_owner():
    plan = make_plan(requires_no_home=True)

    assert screen(plan=plan, info=declared(plan, housing_status="owns"), today=TODAY) == [
        "申请人在本市名下不得有住房，您填报为本市名下有住房。"
    ]


def test_home_owner_passes_when_the_plan_does_not_ask():
    plan = make_plan(requires_no_home=False)

    assert screen(plan=plan, info=declared(plan, housing_status="owns"), today=TODAY) == []


# 社保或个税 ------------------------------------------------------------------------------------


def test_minimum_contribution_months_are_enough():
    plan = make_plan(min_contribution_months=12)

    assert screen(plan=plan, info=declared(plan, contribution_months=12), today=TODAY) == []


def test_refuses_one_month_short_of_the_minimum_contributions():
    plan = make_plan(min_contribution_months=12)

    assert screen(plan=plan, info=declared(plan, contribution_months=11), today=TODAY) == [
        "须在本市连续缴纳社保或个税满 12 个月，您填报的连续缴纳月数为 11 个月。"
    ]


# 学历 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("education", [Education.BACHELOR, Education.MASTER, Education.DOCTOR])
def test_minimum_education_or_higher_passes(education):
    plan = make_plan(asks_education=True, min_education=Education.BACHELOR)
    info = declared(plan, education=education, graduation_date=date(2020, 7, 1))

    assert screen(plan=plan, info=info, today=TODAY) == []


def test_refuses_education_one_rank_below_the_minimum():
    plan = make_plan(asks_education=True, min_education=Education.BACHELOR)
    info = declared(plan, education=Education.JUNIOR_COLLEGE, graduation_date=date(2020, 7, 1))

    assert screen(plan=plan, info=info, today=TODAY) == ["学历须为本科及以上，您填报的学历为大专。"]


def test_refuses_missing_education_when_a_minimum_is_set():
    plan = make_plan(asks_education=True, min_education=Education.BACHELOR)
    info = declared(plan, education="", graduation_date=date(2020, 7, 1))

    assert screen(plan=plan, info=info, today=TODAY) == [
        "学历须为本科及以上，您填报的学历为未填报。"
    ]


# 毕业年限 --------------------------------------------------------------------------------------


def graduate_plan(years: int = 3):
    return make_plan(asks_education=True, max_years_since_graduation=years)


def test_graduation_exactly_the_maximum_years_ago_passes():
    plan = graduate_plan(3)
    info = declared(plan, education=Education.BACHELOR, graduation_date=date(2023, 6, 15))

    assert screen(plan=plan, info=info, today=TODAY) == []


def test_refuses_graduation_one_day_before_the_maximum_years():
    plan = graduate_plan(3)
    info = declared(plan, education=Education.BACHELOR, graduation_date=date(2023, 6, 14))

    assert screen(plan=plan, info=info, today=TODAY) == [
        "须为毕业 3 年以内（2023年6月15日及以后毕业），您的毕业时间为 2023年6月14日。"
    ]


def test_refuses_missing_graduation_date_when_years_are_limited():
    plan = graduate_plan(3)
    info = declared(plan, education=Education.BACHELOR, graduation_date=None)

    assert screen(plan=plan, info=info, today=TODAY) == [
        "须为毕业 3 年以内（2023年6月15日及以后毕业），您未填报毕业时间。"
    ]


def test_graduation_today_passes_and_tomorrow_is_refused():
    plan = graduate_plan(3)
    today = declared(plan, education=Education.BACHELOR, graduation_date=TODAY)
    tomorrow = declared(
        plan, education=Education.BACHELOR, graduation_date=TODAY + timedelta(days=1)
    )

    assert screen(plan=plan, info=today, today=TODAY) == []
    assert screen(plan=plan, info=tomorrow, today=TODAY) == [
        "毕业时间不能晚于今天，您填报的毕业时间为 2026年6月16日。"
    ]


@pytest.mark.parametrize(
    ("graduated", "eligible"), [(date(2025, 2, 28), True), (date(2025, 2, 27), False)]
)
def test_on_29_february_the_limit_counts_from_28_february(graduated, eligible):
    plan = graduate_plan(3)
    info = declared(plan, education=Education.BACHELOR, graduation_date=graduated)

    assert (screen(plan=plan, info=info, today=date(2028, 2, 29)) == []) is eligible


@pytest.mark.parametrize(
    ("today", "eligible"), [(date(2027, 2, 28), True), (date(2027, 3, 1), False)]
)
def test_graduated_on_29_february_is_within_the_limit_until_28_february(today, eligible):
    plan = graduate_plan(3)
    info = declared(plan, education=Education.BACHELOR, graduation_date=date(2024, 2, 29))

    assert (screen(plan=plan, info=info, today=today) == []) is eligible


# 单位所在区 ------------------------------------------------------------------------------------


def test_employer_in_a_listed_district_passes():
    plan = make_plan(employer_districts=["haidian", "chaoyang"])

    assert screen(plan=plan, info=declared(plan, employer_district="chaoyang"), today=TODAY) == []


def test_refuses_employer_outside_the_listed_districts():
    plan = make_plan(employer_districts=["haidian", "chaoyang"])

    assert screen(plan=plan, info=declared(plan, employer_district="dongcheng"), today=TODAY) == [
        "工作单位须位于海淀区、朝阳区，您填报的单位所在区为东城区。"
    ]


def test_any_employer_district_passes_when_the_list_is_empty():
    plan = make_plan(employer_districts=[])

    assert screen(plan=plan, info=declared(plan, employer_district="yanqing"), today=TODAY) == []


# 家庭人数 --------------------------------------------------------------------------------------


def test_family_at_the_size_limit_passes_counting_the_applicant():
    plan = make_plan(max_family_size=3)

    assert screen(plan=plan, info=declared(plan, members=2), today=TODAY) == []


def test_refuses_a_family_one_over_the_size_limit():
    plan = make_plan(max_family_size=3)

    assert screen(plan=plan, info=declared(plan, members=3), today=TODAY) == [
        "家庭人数（含申请人）不得超过 3 人，您填报的家庭人数为 4 人。"
    ]


def test_single_person_limit_counts_the_applicant_alone():
    plan = make_plan(max_family_size=1)

    assert screen(plan=plan, info=declared(plan, members=0), today=TODAY) == []
    assert screen(plan=plan, info=declared(plan, members=1), today=TODAY) == [
        "家庭人数（含申请人）不得超过 1 人，您填报的家庭人数为 2 人。"
    ]


# Several rules ---------------------------------------------------------------------------------


def strict_plan():
    return make_plan(
        min_age=18,
        max_age=35,
        hukou_requirement=HukouRequirement.BEIJING,
        requires_no_home=True,
        min_contribution_months=12,
        asks_education=True,
        min_education=Education.BACHELOR,
        max_years_since_graduation=3,
        employer_districts=["haidian"],
        max_family_size=2,
    )


def test_a_plan_without_rules_accepts_anyone():
    plan = make_plan()
    info = declared(
        plan,
        birth=birthday_in(1, age=18),
        hukou_type="other",
        housing_status="owns",
        contribution_months=0,
        employer_district="yanqing",
        members=5,
    )

    assert screen(plan=plan, info=info, today=TODAY) == []


def test_meeting_every_rule_of_a_strict_plan_passes():
    plan = strict_plan()
    info = declared(
        plan,
        birth=date(2000, 1, 1),
        hukou_type="beijing",
        housing_status="none",
        contribution_months=12,
        education=Education.BACHELOR,
        graduation_date=date(2024, 7, 1),
        employer_district="haidian",
        members=1,
    )

    assert screen(plan=plan, info=info, today=TODAY) == []


def test_every_failed_rule_gives_its_own_sentence_in_rule_order():
    plan = strict_plan()
    info = declared(
        plan,
        birth=date(1980, 1, 1),
        hukou_type="other",
        housing_status="owns",
        contribution_months=3,
        education=Education.HIGH_SCHOOL,
        graduation_date=date(2010, 7, 1),
        employer_district="tongzhou",
        members=2,
    )

    assert screen(plan=plan, info=info, today=TODAY) == [
        "申请人年龄须在 18 至 35 周岁之间，您现在 46 周岁。",
        "本次配租仅限本市户籍申请人，您填报的户籍性质为外省市户籍。",
        "申请人在本市名下不得有住房，您填报为本市名下有住房。",
        "须在本市连续缴纳社保或个税满 12 个月，您填报的连续缴纳月数为 3 个月。",
        "学历须为本科及以上，您填报的学历为高中及以下。",
        "须为毕业 3 年以内（2023年6月15日及以后毕业），您的毕业时间为 2010年7月1日。",
        "工作单位须位于海淀区，您填报的单位所在区为通州区。",
        "家庭人数（含申请人）不得超过 2 人，您填报的家庭人数为 3 人。",
    ]
