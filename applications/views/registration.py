"""配租登记 (manual section 五): 立即登记 from the home page or from 项目详情."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import real_name_required
from applications import eligibility
from applications import registration as registering
from applications.access import public_plan_and_offerings_or_404, registration_or_404
from applications.forms import RegistrationForm
from applications.models import ApplicationInfo, Registration
from plans.models import Plan, PlanProject
from rentcenter.forms import summary_errors

REJECTED_FINAL = "您在该计划的登记审核未通过。按本次配租公告，审核不通过后不能重新登记。"


@require_http_methods(["GET", "POST"])
@real_name_required
def register(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, offerings = public_plan_and_offerings_or_404(plan_id)
    if not plan.is_registration_open:
        messages.warning(request, f"“{plan.title}”当前不在登记时间内（{plan.state.label}）。")
        return redirect("plans:announcement", plan.pk)
    if request.method == "POST":
        form = RegistrationForm(request.POST, offerings=offerings)
        if form.is_valid():
            # The opening-day path: register() looks up the submission once and lets the
            # database find a second attempt; nothing is rendered.
            return _registered_or_refused(request, plan, form.cleaned_data["offering"])
    else:
        existing = Registration.objects.of(request.user).active().filter(plan=plan).first()
        if existing:
            messages.info(request, f"您已登记该计划，登记编号 {existing.number}。")
            return redirect(existing)
        if not registering.may_register_again(request.user, plan):
            messages.warning(request, REJECTED_FINAL)
            return redirect("applications:records")
        chosen = request.GET.get("project")
        initial = next((o.pk for o in offerings if str(o.project_id) == chosen), None)
        if initial is None and len(offerings) == 1:
            initial = offerings[0].pk  # nothing to choose
        form = RegistrationForm(offerings=offerings, initial={"offering": initial})
    info = ApplicationInfo.objects.latest_for(request.user, plan)
    if info is None:
        messages.warning(request, "登记前请先完成该计划的信息填报。")
        return redirect("applications:fill", plan.pk)
    context = {
        "plan": plan,
        "form": form,
        "info": info,
        # 您目前不满足, before 确认登记 too (the home page's notice may have been skipped).
        **_unmet(plan, info),
        "error_summary": summary_errors(form) if form.is_bound else [],
    }
    return render(request, "applications/register.html", context)


def _unmet(plan: Plan, info: ApplicationInfo) -> dict:
    """您目前不满足, before 确认登记 too (someone may come here without the home page)."""
    failures = eligibility.failures(plan=plan, info=info, today=timezone.localdate())
    return {
        "unmet": [(failure.sentence, failure.fixable) for failure in failures],
        "unmet_fixable": all(failure.fixable for failure in failures),
    }


def _registered_or_refused(request: HttpRequest, plan: Plan, offering: PlanProject) -> HttpResponse:
    try:
        outcome = registering.register(applicant=request.user, plan=plan, offering=offering)
    except registering.NotOpen:
        messages.warning(request, "登记时间已结束。")
        return redirect("plans:announcement", plan.pk)
    except registering.FamilyRegistered as refusal:
        context = {"plan": plan, "household": refusal.message}
        return render(request, "applications/register_refused.html", context)
    except registering.RejectedFinal:
        messages.warning(request, REJECTED_FINAL)
        return redirect("applications:records")
    except registering.NoInfo:
        messages.warning(request, "登记前请先完成该计划的信息填报。")
        return redirect("applications:fill", plan.pk)
    if outcome.failed_conditions:
        failed = outcome.failed_conditions
        context = {
            "plan": plan,
            "fixable": [f for f in failed if f.fixable],
            "unfixable": [f for f in failed if not f.fixable],
        }
        return render(request, "applications/register_refused.html", context)
    if not outcome.created:
        messages.info(
            request, f"您已完成登记，无需重复提交。登记编号 {outcome.registration.number}。"
        )
        return redirect(outcome.registration)
    return redirect("applications:registered", outcome.registration.number)


@require_GET
@real_name_required
def registered(request: HttpRequest, number: str) -> HttpResponse:
    """登记成功: the registration number and the way to 配租记录."""
    registration = registration_or_404(request, number)
    return render(request, "applications/registered.html", {"registration": registration})
