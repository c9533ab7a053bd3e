"""A visitor arriving while the database is away reads the outage page (rentcenter/outage.py):
Chinese, styled by the site's own sheet under its Content-Security-Policy, at both widths."""

from unittest import mock

from django.db import OperationalError
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def test_the_outage_page(page: Page):
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch("rentcenter.pagecache.PageCacheMiddleware.__call__", side_effect=lost):
        response = page.goto("/")
        assert response.status == 503
        assert response.headers["retry-after"] == "30"
        expect(page).to_have_title("系统繁忙，请稍后再试 · 保障性租赁住房专项配租平台")
        expect(page.locator("#outage h1")).to_have_text("系统繁忙，请稍后再试")
        expect(page.locator("#outage")).to_contain_text("请重新获取验证码")
        expect(page.locator(".site-footer")).to_contain_text("技术支持电话")
        screenshot(page, "outage")
    assert page.goto("/").status == 200  # back as soon as the database is
