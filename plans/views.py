import functools
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from applications.registration import (
    NO_STATE,
    SCREENING_FIELDS,
    PlansState,
    plans_state,
    progress_of,
    real_name_unmet,
    unmet_rules,
)
from plans.models import Plan, PlanProject
from projects.models import Project, cover_prefetch
from rentcenter.pagecache import HoleKind, page_number, public_page

PLANS_PER_PAGE = 10


def public_plan_or_404(plan_id: int) -> Plan:
    """A plan a visitor may see; drafts do not exist for the public."""
    return get_object_or_404(Plan.objects.public(), pk=plan_id)


@require_GET
@public_page(until=Plan.objects.next_change, params={"page": page_number})
def home(request: HttpRequest) -> HttpResponse:
    offerings = PlanProject.objects.select_related("project").prefetch_related(
        cover_prefetch("project__photos")
    )
    plans = Plan.objects.public().prefetch_related(Prefetch("plan_projects", queryset=offerings))
    paginator = Paginator(plans, PLANS_PER_PAGE)
    number = int(request.GET.get("page", "1"))  # canonical: the decorator redirected others
    if number > paginator.num_pages:
        # A page that no longer exists (fewer plans than when the link was made): the last.
        return redirect(f"{request.path}?page={paginator.num_pages}", permanent=False)
    return render(request, "plans/home.html", {"page": paginator.page(number)})


@require_GET
@public_page(until=Plan.objects.next_change)
def announcement(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = public_plan_or_404(plan_id)
    announcements = plan.announcements.published().prefetch_related("attachments")
    offerings = plan.plan_projects.select_related("project")
    context = {"plan": plan, "announcements": announcements, "offerings": offerings}
    return render(request, "plans/announcement.html", context)


def applicant_state(request: HttpRequest, plan_ids: Iterable[int]) -> PlansState:
    """Which of these plans the visitor has filled in and registered for, so each card offers
    查看填报信息 instead of 填报信息 and leads to the existing registration."""
    if not request.user.is_authenticated:
        return NO_STATE
    return plans_state(request.user, plan_ids)


def _capture_plan(
    plan: Plan, project: Project | None = None, notice_only: bool = False
) -> dict[str, Any]:
    """What a plan's buttons depend on, fixed until the plan's next change (the page's end):
    its state, and the rules it screens by (so the buttons can say which ones a signed-in
    applicant does not meet without loading the plan again)."""
    return {
        "pk": plan.pk,
        "project_id": project.pk if project else None,
        # 项目详情 has its own 立即登记 in the polled fragment: only the visitor's state here.
        "notice_only": notice_only,
        "screening": tuple((name, _hashable(getattr(plan, name))) for name in SCREENING_FIELDS),
        "state": plan.state,
        "is_info_open": plan.is_info_open,
        "is_registration_open": plan.is_registration_open,
        "info_opens_at": plan.info_opens_at,
        "allows_registering_again": plan.allows_registering_again,
    }


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _render_plan_actions(request: HttpRequest, plans: list[dict[str, Any]]) -> list[str]:
    state = applicant_state(request, (plan["pk"] for plan in plans))
    unmet = _unmet_rules(request, plans, state)
    return [
        _plan_actions_html(
            tuple(plan.items()),
            submitted=plan["pk"] in state.submitted,
            progress=state.registered.get(plan["pk"], ""),
            rejection_reason=state.rejected.get(plan["pk"], ""),
            unmet=unmet.get(plan["pk"], ()),
        )
        for plan in plans
    ]


def _unmet_rules(
    request: HttpRequest, plans: list[dict[str, Any]], state: PlansState
) -> dict[int, tuple[tuple[str, bool], ...]]:
    """您目前不满足: for each plan the visitor could register for now with the form they
    submitted, the rules that form fails, as (sentence, fixable by editing the form): a cache
    read, a query only for a form or rules not seen yet today, nothing when there is nothing to
    register for."""
    if not request.user.is_authenticated:
        return {}
    today = timezone.localdate()
    candidates = {
        plan["pk"]: _screened_plan(plan)
        for plan in plans
        if plan["is_registration_open"] and state.may_register(plan["pk"])
    }
    # Before any form (or before registration opens): the rules the 实名 data decides (age)
    # are known already, and are said on every plan still open to the applicant, so no one
    # fills in a form in vain (issue 16).
    before_form = {
        plan["pk"]: _screened_plan(plan)
        for plan in plans
        if (plan["is_info_open"] or plan["is_registration_open"])
        and plan["pk"] not in candidates
        and plan["pk"] not in state.registered
    }
    return {
        **real_name_unmet(request.user, before_form, today),
        **unmet_rules(request.user, candidates, today, state.latest_info),
    }


def _screened_plan(plan: dict[str, Any]) -> Plan:
    """An unsaved Plan holding only the captured screening fields: what the rules read."""
    return _plan_screening(plan["screening"])


@functools.lru_cache(maxsize=256)
def _plan_screening(screening: tuple) -> Plan:
    """One per set of rules in a process, shared by every page that shows them: making a
    model instance for each plan of each signed-in page was a tenth of the page's CPU (make
    bench). Read only: the rules read its fields, nothing writes them."""
    return Plan(**{name: _listed(value) for name, value in screening})


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@functools.lru_cache(maxsize=4096)
def _plan_actions_html(
    plan: tuple,
    *,
    submitted: bool,
    progress: str,
    rejection_reason: str = "",
    unmet: tuple[tuple[str, bool], ...] = (),
) -> str:
    """The buttons depend on nothing else, so each combination is rendered once per process."""
    fields = dict(plan)
    context = {
        "unmet": list(unmet),
        "unmet_fixable": all(fixable for _, fixable in unmet),
        "plan": SimpleNamespace(**fields),
        "submitted_plan_ids": {fields["pk"]} if submitted else set(),
        "registered_plan_ids": {fields["pk"]} if progress else set(),
        "progress": progress_of(progress),
        "rejection_reason": rejection_reason,
    }
    return render_to_string("plans/includes/plan_actions.html", context)


# A plan's buttons: 填报信息 / 查看填报信息 / 立即登记 / 已登记, for whoever is looking.
PLAN_ACTIONS = HoleKind("plan_actions", capture=_capture_plan, render=_render_plan_actions)
