"""After the draw (issue 19): staff import the homes from a spreadsheet, open 资格复核 and pass
two entrants, set a session; the first entrant chooses a home, the second cannot choose before
that and then chooses another; the 选房大厅 shows both; the 选房确认书 downloads."""

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Page, expect

from allocation.models import Choice, Home, Recheck, Session
from tests.allocation.factories import make_drawn_plan
from tests.browser.accounts_steps import log_in_as, log_in_to_admin
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot
from tests.clock import beijing
from tests.factories import make_applicant, make_rent_item, make_staff

# A weekday morning after the draw.
MORNING = beijing(2027, 1, 12, 9, 0)
PASSWORD = "allocation-staff-2027"


def homes_sheet(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["房型", "楼号", "单元", "楼层", "房号", "建筑面积（㎡）", "朝向", "月租金（元/月）"]
    )
    sheet.append(["一居室", "3", "2", 12, "1203", 38.5, "南", 3800])
    sheet.append(["一居室", "3", "2", 12, "1204", 38.5, "北", 3700])
    sheet.append(["一居室", "3", "1", 8, "801", 38.5, "南北", 3900])
    book.save(path)
    return path


def elder_screenshot(page: Page, name: str) -> None:
    """The page again in 长辈模式 (its cookie), then back to the normal display."""
    origin = re.match(r"https?://[^/]+", page.url).group()
    page.context.add_cookies([{"name": "elder", "value": "1", "url": origin}])
    page.reload()
    expect(page.locator("html.elder")).to_have_count(1)
    screenshot(page, name)
    page.context.clear_cookies(name="elder")
    page.reload()


