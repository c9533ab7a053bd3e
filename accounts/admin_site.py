"""Django admin behind two factors. Staff log in with phone and password (throttled by
django-axes, accounts.staff_login), then type a code from their authenticator app or a backup
code (accounts.staff_otp); one without an app enrols first. Until the code is typed the session
is signed in but admin answers no page: `has_permission` is the check every admin view makes,
the model pages and the custom ones (数据看板, 冻结名单, 摇号, 审核) alike.

The second factor is only offered to a session whose password was checked here: a staff
member's phone also opens the public site by SMS code, and that must not be a way around the
password to enrolling a new authenticator.
"""

import logging
import time

import django_otp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import otp, staff_login, staff_otp
from rentcenter import crypto
from rentcenter.ratelimit import client_ip

logger = logging.getLogger(__name__)

# The account whose password this session proved at the admin login.
PASSWORD_CHECKED = "accounts.admin_password_user"  # noqa: S105 (a session key)
# The phone's proof before enrolment: {"user": pk, "at": when} (staff_otp.PHONE_PROOF_SECONDS).
ENROL_PHONE = "accounts.otp_enrol_phone"
# The secret being enrolled, until a first code confirms it: encrypted like the stored ones,
# sessions being kept in the database too.
ENROL_KEY = "accounts.otp_enrol_key"
# The backup codes just made, shown once.
NEW_BACKUP_CODES = "accounts.otp_backup_codes"


class OneTimeCodeInput(forms.TextInput):
    """A code is never typed back into the box: after a wrong one, the next try starts empty."""

    def format_value(self, value: object) -> None:
        return None


class CodeForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        max_length=32,
        error_messages={
            "required": "请输入验证码。",
            "max_length": "验证码不超过 %(limit_value)d 个字符。",
        },
        widget=OneTimeCodeInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


