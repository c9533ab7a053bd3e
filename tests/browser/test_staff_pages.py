"""Staff pages that read like a person wrote them (issue 16): the 配租公告 that contradicted its
own conditions, and admin's words."""

import re

from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from plans.models import Announcement
from tests.browser.accounts_steps import log_in_to_admin
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.factories import make_plan, make_staff, totp_code

GENERATED = "申请人年龄须在 18 至 35 周岁之间（按身份证出生日期计算）。"


def plan_manager(phone: str = "+8613800000001", name: str = "王芳"):
    manager = make_staff(phone=phone, password="manager-pass-2026", staff_name=name)
    manager.groups.add(Group.objects.get(name="配租管理员"))
    return manager


def test_manager_is_warned_while_writing_a_notice_that_contradicts_the_plan(page: Page) -> None:
    plan = make_plan(
        title="2026年第六批保障性租赁住房专项配租计划（青年人才）", min_age=18, max_age=35
    )
    manager = plan_manager()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in_to_admin(page, manager, "manager-pass-2026")

    # From the plan's page: 添加配租公告. The conditions the 公告 page will print sit beside
    # the text from the start.
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    page.get_by_role("link", name="添加配租公告").click()
    check = page.locator("#announcement-check")
    expect(check.get_by_text(GENERATED)).to_be_visible()
    page.get_by_label("公告标题").fill("关于2026年第六批专项配租的公告")

    # The text says 年满18周岁: while the manager types, the panel says it contradicts 18 至 35.
    body = page.get_by_label("公告正文")
    body.fill("## 申请条件\n\n- 申请人须年满18周岁，具有完全民事行为能力；")
    warning = page.locator(".announcement-check__warning")
    expect(warning).to_contain_text("正文写有“年满18周岁”，而计划的年龄条件是：" + GENERATED)
    screenshot(page, "issue16-announcement-warning")

    # 预览公开页面: the public page, in a new tab, with the text not saved yet.
    with page.context.expect_page() as opened:
        check.get_by_role("button", name=re.compile("预览公开页面")).click()
    preview = opened.value
    expect(preview.get_by_role("status")).to_contain_text("这是尚未保存的公告")
    expect(preview.get_by_text("申请人须年满18周岁，具有完全民事行为能力；")).to_be_visible()
    expect(preview.locator(".screening-rules").get_by_text(GENERATED)).to_be_visible()
    assert_accessible(preview, "预览公开页面")
    screenshot(preview, "issue16-announcement-preview")
    preview.close()
    assert not Announcement.objects.exists()

    # Corrected, the warning goes; saving a contradiction would only warn, not refuse.
    body.fill("## 申请条件\n\n- 申请人年龄在18至35周岁之间；")
    expect(check.get_by_text("正文中未发现与登记条件不一致")).to_be_visible()
    body.fill("## 申请条件\n\n- 申请人须年满18周岁；")
    expect(warning).to_be_visible()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist .warning")).to_contain_text(
        "公告正文与登记条件不一致：正文写有“年满18周岁”"
    )
    saved = Announcement.objects.get(plan=plan).body.splitlines()
    assert saved == ["## 申请条件", "", "- 申请人须年满18周岁；"]


def test_the_warning_is_there_without_javascript(browser, live_server) -> None:
    plan = make_plan(min_age=18, max_age=35)
    manager = plan_manager()
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    page = context.new_page()
    log_in_to_admin(page, manager, "manager-pass-2026")
    page.goto(f"/admin/plans/announcement/add/?plan={plan.pk}")
    page.get_by_label("公告标题").fill("关于第六批的公告")
    page.get_by_label("公告正文").fill("申请人须年满18周岁。")
    page.get_by_role("button", name="保存并继续编辑").click()

    expect(page.locator(".messagelist .warning")).to_contain_text("正文写有“年满18周岁”")
    expect(page.locator(".announcement-check__warning")).to_contain_text(GENERATED)
    screenshot(page, "issue16-announcement-nojs")
    context.close()


def test_a_wrong_second_factor_code_is_said_once_and_cleared(page: Page) -> None:
    manager = plan_manager()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/admin/")
    page.get_by_label("手机号").fill(str(manager.phone.national_number))
    page.get_by_label("密码").fill("manager-pass-2026")
    page.get_by_role("button", name="登录").click()
    right = totp_code(manager.stafftotpdevice_set.get().key)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    page.get_by_label("验证码").fill(wrong)
    page.get_by_role("button", name="验证").click()

    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.get_by_role("alert")).to_contain_text("验证码不正确")
    expect(page.get_by_text("验证码不正确")).to_have_count(1)
    expect(page.get_by_label("验证码")).to_have_value("")
    expect(page.get_by_label("验证码")).to_be_focused()
    assert_accessible(page, "双重验证（验证码不正确）")
    screenshot(page, "issue16-second-factor-error")
