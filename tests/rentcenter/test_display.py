"""长辈模式 (rentcenter/display.py): the header's switch, its cookie, the way back, and the
page cache keeping one copy of each public page per mode."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from rentcenter.display import ELDER_COOKIE
from tests.clock import beijing
from tests.factories import make_applicant, make_plan

pytestmark = pytest.mark.django_db

ELDER_PAGE = '<html lang="zh-CN" class="elder">'
NORMAL_PAGE = '<html lang="zh-CN">'


@pytest.fixture
def plan(time_machine):
    time_machine.move_to(beijing(2026, 6, 1, 10), tick=False)
    return make_plan(starts=beijing(2026, 6, 1, 9), ends=beijing(2026, 6, 8, 17))


def public_urls(plan) -> list[str]:
    project = plan.projects.get()
    return ["/", reverse("plans:announcement", args=[plan.pk]), project.get_absolute_url()]


def test_the_switch_sets_the_cookie_and_goes_back(client):
    response = client.get(reverse("display:elder_on"), {"next": "/projects/1/?a=b"})
    assert response.status_code == 302
    assert response["Location"] == "/projects/1/?a=b"
    cookie = response.cookies[ELDER_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert "no-cache" in response["Cache-Control"]


def test_the_switch_back_forgets_the_cookie(client):
    client.cookies[ELDER_COOKIE] = "1"
    response = client.get(reverse("display:elder_off"), {"next": "/"})
    assert response["Location"] == "/"
    assert response.cookies[ELDER_COOKIE].value == ""
    assert response.cookies[ELDER_COOKIE]["max-age"] == 0


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "", "/\\evil"]
)
def test_the_way_back_never_leaves_the_site(client, target):
    for name in ("display:elder_on", "display:elder_off"):
        response = client.get(reverse(name), {"next": target})
        assert response["Location"] == "/", (name, target)


def test_the_switch_is_a_link_not_a_form(client):
    assert client.post(reverse("display:elder_on")).status_code == 405


def test_every_page_offers_the_switch_with_the_way_back(client, plan):
    response = client.get(reverse("plans:announcement", args=[plan.pk]))
    assertContains(
        response,
        f'href="/display/elder/?next=/plans/{plan.pk}/announcement/">长辈模式（大字体）</a>',
    )
    client.cookies[ELDER_COOKIE] = "1"
    response = client.get(reverse("accounts:login"))
    assertContains(response, ELDER_PAGE)
    assertContains(response, 'href="/display/standard/?next=/accounts/login/">退出长辈模式</a>')


def test_a_cached_page_is_never_served_in_the_other_mode(client, plan):
    """Each mode warms the cache first, then the other asks: each gets its own page, from the
    middleware's fast path as from the view's."""
    for url in public_urls(plan):
        for first, second in (("1", ""), ("", "1")):
            client.cookies.clear()
            if first:
                client.cookies[ELDER_COOKIE] = first
            client.get(url)
            client.get(url)  # now served from the cache
            client.cookies.clear()
            if second:
                client.cookies[ELDER_COOKIE] = second
            response = client.get(url)
            if second:
                assertContains(response, ELDER_PAGE)
            else:
                assertContains(response, NORMAL_PAGE)
                assertNotContains(response, "退出长辈模式")


def test_the_elder_page_is_public_and_cacheable_too(client, plan, django_assert_num_queries):
    client.cookies[ELDER_COOKIE] = "1"
    client.get("/")
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response["Cache-Control"].startswith("public, max-age=0, must-revalidate, ")
    assert response.cookies == {}
    assertContains(response, ELDER_PAGE)


def test_a_made_up_cookie_value_gets_the_normal_page(client, plan):
    client.get("/")
    client.cookies[ELDER_COOKIE] = "yes-please"
    response = client.get("/")
    assertContains(response, NORMAL_PAGE)


def test_a_signed_in_visitor_gets_their_mode_too(client, plan):
    client.force_login(make_applicant())
    client.get("/")
    client.cookies[ELDER_COOKIE] = "1"
    response = client.get("/")
    assertContains(response, ELDER_PAGE)
    assert response["Cache-Control"] == "private, no-cache"
    client.cookies.pop(ELDER_COOKIE)
    assertContains(client.get("/"), NORMAL_PAGE)
