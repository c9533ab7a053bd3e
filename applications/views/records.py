"""配租记录 (manual 6.1), 取消登记 (6.2), 查看审核结果 (7.1), and the public record check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from applications import pdf
from applications.access import registration_or_404
from applications.models import InvalidTransition, Registration
from applications.tasks import render_record_ahead
from rentcenter import ratelimit

# WeasyPrint takes about half a second of CPU per record: enough for any person printing,
# not for a script hammering the export.
PDF_EXPORTS_PER_HOUR = 30


@require_GET
@login_required
def records(request: HttpRequest) -> HttpResponse:
    registrations = list(
        Registration.objects.of(request.user).select_related(
            "plan", "offering__project", "lottery_entry__draw"
        )
    )
    taken = {r.plan_id for r in registrations if r.is_active}
    for registration in registrations:
        registration.offers_register_again = (
            registration.plan_id not in taken and registration.can_register_again()
        )
    return render(request, "applications/records.html", {"registrations": registrations})


@require_GET
@login_required
def record(request: HttpRequest, number: str) -> HttpResponse:
    registration = registration_or_404(request, number)
    taken = Registration.objects.of(request.user).active().filter(plan=registration.plan_id)
    registration.offers_register_again = registration.can_register_again() and not taken.exists()
    render_record_ahead(registration)  # 导出 PDF is on this page
    context = {
        "registration": registration,
        "info": registration.info,
        "events": registration.events.all(),
        "corrections": registration.documents_to_correct(),
    }
    return render(request, "applications/record.html", context)


@require_GET
@login_required
def record_pdf(request: HttpRequest, number: str) -> HttpResponse:
    registration = registration_or_404(request, number)
    limit = ratelimit.hit(f"pdf:{request.user.pk}", limit=PDF_EXPORTS_PER_HOUR, window=3600)
    if not limit.allowed:
        messages.warning(request, "导出过于频繁，请稍后再试。")
        return redirect(registration)
    response = HttpResponse(pdf.record_pdf(registration), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{registration.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    """取消登记: a confirmation page, then the POST that cancels."""
    registration = registration_or_404(request, number)
    if request.method == "POST":
        try:
            registration.cancel(by=request.user)
        except InvalidTransition as refusal:
            messages.error(request, str(refusal))
            return redirect(registration)
        messages.success(request, f"已取消登记 {registration.number}。")
        return redirect("applications:records")
    if refusal := registration.cancel_refusal():
        messages.warning(request, refusal)
        return redirect(registration)
    return render(request, "applications/cancel.html", {"registration": registration})


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: does this record exist, and where is it? No personal data."""
    registration = get_object_or_404(
        Registration.objects.select_related("plan", "offering__project"), verification_code=code
    )
    # The record as it stands now, and since when: a printout of a cancelled or rejected
    # registration must not read as valid (issue 16).
    context = {"registration": registration, "changed": registration.events.last()}
    return render(request, "applications/verify.html", context)
