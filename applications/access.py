"""Loading what a request may see: every applicant object goes through its owner's queryset,
so another applicant's id or number is a 404, never someone else's data."""

import logging
from datetime import datetime

from django.conf import settings
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts import staff_otp
from applications.models import ApplicationInfo, Document, Registration
from plans.models import Plan, PlanProject
from rentcenter import ratelimit

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "applications.review_document"


def public_plan_or_404(plan_id: int) -> Plan:
    return get_object_or_404(Plan.objects.public(), pk=plan_id)


def public_plan_and_offerings_or_404(plan_id: int) -> tuple[Plan, list[PlanProject]]:
    """The plan and the projects it offers, each with its project, in one query: 立即登记 and
    确认登记 need all of them (确认登记 is the opening-day request). A plan that offers nothing
    is read on its own, and is a 404 as any plan the public may not see."""
    offerings = list(
        PlanProject.objects.public().filter(plan_id=plan_id).select_related("plan", "project")
    )
    if not offerings:
        return public_plan_or_404(plan_id), []
    plan = offerings[0].plan
    for offering in offerings:
        offering.plan = plan  # one plan object, as plan.plan_projects would give
    return plan, offerings


def registration_or_404(request: HttpRequest, number: str) -> Registration:
    registrations = Registration.objects.of(request.user).select_related(
        "plan", "offering__project", "info"
    )
    return get_object_or_404(registrations, number=number)


def info_or_404(request: HttpRequest, plan: Plan, reference: str) -> ApplicationInfo:
    """The latest version behind a 填报编号 (every version of a plan's form shares it)."""
    versions = ApplicationInfo.objects.of(request.user).filter(plan=plan, reference=reference)
    info = versions.order_by("-version").first()
    if info is None:
        raise Http404
    return info


class ReadsThrottled(Exception):
    """A staff member read documents faster than STAFF_DOCUMENT_LIMITS allow."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at


def document_or_404(request: HttpRequest, document_id: int) -> Document:
    """The owner's document; staff past admin's second factor (accounts.admin_site), as admin's
    own pages require: a superuser any, a reviewer (review_document) those of registrations in
    review (Document.objects.in_review: need-to-know), nobody else any. Staff reads are counted
    and throttled (ReadsThrottled), so that no account, however it was taken, can copy the
    files in bulk."""
    user = request.user
    if user.is_staff and staff_otp.is_verified(user) and user.has_perm(REVIEW_PERMISSION):
        documents = Document.objects.all() if user.is_superuser else Document.objects.in_review()
        document = get_object_or_404(documents, pk=document_id)
        _count_staff_read(user)
        return document
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(Document.objects.owned_by(request.user), pk=document_id)


def _count_staff_read(user) -> None:
    rules = [
        (f"documents:staff:{user.pk}", limit, window)
        for limit, window in settings.STAFF_DOCUMENT_LIMITS
    ]
    result = ratelimit.hit_all(rules)
    if not result.allowed:
        logger.warning("user %s was refused documents: too many reads", user.pk)
        raise ReadsThrottled(result.retry_at)
