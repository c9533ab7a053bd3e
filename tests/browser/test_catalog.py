"""A visitor browses the catalog as the manual's section 二 walks it: 配租计划 on the home page,
the 配租公告, a 项目小区 with its photos, countdown and 已登记人数, then a 户型."""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from plans.models import Plan
from projects.models import District, FloorPlan, Project
from tests.browser.conftest import PHONE, screenshot
from tests.conftest import clear_cache
from tests.factories import (
    make_announcement,
    make_attachment,
    make_floor_plan,
    make_floor_plan_photo,
    make_plan,
    make_project,
    make_project_photo,
    make_rent_item,
)
from tests.lottery.factories import make_registrations


@dataclass
class Catalog:
    plan: Plan
    project: Project
    floor_plan: FloorPlan


def make_catalog() -> Catalog:
    """An open plan of two projects with photos, floor plans and rents, and a closed plan."""
    now = timezone.now()
    wangjing = make_project(
        name="望京锦苑公寓",
        district=District.CHAOYANG,
        address="北京市朝阳区望京西路18号院",
        intro="项目位于望京核心区，距地铁14号线望京站约600米，周边配套成熟。",
    )
    for position in range(3):
        make_project_photo(wangjing, position=position, caption=f"小区实景 {position + 1}")
    one_bed = make_floor_plan(wangjing, name="一居室A", area=Decimal("38.50"), position=0)
    make_floor_plan(wangjing, name="两居室B", area=Decimal("56.20"), bedrooms=2, position=1)
    make_floor_plan_photo(one_bed, caption="客厅", position=0)
    make_floor_plan_photo(one_bed, caption="卧室", position=1)
    make_rent_item(wangjing, room_type="一居室", area=Decimal("38.50"), monthly_rent=3800)
    make_rent_item(
        wangjing, room_type="两居室", area=Decimal("56.20"), monthly_rent=5200, position=1
    )
    canal = make_project(name="运河城市公寓", district=District.TONGZHOU)
    make_project_photo(canal)

    plan = make_plan(
        title="2026年第四批保障性租赁住房专项配租计划（青年人才）",
        summary="面向在朝阳、通州工作的青年人才。",
        projects=[wangjing, canal],
        starts=now - timedelta(days=2),
        ends=now + timedelta(days=12),
    )
    announcement = make_announcement(
        plan,
        title="关于第四批专项配租的公告",
        body="## 申请条件\n\n- 年满18周岁\n- 本市无自有住房\n\n"
        "| 房型 | 月租金 |\n|:---|---:|\n| 一居室 | 3800 |",
        published_at=now - timedelta(days=5),
    )
    make_attachment(announcement, title="配租公告（盖章版）")
    make_plan(
        title="2026年第三批保障性租赁住房专项配租计划",
        projects=[canal],
        status=Plan.Status.CLOSED,
        starts=now - timedelta(days=40),
    )
    return Catalog(plan=plan, project=wangjing, floor_plan=one_bed)


