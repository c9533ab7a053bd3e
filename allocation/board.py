"""选房大厅: the public board of a plan's 选房, per project and 户型.

It shows the homes left of each project and room type, the 顺序号 choosing now in each group
and the last choices (顺序号 and 房号 only: no names, no phones). A thousand people may watch it
while a few choose, so it is a live hole of a cached page (rentcenter/pagecache.py), as
已登记人数 is on 项目详情: rendered at most once per BOARD_SECONDS for everyone, never kept past the
instant the running turn ends by itself, and dropped as soon as a choice, a release or a change
of the homes commits (`forget`), so the board shows a choice within one polling interval. htmx
asks for it every BOARD_SECONDS; without JavaScript the page has a 刷新 link.

One render costs a fixed number of queries whatever the number of homes and entrants: the
homes counted by project and room type, the latest sessions, each group's queue (three
queries, or the cached snapshot), the last choices.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from allocation import turns
from allocation.models import Choice, Home
from lottery.models import Draw
from plans.models import Plan
from rentcenter import pagecache

# The board may be this many seconds old; the page says so and polls at this pace.
BOARD_SECONDS = 3
LAST_CHOICES = 10


@dataclass(frozen=True)
class GroupLine:
    name: str
    session: object
    queue: turns.Snapshot


def board_key(plan_id: int) -> str:
    return f"pagecache:hall:{plan_id}"


def forget(plan_id: int) -> None:
    pagecache.forget_live(board_key(plan_id))


def home_rows(plan: Plan) -> list[dict]:
    """Per project and room type: homes in all and still 可选."""
    return list(
        Home.objects.filter(offering__plan=plan)
        .values(
            "offering__project__name",
            "offering__position",
            "rent_item__room_type",
            "rent_item__area",
            "rent_item__position",
            "rent_item_id",
        )
        .annotate(
            total=Count("pk"),
            left=Count("pk", filter=Q(state=Home.State.AVAILABLE)),
            monthly_min=Min("monthly_rent"),
        )
        .order_by("offering__position", "offering__project__name", "rent_item__position")
    )


def last_choices(plan: Plan) -> list[dict]:
    """The latest choices: 顺序号 and 房号, nothing about the person."""
    rows = (
        Choice.objects.filter(recheck__plan=plan)
        .order_by("-chosen_at", "-pk")
        .values_list(
            "recheck__position",
            "home__building",
            "home__unit",
            "home__number",
            "home__offering__project__name",
            "state",
        )[:LAST_CHOICES]
    )
    return [
        {
            "position": position,
            "label": Home(building=building, unit=unit, number=number).label,
            "project": project,
            "released": state == Choice.State.RELEASED,
        }
        for position, building, unit, number, project, state in rows
    ]


def data(plan: Plan, now: datetime) -> dict:
    draw = Draw.objects.filter(plan=plan).first()
    groups = []
    for group, session in sorted(turns.latest_sessions(plan).items()):
        name = draw.group_name(group) if draw else ""
        groups.append(GroupLine(name, session, turns.snapshot(session, now)))
    rows = home_rows(plan)
    projects: dict[str, list[dict]] = {}
    for row in rows:
        projects.setdefault(row["offering__project__name"], []).append(row)
    return {
        "plan": plan,
        "groups": groups,
        "grouped": bool(draw and draw.grouped),
        "projects": projects,
        "left": sum(row["left"] for row in rows),
        "total": sum(row["total"] for row in rows),
        "choices": last_choices(plan),
        "seconds": BOARD_SECONDS,
        "now": now,
    }


def drawn_public_plan(plan_id: int) -> Plan:
    """A public plan whose draw is done (before it there is no board): else a 404."""
    plan = get_object_or_404(Plan.objects.public(), pk=plan_id)
    if not Draw.objects.filter(plan=plan, state=Draw.State.DRAWN).exists():
        raise Http404("尚未摇号")
    return plan


def board_html(request, plan_id: int) -> str:
    """The board's fragment, shared by every visitor (see the module docstring). A poll that
    finds it in the cache costs no query: the plan was checked when it was rendered."""

    def render() -> tuple[str, datetime | None]:
        plan = drawn_public_plan(plan_id)
        now = timezone.now()
        context = data(plan, now)
        html = render_to_string("allocation/hall.html#board", context)
        changes = [group.queue.valid_until for group in context["groups"]]
        upcoming = [at for at in changes if at > now]
        return html, min(upcoming, default=None)

    return pagecache.live_fragment(
        request, board_key(plan_id), seconds=BOARD_SECONDS, render=render
    )


BOARD = pagecache.HoleKind(
    "allocation_board",
    capture=lambda plan: {"plan_id": plan.pk},
    render=lambda request, holes: [board_html(request, hole["plan_id"]) for hole in holes],
    personal=False,
)
