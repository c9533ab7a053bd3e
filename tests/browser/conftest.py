"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, which makes Django refuse database
access "from an async context"; the test thread is not async code, so the guard is lifted here.
Screenshots land in var/screenshots/ at a phone and a desktop width.
"""

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Chromium is missing: run 'apt-get install chromium' (make test does it as root)"
        )
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


# What Chromium prints when a Content-Security-Policy or Permissions-Policy header refuses
# something or cannot be understood.
POLICY_COMPLAINTS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")


def watch_policies(context: BrowserContext) -> list[str]:
    """The console's complaints about the site's policies, from every page of `context`."""
    complaints: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if any(words in message.text for words in POLICY_COMPLAINTS):
            complaints.append(f"{message.page.url if message.page else ''}: {message.text}")

    context.on("console", listen)
    return complaints


@pytest.fixture
def page(request, browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A phone-sized page on the live server. The data a test makes is committed
    (transactional_db), so the server thread sees it on PostgreSQL too. When the session's
    clock is moved (--clock), the page's clock starts where the server's stands and ticks.
    The site's Content-Security-Policy is on, as in production: a test fails if the browser
    refused anything under it (or under the Permissions-Policy)."""
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url
    )
    if request.config.getoption("--clock"):
        context.clock.install(time=datetime.now(tz=UTC))
    context.set_default_timeout(10_000)
    complaints = watch_policies(context)
    page = context.new_page()
    yield page
    context.close()
    assert not complaints, "the browser refused something under the site's policies:\n" + (
        "\n".join(complaints)
    )


def screenshot(page: Page, name: str) -> None:
    """Save the page at phone width, then at desktop width, under var/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    # caret="initial": hiding the caret leaves style="" on the inputs, which htmx's next swap
    # copies and the Content-Security-Policy then refuses, something no visitor would cause.
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True, caret="initial")
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True, caret="initial")
    if original:
        page.set_viewport_size(original)
