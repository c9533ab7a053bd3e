"""粗筛选: the coarse screening of a submission against the plan's rules.

Each rule the plan sets is checked on its own and, when it fails, says so in one plain sentence
that quotes what the applicant declared, so the applicant knows exactly which condition of the
《配租公告》 they do not meet. Dates are Beijing dates (the registration day).

Rules are stated before they bite (PRODUCT.md): every rule also says, in public words, what it
asks of this plan's applicants, and the 配租公告 and 项目详情 pages print `published(plan)`, made
from the same RULES that `screen` runs, so a condition that is screened is always published.
Each rule says what it is decided on (`Basis`): the applicant's 实名 data (age, from the birth
date 实名认证 read from the ID number) or what they declared in 信息填报. A rule decided on the
实名 data is known as soon as the applicant has verified their real name, before any form: the
home page's plan card, 个人中心 and the form's first screen say so (`real_name_failures`), and
no page suggests that 修改填报信息 could change it. A declared rule is checked on the submitted
form, and its refusal says that correcting the form can change the outcome. Every sentence an
applicant reads about a rule, the condition, the refusal and what can be done, comes from here.

The 公告's free text is staff's own words; where a rule can read what that text says about it
(announcement_wording), `contradictions` tells staff in admin that the two disagree.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from applications import announcement_wording
from applications.models import ApplicationInfo, HousingStatus
from plans.models import Education, HukouRequirement, HukouType, Plan
from projects.models import District
from rentcenter.dates import format_day


class Basis(enum.Enum):
    """What a rule is decided on, and what the applicant can do about a refusal, per rule."""

    REAL_NAME = "按实名认证的身份证信息判断，修改填报信息不能改变。"
    DECLARED = "按您填报的信息判断；如填报有误，修改填报信息后可以再登记。"

    @property
    def remedy(self) -> str:
        return self.value


class RealNameFacts(Protocol):
    """What 实名认证 read from the ID number: a User, or an ApplicationInfo's copy of it."""

    birth_date: date


Check = Callable[[Plan, ApplicationInfo, date], str | None]
Describe = Callable[[Plan], str | None]
Reread = Callable[[Plan, str], list[str]]  # a text's phrases that disagree with the plan


@dataclass(frozen=True)
class Rule:
    """One condition a plan may set: what it says in public, and how a submission is checked."""

    name: str
    check: Check  # a REAL_NAME rule reads only the RealNameFacts of its second argument
    describe: Describe  # None when the plan does not set the condition
    fields: tuple[str, ...]  # the plan's fields that set it
    basis: Basis = Basis.DECLARED
    label: str = ""  # what the condition is about, in staff's words (年龄条件)
    reread: Reread | None = None  # finds what a 公告's free text says about it

    @property
    def from_id(self) -> bool:
        """The applicant's 实名 data decides it, not the form's answers."""
        return self.basis is Basis.REAL_NAME


@dataclass(frozen=True)
class Failure:
    """A condition a submission does not meet, in the sentence the applicant reads."""

    sentence: str
    basis: Basis

    @property
    def fixable(self) -> bool:
        """修改填报信息 can change the outcome."""
        return self.basis is Basis.DECLARED

    @property
    def remedy(self) -> str:
        return self.basis.remedy

    def __str__(self) -> str:
        return self.sentence


def remedy(fixable: bool) -> str:
    """The closing words of one unmet rule, from whether the form can change it (the pages that
    keep (sentence, fixable) pairs in the cache)."""
    return (Basis.DECLARED if fixable else Basis.REAL_NAME).remedy


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without it
        return day.replace(year=day.year - years, day=28)


