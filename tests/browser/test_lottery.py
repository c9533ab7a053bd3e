"""Staff freeze the list and draw in admin; the public 摇号结果 page shows the order (issue 5)."""

from django.urls import reverse
from playwright.sync_api import Page, expect

from lottery import verify
from lottery.models import Draw, Entry
from rentcenter import sms
from tests.browser.conftest import screenshot
from tests.factories import make_applicant
from tests.lottery.factories import (
    SEED,
    SEED_SOURCE,
    make_ended_plan,
    make_plan_manager,
    make_registrations,
)

DESKTOP = {"width": 1366, "height": 900}


def test_staff_freeze_and_draw_then_the_public_page_shows_the_order(
    page: Page, live_server, client, settings
) -> None:
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    plan = make_ended_plan(title="2026年第九批保障性租赁住房专项配租计划")
    applicant = make_applicant(name="李华")
    [registration] = make_registrations(plan, 1, applicant=applicant)
    make_registrations(plan, 29)
    client.force_login(make_plan_manager())
    log_in(page, client, settings, live_server)

    # 冻结名单 from the plan's admin page: choose who draws, announce the seed's source.
    page.set_viewport_size(DESKTOP)
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    page.get_by_role("link", name="冻结名单").click()
    page.get_by_label("仅审核通过").check()
    page.get_by_label("全部有效登记").check()
    page.get_by_label("预告的种子来源").fill(SEED_SOURCE)
    screenshot(page, "lottery-01-admin-freeze")
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#freeze-count")).to_have_text("30 人")
    screenshot(page, "lottery-02-admin-freeze-check")
    page.get_by_role("button", name="确认冻结名单").click()
    expect(page.get_by_text("名单已冻结：30 人")).to_be_visible()
    draw = Draw.objects.get(plan=plan)

    # Before the draw the public page shows the list and its hash.
    page.goto(f"/plans/{plan.pk}/lottery/")
    expect(page.get_by_text(draw.list_sha256)).to_be_visible()
    expect(page.get_by_text(SEED_SOURCE)).to_be_visible()
    screenshot(page, "lottery-03-frozen")

    # 录入种子并摇号: the confirmation page shows the list hash again.
    page.goto(f"/admin/lottery/draw/{draw.pk}/change/")
    page.get_by_role("link", name="录入种子并摇号").click()
    page.locator("#id_seed").fill(SEED)
    expect(page.get_by_label("种子来源")).to_have_value(SEED_SOURCE)
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#check-hash")).to_have_text(draw.list_sha256)
    screenshot(page, "lottery-04-admin-draw-check")
    page.get_by_role("button", name="确认摇号").click()
    expect(page.get_by_text("摇号完成")).to_be_visible()
    screenshot(page, "lottery-05-admin-drawn")

    # The public page now shows seed, algorithm and the order.
    codes = list(draw.entries.values_list("code", flat=True))
    order = verify.order(seed=SEED, entry_codes=codes)
    page.goto(f"/plans/{plan.pk}/lottery/")
    expect(page.get_by_text(SEED, exact=True)).to_be_visible()
    rows = page.locator("#entries tbody tr")
    expect(rows).to_have_count(30)
    expect(rows.first).to_contain_text(order[0])
    expect(rows.nth(29)).to_contain_text(order[29])
    screenshot(page, "lottery-06-drawn")

    # An applicant looks up an entry code.
    page.get_by_label("查找摇号编码").fill(order[2])
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("status")).to_contain_text("顺序号第 3 号")
    assert len(sms.outbox) == 30

    # The applicant sees the 顺序号 in 配租记录.
    page.context.clear_cookies()
    client.force_login(applicant)
    log_in(page, client, settings, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("applications:records"))
    entry = Entry.objects.get(registration=registration)
    expect(page.get_by_text(f"顺序号 第 {entry.position} 号")).to_be_visible()
    screenshot(page, "lottery-07-records")
    page.get_by_role("link", name="查看").click()
    expect(page.get_by_text(entry.code)).to_be_visible()
    screenshot(page, "lottery-08-record")


def log_in(page: Page, client, settings, live_server) -> None:
    """The browser takes over the session the test client logged in."""
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.session.session_key,
        "url": live_server.url,
    }
    page.context.add_cookies([cookie])
