"""The staff dashboard of a plan (数据看板, a panel of the plan's admin page that this app adds in
admin.py): who registered where and when, and how review is going.

Figures come from a handful of aggregate queries whatever the number of registrations; the
daily chart is drawn as SVG on the server (no JavaScript library).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from applications.models import INACTIVE, Progress, Registration
from plans.models import Plan


@dataclass(frozen=True)
class ProjectRow:
    name: str
    homes: int
    active: int

    @property
    def ratio(self) -> float | None:
        """Registrations per home offered (竞争比)."""
        return round(self.active / self.homes, 2) if self.homes else None


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Statistics:
    projects: list[ProjectRow]
    progress: list[tuple[str, int]]
    days: list[Bar]
    total: int
    active: int
    rejected: int
    cancelled: int
    homes: int
    duplicates_prevented: int
    chart_width: int
    chart_height: int
    peak: int


CHART_HEIGHT = 160
BAR_WIDTH = 28
BAR_GAP = 8


def statistics(plan: Plan) -> Statistics:
    registrations = Registration.objects.filter(plan=plan)
    # 有效登记: as 已登记人数 counts them, neither cancelled nor rejected (a rejected applicant
    # may register again, and would otherwise count twice).
    active = ~Q(registrations__progress__in=INACTIVE)
    offerings = plan.plan_projects.select_related("project").annotate(
        active_count=Count("registrations", filter=active)
    )
    projects = [ProjectRow(o.project.name, o.homes, o.active_count) for o in offerings]
    by_progress = dict(registrations.values_list("progress").annotate(n=Count("id")).order_by())
    per_day = (
        registrations.annotate(day=TruncDate("created_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    days = _bars(dict(per_day))
    return Statistics(
        projects=projects,
        progress=[(label, by_progress.get(value, 0)) for value, label in Progress.choices],
        days=days,
        # 有效登记 + 审核不通过 + 已取消 = 登记总数: none of them is hidden (issue 16).
        total=sum(by_progress.values()),
        active=sum(n for p, n in by_progress.items() if p not in INACTIVE),
        rejected=by_progress.get(Progress.REJECTED, 0),
        cancelled=by_progress.get(Progress.CANCELLED, 0),
        homes=sum(row.homes for row in projects),
        duplicates_prevented=plan.duplicates_prevented,
        chart_width=max(1, len(days)) * (BAR_WIDTH + BAR_GAP) + BAR_GAP,
        chart_height=CHART_HEIGHT,
        peak=max((bar.count for bar in days), default=0),
    )


def _bars(counts: dict[date, int]) -> list[Bar]:
    """One bar per day from the first registration to the last, empty days included."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    peak = max(counts.values())
    bars = []
    for index in range((last - first).days + 1):
        day = first + timedelta(days=index)
        count = counts.get(day, 0)
        height = (CHART_HEIGHT - 20) * count / peak if peak else 0
        x = BAR_GAP + index * (BAR_WIDTH + BAR_GAP)
        bars.append(Bar(day, count, x, CHART_HEIGHT - height, height))
    return bars
