"""What an applicant notices (issue 12): a focus they can see, radios beside their labels, the
sticky 暂存 / 提交 bar never over the field being typed in, Chinese that breaks between words on
a phone, photo strips that say they scroll, 刷新 without JavaScript, and 长辈模式."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from rentcenter.display import ELDER_COOKIE
from tests.browser.accounts_steps import field, log_in_as
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot
from tests.browser.test_catalog import assert_fits_the_phone, make_catalog
from tests.factories import (
    REQUIRED_KINDS,
    image_upload,
    make_applicant,
    make_document,
    make_info,
    make_plan,
    make_staff,
)

# The dark part of the GOV.UK focus indicator: 19.8:1 against white.
FOCUS_DARK = "rgb(11, 12, 12)"
FOCUS_YELLOW = "rgb(255, 221, 0)"

FOCUS_STYLE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName + (element.type ? "[" + element.type + "]" : ""),
    text: (element.innerText || element.name || element.id || "").slice(0, 30),
    outline: style.outlineStyle === "none" ? "" : style.outlineColor + " " + style.outlineWidth,
    shadow: style.boxShadow,
    background: style.backgroundColor,
  };
}"""


def tab_through(page: Page, steps: int) -> list[dict]:
    page.locator("body").click(position={"x": 1, "y": 1})
    seen = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus["tag"] != "BODY":  # past the last link, focus leaves the page for a step
            seen.append(focus)
    return seen


def assert_focus_visible(seen: list[dict]) -> None:
    """Every focused element shows a near-black part (a ring, an underline bar or an outline)
    at least 2px wide: 3:1 and more against white, whatever the yellow does."""
    for focus in seen:
        outline_dark = (
            focus["outline"].startswith(FOCUS_DARK)
            and float(re.search(r"([\d.]+)px", focus["outline"]).group(1)) >= 2
        )
        shadow_dark = FOCUS_DARK in focus["shadow"]
        assert outline_dark or shadow_dark, focus
        assert FOCUS_YELLOW in (focus["outline"] + focus["shadow"] + focus["background"]), focus


@pytest.fixture
def applicant_on_the_form(page: Page):
    """An applicant with 实名, on 信息填报 of an open plan, a submitted version prefilled."""
    plan = make_plan(title="2026年第四批保障性租赁住房专项配租计划")
    applicant = make_applicant(name="王小明")
    make_info(applicant, plan)
    log_in_as(page, applicant)
    page.goto(reverse("applications:fill", args=[plan.pk]))
    expect(page.get_by_role("heading", name="信息填报")).to_be_visible()
    return plan


def test_every_control_and_link_shows_its_focus(page: Page, applicant_on_the_form) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        seen = tab_through(page, 45)
        kinds = {focus["tag"] for focus in seen}
        assert {"A", "INPUT[radio]", "INPUT[text]", "SELECT[select-one]", "BUTTON[submit]"} <= kinds
        assert_focus_visible(seen)
    page.get_by_label(field("工作单位")).focus()
    screenshot(page, "presentation-focus")


def test_admin_shows_the_focus_too(page: Page) -> None:
    log_in_as(page, make_staff(superuser=True))
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("admin:plans_plan_changelist"))
    seen = tab_through(page, 25)
    assert {"A", "INPUT[search]"} <= {focus["tag"] for focus in seen}
    assert_focus_visible(seen)


RADIO_GEOMETRY = """() => [...document.querySelectorAll("label.choice")].map(label => {
  const input = label.querySelector("input").getBoundingClientRect();
  const text = label.querySelector("span").getBoundingClientRect();
  const lineHeight = parseFloat(getComputedStyle(label.querySelector("span")).lineHeight);
  // The radio is centred on the first line of its text (a long label wraps below it).
  const firstLine = text.top + lineHeight / 2;
  return {
    label: label.innerText,
    offset: Math.abs(input.top + input.height / 2 - firstLine),
    gap: text.left - input.right,
  };
})"""


def assert_radios_line_up(page: Page, expected: set[str]) -> None:
    radios = page.evaluate(RADIO_GEOMETRY)
    assert expected <= {radio["label"].strip() for radio in radios}
    for radio in radios:
        assert radio["offset"] <= 2, radio  # centred on the text's line
        assert 6 <= radio["gap"] <= 16, radio  # a gap, not a gulf


