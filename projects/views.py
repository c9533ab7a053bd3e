from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from applications.registration import registered_counts
from plans.models import PlanProject
from projects.models import Project
from rentcenter.http import HtmxHttpRequest

OFFERINGS_CACHE_SECONDS = 10


def public_project_or_404(project_id: int) -> tuple[Project, list[PlanProject]]:
    """A project with the public plans that offer it; a project only in drafts is a 404."""
    project = get_object_or_404(Project, pk=project_id)
    offerings = list(
        PlanProject.objects.public()
        .filter(project=project)
        .select_related("plan")
        .order_by("-plan__registration_starts_at", "-plan_id")
    )
    if not offerings:
        raise Http404("项目不存在")
    return project, offerings


def with_counts(offerings: list[PlanProject]) -> list[PlanProject]:
    counts = registered_counts(offering.pk for offering in offerings)
    for offering in offerings:
        offering.registered_count = counts[offering.pk]
    return offerings


@require_GET
@vary_on_headers("HX-Request")
def detail(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """项目详情. htmx polls the #offerings fragment to refresh 已登记人数 and the countdown.

    When a window opens, every open tab polls; the fragment is the same for everyone, so it is
    rendered once per OFFERINGS_CACHE_SECONDS and served from the shared cache in between.
    """
    if request.htmx:
        key = f"project-offerings:{project_id}"
        fragment = cache.get(key)
        if fragment is None:
            project, offerings = public_project_or_404(project_id)
            context = {"project": project, "offerings": with_counts(offerings)}
            fragment = render_to_string("projects/detail.html#offerings", context)
            cache.set(key, fragment, OFFERINGS_CACHE_SECONDS)
        return HttpResponse(fragment)
    project, offerings = public_project_or_404(project_id)
    template_name = "projects/detail.html"
    context = {
        "project": project,
        "offerings": with_counts(offerings),
        "photos": project.photos.all(),
        "floor_plans": project.floor_plans.all(),
    }
    return render(request, template_name, context)


@require_GET
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