def age_on(born: date, day: date) -> int:
    """Full years on `day` of someone born on `born` (a birthday on 29 February counts from
    1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age(plan: Plan, info: RealNameFacts, today: date) -> str | None:
    years = age_on(info.birth_date, today)
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
            f"您的毕业时间为 {format_day(info.graduation_date)}"
            if info.graduation_date
            else "您未填报毕业时间"
        )
        return f"须为毕业 {years} 年以内（{format_day(earliest)}及以后毕业），{declared}。"
    if info.graduation_date > today:
        return f"毕业时间不能晚于今天，您填报的毕业时间为 {format_day(info.graduation_date)}。"
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


def _age_range(plan: Plan) -> str | None:
    if plan.min_age is not None and plan.max_age is not None:
        return f"申请人年龄须在 {plan.min_age} 至 {plan.max_age} 周岁之间（按身份证出生日期计算）。"
    if plan.min_age is not None:
        return f"申请人须年满 {plan.min_age} 周岁（按身份证出生日期计算）。"
    if plan.max_age is not None:
        return f"申请人年龄不超过 {plan.max_age} 周岁（按身份证出生日期计算）。"
    return None


def _hukou_rule(plan: Plan) -> str | None:
    if plan.hukou_requirement == HukouRequirement.BEIJING:
        return "仅限本市户籍申请人。"
    if plan.hukou_requirement == HukouRequirement.OTHER:
        return "仅限外省市户籍申请人。"
    return None


def _no_home_rule(plan: Plan) -> str | None:
    return "申请人在本市名下无住房。" if plan.requires_no_home else None


def _contributions_rule(plan: Plan) -> str | None:
    months = plan.min_contribution_months
    return f"在本市连续缴纳社保或个税满 {months} 个月。" if months is not None else None


def _education_rule(plan: Plan) -> str | None:
    if not plan.min_education:
        return None
    return f"学历须为{Education(plan.min_education).label}及以上。"


def _graduation_rule(plan: Plan) -> str | None:
    years = plan.max_years_since_graduation
    return f"毕业 {years} 年以内（以毕业证书日期计算）。" if years is not None else None


def _employer_district_rule(plan: Plan) -> str | None:
    allowed = plan.employer_districts
    if not allowed:
        return None
    return f"工作单位须位于{'、'.join(District(code).label for code in allowed)}。"


def _family_size_rule(plan: Plan) -> str | None:
    limit = plan.max_family_size
    return f"家庭人数（含申请人）不超过 {limit} 人。" if limit is not None else None


RULES: tuple[Rule, ...] = (
    Rule(
        "age",
        age,
        _age_range,
        ("min_age", "max_age"),
        basis=Basis.REAL_NAME,
        label="年龄",
        reread=announcement_wording.age,
    ),
    Rule("hukou", hukou, _hukou_rule, ("hukou_requirement",), label="户籍"),
    Rule(
        "no_home",
        no_home,
        _no_home_rule,
        ("requires_no_home",),
        label="本市住房",
        reread=announcement_wording.no_home,
    ),
    Rule(
        "contributions",
        contributions,
        _contributions_rule,
        ("min_contribution_months",),
        label="社保或个税缴纳",
        reread=announcement_wording.contributions,
    ),
    Rule("education", education, _education_rule, ("min_education",), label="学历"),
    Rule(
        "graduation",
        graduation,
        _graduation_rule,
        ("max_years_since_graduation",),
        label="毕业年限",
    ),
    Rule(
        "employer_district",
        employer_district,
        _employer_district_rule,
        ("employer_districts",),
        label="工作单位所在区",
        reread=announcement_wording.employer_district,
    ),
    Rule("family_size", family_size, _family_size_rule, ("max_family_size",), label="家庭人数"),
)

# Every plan field a rule reads: what a cached page must capture to screen without the plan row.
PLAN_FIELDS: tuple[str, ...] = tuple(name for rule in RULES for name in rule.fields)


def published(plan: Plan) -> list[str]:
    """The plan's screening conditions in public words, in the order they are screened."""
    return [text for rule in RULES if (text := rule.describe(plan))]


@dataclass(frozen=True)
class Contradiction:
    """What a 公告's free text says about a condition, against what the plan sets."""

    quotes: tuple[str, ...]  # the text's words
    label: str
    published: str | None  # the generated sentence; None when the plan does not set it

    def __str__(self) -> str:
        written = "、".join(f"“{quote}”" for quote in self.quotes)
        if self.published:
            return f"正文写有{written}，而计划的{self.label}条件是：{self.published}"
        return f"正文写有{written}，而计划没有设置{self.label}条件，登记时不按此筛选。"


def contradictions(plan: Plan, text: str) -> list[Contradiction]:
    """Where an announcement's text names a condition otherwise than the plan sets it."""
    return [
        Contradiction(tuple(quotes), rule.label, rule.describe(plan))
        for rule in RULES
        if rule.reread and (quotes := rule.reread(plan, text))
    ]


def failures(*, plan: Plan, info: ApplicationInfo, today: date) -> list[Failure]:
    """Every condition the submission fails, each saying whether the form can change it."""
    return [
        Failure(sentence, rule.basis)
        for rule in RULES
        if (sentence := rule.check(plan, info, today))
    ]


def real_name_failures(*, plan: Plan, person: RealNameFacts, today: date) -> list[Failure]:
    """The conditions decided on 实名 data that this person fails, known before any form: what
    the plan card, 个人中心 and the form's first screen tell a verified applicant."""
    if person.birth_date is None:
        return []
    return [
        Failure(sentence, rule.basis)
        for rule in RULES
        if rule.basis is Basis.REAL_NAME and (sentence := rule.check(plan, person, today))
    ]


@dataclass(frozen=True)
class Assessment:
    """One condition the plan sets, for a submitted form: the public words, and the refusal
    (None when it is met)."""

    condition: str
    failure: Failure | None

    @property
    def met(self) -> bool:
        return self.failure is None


def assess(*, plan: Plan, info: ApplicationInfo, today: date) -> list[Assessment]:
    """每一条登记条件, met or not: the confirmation after 提交 states both."""
    return [
        Assessment(condition, Failure(sentence, rule.basis) if sentence else None)
        for rule in RULES
        if (condition := rule.describe(plan))
        for sentence in [rule.check(plan, info, today)]
    ]


def screen(*, plan: Plan, info: ApplicationInfo, today: date) -> list[str]:
    """The sentences of every condition the submission fails; empty when it passes."""
    return [failure.sentence for failure in failures(plan=plan, info=info, today=today)]
