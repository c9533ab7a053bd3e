"""Issue 16, item 11, in the browser: the photo strip's words match its controls (上一张 / 下一张
that work by keyboard, or, without JavaScript, no promise of them); "每10秒更新" only where the
count refreshes; 长辈模式 keeps a centred column on a desktop."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from rentcenter.display import ELDER_COOKIE
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_catalog import make_catalog
from tests.factories import make_plan


def scrolled(page: Page, check) -> None:
    """Wait until the strip's scrollLeft satisfies `check` (smooth scrolling takes a moment; the
    site's policy refuses wait_for_function's evaluated strings)."""
    for _ in range(50):
        if check(page.evaluate("() => document.getElementById('gallery').scrollLeft")):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the strip did not move")


def test_the_photo_strip_moves_by_keyboard_with_its_buttons(page: Page) -> None:
    catalog = make_catalog()
    page.set_viewport_size(DESKTOP)
    page.goto(catalog.project.get_absolute_url())
    strip = page.locator("#gallery")
    previous = page.get_by_role("button", name="‹ 上一张")
    following = page.get_by_role("button", name="下一张 ›")
    hint = "共 3 张照片，左右滑动或点击“上一张”“下一张”查看，点击照片看大图。"
    assert page.locator(".gallery__hint").inner_text() == hint  # what is shown, not all text
    expect(previous).to_be_disabled()
    following.focus()
    page.keyboard.press("Enter")
    scrolled(page, lambda left: left > 0)
    expect(previous).to_be_enabled()
    page.keyboard.press("Enter")
    expect(following).to_be_disabled()  # the last photo is in view (aria-disabled)
    expect(following).to_be_focused()  # and the keyboard's place is kept
    last, frame = strip.locator(".gallery__item").last.bounding_box(), strip.bounding_box()
    assert last["x"] + last["width"] <= frame["x"] + frame["width"] + 1  # wholly in view
    previous.focus()
    page.keyboard.press(" ")
    page.keyboard.press(" ")
    scrolled(page, lambda left: left == 0)
    screenshot(page, "issue16-photo-strip")


def test_without_javascript_no_buttons_are_promised(browser: Browser, live_server) -> None:
    catalog = make_catalog()
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport=DESKTOP, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(catalog.project.get_absolute_url())
    expect(page.get_by_role("button", name="下一张 ›")).to_be_hidden()
    hint = "共 3 张照片，可左右滚动查看，点击照片看大图。"
    assert page.locator(".gallery__hint").inner_text() == hint
    # No polling without JavaScript: the count does not say it refreshes.
    expect(page.get_by_text("每10秒更新")).to_be_hidden()
    context.close()


def test_every_ten_seconds_is_said_only_while_registering(page: Page) -> None:
    catalog = make_catalog()
    ended = make_plan(
        projects=[catalog.project],
        starts=timezone.now() - timedelta(days=40),
        title="2026年第一批已结束的配租计划",
    )
    page.goto(catalog.project.get_absolute_url())
    offerings = page.locator("#offerings .offering")
    open_plan = offerings.filter(has_text=catalog.plan.title)
    expect(offerings.filter(has_text=ended.title).get_by_text("每10秒更新")).to_have_count(0)
    expect(open_plan.get_by_text("每10秒更新")).to_be_visible()


@pytest.mark.parametrize("url_of", ["home", "project"])
def test_elder_mode_on_a_desktop_keeps_a_centred_column(page: Page, url_of) -> None:
    catalog = make_catalog()
    url = {"home": "/", "project": catalog.project.get_absolute_url()}[url_of]
    page.goto("/healthz")
    origin = re.match(r"https?://[^/]+", page.url).group()
    page.context.add_cookies([{"name": ELDER_COOKIE, "value": "1", "url": origin}])
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    expect(page.locator("html")).to_have_class(re.compile("elder"))
    main = page.locator("main").bounding_box()
    left, right = main["x"], DESKTOP["width"] - (main["x"] + main["width"])
    assert main["width"] <= 1160  # the normal page's 72rem of 16px, and its padding
    assert left > 80
    assert abs(left - right) <= 16  # centred (the scrollbar may take a little on one side)
    # Text stays large: 20px and more.
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
    assert size >= 20
    if url_of == "project":
        page.screenshot(path="var/screenshots/issue16-elder-project-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path="var/screenshots/issue16-elder-project-phone.png", full_page=True)
