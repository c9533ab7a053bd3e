"""The account journeys of the manual (三、注册与登录), as a person on a phone walks them."""

import re
import time
from importlib import import_module

import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import Browser, Page, expect

from accounts.middleware import LOGIN_AT, SEEN_AT
from accounts.models import User
from rentcenter import sms
from tests.accounts.factories import make_verified_user
from tests.browser.accounts_steps import (
    agree_to_the_rules,
    field,
    log_in,
    log_in_as,
    read_code,
    request_code,
    sign_up,
    site_test_mode,
    verify_real_name,
)
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import clear_cache
from tests.factories import make_plan, make_user

ID_NUMBER = "11010519491231002X"
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def open_account_menu(page: Page) -> None:
    page.locator(".account-menu summary").click()


def test_sign_up_log_out_and_log_in(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="注册").click()
    expect(page.get_by_role("heading", name="注册")).to_be_visible()
    expect(page.get_by_role("link", name="返回网站首页")).to_be_visible()
    screenshot(page, "accounts-register")

    sign_up(page, "138 0013 8000")
    expect(page.get_by_text("注册成功，已登录。")).to_be_visible()
    expect(page.locator(".account-menu summary")).to_contain_text("138****8000")
    assert User.objects.filter(phone="+8613800138000").exists()

    open_account_menu(page)
    expect(page.get_by_role("link", name="去实名")).to_be_visible()  # in the menu on phones
    screenshot(page, "accounts-menu")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible()
    expect(page.get_by_role("link", name="登录")).to_be_visible()

    clear_cache()  # a minute later: the phone may have another code
    page.get_by_role("link", name="登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    screenshot(page, "accounts-login")
    log_in(page, "13800138000")
    expect(page.get_by_text("登录成功。")).to_be_visible()
    expect(page.locator(".account-menu summary")).to_contain_text("138****8000")


def test_send_button_counts_down_and_refresh_swaps_the_image(page: Page) -> None:
    with site_test_mode():
        page.goto("/accounts/login/")
        image = page.locator("#captcha-image")
        first = image.get_attribute("src")
        page.get_by_role("button", name="刷新").click()
        expect(image).not_to_have_attribute("src", first)
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))  # swapped in place

        request_code(page, "13800138000", button="发送验证短信")
        button = page.locator("button.send-code")
        expect(button).to_be_disabled()
        expect(button).to_have_text(re.compile(r"\d+ 秒后重新发送"))
        expect(page.get_by_label(field("手机号"))).to_have_value("138 0013 8000")
        expect(page.get_by_label(field("短信验证码"))).to_be_focused()
        screenshot(page, "accounts-login-code-sent")


def test_errors_are_summarised_and_shown_beside_the_fields(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(field("手机号")).fill("12345")
    page.get_by_role("button", name="发送验证短信").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="请输入正确的手机号。")).to_be_visible()
    expect(summary.get_by_role("link", name="请输入图片中的数字验证码。")).to_be_visible()
    expect(page.locator("#field-phone .field__error")).to_have_text(
        re.compile("请输入正确的手机号")
    )
    screenshot(page, "accounts-login-errors")
    summary.get_by_role("link", name="请输入正确的手机号。").click()
    expect(page.get_by_label(field("手机号"))).to_be_focused()


def test_login_for_an_unknown_phone_offers_an_account(page: Page) -> None:
    with site_test_mode():
        page.goto("/accounts/login/")
        code = request_code(page, "13900139000", button="发送验证短信")
        page.get_by_label(field("短信验证码")).fill(code)
        page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="该手机号尚未注册")).to_be_visible()
    screenshot(page, "accounts-login-offer")
    # Without agreeing to the rules the offer stays, saying why.
    page.get_by_role("button", name="立即注册").click()
    expect(page.get_by_role("link", name="请阅读《个人信息处理规则》并勾选同意。")).to_be_visible()
    agree_to_the_rules(page)
    page.get_by_role("button", name="立即注册").click()
    expect(page.get_by_text("注册成功，已登录。")).to_be_visible()


def test_verify_real_name(page: Page) -> None:
    log_in_as(page, make_user(phone="+8613800138000"))
    page.goto("/")
    open_account_menu(page)
    page.get_by_role("link", name="去实名").click()
    expect(page.get_by_role("heading", name="个人中心-基本信息")).to_be_visible()
    expect(page.get_by_text("未实名")).to_be_visible()
    screenshot(page, "accounts-profile")

    page.get_by_label(field("真实姓名")).fill("王小明")
    page.get_by_label(field("证件号码")).fill("110105194912310021")
    page.get_by_role("button", name="立即实名").click()
    expect(page.locator(".error-summary")).to_contain_text("证件号码校验位不正确")
    expect(page.get_by_label(field("真实姓名"))).to_have_value("王小明")
    screenshot(page, "accounts-profile-errors")

    verify_real_name(page, "王小明", ID_NUMBER.lower())
    expect(page.get_by_text("已实名")).to_be_visible()
    expect(page.get_by_text("110105********002X")).to_be_visible()
    expect(page.get_by_text(ID_NUMBER)).to_have_count(0)
    expect(page.get_by_role("link", name="去实名", include_hidden=True)).to_have_count(0)
    screenshot(page, "accounts-profile-verified")


