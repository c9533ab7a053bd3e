"""The accessibility gate (issue 12): axe-core, from npm (tests/browser/package.json, installed
by `make install`), run in the page by Playwright over the journeys' pages.

The site's Content-Security-Policy allows only its own scripts, so axe is not added as a
<script> tag (the browser would refuse it, and the policy watch of conftest.py would fail the
test): its source is evaluated through the DevTools protocol, which the page's policy does not
govern. Nothing of the site is relaxed for the check. axe's "preload" (copying stylesheets into
<style> elements, for its experimental css-orientation-lock rule) is off: the policy refuses
those elements too.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 A and AA and WCAG 2.1 AA, as the issue asks.
TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]


def axe_violations(page: Page) -> list[dict]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run 'make install' (npm install in tests/browser)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": TAGS}, "preload": False}
    result = page.evaluate("async (options) => await axe.run(document, options)", options)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str = "") -> None:
    """0 violations of WCAG 2.0/2.1 A and AA on the page as it is now."""
    violations = axe_violations(page)
    assert not violations, f"axe on {where or page.url}:\n{describe(violations)}"
