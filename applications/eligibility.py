"""粗筛选: the coarse screening of a submission against the plan's rules.

Each rule the plan sets is checked on its own and, when it fails, says so in one plain sentence
that quotes what the applicant declared, so the applicant knows exactly which condition of the
《配租公告》 they do not meet. Dates are Beijing dates (the registration day).
"""

from collections.abc import Callable
from datetime import date

from applications.models import ApplicationInfo, HousingStatus
from plans.models import Education, HukouRequirement, HukouType, Plan
from projects.models import District

Rule = Callable[[Plan, ApplicationInfo, date], str | None]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without it
        return day.replace(year=day.year - years, day=28)


def age(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    years = info.age_on(today)
    too_young = plan.min_age is not None and years < plan.min_age
    too_old = plan.max_age is not None and years > plan.max_age
    if not (too_young or too_old):
        return None
    if plan.min_age is not None and plan.max_age is not None:
        wanted = f"在 {plan.min_age} 至 {plan.max_age} 周岁之间"
    elif plan.min_age is not None:
        wanted = f"年满 {plan.min_age} 周岁"
    else:
        wanted = f"不超过 {plan.max_age} 周岁"
    return f"申请人年龄须{wanted}，您现在 {years} 周岁。"


def hukou(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    if plan.hukou_requirement == HukouRequirement.BEIJING and info.hukou_type != HukouType.BEIJING:
        return "本次配租仅限本市户籍申请人，您填报的户籍性质为外省市户籍。"
    if plan.hukou_requirement == HukouRequirement.OTHER and info.hukou_type != HukouType.OTHER:
        return "本次配租仅限外省市户籍申请人，您填报的户籍性质为本市户籍。"
    return None


def no_home(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    if plan.requires_no_home and info.housing_status != HousingStatus.NONE:
        return "申请人在本市名下不得有住房，您填报为本市名下有住房。"
    return None


def contributions(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    wanted = plan.min_contribution_months
    if wanted is not None and info.contribution_months < wanted:
        return (
            f"须在本市连续缴纳社保或个税满 {wanted} 个月，"
            f"您填报的连续缴纳月数为 {info.contribution_months} 个月。"
        )
    return None


def education(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    if not plan.min_education:
        return None
    if not info.education or Education.rank(info.education) < Education.rank(plan.min_education):
        declared = Education(info.education).label if info.education else "未填报"
        return f"学历须为{Education(plan.min_education).label}及以上，您填报的学历为{declared}。"
    return None


def graduation(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    years = plan.max_years_since_graduation
    if years is None:
        return None
    earliest = _years_before(today, years)
    if info.graduation_date is None or info.graduation_date < earliest:
        declared = (
            f"您的毕业时间为 {info.graduation_date:%Y年%m月%d日}"
            if info.graduation_date
            else "您未填报毕业时间"
        )
        return f"须为毕业 {years} 年以内（{earliest:%Y年%m月%d日}及以后毕业），{declared}。"
    if info.graduation_date > today:
        return f"毕业时间不能晚于今天，您填报的毕业时间为 {info.graduation_date:%Y年%m月%d日}。"
    return None


def employer_district(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    allowed = plan.employer_districts
    if allowed and info.employer_district not in allowed:
        names = "、".join(District(code).label for code in allowed)
        return (
            f"工作单位须位于{names}，您填报的单位所在区为{District(info.employer_district).label}。"
        )
    return None


def family_size(plan: Plan, info: ApplicationInfo, today: date) -> str | None:
    limit = plan.max_family_size
    if limit is not None and info.family_size > limit:
        return (
            f"家庭人数（含申请人）不得超过 {limit} 人，您填报的家庭人数为 {info.family_size} 人。"
        )
    return None


RULES: tuple[Rule, ...] = (
    age,
    hukou,
    no_home,
    contributions,
    education,
    graduation,
    employer_district,
    family_size,
)


def screen(*, plan: Plan, info: ApplicationInfo, today: date) -> list[str]:
    """The sentences of every condition the submission fails; empty when it passes."""
    return [sentence for rule in RULES if (sentence := rule(plan, info, today))]
