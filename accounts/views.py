"""Account pages (manual 三、注册与登录): 注册, 登录, 退出, 个人中心-基本信息 with 实名认证 and
更改手机号码. Each form posts to its own address; the 发送验证短信 button posts the same form to
a send address (htmx swaps the form in place; without JavaScript the page is drawn again)."""

import functools
import time
from collections.abc import Callable
from functools import partial
from types import SimpleNamespace
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from phonenumber_field.phonenumber import PhoneNumber

from accounts import access_log, captcha, consent, otp, phones, realname
from accounts.decorators import recent_login_required
from accounts.forms import (
    CodeLoginForm,
    ConfirmPhoneForm,
    ConfirmPhoneSendCodeForm,
    ConsentForm,
    CreateAccountForm,
    NewPhoneForm,
    NewPhoneSendCodeForm,
    RealNameForm,
    RegisterForm,
    RegisterSendCodeForm,
    SendCodeForm,
)
from accounts.middleware import (
    confirm_login,
    consent_exempt,
    sessionless,
    start_session_clock,
)
from accounts.models import User, mask_phone
from rentcenter import pagecache
from rentcenter.http import HtmxHttpRequest
from rentcenter.ratelimit import client_address, client_ip
from rentcenter.sms import recent_messages

CODE_REFUSED = "短信验证码不正确或已失效，请重新输入或重新获取。"
# After 登录 with a proved phone that has no account: the offer to create it stays open this long.
VERIFIED_PHONE = "accounts.verified_phone"
VERIFIED_PHONE_SECONDS = 10 * 60


def disabled_message() -> str:
    return f"该账号已停用，如有疑问请联系客服：{settings.SUPPORT_PHONE}。"


def next_url(request: HttpRequest) -> str:
    """The same-site page to return to (?next= or the form's hidden next), else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site: anything else ("records", "' OR 1=1") is no page to go back to, and
    # redirect() would take it for the name of a URL pattern.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _log_in(request: HttpRequest, user: User, message: str) -> HttpResponse:
    # auth.login gives the session a new key, so a key planted before login is worthless.
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    start_session_clock(request)
    messages.success(request, message)
    return redirect(next_url(request) or settings.LOGIN_REDIRECT_URL)


def render_code_form(
    request: HtmxHttpRequest, template_name: str, form: forms.Form, **context: object
) -> HttpResponse:
    """The page, or only its form for htmx (the 发送验证短信 button swaps the form in place)."""
    if request.htmx:
        template_name += "#form"
    back = next_url(request)
    next_query = f"?{urlencode({'next': back})}" if back else ""
    context = {
        "form": form,
        "next": back,
        "next_query": next_query,
        # Every drawing of the form shows a new image: the one just answered is used up.
        "captcha_challenge": captcha.new_challenge(),
        **context,
    }
    return render(request, template_name, context)


# 刷新 of the captcha without JavaScript: a submit button of the form, named so, that brings the
# page back with a new image and what was typed kept, nothing checked and nothing sent.
CAPTCHA_REFRESH = "captcha_refresh"


def posted_form(request: HttpRequest, form_class: type[forms.Form]) -> forms.Form:
    """The page's form: empty on GET, bound to the POST, or (刷新) unbound with the phone kept."""
    if request.method != "POST":
        return form_class()
    if CAPTCHA_REFRESH in request.POST:
        kept = {"phone": request.POST.get("phone", "")}
        # Boxes ticked (the agreement to the rules, a confirmation) stay ticked.
        kept |= {
            name: bool(request.POST.get(name))
            for name, field in form_class.base_fields.items()
            if isinstance(field, forms.BooleanField)
        }
        return form_class(initial=kept)
    return form_class(request.POST)


def captcha_check(request: HttpRequest):
    """How this send's captcha is checked: during an SMS surge only a just-drawn image counts;
    wrong answers are counted against the address."""
    return partial(captcha.check, max_age=otp.captcha_max_age(), address=client_ip(request))


def text_code(
    request: HttpRequest, form: SendCodeForm, *, purpose: str, user: User | None = None
) -> dict[str, object]:
    """Text a code if the form is valid and the limits allow; what the page says about it.
    A form without a phone field texts the account's own phone."""
    if not form.is_valid():
        return {}
    phone = form.cleaned_data["phone"] if "phone" in form.fields else user.phone
    try:
        otp.send_code(phone=phone, purpose=purpose, address=client_ip(request), user=user)
    except otp.SendRefused as refused:
        form.add_error(None, str(refused))
        wait = round(refused.retry_at.timestamp() - time.time())
        return {"resend_in": wait if wait <= otp.RESEND_SECONDS * 2 else 0}
    # The next thing to type is the code just texted.
    form.fields["sms_code"].widget.attrs["autofocus"] = True
    return {"sent_to": mask_phone(phone), "resend_in": otp.RESEND_SECONDS}


