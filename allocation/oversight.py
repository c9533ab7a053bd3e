"""What staff oversee after the draw: each group's figures (复核, 已选 / 剩余 / 放弃 / 逾期 /
已签约) on the plan's admin page, and the CSV the 运营单位 get. A fixed number of queries
whatever the plan's size: each count is one GROUP BY."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.utils import timezone

from allocation.models import Choice, Home, Recheck, Turn
from lottery.models import Draw, Entry
from plans.models import Plan


@dataclass
class GroupFigures:
    number: int
    name: str
    entrants: int = 0
    reviewing: int = 0
    passed: int = 0
    failed: int = 0
    chosen: int = 0
    signed: int = 0
    released: int = 0
    gave_up: int = 0
    expired: int = 0
    homes: int = 0
    homes_left: int = 0

    @property
    def called(self) -> int:
        return self.reviewing + self.passed + self.failed

    @property
    def waiting(self) -> int:
        """候补: not yet called to 资格复核."""
        return self.entrants - self.called


def figures(plan: Plan) -> list[GroupFigures]:
    draw = Draw.objects.filter(plan=plan).first()
    if draw is None or not draw.is_drawn:
        return []
    groups = {
        number: GroupFigures(number, draw.group_name(number))
        for number in range(1, len(draw.groups) + 1)
    }
    entries = Entry.objects.filter(draw=draw)
    for group, count in entries.values_list("group").annotate(n=Count("pk")).order_by():
        groups[group].entrants = count
    rechecks = Recheck.objects.filter(plan=plan).values_list("group", "state")
    for group, state, count in rechecks.annotate(n=Count("pk")).order_by():
        setattr(groups[group], state, count)
    ended = Turn.objects.filter(
        recheck__plan=plan, state__in=[Turn.State.GAVE_UP, Turn.State.EXPIRED]
    ).values_list("recheck__group", "state")
    for group, state, count in ended.annotate(n=Count("pk")).order_by():
        setattr(groups[group], state, count)
    choices = Choice.objects.filter(recheck__plan=plan).values_list("recheck__group", "state")
    for group, state, count in choices.annotate(n=Count("pk")).order_by():
        setattr(groups[group], state, count)
    group_of = dict(entries.values_list("registration__offering", "group").distinct().order_by())
    homes = Home.objects.filter(offering__plan=plan).values_list("offering", "state")
    for offering, state, count in homes.annotate(n=Count("pk")).order_by():
        figures_of = groups.get(group_of.get(offering))
        if figures_of is None:
            continue  # homes of a project nobody drew for
        figures_of.homes += count
        if state == Home.State.AVAILABLE:
            figures_of.homes_left += count
    return list(groups.values())


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "分组",
    "顺序号",
    "摇号编码",
    "登记编号",
    "姓名",
    "手机号",
    "登记项目",
    "资格复核",
    "选房结果",
    "房源",
    "房型",
    "建筑面积（㎡）",
    "月租金（元/月）",
    "选房时间",
    "代为选房",
    "签约截止时间",
    "签约时段",
    "签约时间",
]


def csv_rows(plan: Plan) -> Iterator[str]:
    """Every entrant called to 资格复核, in order, with their outcome and home; the BOM makes
    Excel read the Chinese. Phones are masked, as in the registrations' export."""
    draw = Draw.objects.get(plan=plan)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    holding = Choice.objects.select_related("home__rent_item", "slot").order_by("-chosen_at")
    last_turn = Turn.objects.exclude(state=Turn.State.WAITING).order_by("-ended_at")
    rechecks = (
        Recheck.objects.filter(plan=plan)
        .select_related(
            "entry",
            "registration__applicant",
            "registration__info",
            "registration__offering__project",
        )
        .prefetch_related(
            Prefetch("choices", queryset=holding, to_attr="all_choices"),
            Prefetch("turns", queryset=last_turn, to_attr="ended_turns"),
        )
        .order_by("group", "position")
    )
    for recheck in rechecks.iterator(chunk_size=1000):
        registration = recheck.registration
        choice = recheck.all_choices[0] if recheck.all_choices else None
        turn = recheck.ended_turns[0] if recheck.ended_turns else None
        outcome = (
            choice.get_state_display() if choice else (turn.get_state_display() if turn else "")
        )
        home = choice.home if choice else None
        yield writer.writerow(
            [
                draw.group_name(recheck.group),
                recheck.position,
                recheck.entry.code,
                registration.number,
                registration.info.real_name,
                registration.applicant.masked_phone,
                registration.offering.project.name,
                recheck.get_state_display() + (f"（{recheck.reason}）" if recheck.reason else ""),
                outcome,
                home.label if home else "",
                home.rent_item.room_type if home else "",
                home.area if home else "",
                home.monthly_rent if home else "",
                _local(choice.chosen_at) if choice else "",
                ("是" if choice.on_behalf else "否") if choice else "",
                _local(choice.sign_by) if choice else "",
                str(choice.slot) if choice and choice.slot else "",
                _local(choice.signed_at) if choice and choice.signed_at else "",
            ]
        )


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
