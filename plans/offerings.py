"""What the pages of lower apps may ask plans: the project page (projects/views.py) shows the
public plans offering a project and is cached until the next plan boundary. These are the named
functions it reads through, never plans' models or querysets (README, "The room order")."""

from datetime import datetime

from plans.models import Plan, PlanProject


def public_offerings(project_id: int) -> list[PlanProject]:
    """The public plans' offerings of a project, latest registration first, with their plan."""
    return list(
        PlanProject.objects.public()
        .filter(project_id=project_id)
        .select_related("plan")
        .order_by("-plan__registration_starts_at", "-plan_id")
    )


def next_change(after: datetime) -> datetime | None:
    """The next instant a public plan crosses a boundary (the page cache keeps pages until it)."""
    return Plan.objects.next_change(after)
