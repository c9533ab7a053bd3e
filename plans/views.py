from collections.abc import Iterable

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from applications.models import ApplicationInfo, Registration
from plans.models import Plan, PlanProject
from projects.models import cover_prefetch

PLANS_PER_PAGE = 10


def public_plan_or_404(plan_id: int) -> Plan:
    """A plan a visitor may see; drafts do not exist for the public."""
    return get_object_or_404(Plan.objects.public(), pk=plan_id)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    offerings = PlanProject.objects.select_related("project").prefetch_related(
        cover_prefetch("project__photos")
    )
    plans = Plan.objects.public().prefetch_related(Prefetch("plan_projects", queryset=offerings))
    page = Paginator(plans, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "plans/home.html", {"page": page, **applicant_state(request, page)})


def applicant_state(request: HttpRequest, plans: Iterable[Plan]) -> dict[str, set[int]]:
    """Which of these plans the signed-in applicant has filled in and registered for, so each
    card offers 查看填报信息 instead of 填报信息 and leads to the existing registration."""
    if not request.user.is_authenticated:
        return {"submitted_plan_ids": set(), "registered_plan_ids": set()}
    plan_ids = [plan.pk for plan in plans]
    submitted = ApplicationInfo.objects.of(request.user).filter(plan_id__in=plan_ids)
    registered = Registration.objects.of(request.user).active().filter(plan_id__in=plan_ids)
    return {
        "submitted_plan_ids": set(submitted.values_list("plan_id", flat=True)),
        "registered_plan_ids": set(registered.values_list("plan_id", flat=True)),
    }


@require_GET
def announcement(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = public_plan_or_404(plan_id)
    announcements = plan.announcements.published().prefetch_related("attachments")
    offerings = plan.plan_projects.select_related("project")
    context = {
        "plan": plan,
        "announcements": announcements,
        "offerings": offerings,
        **applicant_state(request, [plan]),
    }
    return render(request, "plans/announcement.html", context)
