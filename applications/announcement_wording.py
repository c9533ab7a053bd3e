"""What a 配租公告's free text says about the plan's screening rules, so that staff are warned
when it says something else.

The 公告 page prints the plan's conditions from the screening itself (eligibility.published), so
that list is always what registration checks. The text staff write above it is theirs, and it
drifted: a 公告 said "申请人须年满18周岁" while its plan screened 18 至 35 周岁 (issue 16), and a
36-year-old who read only the text would have filled in everything to be refused at 立即登记.

Each finder here reads one rule's words in the text and returns the phrases that disagree with
the plan's setting: nothing when the text does not name the rule (the generated list says it)
or names it as the plan sets it. A rule the text names but the plan does not set disagrees too:
the text promises a check that registration will not make. Staff get a warning, never a refusal:
Chinese states an age in many ways, and a clause about a child's age or a project's district can
look like a rule; the wording below covers what notices usually say (年满18周岁, 18至35周岁,
18周岁以上、35周岁以下, 不超过35周岁, 未满36周岁, 十八周岁 …).

The text is read clause by clause (split at ，。；and line ends), with full-width digits and
signs read as ASCII; Markdown's emphasis marks are ignored.
"""

import re
from collections.abc import Iterator

from plans.models import Plan
from projects.models import District

# Full-width forms (１８, （含）, ～) read as ASCII, and the dashes and tildes of ranges as "-".
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALF_WIDTH.update({ord(char): "-" for char in "~～〜—–－―"})
_HALF_WIDTH.update({ord(char): " " for char in "*_`"})  # Markdown emphasis and code marks

_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")
_LIST_MARK = re.compile(r"^(?:[-+>#]+\s*|\d{1,2}[.)、]\s*|[一二三四五六七八九十]{1,2}、\s*)+")

NUMBER = r"(\d{1,3}|[零一二两三四五六七八九十]{1,3})"
_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CHINESE_DIGITS |= {"八": 8, "九": 9}


def number(text: str) -> int | None:
    """18, "十八", "三十五": a number up to 99 as notices write it; None if it is not one."""
    if text.isdigit():
        return int(text)
    tens, ten, ones = text.partition("十")
    if not ten:
        return _CHINESE_DIGITS[text] if len(text) == 1 else None
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_CHINESE_DIGITS[tens] if tens else 1) * 10 + (_CHINESE_DIGITS[ones] if ones else 0)


def clauses(text: str) -> Iterator[str]:
    for clause in _CLAUSE_END.split(text.translate(_HALF_WIDTH)):
        clause = _LIST_MARK.sub("", " ".join(clause.split()))
        if clause:
            yield clause


def _quote(clause: str, limit: int = 40) -> str:
    return clause if len(clause) <= limit else clause[:limit] + "…"


def _unique(quotes: list[str]) -> list[str]:
    return list(dict.fromkeys(quotes))


# 年龄 ------------------------------------------------------------------------------------------

_AGE = r"\s*(?:周岁|岁)"
_INCLUSIVE = r"\s*(?:\(含\))?\s*(?:及|或)?"
_AGE_RANGE = re.compile(
    rf"{NUMBER}(?:{_AGE})?{_INCLUSIVE}\s*(?:至|到|-)\s*{NUMBER}{_AGE}(?:\s*\(含\))?"
)
_AGE_FROM = re.compile(
    rf"(?:(?<![不未])(?:年满|满)|不低于|不小于|不少于|大于等于|>=|≥)\s*{NUMBER}{_AGE}"
    rf"|{NUMBER}{_AGE}{_INCLUSIVE}以上"
)
_AGE_TO = re.compile(
    rf"(?:不超过|未超过|不大于|不高于|小于等于|<=|≤)\s*{NUMBER}{_AGE}|{NUMBER}{_AGE}{_INCLUSIVE}以下"
)
_AGE_UNDER = re.compile(rf"(?:不满|未满|小于|低于)\s*{NUMBER}{_AGE}")  # 未满36周岁: 35 at most
# Ages of other people: a family member's, a child's.
_SOMEONE_ELSE = re.compile(r"子女|未成年|家庭成员|配偶|父母|老人|儿童|学生")