def assert_fits_the_phone(page: Page) -> None:
    """Nothing sticks out sideways: the page scrolls only downwards on a phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def test_visitor_walks_from_the_plans_to_a_floor_plan(page: Page) -> None:
    catalog = make_catalog()
    page.goto("/")
    card = page.locator(f"#plan-{catalog.plan.pk}")
    expect(card.get_by_role("heading", name=catalog.plan.title)).to_be_visible()
    expect(card.locator(".badge")).to_have_text("登记中")
    expect(card.get_by_role("link", name="立即登记")).to_be_visible()
    expect(page.locator(".badge", has_text="已结束")).to_have_count(1)
    expect(page.get_by_role("link", name="注册")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("技术支持电话：010-81120588")
    assert_fits_the_phone(page)
    screenshot(page, "catalog-home")

    card.get_by_role("link", name="配租公告").click()
    expect(page).to_have_url(re.compile(rf"/plans/{catalog.plan.pk}/announcement/$"))
    expect(page.get_by_role("heading", name="关于第四批专项配租的公告")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="本市无自有住房")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("配租公告（盖章版）（PDF"))).to_be_visible()
    assert_fits_the_phone(page)
    screenshot(page, "catalog-announcement")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/$"))
    card.get_by_role("link", name=re.compile("望京锦苑公寓")).click()

    expect(page).to_have_url(re.compile(rf"/projects/{catalog.project.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("望京锦苑公寓")
    gallery = page.locator(".gallery img")
    expect(gallery).to_have_count(3)
    expect(gallery.first).to_be_visible()
    # Loaded (it is eager): waited for, as a busy machine may take a moment to answer.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=gallery.first.element_handle()
    )
    offering = page.locator("#offerings .offering").filter(has_text=catalog.plan.title)
    expect(offering.locator("dt").first).to_have_text("距登记结束")
    # site.js ticks the countdown to the second.
    expect(offering.locator("[data-countdown]")).to_have_text(re.compile(r"^\d+ 天 .* 秒$"))
    expect(offering.locator(".stat-number").first).to_have_text("0")
    expect(page.get_by_role("heading", name="项目户型")).to_be_visible()
    expect(page.get_by_text("项目位于望京核心区")).to_be_visible()
    assert_fits_the_phone(page)
    screenshot(page, "catalog-project")

    page.get_by_role("link", name=re.compile("一居室A")).click()
    expect(page).to_have_url(re.compile(rf"/floorplans/{catalog.floor_plan.pk}/$"))
    expect(page.get_by_role("heading", name="室内照片")).to_be_visible()
    expect(page.locator(".gallery img")).to_have_count(3)  # the layout and two indoor photos
    rents = page.get_by_role("table")
    expect(rents.get_by_role("row")).to_have_count(3)
    expect(rents.get_by_role("row").nth(1)).to_contain_text("98.70")
    assert_fits_the_phone(page)
    screenshot(page, "catalog-floor-plan")


def test_registered_count_refreshes_without_reloading(page: Page) -> None:
    catalog = make_catalog()
    page.clock.install()
    page.goto(catalog.project.get_absolute_url())
    offering = page.locator("#offerings .offering").filter(has_text=catalog.plan.title)
    count = offering.locator(".stat-number").first
    expect(count).to_have_text("0")
    page.evaluate("document.body.dataset.before = 'kept'")

    make_registrations(
        catalog.plan, 321, offering=catalog.plan.plan_projects.get(project=catalog.project)
    )
    clear_cache()  # the server's ten seconds pass too
    with page.expect_response(
        lambda response: response.request.headers.get("hx-request") == "true"
    ):
        page.clock.fast_forward("00:31")
    expect(count).to_have_text("321")
    # The same page, updated in place: not a reload.
    assert page.evaluate("document.body.dataset.before") == "kept"


@pytest.fixture
def page_without_javascript(browser: Browser, live_server, transactional_db):
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=live_server.url,
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_catalog_works_with_javascript_off(page_without_javascript: Page) -> None:
    page = page_without_javascript
    catalog = make_catalog()
    page.goto("/")
    page.locator(f"#plan-{catalog.plan.pk}").get_by_role("link", name="配租公告").click()
    expect(page.get_by_role("heading", name="关于第四批专项配租的公告")).to_be_visible()

    page.goto("/")
    page.get_by_role("link", name=re.compile("望京锦苑公寓")).first.click()
    offering = page.locator("#offerings .offering").filter(has_text=catalog.plan.title)
    # The server's countdown, to the minute, stays as rendered.
    expect(offering.locator("time.countdown")).to_have_text(re.compile(r"^\d+ 天 \d+ 小时 \d+ 分$"))
    expect(offering.locator(".stat-number").first).to_have_text("0")
    expect(page.locator(".gallery img")).to_have_count(3)
    screenshot(page, "catalog-project-no-js")

    page.get_by_role("link", name=re.compile("一居室A")).click()
    expect(page.get_by_role("heading", name="房型租金列表")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("98.70")
