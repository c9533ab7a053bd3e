"""A new staff member's first admin login (issue 10, finding 4): phone and password, a code
texted to their phone (issue 17: the password alone no longer sets up an app), then setting up
an authenticator app from the QR code's page, the backup codes shown once, and admin; and what
someone guessing a password sees."""

import re
from base64 import b32decode

from playwright.sync_api import Page, expect

from tests.browser.accounts_steps import read_code
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.factories import make_staff, totp_code

DESKTOP = {"width": 1366, "height": 900}
PASSWORD = "first-day-pass-2026"


def test_new_staff_member_sets_up_the_app_then_reaches_admin(page: Page) -> None:
    make_staff(phone="+8613800000005", password=PASSWORD, superuser=True, authenticator=False)
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/")
    page.get_by_label("手机号").fill("138 0000 0005")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # First the phone: a code texted to the account's own number.
    expect(page.get_by_role("heading", name="验证手机号")).to_be_visible()
    expect(page.get_by_text("138****0005").first).to_be_visible()
    expect(page.get_by_role("img", name="身份验证器二维码")).to_have_count(0)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送至 138****0005")
    assert_accessible(page, "验证手机号")
    screenshot(page, "issue17-enrol-phone")
    page.get_by_label("短信验证码").fill(read_code("13800000005"))
    page.get_by_role("button", name="下一步").click()

    # The page to set up the app: a QR code and the key in text.
    expect(page.get_by_role("heading", name="设置双重验证")).to_be_visible()
    expect(page.get_by_role("img", name="身份验证器二维码")).to_be_visible()
    screenshot(page, "staff-01-enrol")
    # The phone's app, given the key by hand, shows the code.
    secret = page.locator("#secret").inner_text().replace(" ", "")
    key = b32decode(secret).hex()
    page.get_by_label("验证码").fill("000000")
    page.get_by_role("button", name="完成设置").click()
    expect(page.get_by_role("alert")).to_contain_text("验证码不正确")
    expect(page.get_by_label("验证码")).to_be_focused()
    page.get_by_label("验证码").fill(totp_code(key))
    page.get_by_role("button", name="完成设置").click()

    # Ten backup codes, once.
    expect(page.get_by_role("heading", name="备用验证码")).to_be_visible()
    codes = page.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    written_down = codes.first.inner_text()
    screenshot(page, "staff-02-backup-codes")
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", name="管理首页")).to_be_visible()
    screenshot(page, "staff-03-admin")

    # Next time: password, then the code.
    page.get_by_role("button", name="退出").click()
    page.goto("/admin/")
    page.get_by_label("手机号").fill("13800000005")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="双重验证")).to_be_visible()
    screenshot(page, "staff-04-code")
    page.get_by_label("验证码").fill(written_down)  # a backup code will do
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_text(re.compile("已使用一个备用验证码，还剩 9 个"))).to_be_visible()


def test_someone_guessing_the_password_is_told_to_wait(page: Page) -> None:
    make_staff(phone="+8613800000006", password=PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/")
    for attempt in range(5):
        page.get_by_label("手机号").fill("13800000006")
        page.get_by_label("密码").fill(f"guess-{attempt}")
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(re.compile("密码错误次数过多"))).to_be_visible()
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(re.compile(r"请于 \d\d:\d\d（约 15 分钟后）再试"))).to_be_visible()
    expect(page.get_by_role("heading", name="双重验证")).to_have_count(0)
    screenshot(page, "staff-05-locked")
