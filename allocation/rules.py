"""选房规则: which homes an entrant may choose in their turn.

Each rule is one object carrying its check and its sentences, as the screening's rules do
(applications/eligibility.py): `describe` is what the 配租公告 and the turn page print for the
plan, `refusal` what an entrant reads when a home is refused. The list of homes offered in a
turn, the check when 确认选房 is pressed and the queue's test "has this entrant anything left to
choose" (allocation/turns.py) all run the same `allows`, so what is announced is what is
enforced.

1. The project: an entrant registered for one project of the plan (配租登记) and chooses among
   that project's homes only. Always set.
2. 按家庭人数选择居室 (ChoosingPolicy.bedrooms_by_household): a home of two or more bedrooms only
   for a household (applicant and 家庭成员 declared in the registration's 信息填报) of at least
   as many people as bedrooms, as Beijing's allocation of 公共租赁住房 sizes homes by household.
3. 按意向户型选房 (ChoosingPolicy.follows_preferred_room): an applicant who declared a 意向户型
   chooses a home of that type.
"""

from collections.abc import Callable
from dataclasses import dataclass

from allocation.models import ChoosingPolicy
from applications.models import RoomPreference

# 意向户型 → bedrooms (开间 has none).
PREFERRED_BEDROOMS = {
    RoomPreference.STUDIO: 0,
    RoomPreference.ONE: 1,
    RoomPreference.TWO: 2,
    RoomPreference.THREE: 3,
}
BEDROOM_WORDS = {0: "开间", 1: "一居室", 2: "两居室", 3: "三居室", 4: "四居室", 5: "五居室"}


def bedroom_words(bedrooms: int) -> str:
    return BEDROOM_WORDS.get(bedrooms, f"{bedrooms}居室")


@dataclass(frozen=True)
class Chooser:
    """What the rules read of an entrant: their registration's project and household."""

    offering_id: int
    household: int  # the applicant and declared 家庭成员
    preferred_room: str  # a RoomPreference value, or "" when none was declared


@dataclass(frozen=True)
class HomeKind:
    """What the rules read of a home."""

    offering_id: int
    bedrooms: int


@dataclass(frozen=True)
class Rule:
    name: str
    applies: Callable[[ChoosingPolicy], bool]
    describe: str  # the public sentence, on the 公告 and the turn page
    allows: Callable[[HomeKind, Chooser], bool]
    refusal: Callable[[HomeKind, Chooser], str]


def _same_project(home: HomeKind, chooser: Chooser) -> bool:
    return home.offering_id == chooser.offering_id


def _enough_people(home: HomeKind, chooser: Chooser) -> bool:
    return home.bedrooms < 2 or chooser.household >= home.bedrooms


def _preferred(home: HomeKind, chooser: Chooser) -> bool:
    wanted = PREFERRED_BEDROOMS.get(chooser.preferred_room)
    return wanted is None or home.bedrooms == wanted


RULES: tuple[Rule, ...] = (
    Rule(
        "project",
        applies=lambda policy: True,
        describe="只能选择本人登记的项目小区的房源。",
        allows=_same_project,
        refusal=lambda home, chooser: "该房源不在您登记的项目小区内，不能选择。",
    ),
    Rule(
        "household",
        applies=lambda policy: policy.bedrooms_by_household,
        describe=(
            "两居室及以上的房源，家庭人数（含申请人）须不少于居室数：两居室至少 2 人，"
            "三居室至少 3 人。"
        ),
        allows=_enough_people,
        refusal=lambda home, chooser: (
            f"该房源为{bedroom_words(home.bedrooms)}，须家庭人数（含申请人）不少于 "
            f"{home.bedrooms} 人，您登记的家庭人数为 {chooser.household} 人。"
        ),
    ),
    Rule(
        "preferred_room",
        applies=lambda policy: policy.follows_preferred_room,
        describe="信息填报时填写了意向户型的，只能选择意向户型的房源。",
        allows=_preferred,
        refusal=lambda home, chooser: (
            f"您填报的意向户型为{RoomPreference(chooser.preferred_room).label}，"
            f"该房源为{bedroom_words(home.bedrooms)}。"
        ),
    ),
)


def policy_of(plan_id: int) -> ChoosingPolicy:
    """The plan's 选房规则; a plan that set none has only the project rule."""
    return ChoosingPolicy.objects.filter(plan_id=plan_id).first() or ChoosingPolicy(plan_id=plan_id)


def active(policy: ChoosingPolicy) -> list[Rule]:
    return [rule for rule in RULES if rule.applies(policy)]


def published(policy: ChoosingPolicy) -> list[str]:
    """The plan's 选房规则 in public words, in the order they are checked."""
    return [rule.describe for rule in active(policy)]


def refusals(rules: list[Rule], home: HomeKind, chooser: Chooser) -> list[str]:
    """Why this home is not for this entrant; empty when it is."""
    return [rule.refusal(home, chooser) for rule in rules if not rule.allows(home, chooser)]


def allowed(rules: list[Rule], home: HomeKind, chooser: Chooser) -> bool:
    return all(rule.allows(home, chooser) for rule in rules)
