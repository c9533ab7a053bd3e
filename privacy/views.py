"""The applicant's rights over their data: the 个人信息处理规则, 下载我的个人信息 and 注销账号.

All three may be used before agreeing to a changed version of the rules (`consent_exempt`):
reading them, taking one's data and leaving need no agreement. Downloading and closing first
take a code texted to the account's own phone, as 更改手机号码 does (accounts.views' helpers).
"""

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import consent, otp
from accounts.forms import ConfirmPhoneForm, ConfirmPhoneSendCodeForm
from accounts.middleware import consent_exempt
from accounts.views import CODE_REFUSED, captcha_check, posted_form, render_code_form, text_code
from privacy import closure, retention
from privacy import export as exports
from privacy.forms import CloseAccountForm, CloseSendCodeForm
from privacy.models import DataExport
from rentcenter import media
from rentcenter.http import HtmxHttpRequest
from rentcenter.ratelimit import client_address

# How often the 我的个人信息 page looks whether a ZIP is ready, while one is being made.
POLL_SECONDS = 3


@consent_exempt
@require_GET
def rules(request: HttpRequest, number: int | None = None) -> HttpResponse:
    """个人信息处理规则: the current version, or an earlier one an account agreed to."""
    version = consent.current() if number is None else consent.version(number)
    if version is None:
        raise Http404
    context = {
        "version": version,
        "current": consent.current(),
        "versions": consent.VERSIONS,
        "retention": retention.RULES,
        "sensitive_items": consent.SENSITIVE_ITEMS,
        "exports_per_day": exports.EXPORTS_PER_DAY,
    }
    return render(request, "privacy/rules.html", context)


# 下载我的个人信息 ------------------------------------------------------------------------------


def _exports_context(request: HttpRequest) -> dict[str, object]:
    now = timezone.now()
    recent = list(DataExport.objects.filter(user=request.user)[:5])
    return {
        "exports": recent,
        "now": now,
        "pending": any(e.status == DataExport.Status.PENDING for e in recent),
        "poll_seconds": POLL_SECONDS,
        "exports_per_day": exports.EXPORTS_PER_DAY,
        "keep_days": settings.RETENTION_EXPORT_DAYS,
    }


@login_required
@consent_exempt
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def export(request: HtmxHttpRequest) -> HttpResponse:
    """下载我的个人信息: the code texted to the account's phone, then the ZIP is made."""
    user = request.user
    form = posted_form(request, ConfirmPhoneForm)
    if form.is_valid():
        code = form.cleaned_data["sms_code"]
        if otp.verify_code(phone=user.phone, purpose=otp.Purpose.EXPORT_DATA, code=code, user=user):
            try:
                exports.request_export(
                    user=user, address=client_address(request), now=timezone.now()
                )
            except exports.ExportRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, "已开始生成，通常一分钟内完成，完成后可在本页下载。")
                return redirect("privacy:export")
        else:
            form.add_error("sms_code", CODE_REFUSED)
    return render_code_form(request, "privacy/export.html", form, **_exports_context(request))


@login_required
@consent_exempt
@require_POST
@vary_on_headers("HX-Request")
def export_send_code(request: HtmxHttpRequest) -> HttpResponse:
    form = ConfirmPhoneSendCodeForm(request.POST, captcha_check=captcha_check(request))
    sent = text_code(request, form, purpose=otp.Purpose.EXPORT_DATA, user=request.user)
    context = {**_exports_context(request), **sent}
    return render_code_form(request, "privacy/export.html", form, **context)


@login_required
@consent_exempt
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The list of the page alone, which htmx fetches again while a ZIP is being made."""
    return render(request, "privacy/export.html#exports", _exports_context(request))


@login_required
@consent_exempt
@require_GET
def export_download(request: HttpRequest, token: str) -> FileResponse:
    """The ZIP, to its owner only, until it expires."""
    item = get_object_or_404(DataExport.objects.filter(user=request.user), token=token)
    if not item.is_downloadable(timezone.now()):
        raise Http404
    day = timezone.localtime(item.ready_at).strftime("%Y%m%d")
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=f"我的个人信息-{day}.zip"
    )
    media.protect(response, content_type="application/zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# 注销账号 ---------------------------------------------------------------------------------------


def _close_context(request: HttpRequest) -> dict[str, object]:
    return {"reasons": closure.blockers(request.user, now=timezone.now())}


@login_required
@consent_exempt
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def close(request: HtmxHttpRequest) -> HttpResponse:
    """注销账号: what happens, why it cannot happen now, or the code and the confirmation."""
    context = _close_context(request)
    form = posted_form(request, CloseAccountForm)
    if not context["reasons"] and form.is_valid():
        user, code = request.user, form.cleaned_data["sms_code"]
        if otp.verify_code(
            phone=user.phone, purpose=otp.Purpose.CLOSE_ACCOUNT, code=code, user=user
        ):
            try:
                closure.close_account(user=user, now=timezone.now())
            except closure.ClosureRefused as refused:
                context["reasons"] = refused.reasons
            else:
                auth.logout(request)
                messages.success(request, "您的账号已注销。")
                return redirect("privacy:closed")
        else:
            form.add_error("sms_code", CODE_REFUSED)
    return render_code_form(request, "privacy/close.html", form, **context)


@login_required
@consent_exempt
@require_POST
@vary_on_headers("HX-Request")
def close_send_code(request: HtmxHttpRequest) -> HttpResponse:
    context = _close_context(request)
    form = CloseSendCodeForm(request.POST, captcha_check=captcha_check(request))
    if context["reasons"]:
        form.is_valid()  # no code while the account cannot be closed
        return render_code_form(request, "privacy/close.html", form, **context)
    sent = text_code(request, form, purpose=otp.Purpose.CLOSE_ACCOUNT, user=request.user)
    return render_code_form(request, "privacy/close.html", form, **context, **sent)


@require_GET
def closed(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/closed.html")