get_or_post = method_decorator(require_http_methods(["GET", "POST"]))
uncached = method_decorator(never_cache)


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_otp.is_verified(request.user)

    def get_urls(self) -> list:
        return [
            path("second-factor/", self.second_factor_view, name="second_factor"),
            path("second-factor/enrol/", self.enrol_view, name="second_factor_enrol"),
            path(
                "second-factor/enrol/phone/",
                self.enrol_phone_view,
                name="second_factor_enrol_phone",
            ),
            path(
                "second-factor/backup-codes/",
                self.admin_view(self.backup_codes_view),
                name="backup_codes",
            ),
            *super().get_urls(),
        ]

    # The password ---------------------------------------------------------------------------

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "GET" and self._awaits_second_factor(request):
            return self._to_second_factor(request)
        response = super().login(request, extra_context)
        if getattr(request, "axes_locked_out", False):
            return self._show_lockout(request, response)
        if request.method == "POST" and response.status_code == 302:
            user = request.user
            request.session[PASSWORD_CHECKED] = user.pk
            logger.info("user %s passed the admin password from %s", user.pk, client_ip(request))
            if self._awaits_second_factor(request):
                return self._to_second_factor(request)
        return response

    def _show_lockout(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The login page again, its one error saying until when the login is closed."""
        credentials = getattr(request, "axes_credentials", None)
        staff_login.log_lockout(request, credentials)
        form = response.context_data["form"]
        form._errors = ErrorDict()
        form._errors[NON_FIELD_ERRORS] = form.error_class(
            [staff_login.lockout_message(request, credentials)], error_class="nonfield"
        )
        response.status_code = 429
        response.shows_lockout = True
        return response

    # The second factor ----------------------------------------------------------------------

    def _awaits_second_factor(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and request.session.get(PASSWORD_CHECKED) == user.pk
            and not staff_otp.is_verified(user)
        )

    def _next(self, request: HttpRequest) -> str:
        candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        allowed = url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return candidate if candidate and allowed else reverse("admin:index", current_app=self.name)

    def _to_second_factor(self, request: HttpRequest) -> HttpResponse:
        name = "second_factor" if staff_otp.has_device(request.user) else "second_factor_enrol"
        url = reverse(f"admin:{name}", current_app=self.name)
        return redirect(f"{url}?{urlencode({REDIRECT_FIELD_NAME: self._next(request)})}")

    def _not_awaiting(self, request: HttpRequest) -> HttpResponse:
        """A verified session goes on; any other goes to the password first."""
        if self.has_permission(request):
            return redirect(self._next(request))
        login = reverse("admin:login", current_app=self.name)
        return redirect(f"{login}?{urlencode({REDIRECT_FIELD_NAME: self._next(request)})}")

    def _page(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        site = self.each_context(request)
        if not site["has_permission"]:
            # Not yet in admin: no list of what is inside.
            site.update(available_apps=[], is_nav_sidebar_enabled=False)
        context = {
            **site,
            "title": title,
            "next": self._next(request),
            "masked_phone": request.user.masked_phone,
            "issuer": settings.OTP_TOTP_ISSUER,
            **context,
        }
        return TemplateResponse(request, f"accounts/admin/{template}", context)

    @uncached
    @get_or_post
    def second_factor_view(self, request: HttpRequest) -> HttpResponse:
        if not self._awaits_second_factor(request):
            return self._not_awaiting(request)
        if not staff_otp.has_device(request.user):
            return self._to_second_factor(request)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            result = staff_otp.verify(user=request.user, token=form.cleaned_data["token"])
            if result.device is not None:
                return self._verified(request, result.device)
            form.add_error("token", refusal(result.locked_until))
            logger.warning("user %s typed a wrong second-factor code", request.user.pk)
        return self._page(request, "second_factor.html", "双重验证", form=form)

    def _verified(self, request: HttpRequest, device) -> HttpResponse:
        django_otp.login(request, device)
        logger.info("user %s passed the second factor (%s)", request.user.pk, device.name)
        if isinstance(device, staff_otp.StaticDevice):
            left = staff_otp.backup_codes_left(request.user)
            messages.warning(
                request,
                f"已使用一个备用验证码，还剩 {left} 个。手机找回或更换后，"
                "请在“备用验证码”页面重新生成；手机丢失请联系系统管理员重置。",
            )
        return self._known_from_now(request, redirect(self._next(request)))

    def _known_from_now(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """This browser passed the second factor: a known device of the account from now on
        (accounts.staff_login), tied to its authenticator app."""
        app = staff_otp.StaffTOTPDevice.objects.filter(user=request.user, confirmed=True).first()
        if app is not None:
            staff_login.remember_device(response, app)
        return response

    def _phone_proved(self, request: HttpRequest) -> bool:
        proof = request.session.get(ENROL_PHONE) or {}
        return (
            proof.get("user") == request.user.pk
            and time.time() - proof.get("at", 0) < staff_otp.PHONE_PROOF_SECONDS
        )

    def _redirect_with_next(self, request: HttpRequest, name: str) -> HttpResponse:
        url = reverse(f"admin:{name}", current_app=self.name)
        return redirect(f"{url}?{urlencode({REDIRECT_FIELD_NAME: self._next(request)})}")

    @uncached
    @get_or_post
    def enrol_phone_view(self, request: HttpRequest) -> HttpResponse:
        """验证手机号: the code texted to the account's phone, before any secret is shown."""
        if not self._awaits_second_factor(request):
            return self._not_awaiting(request)
        user = request.user
        if staff_otp.has_device(user):
            return self._to_second_factor(request)
        context: dict[str, object] = {}
        sending = request.method == "POST" and "send" in request.POST
        form = CodeForm(request.POST if request.method == "POST" and not sending else None)
        if sending:
            try:
                staff_otp.send_enrolment_code(user=user, address=client_ip(request))
                context["sent"] = True
            except otp.SendRefused as refused:
                context["send_refused"] = str(refused)
        elif form.is_valid():
            if staff_otp.enrolment_code_matches(user=user, code=form.cleaned_data["token"]):
                request.session[ENROL_PHONE] = {"user": user.pk, "at": time.time()}
                return self._redirect_with_next(request, "second_factor_enrol")
            form.add_error("token", "短信验证码不正确或已失效，请重新输入或重新获取。")
            logger.warning("user %s typed a wrong enrolment code", user.pk)
        return self._page(request, "enrol_phone.html", "验证手机号", form=form, **context)

    @uncached
    @get_or_post
    def enrol_view(self, request: HttpRequest) -> HttpResponse:
        if not self._awaits_second_factor(request):
            return self._not_awaiting(request)
        user = request.user
        if staff_otp.has_device(user):
            return self._to_second_factor(request)
        if not self._phone_proved(request):
            return self._redirect_with_next(request, "second_factor_enrol_phone")
        key = _pending_key(request) or staff_otp.new_key()
        request.session[ENROL_KEY] = crypto.encrypt(key)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                codes = staff_otp.enrol(user=user, key=key, token=form.cleaned_data["token"])
            except staff_otp.AlreadyEnrolled:
                return self._to_second_factor(request)
            if codes is not None:
                del request.session[ENROL_KEY]
                del request.session[ENROL_PHONE]
                django_otp.login(request, staff_otp.StaffTOTPDevice.objects.get(user=user))
                request.session[NEW_BACKUP_CODES] = codes
                response = self._redirect_with_next(request, "backup_codes")
                return self._known_from_now(request, response)
            form.add_error(
                "token", "验证码不正确。请确认已扫描本页的二维码，并输入应用当前显示的 6 位数字。"
            )
        url = staff_otp.config_url(user, key)
        context = {
            "form": form,
            "qr_svg": staff_otp.qr_svg(url),
            "secret": staff_otp.readable_key(key),
        }
        return self._page(request, "enrol.html", "设置双重验证", **context)

    @get_or_post
    def backup_codes_view(self, request: HttpRequest) -> HttpResponse:
        """The codes just made, once; a POST replaces them with ten new ones."""
        if request.method == "POST":
            request.session[NEW_BACKUP_CODES] = staff_otp.replace_backup_codes(user=request.user)
            logger.info("user %s made new backup codes", request.user.pk)
            return redirect(reverse("admin:backup_codes", current_app=self.name))
        codes = request.session.pop(NEW_BACKUP_CODES, None)
        left = staff_otp.backup_codes_left(request.user)
        return self._page(request, "backup_codes.html", "备用验证码", codes=codes, left=left)


def _pending_key(request: HttpRequest) -> str:
    try:
        return crypto.decrypt(request.session.get(ENROL_KEY, ""))
    except crypto.InvalidToken:
        return ""


def refusal(locked_until) -> str:
    if locked_until is not None:
        at = timezone.localtime(locked_until)
        return f"验证码错误次数过多，请于 {at:%H:%M:%S} 后再试。"
    return "验证码不正确。请输入身份验证器应用当前显示的 6 位数字，或一个未用过的备用验证码。"