def test_a_second_account_with_the_same_number_is_sent_to_support(page: Page) -> None:
    make_verified_user(id_number=ID_NUMBER)
    log_in_as(page, make_user())
    page.goto("/accounts/profile/")
    page.get_by_label(field("真实姓名")).fill("王小明")
    page.get_by_label(field("证件号码")).fill(ID_NUMBER)
    page.get_by_role("button", name="立即实名").click()
    expect(page.locator(".error-summary")).to_contain_text("请联系客服：010-81120588")


def test_filling_in_info_asks_for_login_then_real_name_then_returns(page: Page) -> None:
    plan = make_plan()
    make_user(phone="+8613800138000")
    page.goto(f"/plans/{plan.pk}/info/edit/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    log_in(page, "13800138000")
    expect(page.get_by_text("请先完成实名认证。")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/profile/\?next="))
    verify_real_name(page, "王小明", ID_NUMBER)
    expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/info/edit/$"))


def test_change_phone(page: Page) -> None:
    user = make_verified_user(phone="+8613800138000")
    log_in_as(page, user)
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="更改手机号码").click()
    expect(page.get_by_role("heading", name="更改手机号码")).to_be_visible()
    screenshot(page, "accounts-change-phone")
    with site_test_mode():
        code = request_code(page, "13900139000", phone_label="新手机号码", button="发送验证码")
        page.get_by_label(field("短信验证码")).fill(code)
        page.get_by_role("button", name="立即绑定").click()
    expect(page.get_by_text("手机号码已更换为139****9000。")).to_be_visible()
    expect(page.locator(".account-menu summary")).to_contain_text("139****9000")
    user.refresh_from_db()
    assert str(user.phone) == "+8613900139000"
    assert "改为绑定手机号" in read_notice("+8613800138000")


def test_change_phone_long_after_logging_in_confirms_the_current_phone(page: Page) -> None:
    user = make_verified_user(phone="+8613800138000")
    log_in_as(page, user)
    logged_in_minutes_ago(page, 25)
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="更改手机号码").click()
    expect(page.get_by_role("heading", name="验证当前手机号")).to_be_visible()
    expect(page.get_by_text("当前手机号：138****8000")).to_be_visible()
    expect(page.get_by_label(field("新手机号码"))).to_have_count(0)
    with site_test_mode():
        page.get_by_label(field("数字验证码")).fill("PASSED")
        page.get_by_role("button", name="发送验证码", exact=True).click()
        expect(page.get_by_text("验证码已发送至 138****8000")).to_be_visible()
        screenshot(page, "accounts-confirm-phone")
        page.get_by_label(field("短信验证码")).fill(read_code("13800138000"))
        page.get_by_role("button", name="下一步").click()
        expect(page.get_by_label(field("新手机号码"))).to_be_visible()
        code = request_code(page, "13900139000", phone_label="新手机号码", button="发送验证码")
        page.get_by_label(field("短信验证码")).fill(code)
        page.get_by_role("button", name="立即绑定").click()
    expect(page.get_by_text("手机号码已更换为139****9000。")).to_be_visible()
    user.refresh_from_db()
    assert str(user.phone) == "+8613900139000"


def logged_in_minutes_ago(page: Page, minutes: int) -> None:
    """The browser's session as if its login had been `minutes` ago (and its last page now)."""
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(cookie["value"])
    session[LOGIN_AT] = time.time() - minutes * 60
    session[SEEN_AT] = time.time()
    session.save()


def read_notice(phone: str) -> str:
    return next(m.text for m in sms.outbox if m.phone == phone)


def test_works_without_javascript(browser: Browser, live_server) -> None:
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", java_script_enabled=False, base_url=live_server.url
    )
    page = context.new_page()
    try:
        with site_test_mode():
            page.goto("/accounts/register/")
            code = request_code(page, "13800138000", button="发送验证短信")
            # The page came back whole, with the phone kept.
            expect(page.get_by_label(field("手机号"))).to_have_value("138 0013 8000")
            screenshot(page, "accounts-register-no-js")
            page.get_by_label(field("短信验证码")).fill(code)
            agree_to_the_rules(page)
            page.get_by_role("button", name="注册", exact=True).click()
        expect(page.get_by_text("注册成功，已登录。")).to_be_visible()
    finally:
        context.close()


@pytest.mark.usefixtures("transactional_db")
def test_a_developer_reads_the_code_on_dev_sms(page: Page, tmp_path) -> None:
    """Locally (DEBUG and DEV_SMS_PAGE, as `make run` sets them; here the file backend)
    /dev/sms/ shows the texts, so no phone is needed."""
    with override_settings(
        DEBUG=True,
        DEV_SMS_PAGE=True,
        SMS_BACKEND="file",
        SMS_FILE_PATH=tmp_path / "sms.jsonl",
        CAPTCHA_TEST_MODE=True,
    ):
        page.goto("/accounts/login/")
        page.get_by_label(field("手机号")).fill("13800138000")
        page.get_by_label(field("数字验证码")).fill("PASSED")
        page.get_by_role("button", name="发送验证短信").click()
        expect(page.get_by_text("验证码已发送至")).to_be_visible()
        sms_page = page.context.new_page()
        sms_page.goto("/dev/sms/")
        text = sms_page.locator(".sms-text").first.inner_text()
        screenshot(sms_page, "accounts-dev-sms")
        code = re.search(r"\d{6}", text).group()
        page.get_by_label(field("短信验证码")).fill(code)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_role("heading", name="该手机号尚未注册")).to_be_visible()
