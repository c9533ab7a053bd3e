"""项目详情 and 户型详情: public pages from the page cache (rentcenter/pagecache.py).

已登记人数 and 立即登记 live in one fragment shared by every visitor and polled every
OFFERINGS_SECONDS, so that the button appears at 登记开始 without a reload. An applicant who
already holds a registration in a plan must not be offered 立即登记 for it again, on any of its
projects (issue 16): for a signed-in visitor, and only while some plan of the fragment is
open for registration, each plan's 立即登记 slot (marked in the template) becomes 已登记 with
the way to the record (`for_visitor`). That costs one query on the visitor's own registrations
per page and per poll of a signed-in visitor; the shared fragment itself stays shared, and
visitors without a session (the cached public page) never pay it.
"""

import re
import time
from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from allocation.homes import home_counts
from applications.registration import held_registrations, registered_counts
from plans import offerings as plan_offerings
from projects.models import Project
from rentcenter import pagecache
from rentcenter.http import HtmxHttpRequest

if TYPE_CHECKING:
    from plans.models import PlanProject

# 已登记人数 may be this many seconds old; the page says so and polls at this pace.
OFFERINGS_SECONDS = 10


def public_project_or_404(project_id: int) -> tuple[Project, list["PlanProject"]]:
    """A project with the public plans that offer it; a project only in drafts is a 404."""
    project = get_object_or_404(Project, pk=project_id)
    offerings = plan_offerings.public_offerings(project.pk)
    if not offerings:
        raise Http404("项目不存在")
    return project, offerings


@require_GET
@vary_on_headers("HX-Request")
def detail(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """项目详情. htmx polls the #offerings fragment to refresh 已登记人数 and the countdown."""
    if request.htmx:
        response = HttpResponse(offerings_html(request, project_id))
        if request.user.is_authenticated:
            # A signed-in visitor's fragment may say 已登记: theirs alone, asked again each time.
            response["Cache-Control"] = "private, no-cache"
        else:
            fresh_for = request.pagecache_fresh_until - time.time()
            response["Cache-Control"] = pagecache.public_cache_control(fresh_for)
        return response
    return detail_page(request, project_id)


@pagecache.public_page(until=plan_offerings.next_change)
def detail_page(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project, offerings = public_project_or_404(project_id)
    context = {
        "project": project,
        "offerings": offerings,
        "photos": project.photos.all(),
        "floor_plans": project.floor_plans.all(),
    }
    return render(request, "projects/detail.html", context)


def offerings_html(request: HtmxHttpRequest, project_id: int) -> str:
    """The project's plans with their 已登记人数 and countdowns: the same for every visitor,
    rendered once per OFFERINGS_SECONDS (or sooner when a plan changes state) and shared."""

    def render_offerings() -> tuple[str, object]:
        project, offerings = public_project_or_404(project_id)
        counts = registered_counts(offering.pk for offering in offerings)
        homes = home_counts(offering.pk for offering in offerings)
        for offering in offerings:
            offering.registered_count = counts[offering.pk]
            # 房源: the homes imported for 选房 once there are any, else the plan's figure.
            offering.home_total = homes.get(offering.pk, (offering.homes, 0))[0]
            offering.homes_left = homes[offering.pk][1] if offering.pk in homes else None
            offering.competition = (
                round(offering.registered_count / offering.home_total, 1)
                if offering.home_total
                else None
            )
        context = {
            "project": project,
            "offerings": offerings,
            "seconds": OFFERINGS_SECONDS,
            # Nothing changes by itself on a page of ended plans: no polling there.
            "live": any(
                offering.plan.state != offering.plan.RegistrationState.ENDED
                for offering in offerings
            ),
        }
        html = render_to_string("projects/detail.html#offerings", context)
        now = timezone.now()
        changes = (offering.plan.next_change(now) for offering in offerings)
        return html, min((at for at in changes if at), default=None)

    html = pagecache.live_fragment(
        request,
        f"pagecache:offerings:{project_id}",
        seconds=OFFERINGS_SECONDS,
        render=render_offerings,
    )
    return for_visitor(request, html, project_id)


REGISTER_SLOT = re.compile(r"<!--register:(\d+)-->.*?<!--/register-->", re.DOTALL)


def for_visitor(request: HttpRequest, html: str, project_id: int) -> str:
    """The shared fragment with each 立即登记 of a plan the signed-in visitor holds a
    registration in replaced by 已登记 and the link to that record. Visitors answered from the
    public cache come here before authentication (no `user`): nothing to replace."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or "<!--register:" not in html:
        return html
    plan_ids = {int(plan_id) for plan_id in REGISTER_SLOT.findall(html)}
    held = held_registrations(user, plan_ids)
    if not held:
        return html

    def replace(slot: re.Match) -> str:
        registration = held.get(int(slot.group(1)))
        if registration is None:
            return slot.group(0)
        context = {"held": registration, "here": registration.project_id == project_id}
        return render_to_string("projects/includes/registered_slot.html", context)

    return REGISTER_SLOT.sub(replace, html)


OFFERINGS = pagecache.HoleKind(
    "offerings",
    capture=lambda project: {"project_id": project.pk},
    render=lambda request, holes: [offerings_html(request, h["project_id"]) for h in holes],
    personal=False,
)


@require_GET
@pagecache.public_page(until=plan_offerings.next_change)
def floor_plan(request: HtmxHttpRequest, project_id: int, floor_plan_id: int) -> HttpResponse:
    """户型详情: indoor photos and the project's rent list."""
    project, offerings = public_project_or_404(project_id)
    floor_plan = get_object_or_404(project.floor_plans, pk=floor_plan_id)
    context = {
        "project": project,
        "offerings": offerings,
        "floor_plan": floor_plan,
        "photos": floor_plan.photos.all(),
        "rent_items": project.rent_items.all(),
    }
    return render(request, "projects/floor_plan.html", context)
