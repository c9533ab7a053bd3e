"""Loading what a request may see: every applicant object goes through its owner's queryset,
so another applicant's id or number is a 404, never someone else's data."""

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts import staff_otp
from applications.models import ApplicationInfo, Document, Registration
from plans.models import Plan

REVIEW_PERMISSION = "applications.review_document"


def public_plan_or_404(plan_id: int) -> Plan:
    return get_object_or_404(Plan.objects.public(), pk=plan_id)


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


def document_or_404(request: HttpRequest, document_id: int) -> Document:
    """The owner's document; staff who review registrations may open any, once they have
    passed admin's second factor (accounts.admin_site), as admin's own pages require."""
    user = request.user
    if user.is_staff and staff_otp.is_verified(user) and user.has_perm(REVIEW_PERMISSION):
        return get_object_or_404(Document, pk=document_id)
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(Document.objects.owned_by(request.user), pk=document_id)
