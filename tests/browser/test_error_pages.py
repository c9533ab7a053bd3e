"""The pages nginx answers with by itself (manage.py build_error_pages): a visitor whose upload
was too large, or who arrived while no web server answered, reads the site's page, styled by
its own sheet, accessible (axe) at both widths and in 长辈模式's sizes."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, Route, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, screenshot

PAGES = {
    "413.html": (413, "上传的文件太大"),
    "503.html": (503, "系统繁忙，请稍后再试"),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_nginx_answers_with(page: Page, live_server, tmp_path, settings, name: str):
    settings.STATIC_ROOT = tmp_path
    call_command("build_error_pages", stdout=io.StringIO())
    html = (tmp_path / "errors" / name).read_text()
    status, heading = PAGES[name]

    # As nginx serves it: at the address of the request it answers, the rest from the site.
    def nginx(route: Route) -> None:
        route.fulfill(status=status, body=html, content_type="text/html")

    page.route("**/plans/1/info/documents/", nginx)
    response = page.goto("/plans/1/info/documents/")
    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".site-footer")).to_contain_text("技术支持电话")
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # the site's sheet
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert_accessible(page, f"{name} at {size['width']} px")
    if name == "413.html":
        screenshot(page, "issue20-upload-too-large")
