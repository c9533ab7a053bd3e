"""What 个人中心 says once the real name is verified: the plans still open whose rules the 实名
data already rules out (issue 16: an applicant of 41 learns it at 实名, not after the form)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from applications import eligibility
from plans.models import Plan


def real_name_rules_panel(request: HttpRequest) -> str:
    """配租计划的登记条件, for a verified applicant: every published plan whose registration has
    not ended, and the rules decided on the 实名 data that the applicant fails in each. Empty
    when no plan is open."""
    now = timezone.now()
    plans = list(
        Plan.objects.filter(status=Plan.Status.PUBLISHED, registration_ends_at__gt=now).order_by(
            "registration_starts_at", "pk"
        )
    )
    if not plans:
        return ""
    today = timezone.localdate(now)
    ruled_out = [
        (plan, failures)
        for plan in plans
        if (failures := eligibility.real_name_failures(plan=plan, person=request.user, today=today))
    ]
    context = {
        "ruled_out": ruled_out,
        "open_count": len(plans),
        "remedy": eligibility.Basis.REAL_NAME.remedy,
    }
    return render_to_string("applications/includes/real_name_rules.html", context, request=request)