@sessionless
@require_GET
@never_cache
def captcha_image(request: HttpRequest) -> HttpResponse:
    """The image of the challenge in ?c=; each drawing makes a new answer for it."""
    challenge = request.GET.get("c", "")
    if not captcha.is_challenge(challenge):
        raise Http404
    try:
        answer = captcha.new_answer(challenge)
    except captcha.TooManyDraws:
        # The page's 刷新 makes a new challenge; this one has been drawn enough.
        return HttpResponse(status=429)
    return HttpResponse(captcha.draw(answer), content_type="image/png")


@consent_exempt
@require_GET
@never_cache
def captcha_refresh(request: HttpRequest) -> HttpResponse:
    """刷新 with htmx: a new challenge, its hidden field and its image."""
    context = {"captcha_challenge": captcha.new_challenge()}
    return render(request, "accounts/includes/captcha.html", context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def login(request: HtmxHttpRequest) -> HttpResponse:
    form = posted_form(request, CodeLoginForm)
    if form.is_valid():
        phone, code = form.cleaned_data["phone"], form.cleaned_data["sms_code"]
        if otp.verify_code(phone=phone, purpose=otp.Purpose.LOGIN, code=code):
            user = User.objects.filter(phone=phone).first()
            if user is None:
                # The phone is proved but has no account: offer to create it right here.
                request.session[VERIFIED_PHONE] = {"phone": phone.as_e164, "at": time.time()}
                context = {
                    "form": CreateAccountForm(),
                    "masked_phone": mask_phone(phone),
                    "next": next_url(request),
                }
                return render(request, "accounts/login_create.html", context)
            if user.is_active:
                return _log_in(request, user, "登录成功。")
            form.add_error(None, disabled_message())
        else:
            form.add_error("sms_code", CODE_REFUSED)
    return render_code_form(request, "accounts/login.html", form)


@require_POST
@vary_on_headers("HX-Request")
def login_send_code(request: HtmxHttpRequest) -> HttpResponse:
    form = SendCodeForm(request.POST, captcha_check=captcha_check(request))
    sent = text_code(request, form, purpose=otp.Purpose.LOGIN)
    return render_code_form(request, "accounts/login.html", form, **sent)


def _sign_up(request: HttpRequest, phone: PhoneNumber | str) -> tuple[User, bool]:
    """The account of a proved phone, made now if needed, with the agreement to the
    个人信息处理规则 its owner just ticked, recorded in the same transaction."""
    with transaction.atomic():
        user, created = User.objects.get_or_create_applicant(phone)
        if user.is_active:
            consent.record(user=user, kinds=[consent.Kind.RULES], address=client_address(request))
    return user, created


@require_POST
def create_account(request: HttpRequest) -> HttpResponse:
    """立即注册, offered by 登录 to a proved phone without an account."""
    verified = request.session.get(VERIFIED_PHONE)
    if not verified or time.time() - verified["at"] > VERIFIED_PHONE_SECONDS:
        request.session.pop(VERIFIED_PHONE, None)
        messages.error(request, "验证已超时，请重新获取短信验证码。")
        return redirect("accounts:register")
    form = CreateAccountForm(request.POST)
    if not form.is_valid():
        context = {
            "form": form,
            "masked_phone": mask_phone(PhoneNumber.from_string(verified["phone"])),
            "next": next_url(request),
        }
        return render(request, "accounts/login_create.html", context)
    del request.session[VERIFIED_PHONE]
    user, created = _sign_up(request, verified["phone"])
    if not user.is_active:
        messages.error(request, disabled_message())
        return redirect("accounts:login")
    return _log_in(request, user, "注册成功，已登录。" if created else "登录成功。")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def register(request: HtmxHttpRequest) -> HttpResponse:
    form = posted_form(request, RegisterForm)
    if form.is_valid():
        phone, code = form.cleaned_data["phone"], form.cleaned_data["sms_code"]
        if otp.verify_code(phone=phone, purpose=otp.Purpose.LOGIN, code=code):
            user, created = _sign_up(request, phone)
            if user.is_active:
                # A phone that already has an account simply logs into it (no enumeration
                # before the code, no dead end after it).
                return _log_in(request, user, "注册成功，已登录。" if created else "登录成功。")
            form.add_error(None, disabled_message())
        else:
            form.add_error("sms_code", CODE_REFUSED)
    return render_code_form(request, "accounts/register.html", form)


@require_POST
@vary_on_headers("HX-Request")
def register_send_code(request: HtmxHttpRequest) -> HttpResponse:
    form = RegisterSendCodeForm(request.POST, captcha_check=captcha_check(request))
    sent = text_code(request, form, purpose=otp.Purpose.LOGIN)
    return render_code_form(request, "accounts/register.html", form, **sent)


@consent_exempt
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    messages.info(request, "您已退出登录。")
    return redirect(settings.LOGOUT_REDIRECT_URL)


# Parts of 个人中心 that a higher app adds for a verified applicant (applications: the open
# plans whose rules the 实名 data already rules out). Accounts sits below them and imports none;
# each adds its panel when its app is ready (`add_profile_panel`).
PROFILE_PANELS: dict[str, Callable[[HttpRequest], str]] = {}


def add_profile_panel(name: str, render: Callable[[HttpRequest], str]) -> None:
    PROFILE_PANELS[name] = render


# How many of 谁查看了我的信息 基本信息 shows; the rest are a page of their own.
ACCESS_EVENTS_ON_PROFILE = 5
ACCESS_EVENTS_PER_PAGE = 20


def _render_profile(request: HttpRequest, **context: object) -> HttpResponse:
    """个人中心-基本信息 with its forms as given (or empty)."""
    user = request.user
    panels = []
    if user.has_real_name:
        panels = [html for render in PROFILE_PANELS.values() if (html := render(request))]
    events = list(access_log.seen_by_staff(user)[: ACCESS_EVENTS_ON_PROFILE + 1])
    context = {
        "form": RealNameForm(),
        "next": next_url(request),
        # The separate consent comes before 立即实名 (accounts/consent.py).
        "needs_sensitive_consent": not user.has_real_name
        and not consent.has_agreed(user, consent.Kind.SENSITIVE),
        "sensitive_items": consent.SENSITIVE_ITEMS,
        "access_events": events[:ACCESS_EVENTS_ON_PROFILE],
        "more_access_events": len(events) > ACCESS_EVENTS_ON_PROFILE,
        "panels": panels,
        **context,
    }
    context.setdefault("consent_form", ConsentForm(needed=[consent.Kind.SENSITIVE]))
    return render(request, "accounts/profile.html", context)


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """个人中心-基本信息: the phone, the real-name state (the separate consent, then 立即实名,
    while not verified), 谁查看了我的信息, and the applicant's rights over their data."""
    return _render_profile(request)


@login_required
@require_POST
def sensitive_consent(request: HttpRequest) -> HttpResponse:
    """单独同意 on 基本信息, before 立即实名 processes the ID number for the first time."""
    form = ConsentForm(request.POST, needed=[consent.Kind.SENSITIVE])
    if not form.is_valid():
        return _render_profile(request, consent_form=form)
    consent.record(user=request.user, kinds=form.agreed, address=client_address(request))
    messages.success(request, "已记录您的单独同意，请继续完成实名认证。")
    back = next_url(request)
    url = reverse("accounts:profile") + (f"?{urlencode({'next': back})}" if back else "")
    return redirect(url + "#real-name")


@login_required
@consent_exempt
@require_http_methods(["GET", "POST"])
def consent_page(request: HttpRequest) -> HttpResponse:
    """The 个人信息处理规则 changed (or were never agreed to): agree before going on."""
    needed = consent.missing(request.user)
    if not needed:
        consent.remember(request.session, request.user)
        return redirect(next_url(request) or settings.LOGIN_REDIRECT_URL)
    form = ConsentForm(request.POST if request.method == "POST" else None, needed=needed)
    if form.is_valid():
        consent.record(user=request.user, kinds=form.agreed, address=client_address(request))
        consent.remember(request.session, request.user)
        messages.success(request, "感谢您的同意。")
        return redirect(next_url(request) or settings.LOGIN_REDIRECT_URL)
    context = {
        "form": form,
        "next": next_url(request),
        "rules": consent.current(),
        "asked_before": request.user.consents.exists(),
        "sensitive_items": consent.SENSITIVE_ITEMS,
    }
    return render(request, "accounts/consent.html", context)


@login_required
@require_GET
def access_events(request: HttpRequest) -> HttpResponse:
    """谁查看了我的信息, all of it, newest first."""
    events = access_log.seen_by_staff(request.user)
    page = Paginator(events, ACCESS_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/access_events.html", {"page": page})


@login_required
@require_POST
def verify_real_name(request: HttpRequest) -> HttpResponse:
    if not consent.has_agreed(request.user, consent.Kind.SENSITIVE):
        # The number is not even read: the separate consent comes first (PIPL art. 29).
        messages.error(request, realname.consent_needed_message())
        return redirect(reverse("accounts:profile") + "#sensitive-consent")
    form = RealNameForm(request.POST)
    if form.is_valid():
        try:
            realname.verify_real_name(
                user=request.user,
                name=form.cleaned_data["real_name"],
                id_number=form.cleaned_data["id_number"],
            )
        except realname.RealNameRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            messages.success(request, "实名认证成功。")
            return redirect(next_url(request) or "accounts:profile")
    return _render_profile(request, form=form)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def confirm_phone(request: HtmxHttpRequest) -> HttpResponse:
    """更改手机号码, first step when the login is older than 10 minutes: a code texted to the
    phone the account has now proves that its holder is the one asking."""
    form = posted_form(request, ConfirmPhoneForm)
    if form.is_valid():
        purpose = otp.Purpose.CONFIRM_PHONE
        user = request.user
        code = form.cleaned_data["sms_code"]
        if otp.verify_code(phone=user.phone, purpose=purpose, code=code, user=user):
            confirm_login(request)
            return redirect(next_url(request) or "accounts:change_phone")
        form.add_error("sms_code", CODE_REFUSED)
    return render_code_form(request, "accounts/confirm_phone.html", form)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def confirm_phone_send_code(request: HtmxHttpRequest) -> HttpResponse:
    form = ConfirmPhoneSendCodeForm(request.POST, captcha_check=captcha_check(request))
    purpose = otp.Purpose.CONFIRM_PHONE
    sent = text_code(request, form, purpose=purpose, user=request.user)
    return render_code_form(request, "accounts/confirm_phone.html", form, **sent)


@login_required
@recent_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def change_phone(request: HtmxHttpRequest) -> HttpResponse:
    """更改手机号码 → 立即绑定, with a code sent to the new phone."""
    form = posted_form(request, NewPhoneForm)
    if form.is_valid():
        phone, code = form.cleaned_data["phone"], form.cleaned_data["sms_code"]
        purpose = otp.Purpose.CHANGE_PHONE
        if not otp.verify_code(phone=phone, purpose=purpose, code=code, user=request.user):
            form.add_error("sms_code", CODE_REFUSED)
        else:
            try:
                user = phones.change_phone(user=request.user, new_phone=phone)
            except phones.PhoneTaken:
                form.add_error("phone", phones.taken_message())
            else:
                # This session stays; the others end (the session hash includes the phone).
                auth.update_session_auth_hash(request, user)
                messages.success(request, f"手机号码已更换为{user.masked_phone}。")
                return redirect("accounts:profile")
    return render_code_form(request, "accounts/change_phone.html", form)


@login_required
@recent_login_required
@require_POST
@vary_on_headers("HX-Request")
def change_phone_send_code(request: HtmxHttpRequest) -> HttpResponse:
    form = NewPhoneSendCodeForm(
        request.POST,
        captcha_check=captcha_check(request),
        current_phone=request.user.phone,
    )
    purpose = otp.Purpose.CHANGE_PHONE
    sent = text_code(request, form, purpose=purpose, user=request.user)
    return render_code_form(request, "accounts/change_phone.html", form, **sent)


@consent_exempt
@require_GET
def dev_sms(request: HttpRequest) -> HttpResponse:
    """/dev/sms/ in DEBUG with DEV_SMS_PAGE: the last texts, to log in locally without a phone."""
    if not (settings.DEBUG and settings.DEV_SMS_PAGE):
        raise Http404
    context = {"sms_messages": recent_messages(), "backend": settings.SMS_BACKEND}
    return render(request, "accounts/dev_sms.html", context)


# The header's account menu, a hole of every cached page (rentcenter.pagecache) -----------------

_CSRF_PLACEHOLDER = "\x00csrf\x00"


def _render_account_nav(request: HttpRequest, holes: list[dict]) -> list[str]:
    user = request.user
    if user.is_authenticated:
        # The menu depends on these two facts and the logout form's token, which is put in
        # after: the rest is rendered once per process.
        html = _signed_in_nav(user.masked_phone, has_real_name=user.has_real_name)
        html = html.replace(_CSRF_PLACEHOLDER, get_token(request))
    else:
        namespace = getattr(request.resolver_match, "namespace", "")  # None on error pages
        html = _anonymous_nav(request.get_full_path(), namespace)
    return [html for _ in holes]


@functools.lru_cache(maxsize=1024)
def _signed_in_nav(masked_phone: str, *, has_real_name: bool) -> str:
    user = SimpleNamespace(
        is_authenticated=True, masked_phone=masked_phone, has_real_name=has_real_name
    )
    context = {"user": user, "csrf_token": _CSRF_PLACEHOLDER}
    return render_to_string("includes/account_nav.html", context)


@functools.lru_cache(maxsize=1024)
def _anonymous_nav(full_path: str, namespace: str) -> str:
    request = SimpleNamespace(
        get_full_path=lambda: full_path, resolver_match=SimpleNamespace(namespace=namespace)
    )
    context = {"user": SimpleNamespace(is_authenticated=False), "request": request}
    return render_to_string("includes/account_nav.html", context)


ACCOUNT_NAV = pagecache.HoleKind("account_nav", capture=dict, render=_render_account_nav)