def test_radios_sit_beside_their_labels_with_a_gap(page: Page, applicant_on_the_form) -> None:
    groups = {"未婚", "已婚", "本市户籍", "外省市户籍", "本市名下无住房"}
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert_radios_line_up(page, groups)

    # 选择登记的项目小区 on 登记.
    plan = applicant_on_the_form
    page.goto(reverse("applications:register", args=[plan.pk]))
    project = plan.projects.get().name
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        radios = page.evaluate(RADIO_GEOMETRY)
        assert any(project in radio["label"] for radio in radios)
        assert_radios_line_up(page, set())


BAR_AND_FOCUS = """() => {
  const bar = document.querySelector(".actions--sticky").getBoundingClientRect();
  const focused = document.activeElement;
  const box = focused.getBoundingClientRect();
  return {
    name: focused.name || focused.id || focused.innerText,
    inBar: !!focused.closest(".actions--sticky"),
    // The bar sticks to the bottom of its form only: what follows the form is below it.
    inForm: focused.closest("form") === document.querySelector(".actions--sticky").closest("form"),
    barTop: bar.top, bottom: box.bottom, top: box.top,
  };
}"""


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_sticky_bar_never_covers_the_focused_field(
    page: Page, applicant_on_the_form, size
) -> None:
    page.set_viewport_size(size)
    page.reload()
    page.locator("body").click(position={"x": 1, "y": 1})
    names = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        focus = page.evaluate(BAR_AND_FOCUS)
        if focus["inBar"] or not focus["inForm"]:
            continue
        names.add(focus["name"])
        assert focus["bottom"] <= focus["barTop"], focus
        if focus["name"] == "preferred_room":  # what the keyboard user sees, the bar included
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            width = "desktop" if size == DESKTOP else "phone"
            page.screenshot(path=SCREENSHOTS / f"presentation-focus-above-the-bar-{width}.png")
    assert {"employer_district", "preferred_room"} <= names


def test_phone_pages_fit_and_headers_keep_their_units_whole(page: Page) -> None:
    catalog = make_catalog()
    urls = [
        "/",
        reverse("plans:announcement", args=[catalog.plan.pk]),
        catalog.project.get_absolute_url(),
        catalog.floor_plan.get_absolute_url(),
    ]
    for url in urls:
        page.goto(url)
        assert_fits_the_phone(page)
    # Each header of the rent list: its words on one line, its unit on one line (a table from
    # 40em on; on a phone each room type is a card, tests/browser/test_small_screens.py).
    page.set_viewport_size(DESKTOP)
    lines = page.evaluate(
        """() => [...document.querySelectorAll(".table--rents thead th")].flatMap(th =>
          [...th.childNodes].map(node => {
            const range = document.createRange();
            range.selectNodeContents(node);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return [node.textContent, tops.size];
          }))"""
    )
    assert ["（元/㎡/月）", 1] in lines
    assert ["建筑面积", 1] in lines
    for text, count in lines:
        assert count == 1, f"{text} breaks over {count} lines"
    # A date's day stays on one line.
    page.goto(reverse("plans:announcement", args=[catalog.plan.pk]))
    days = page.locator("time.date .date__day")
    assert days.count() >= 3
    for day in days.all():
        assert day.evaluate("e => e.getClientRects().length") == 1, day.inner_text()


LONG_FILE_NAME = "劳动合同扫描件_北京望京科技有限公司_第四批_王小明_final_scan_0001.jpg"


def test_long_file_names_and_numbers_wrap_on_a_phone(page: Page) -> None:
    plan = make_plan()
    applicant = make_applicant(name="王小明")
    documents = [make_document(applicant, kind) for kind in REQUIRED_KINDS]
    documents[3] = make_document(applicant, "employment", upload=image_upload(LONG_FILE_NAME))
    make_info(
        applicant,
        plan,
        documents=documents,
        employer_credit_code="91110105MA01ABCDEF",
        current_address="北京市朝阳区望京西路1号院2号楼3单元1201室(ROOM-1201-BUILDING-2-COURTYARD-1-WANGJING-WEST-ROAD)",
    )
    log_in_as(page, applicant)
    for elder in (False, True):
        if elder:
            origin = re.match(r"https?://[^/]+", page.url).group()
            page.context.add_cookies([{"name": ELDER_COOKIE, "value": "1", "url": origin}])
        page.goto(reverse("applications:info", args=[plan.pk]))
        expect(page.get_by_text(LONG_FILE_NAME)).to_be_visible()
        assert_fits_the_phone(page)


