"""Line breaks and small screens (issue 16): at 390 px, normally and in 长辈模式, no word the
reader takes in at a glance is split over two lines (the site's name, 一居室, a phone number, a
project's name), and nothing is off-screen without a cue: the rent list is a card per room type,
a table wider than the screen shows a shadow where there is more, photo strips say they scroll."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from plans.models import Plan
from rentcenter.display import ELDER_COOKIE
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_catalog import make_catalog
from tests.lottery.factories import make_drawn_draw

# Words read at a glance, where they stand (running text such as a plan's title breaks where it
# must, as Chinese does): the site's name, phone numbers, room types, projects' names.
WHOLE_WORDS = {
    ".brand": ["保障性租赁住房", "专项配租平台"],
    "body": ["010-81120588"],
    ".table": ["一居室", "两居室"],
    "a, .project-tile": ["望京锦苑公寓", "运河城市公寓"],
    ".project-tile__meta": ["房源"],
}

# Each occurrence of each word under the selector: on how many lines it is drawn.
SPLIT_WORDS = """([selector, words]) => {
  const split = [];
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (const word of words) {
        for (let at = node.data.indexOf(word); at >= 0; at = node.data.indexOf(word, at + 1)) {
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + word.length);
          const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
          const lines = new Set(rects.map(r => Math.round(r.top)));
          if (lines.size > 1) split.push(word + " in " + node.parentElement.tagName);
        }
      }
    }
  }
  return split;
}"""


def split_words(page: Page, whole: dict[str, list[str]] = WHOLE_WORDS) -> list[str]:
    return [word for pair in whole.items() for word in page.evaluate(SPLIT_WORDS, list(pair))]


# What sticks out: the page itself, and every box scrolling sideways without a cue. A photo
# strip says 左右滑动查看 under it; a table's box shows a shadow where there is more.
OFF_SCREEN = """() => {
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth) out.push("the page scrolls sideways");
  for (const box of document.querySelectorAll("main *")) {
    const style = getComputedStyle(box);
    if (!["auto", "scroll"].includes(style.overflowX)) continue;
    if (box.scrollWidth <= box.clientWidth + 1) continue;
    const said = box.matches(".gallery") && box.parentElement.querySelector(".gallery__hint");
    const shadow = style.backgroundAttachment.includes("local");
    if (!said && !shadow) out.push(box.className + " scrolls with no cue");
    if (box.matches(".table-scroll")) out.push(box.className + " hides columns at this width");
  }
  return out;
}"""


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_phone_pages_split_no_word_and_hide_nothing(page: Page, live_server, elder) -> None:
    catalog = make_catalog()
    closed = Plan.objects.get(status=Plan.Status.CLOSED)
    make_drawn_draw(closed)
    if elder:
        page.context.add_cookies([{"name": ELDER_COOKIE, "value": "1", "url": live_server.url}])
    urls = {
        "home": "/",
        "announcement": reverse("plans:announcement", args=[catalog.plan.pk]),
        "project": catalog.project.get_absolute_url(),
        "rents": catalog.floor_plan.get_absolute_url(),
        "lottery": reverse("lottery:result", args=[closed.pk]),
    }
    page.set_viewport_size(PHONE)
    for name, url in urls.items():
        page.goto(url)
        assert split_words(page) == [], f"{name}: a word is split"
        assert page.evaluate(OFF_SCREEN) == [], f"{name}: something is off-screen"
    # On a phone the rent list is one card per room type, every figure on screen.
    page.goto(urls["rents"])
    card = page.locator(".table--rents tbody tr").first
    assert card.locator("th").inner_text() == "一居室"
    assert card.locator("td").last.evaluate("td => getComputedStyle(td, '::before').content") == (
        '"房源套数"'
    )
    right = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.table--rents td')]"
        ".map(td => td.getBoundingClientRect().right))"
    )
    assert right <= PHONE["width"]
    screenshot(page, f"issue16-rents{'-elder' if elder else ''}")


def test_a_table_wider_than_its_box_shows_a_shadow_until_its_edge(page: Page) -> None:
    """Should a table still be wider than the screen (a narrower phone, a larger text size), the
    box says there is more: the shadow at the right edge goes once scrolled to the end."""
    catalog = make_catalog()
    page.set_viewport_size({"width": 700, "height": 800})  # a table, not cards, from 40em
    page.goto(catalog.floor_plan.get_absolute_url())
    box = page.locator(".table-scroll")
    box.evaluate("box => { box.style.maxWidth = '240px'; }")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    assert "local" in box.evaluate("box => getComputedStyle(box).backgroundAttachment")


def test_the_admin_login_title_keeps_its_phrases_whole(page: Page) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(reverse("admin:login"))
        assert split_words(page, {"#site-name": ["保障性租赁住房", "专项配租平台", "平台"]}) == []
        lines = page.locator("#site-name .phrase").evaluate_all(
            "spans => spans.map(s => new Set([...s.getClientRects()].map(r => r.top)).size)"
        )
        assert lines == [1, 1, 1]
    page.set_viewport_size(PHONE)
    screenshot(page, "issue16-admin-login")
