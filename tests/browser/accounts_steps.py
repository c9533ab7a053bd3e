"""Steps of the account journeys, for browser tests of every app.

`log_in_as(page, user)` is the fast way in: a session made on the live server's database, its
cookie handed to the browser. The other steps drive the real pages as a person would (manual
三、注册与登录), answering the image captcha in its test mode and reading the texted code from
rentcenter.sms.outbox: the live server runs in this process, so the locmem backend's outbox is
the one the test sees. Each step switches those two settings on only while it runs.
"""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.test import Client, override_settings
from playwright.sync_api import Page, expect

from accounts.models import User
from rentcenter import sms
from tests.factories import totp_code

CODE_WAIT_SECONDS = 10


@contextmanager
def site_test_mode() -> Iterator[None]:
    """Captcha answer "PASSED" accepted, texts kept in rentcenter.sms.outbox."""
    with override_settings(SMS_BACKEND="locmem", CAPTCHA_TEST_MODE=True):
        yield


def field(label: str) -> re.Pattern[str]:
    """The label of a form field exactly, with or without the * of a required one."""
    return re.compile(rf"^\*?{re.escape(label)}$")


def e164(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"+86{digits[-11:]}"


def log_in_as(page: Page, user: User) -> None:
    """Sign the browser in as `user` without going through the login page."""
    client = Client()
    client.force_login(user)
    if not page.url.startswith("http"):
        page.goto("/healthz")  # the cookie needs the live server's address
    origin = re.match(r"https?://[^/]+", page.url).group()
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": origin,
    }
    page.context.add_cookies([cookie])


def log_in_to_admin(page: Page, user: User, password: str) -> None:
    """Admin's login as staff do it: phone and password, then the 6 digits their authenticator
    app shows, computed here from the key the app was given at enrolment."""
    page.goto("/admin/")
    page.get_by_label("手机号").fill(str(user.phone.national_number))
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="双重验证")).to_be_visible()
    page.get_by_label("验证码").fill(totp_code(user.stafftotpdevice_set.get(confirmed=True).key))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="管理首页")).to_be_visible()


def read_code(phone: str, *, after: int = 0) -> str:
    """The code of the first text to `phone` among the outbox's messages from index `after`."""
    deadline = time.monotonic() + CODE_WAIT_SECONDS
    while time.monotonic() < deadline:
        for message in sms.outbox[after:]:
            if message.phone == e164(phone):
                return re.search(r"\d{6}", message.text).group()
        time.sleep(0.05)
    raise AssertionError(f"no code was texted to {phone}")


def request_code(page: Page, phone: str, *, phone_label: str = "手机号", button: str) -> str:
    """Type the phone and the captcha, press the send button, return the texted code."""
    already = len(sms.outbox)
    page.get_by_label(field(phone_label)).fill(phone)
    page.get_by_label(field("数字验证码")).fill("PASSED")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text("验证码已发送至")).to_be_visible()
    return read_code(phone, after=already)


def sign_up(page: Page, phone: str) -> None:
    """注册 (manual 3.1): ends signed in, on the home page or the ?next= page."""
    with site_test_mode():
        if "/accounts/register/" not in page.url:
            page.goto("/accounts/register/")
        code = request_code(page, phone, button="发送验证短信")
        page.get_by_label(field("短信验证码")).fill(code)
        agree_to_the_rules(page)
        page.get_by_role("button", name="注册", exact=True).click()
        expect(page.get_by_text(re.compile("注册成功|登录成功"))).to_be_visible()


def agree_to_the_rules(page: Page) -> None:
    """Tick 我已阅读并同意《个人信息处理规则》, unticked as the page comes."""
    box = page.get_by_label(field("我已阅读并同意《个人信息处理规则》"))
    expect(box).not_to_be_checked()
    box.check()


def log_in(page: Page, phone: str) -> None:
    """登录 (manual 3.2): stays on the login page the browser is on (keeping its ?next=), or
    opens it. A phone without an account takes the offer to create one."""
    with site_test_mode():
        if "/accounts/login/" not in page.url:
            page.goto("/accounts/login/")
        code = request_code(page, phone, button="发送验证短信")
        page.get_by_label(field("短信验证码")).fill(code)
        page.get_by_role("button", name="登录", exact=True).click()
        offer = page.get_by_role("button", name="立即注册")
        success = page.get_by_text(re.compile("登录成功|注册成功"))
        expect(offer.or_(success)).to_be_visible()
        if offer.is_visible():
            agree_to_the_rules(page)
            offer.click()
            expect(success).to_be_visible()


def give_the_separate_consent(page: Page) -> None:
    """单独同意 on 基本信息, asked before the 实名 form the first time."""
    button = page.get_by_role("button", name="同意并继续实名认证")
    if button.count():
        page.get_by_label(field("我单独同意平台为上述目的处理上述敏感个人信息")).check()
        button.click()
        expect(page.get_by_text("已记录您的单独同意")).to_be_visible()


def verify_real_name(page: Page, name: str, id_number: str) -> None:
    """立即实名 (manual 3.3) on 个人中心-基本信息 (where real_name_required sends people, with
    ?next=); ends on the page that asked for it, or on 基本信息."""
    if "/accounts/profile/" not in page.url:
        page.goto("/accounts/profile/")
    give_the_separate_consent(page)
    page.get_by_label(field("真实姓名")).fill(name)
    page.get_by_label(field("证件号码")).fill(id_number)
    page.get_by_role("button", name="立即实名").click()
    expect(page.get_by_text("实名认证成功。")).to_be_visible()