def test_photo_strips_say_they_scroll_and_open_large(page: Page) -> None:
    catalog = make_catalog()
    for url, total in (
        (catalog.project.get_absolute_url(), 3),
        (catalog.floor_plan.get_absolute_url(), 3),  # 户型图 and two photos
    ):
        page.goto(url)
        items = page.locator(".gallery__item")
        expect(items).to_have_count(total)
        expect(items.first.locator(".gallery__count")).to_have_text(
            f"1/{total}（第 1 张，共 {total} 张）"
        )
        expect(page.locator(".gallery__hint")).to_contain_text(f"共 {total} 张")
        # The next photo shows at the edge of the phone's screen.
        second = items.nth(1).bounding_box()
        assert second["x"] < PHONE["width"] < second["x"] + second["width"]
        large = items.first.locator("a").get_attribute("href")
        assert "/large/" in large
    page.locator(".gallery__item a").first.click()
    page.wait_for_url(re.compile(r"/large/"))


@pytest.fixture
def page_without_javascript(browser: Browser, live_server, transactional_db):
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=live_server.url, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def test_refresh_without_javascript_keeps_the_typed_phone(page_without_javascript: Page) -> None:
    page = page_without_javascript
    page.goto("/accounts/login/?next=/records/")
    page.get_by_label(field("手机号")).fill("13912345678")
    image = page.locator("#captcha-image").get_attribute("src")
    page.get_by_role("button", name="刷新").click()
    expect(page.get_by_label(field("手机号"))).to_have_value("139 1234 5678")
    assert page.locator("#captcha-image").get_attribute("src") != image
    expect(page.locator(".field__error")).to_have_count(0)
    assert "next=%2Frecords%2F" in page.url or "/accounts/login/" in page.url


def test_elder_mode_is_large_and_fits_the_phone(page: Page) -> None:
    catalog = make_catalog()
    page.goto(catalog.project.get_absolute_url())
    page.get_by_role("link", name="长辈模式（大字体）").click()
    page.wait_for_url(re.compile(re.escape(catalog.project.get_absolute_url()) + "$"))
    expect(page.locator("html.elder")).to_have_count(1)
    assert any(c["name"] == ELDER_COOKIE for c in page.context.cookies())
    urls = [
        "/",
        reverse("plans:announcement", args=[catalog.plan.pk]),
        catalog.project.get_absolute_url(),
        catalog.floor_plan.get_absolute_url(),
        reverse("accounts:login"),
        reverse("accounts:register"),
    ]
    for url in urls:
        page.goto(url)
        expect(page.locator("html.elder")).to_have_count(1)
        assert_fits_the_phone(page)
        smallest = page.evaluate(
            """() => Math.min(...[...document.querySelectorAll(
                "main p, main li, main dd, main td, main th, main label, main a")]
              .filter(e => e.offsetParent && e.innerText.trim())
              .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
        )
        assert smallest >= 20, f"{url}: text of {smallest}px"
        # Nothing spills out of its card either (a date in a narrow column wraps its time);
        # the rent list, five columns of 20px text, scrolls in its own focusable region.
        spills = page.evaluate(
            """() => [...document.querySelectorAll("main .card *")].filter(e => {
              if (e.closest(".table-scroll")) return false;
              const card = e.closest(".card").getBoundingClientRect();
              const box = e.getBoundingClientRect();
              return box.width && (box.right > card.right + 0.5 || box.left < card.left - 0.5);
            }).map(e => e.tagName + ": " + e.innerText.slice(0, 30))"""
        )
        assert not spills, f"{url}: {spills}"
    page.goto(catalog.project.get_absolute_url())
    screenshot(page, "presentation-elder-project")
    page.goto("/")
    screenshot(page, "presentation-elder-home")
    page.get_by_role("link", name="退出长辈模式").click()
    expect(page.locator("html.elder")).to_have_count(0)
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "16px"


def test_elder_mode_on_the_form(page: Page, applicant_on_the_form) -> None:
    page.context.add_cookies(
        [{"name": ELDER_COOKIE, "value": "1", "url": re.match(r"https?://[^/]+", page.url).group()}]
    )
    page.reload()
    assert_fits_the_phone(page)
    assert float(page.evaluate("() => getComputedStyle(document.body).fontSize")[:-2]) >= 20
    page.get_by_label(field("工作单位")).focus()
    screenshot(page, "presentation-elder-form")
