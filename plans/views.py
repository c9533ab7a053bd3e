from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

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
    return render(request, "plans/home.html", {"page": page})


@require_GET
def announcement(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = public_plan_or_404(plan_id)
    announcements = plan.announcements.published().prefetch_related("attachments")
    offerings = plan.plan_projects.select_related("project")
    context = {"plan": plan, "announcements": announcements, "offerings": offerings}
    return render(request, "plans/announcement.html", context)
