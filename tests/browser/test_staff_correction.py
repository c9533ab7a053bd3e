"""A staff correction reaches a visitor's browser at once (issue 20): public pages are kept by
browsers but revalidated each time they are shown (rentcenter/pagecache.py,
public_cache_control), so a visitor who had the home page open before staff changed a plan's
title sees the new title when they reload, or come back to the page by its link."""

from playwright.sync_api import Browser, Page, expect

from tests.browser.accounts_steps import log_in_to_admin
from tests.browser.conftest import DESKTOP, screenshot
from tests.factories import make_plan, make_staff

TITLE = "2026年第七批保障性租赁住房专项配租计划"
CORRECTED = "2026年第七批保障性租赁住房专项配租计划（时间更正）"
PASSWORD = "manager-pass-2026"


def test_a_visitor_sees_the_corrected_title_on_reload(page: Page, browser: Browser, live_server):
    plan = make_plan(title=TITLE)
    project = plan.projects.get()
    page.goto("/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()

    # A plan manager corrects the title in admin, in a browser of their own.
    manager = make_staff(phone="+8613800000001", password=PASSWORD, group="配租管理员")
    staff = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server.url)
    try:
        admin = staff.new_page()
        log_in_to_admin(admin, manager, PASSWORD)
        admin.goto(f"/admin/plans/plan/{plan.pk}/change/")
        admin.get_by_label("计划名称").fill(CORRECTED)
        admin.get_by_role("button", name="保存", exact=True).click()
        expect(admin.locator(".messagelist")).to_contain_text("成功")
    finally:
        staff.close()

    # The visitor's tab still shows the page as it was; back on it by its link from another
    # page, as from the reload button, the browser asks the site again and shows the correction
    # (with `max-age=60` it showed its own copy for up to a minute).
    expect(page.get_by_role("heading", name=TITLE, exact=True)).to_be_visible()
    page.get_by_role("link", name=project.name).first.click()
    page.locator("a.brand").click()
    expect(page.get_by_role("heading", name=CORRECTED)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=CORRECTED)).to_be_visible()
    screenshot(page, "issue20-corrected-title")