def test_import_recheck_session_and_two_entrants_choose_in_turn(
    page: Page, live_server, time_machine, tmp_path: Path, request
) -> None:
    time_machine.move_to(MORNING, tick=True)
    # The countdowns count from the server's instant (conftest installs the clock with --clock).
    if not request.config.getoption("--clock"):
        page.clock.install(time=MORNING)
    page.clock.set_system_time(MORNING)
    first_person, second_person = make_applicant(name="赵敏"), make_applicant(name="钱程")
    plan = make_drawn_plan(2, applicants=[first_person, second_person])
    offering = plan.plan_projects.get()
    offering.homes = 3
    offering.save()
    make_rent_item(offering.project, room_type="一居室", area=Decimal("38.50"), homes=3)
    by_position = sorted(
        [first_person, second_person], key=lambda p: p.registrations.get().lottery_entry.position
    )
    first, second = (person.registrations.get() for person in by_position)
    staff = make_staff(superuser=True, password=PASSWORD)

    # Staff import the homes: upload, preview, confirm.
    page.set_viewport_size(DESKTOP)
    log_in_to_admin(page, staff, PASSWORD)
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    page.get_by_role("link", name="房源、资格复核、选房场次、选房结果与签约").click()
    page.get_by_role("link", name="导入房源").click()
    page.get_by_label("房源表（.xlsx 或 .csv）").set_input_files(
        homes_sheet(tmp_path / "房源.xlsx")
    )
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#preview tbody tr")).to_have_count(3)
    screenshot(page, "allocation-01-admin-import-preview")
    page.get_by_role("button", name="确认导入 3 套房源").click()
    expect(page.get_by_text(f"已导入 {offering.project.name} 的房源 3 套")).to_be_visible()
    assert Home.objects.filter(offering=offering).count() == 3

    # 开放资格复核 for the first two, then pass both on their review pages.
    page.get_by_label("按顺序号开放下").fill("2")
    page.get_by_role("button", name="开放资格复核").click()
    expect(page.get_by_text("已开放资格复核：顺序号第 1 至 2 号，共 2 人")).to_be_visible()
    for recheck in Recheck.objects.order_by("position"):
        page.goto(f"/admin/allocation/recheck/{recheck.pk}/change/")
        page.get_by_role("button", name="复核通过").click()
        expect(page.get_by_text(f"顺序号第 {recheck.position} 号：复核通过")).to_be_visible()

    # 设置选房场次: starting a minute from now, 10 minutes a turn.
    page.goto(f"/admin/plans/plan/{plan.pk}/allocation/")
    page.get_by_role("link", name="设置选房场次").click()
    page.get_by_label("开始时间（日期）").fill("2027-01-12")
    page.get_by_label("开始时间（时间）").fill("09:05")
    page.get_by_label("结束时间（日期）").fill("2027-01-12")
    page.get_by_label("结束时间（时间）").fill("12:00")
    page.get_by_label("每人选房时间（分钟）").fill("10")
    page.get_by_label("签约截止时间（日期）").fill("2027-01-19")
    page.get_by_label("签约截止时间（时间）").fill("17:00")
    page.get_by_role("button", name="设置选房场次").click()
    expect(page.get_by_text("选房场次已设置：2 人")).to_be_visible()
    screenshot(page, "allocation-02-admin-plan")
    assert Session.objects.get().starts_at == beijing(2027, 1, 12, 9, 5)
    time_machine.move_to(beijing(2027, 1, 12, 9, 6), tick=True)
    page.clock.set_system_time(beijing(2027, 1, 12, 9, 6))

    # The second entrant waits and cannot choose before the first.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    log_in_as(page, second.applicant)
    page.goto(f"/records/{second.number}/")
    page.get_by_role("link", name="进入选房").click()
    expect(page.locator("#stage")).to_contain_text("您前面还有 1 位")
    screenshot(page, "allocation-03-waiting")
    home = Home.objects.get(number="1203")
    page.goto(f"/allocation/{second.number}/homes/{home.pk}/")
    page.get_by_role("button", name="确认选房").click()
    expect(page.get_by_text("还没有轮到您选房，您前面还有 1 位")).to_be_visible()
    assert not Choice.objects.exists()

    # The first entrant's turn: the homes, 选择, 确认选房.
    page.context.clear_cookies()
    log_in_as(page, first.applicant)
    page.goto(f"/allocation/{first.number}/")
    expect(page.get_by_role("heading", name="轮到您选房了")).to_be_visible()
    screenshot(page, "allocation-04-my-turn")
    elder_screenshot(page, "allocation-04-my-turn-elder")
    page.get_by_role("link", name="选择 3号楼2单元1203").click()
    page.get_by_role("button", name="确认选房").click()
    expect(page.get_by_text("确认选房成功：3号楼2单元1203")).to_be_visible()
    screenshot(page, "allocation-05-chosen")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载选房确认书").click()
    pdf = tmp_path / "confirmation.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - poppler's pdftoppm on the file just downloaded
        [
            shutil.which("pdftoppm") or "/usr/bin/pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(SCREENSHOTS / "allocation-06-confirmation"),
        ],
        check=True,
    )

    # Now the second entrant chooses another home.
    page.context.clear_cookies()
    log_in_as(page, second.applicant)
    page.goto(f"/allocation/{second.number}/")
    expect(page.get_by_role("heading", name="轮到您选房了")).to_be_visible()
    expect(page.get_by_role("link", name="选择 3号楼2单元1203")).to_have_count(0)
    page.get_by_role("link", name="选择 3号楼1单元801").click()
    page.get_by_role("button", name="确认选房").click()
    expect(page.get_by_text("确认选房成功：3号楼1单元801")).to_be_visible()

    # The board shows both, by 顺序号 and 房号 only.
    page.context.clear_cookies()
    page.goto(f"/plans/{plan.pk}/hall/")
    board = page.locator("#board")
    expect(board).to_contain_text("顺序号 第 1 号")
    expect(board).to_contain_text("3号楼2单元1203")
    expect(board).to_contain_text("顺序号 第 2 号")
    expect(board).to_contain_text("3号楼1单元801")
    expect(page.locator("#homes-left")).to_have_text("1")
    expect(board).not_to_contain_text("赵敏")
    screenshot(page, "allocation-07-hall")
    elder_screenshot(page, "allocation-07-hall-elder")
    page.set_viewport_size(DESKTOP)
    page.goto(f"/plans/{plan.pk}/hall/screen/")
    expect(page.locator("#board")).to_contain_text("3号楼1单元801")
    page.screenshot(path=SCREENSHOTS / "allocation-08-hall-screen-desktop.png", full_page=True)
    assert {choice.home.number for choice in Choice.objects.select_related("home")} == {
        "1203",
        "801",
    }
