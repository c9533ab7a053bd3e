from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.factories import make_plan


def test_home_lists_a_plan(page: Page) -> None:
    plan = make_plan()
    page.goto("/")
    expect(page.get_by_role("heading", name=plan.title)).to_be_visible()
    screenshot(page, "smoke-home")