def _numbers(match: re.Match[str]) -> list[int]:
    return [n for group in match.groups() if group and (n := number(group)) is not None]


def age(plan: Plan, text: str) -> list[str]:
    lowest: set[int] = set()
    highest: set[int] = set()
    quotes = []
    for clause in clauses(text):
        if _SOMEONE_ELSE.search(clause):
            continue
        for match in _AGE_RANGE.finditer(clause):
            if len(values := _numbers(match)) == 2:
                lowest.add(values[0])
                highest.add(values[1])
                quotes.append(match.group().strip())
        for pattern, bounds, offset in (
            (_AGE_FROM, lowest, 0),
            (_AGE_TO, highest, 0),
            (_AGE_UNDER, highest, -1),
        ):
            for match in pattern.finditer(clause):
                if values := _numbers(match):
                    bounds.add(values[0] + offset)
                    quotes.append(match.group().strip())
    wanted_lowest = {plan.min_age} if plan.min_age is not None else set()
    wanted_highest = {plan.max_age} if plan.max_age is not None else set()
    if not quotes or (lowest == wanted_lowest and highest == wanted_highest):
        return []
    return _unique(quotes)


# 本市名下无住房 --------------------------------------------------------------------------------

_NO_HOME = re.compile(
    r"(?:无|没有|未(?:在本市|在京|在北京市?)?(?:拥有|持有|购买|购置))(?:自有|私有|产权)*"
    r"(?:住房|住宅|房产|房屋|房)(?![源租型间号])"
)
_ANY_HOME = re.compile(
    r"住房(?:情况|状况)?不限|不限(?:住房|房产)(?:情况|状况)?|有房(?:者|家庭|人员)?(?:亦|也|均)可"
)


def no_home(plan: Plan, text: str) -> list[str]:
    disagreeing = _ANY_HOME if plan.requires_no_home else _NO_HOME
    return _unique([_quote(clause) for clause in clauses(text) if disagreeing.search(clause)])


# 社保或个税 ------------------------------------------------------------------------------------

_CONTRIBUTIONS = re.compile(r"社保|社会保险|个税|个人所得税")
_MONTHS = re.compile(rf"{NUMBER}\s*个月")
# 满1年 is 12 months; not 近3年内 (a period, not a length) nor 2026年 (a date).
_YEARS = re.compile(
    r"(?<![\d.近去])(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*整?年(?![\d月度底初])"
)


def contributions(plan: Plan, text: str) -> list[str]:
    quotes = []
    for clause in clauses(text):
        if not _CONTRIBUTIONS.search(clause):
            continue
        months = [n for match in _MONTHS.finditer(clause) if (n := number(match[1])) is not None]
        months += [12 * n for match in _YEARS.finditer(clause) if (n := number(match[1]))]
        if any(n != plan.min_contribution_months for n in months):
            quotes.append(_quote(clause))
    return _unique(quotes)


# 工作单位所在区 --------------------------------------------------------------------------------

_WORKPLACE = re.compile(r"工作|就业|任职|单位|用人|注册地|经营地")
# A district by its full name (朝阳区) or, as notices list them, without 区 (朝阳、海淀区).
_DISTRICT_NAMES = {label: value for value, label in District.choices} | {
    label.removesuffix("区"): value for value, label in District.choices
}
_DISTRICT = re.compile("|".join(sorted(map(re.escape, _DISTRICT_NAMES), key=len, reverse=True)))
_ANY_DISTRICT = re.compile(
    r"(?:区域|所在区|区)不限|不限(?:区域|所在区|区)|各区均可|全市范围|本市各区"
)


def employer_district(plan: Plan, text: str) -> list[str]:
    allowed = set(plan.employer_districts or [])
    quotes = []
    for clause in clauses(text):
        if not _WORKPLACE.search(clause):
            continue
        named = {_DISTRICT_NAMES[match] for match in _DISTRICT.findall(clause)}
        if (named and named != allowed) or (allowed and _ANY_DISTRICT.search(clause)):
            quotes.append(_quote(clause))
    return _unique(quotes)
