"""Staff freeze the list with two seed sources, then draw with the numbers the sources
published; the public 摇号结果 page shows the list, then the seed and the order, and anyone
re-runs the draw from the downloaded files with verify.py (issues 5 and 13)."""

import subprocess
import sys
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from lottery import verify
from lottery.models import Draw, Entry
from rentcenter import sms
from tests.browser.accounts_steps import log_in_to_admin
from tests.browser.conftest import screenshot
from tests.clock import beijing
from tests.factories import make_applicant
from tests.lottery.factories import (
    CANONICAL,
    LOTTERY_SOURCE,
    NOTARY_SOURCE,
    SEED,
    make_ended_plan,
    make_plan_manager,
    make_registrations,
)

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# The evening of the draw: the list is frozen at 20:50, the notary draws in public at 21:00,
# the lottery's numbers are published at 21:15 (双色球 draws on Sunday evenings).
FREEZING = beijing(2026, 12, 20, 20, 50)
MANAGER_PASSWORD = "manager-pass-2026"


def test_staff_freeze_with_two_sources_draw_with_their_numbers_and_anyone_verifies(
    page: Page, live_server, client, settings, time_machine, tmp_path: Path
) -> None:
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    time_machine.move_to(FREEZING, tick=True)
    plan = make_ended_plan(title="2026年第九批保障性租赁住房专项配租计划")
    applicant = make_applicant(name="李华")
    [registration] = make_registrations(plan, 1, applicant=applicant)
    make_registrations(plan, 29)
    manager = make_plan_manager(password=MANAGER_PASSWORD)
    page.set_viewport_size(DESKTOP)
    log_in_to_admin(page, manager, MANAGER_PASSWORD)

    # 冻结名单 from the plan's admin page: who draws, and the seed's sources.
    page.set_viewport_size(DESKTOP)
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    page.get_by_role("link", name="冻结名单").click()
    page.get_by_label("全部有效登记").check()
    fill_source(page, 0, LOTTERY_SOURCE, "2026-12-20T21:15", "6")
    fill_source(page, 1, NOTARY_SOURCE, "2026-12-20T21:00", "5", ordered=True)
    # A source whose numbers were already known is refused beside its field.
    fill_source(page, 2, "中国福利彩票 双色球 第2026149期", "2026-12-17T21:15", "7")
    page.get_by_role("button", name="下一步：核对").click()
    summary = page.get_by_role("link", name="种子来源 3 · 号码公布时间：号码公布时间必须晚于现在")
    expect(summary).to_have_attribute("href", "#id_sources-2-known_at")
    expect(page.locator(".form-row.errors .errorlist")).to_contain_text("号码公布时间必须晚于现在")
    expect(page.locator("#id_sources-2-name")).to_have_value("中国福利彩票 双色球 第2026149期")
    screenshot(page, "lottery-01-admin-freeze-refused")
    fill_source(page, 2, "", "", "")
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#freeze-count")).to_have_text("30 人")
    expect(page.locator("#freeze-sources li")).to_have_count(2)
    screenshot(page, "lottery-02-admin-freeze-check")
    page.get_by_role("button", name="确认冻结名单").click()
    expect(page.get_by_text("名单已冻结：30 人")).to_be_visible()
    draw = Draw.objects.get(plan=plan)

    # Before the draw the public page shows the list, its hash and the sources; anyone can
    # look a code up in the frozen list.
    entry = Entry.objects.get(registration=registration)
    page.goto(f"/plans/{plan.pk}/lottery/")
    expect(page.get_by_text(draw.list_sha256)).to_be_visible()
    expect(page.get_by_text(LOTTERY_SOURCE)).to_be_visible()
    expect(page.get_by_text("2026年12月20日 21:00 公布，5 个号码，按开出顺序计入")).to_be_visible()
    page.get_by_label("查找摇号编码").fill(entry.code)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("status")).to_contain_text("在冻结的名单中，尚未摇号")
    screenshot(page, "lottery-03-frozen")

    # The applicant sees the entry code in 配租记录 as soon as the list is frozen.
    page.context.clear_cookies()
    log_in(page, client, settings, live_server, applicant)
    page.set_viewport_size(PHONE)
    page.goto(reverse("applications:records"))
    expect(page.get_by_text(f"摇号编码 {entry.code}")).to_be_visible()
    screenshot(page, "lottery-04-records-frozen")
    expect(page.get_by_text("名单已冻结，尚未摇号")).to_be_visible()
    page.get_by_role("link", name="在名单中查看").click()
    expect(page.get_by_role("status")).to_contain_text(entry.code)

    # 21:02: the notary's numbers are out, the lottery's not yet: the draw is refused.
    time_machine.move_to(beijing(2026, 12, 20, 21, 2), tick=True)
    page.context.clear_cookies()
    log_in_to_admin(page, manager, MANAGER_PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto(f"/admin/lottery/draw/{draw.pk}/change/")
    page.get_by_role("link", name="录入号码并摇号").click()
    page.get_by_label(LOTTERY_SOURCE).fill("31 07 19 03 25 12")
    page.get_by_label(NOTARY_SOURCE).fill("47 08 23 15 31")
    page.get_by_role("button", name="下一步：核对").click()
    too_early = "该来源的号码 2026年12月20日 21:15 才公布"
    expect(page.locator(".error-summary a[href='#id_source_1']")).to_contain_text(too_early)
    expect(page.locator(".form-row.errors .errorlist")).to_have_text(
        f"{too_early}，现在还不能录入。"
    )
    expect(page.get_by_label(LOTTERY_SOURCE)).to_have_value("31 07 19 03 25 12")
    screenshot(page, "lottery-05-admin-draw-too-early")

    # 21:16: both are published; the confirmation page shows the canonical string and seed.
    time_machine.move_to(beijing(2026, 12, 20, 21, 16), tick=True)
    page.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#check-hash")).to_have_text(draw.list_sha256)
    expect(page.locator("#check-canonical")).to_have_text(CANONICAL)
    expect(page.locator("#check-seed")).to_have_text(SEED)
    screenshot(page, "lottery-06-admin-draw-check")
    page.get_by_role("button", name="确认摇号").click()
    expect(page.get_by_text("摇号完成")).to_be_visible()
    screenshot(page, "lottery-07-admin-drawn")

    # The public page shows the numbers, the canonical string, the seed and the order.
    codes = list(draw.entries.values_list("code", flat=True))
    order = verify.order(seed=SEED, entry_codes=codes)
    page.goto(f"/plans/{plan.pk}/lottery/")
    expect(page.locator("#canonical")).to_have_text(CANONICAL)
    expect(page.locator("#seed")).to_have_text(SEED)
    rows = page.locator("#entries tbody tr")
    expect(rows).to_have_count(30)
    expect(rows.first).to_contain_text(order[0])
    expect(rows.nth(29)).to_contain_text(order[29])
    page.get_by_text("如何自行核验摇号结果").click()
    screenshot(page, "lottery-08-drawn")

    # Anyone downloads the four files and re-runs the draw with Python alone.
    for link, name in [
        ("下载名单 entries.txt", "entries.txt"),
        ("下载号码 seed.txt", "seed.txt"),
        ("下载结果 result.txt", "result.txt"),
        ("verify.py", "verify.py"),
    ]:
        with page.expect_download() as download:
            page.get_by_role("link", name=link, exact=True).click()
        download.value.save_as(tmp_path / name)
    done = subprocess.run(  # noqa: S603 - our interpreter, the downloaded verifier
        [
            *[sys.executable, "verify.py", "entries.txt"],
            *["--seed-file", "seed.txt", "--result", "result.txt"],
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"seed {SEED}" in done.stdout
    assert "OK: 30 entries, the same order as result.txt" in done.stdout

    # An applicant looks up an entry code, and sees the 顺序号 in 配租记录.
    page.get_by_label("查找摇号编码").fill(order[2])
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("status")).to_contain_text("顺序号第 3 号")
    assert len(sms.outbox) == 30
    page.context.clear_cookies()
    log_in(page, client, settings, live_server, applicant)
    page.set_viewport_size(PHONE)
    page.goto(reverse("applications:records"))
    entry.refresh_from_db()
    expect(page.get_by_text(f"顺序号 第 {entry.position} 号")).to_be_visible()
    screenshot(page, "lottery-09-records")
    page.get_by_role("link", name="查看").click()
    expect(page.get_by_text(entry.code)).to_be_visible()
    screenshot(page, "lottery-10-record")


def fill_source(
    page: Page, number: int, name: str, known_at: str, count: str, *, ordered: bool = False
) -> None:
    page.locator(f"#id_sources-{number}-name").fill(name)
    page.locator(f"#id_sources-{number}-known_at").fill(known_at)
    page.locator(f"#id_sources-{number}-count").fill(count)
    if ordered:
        page.locator(f"#id_sources-{number}-ordered").check()


def log_in(page: Page, client, settings, live_server, user) -> None:
    """The browser takes over a session the test client opens for `user`."""
    client.force_login(user)
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.session.session_key,
        "url": live_server.url,
    }
    page.context.add_cookies([cookie])
