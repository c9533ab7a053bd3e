"""Public pages from the shared cache (rentcenter.pagecache): exact at every boundary, fresh
after every catalogue change, the same for every anonymous visitor and never anyone else's."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from applications.registration import register
from plans.models import Plan
from tests.clock import beijing
from tests.factories import (
    form_data,
    make_applicant,
    make_floor_plan,
    make_info,
    make_plan,
    make_staff,
)
from tests.lottery.factories import make_registrations

pytestmark = pytest.mark.django_db

# Registration opens at 09:00:00 on 1 June; the clock starts a week before.
OPENS = beijing(2026, 6, 1, 9)
BEFORE = OPENS - timedelta(days=7)


def public_urls(plan: Plan) -> list[str]:
    project = plan.projects.get()
    floor_plan = make_floor_plan(project)
    return [
        "/",
        reverse("plans:announcement", args=[plan.pk]),
        project.get_absolute_url(),
        floor_plan.get_absolute_url(),
    ]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(BEFORE, tick=False)
    return time_machine


@pytest.fixture
def plan(clock) -> Plan:
    return make_plan(starts=OPENS, ends=OPENS + timedelta(days=7), info_opens_at=BEFORE)


def test_anonymous_pages_set_no_cookie_and_may_be_kept_by_shared_caches(client, plan):
    for url in public_urls(plan):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.cookies == {}, url
        assert response["Cache-Control"].startswith("public, max-age=0, must-revalidate, "), url
        assert response["ETag"], url
        assert response["Last-Modified"], url
        assert "Cookie" in response["Vary"], url


def test_the_etag_answers_304_without_a_body(client, plan, django_assert_num_queries):
    for url in public_urls(plan):
        etag = client.get(url)["ETag"]
        with django_assert_num_queries(0):
            again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304, url
        assert again.content == b""
        assert again["ETag"] == etag
        assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_warm_page_costs_no_query(client, plan, django_assert_num_queries):
    for url in public_urls(plan):
        first = client.get(url)
        with django_assert_num_queries(0):
            assert client.get(url).content == first.content, url


def test_parameters_the_page_does_not_read_share_its_entry(client, plan, django_assert_num_queries):
    first = client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/?utm_source=wechat&x=1").content == first.content


def test_the_plan_opens_at_its_instant_without_anyone_clearing_the_cache(client, plan, clock):
    register_url = reverse("applications:register", args=[plan.pk])
    clock.move_to(OPENS - timedelta(seconds=1))
    pages = {url: client.get(url) for url in public_urls(plan)[:3]}
    for url, response in pages.items():
        assertContains(response, "未开始")
        assertNotContains(response, register_url)
        # Nobody keeps the page past the boundary: one second is left.
        assert response["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=1", url
    clock.move_to(OPENS)
    for url in pages:
        response = client.get(url)
        assertContains(response, "登记中")
        assertContains(response, register_url)


def test_the_plan_closes_at_its_instant(client, plan, clock):
    clock.move_to(plan.registration_ends_at - timedelta(seconds=1))
    assertContains(client.get("/"), "登记中")
    clock.move_to(plan.registration_ends_at)
    assertContains(client.get("/"), "已结束")


def test_an_announcement_appears_at_its_publication(client, plan, clock):
    from tests.factories import make_announcement

    make_announcement(plan, title="第二号公告", published_at=BEFORE + timedelta(hours=2))
    url = reverse("plans:announcement", args=[plan.pk])
    assertNotContains(client.get(url), "第二号公告")
    clock.shift(timedelta(hours=2))
    assertContains(client.get(url), "第二号公告")


def test_a_page_is_kept_no_longer_than_page_cache_seconds(client, plan, clock, settings):
    settings.PAGE_CACHE_SECONDS = 60
    client.get("/")
    Plan.objects.filter(pk=plan.pk).update(title="不经过保存的修改")  # no signal: raw update
    clock.shift(59)
    assertNotContains(client.get("/"), "不经过保存的修改")
    clock.shift(1)
    assertContains(client.get("/"), "不经过保存的修改")


def test_an_admin_edit_shows_on_the_next_request(client, plan, django_capture_on_commit_callbacks):
    for url in public_urls(plan)[:3]:
        assertContains(client.get(url), plan.title)
    staff = Client()
    staff.force_login(make_staff(superuser=True))
    change = reverse("admin:plans_plan_change", args=[plan.pk])
    data = form_data(staff.get(change).content.decode(), "plan_form", title="第九批专项配租计划")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(change, data).status_code == 302
    for url in public_urls(plan)[:3]:
        assertContains(client.get(url), "第九批专项配租计划")


def test_browsers_revalidate_every_time_and_shared_caches_keep_a_page_seconds(
    client, plan, clock, settings
):
    """A visitor who loaded a page a moment before a staff edit sees the edit when they load it
    again: the browser asks each time (the ETag makes that a 304); nginx or a CDN may answer
    alone for PUBLIC_PAGE_SHARED_MAX_AGE seconds, never past the plan's next boundary."""
    for url in public_urls(plan):
        header = client.get(url)["Cache-Control"]
        assert header == "public, max-age=0, must-revalidate, s-maxage=5", url
    settings.PUBLIC_PAGE_SHARED_MAX_AGE = 30
    clock.move_to(OPENS - timedelta(seconds=12))
    header = client.get("/")["Cache-Control"]
    assert header == "public, max-age=0, must-revalidate, s-maxage=12"


def test_a_revalidation_after_an_edit_gets_the_new_page(
    client, plan, django_capture_on_commit_callbacks
):
    first = client.get("/")
    assert client.get("/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    plan.title = "第十批专项配租计划（更正）"
    with django_capture_on_commit_callbacks(execute=True):
        plan.save()
    again = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assertContains(again, "第十批专项配租计划（更正）")


def test_a_project_edit_shows_on_the_next_request(client, plan, django_capture_on_commit_callbacks):
    project = plan.projects.get()
    assertContains(client.get(project.get_absolute_url()), project.name)
    with django_capture_on_commit_callbacks(execute=True):
        project.name = "改名后的公寓"
        project.save()
    assertContains(client.get(project.get_absolute_url()), "改名后的公寓")
    assertContains(client.get("/"), "改名后的公寓")


def test_an_unpublished_page_is_not_kept(client, plan, django_capture_on_commit_callbacks):
    draft = make_plan(status=Plan.Status.DRAFT)
    url = reverse("plans:announcement", args=[draft.pk])
    assert client.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        draft.status = Plan.Status.PUBLISHED
        draft.save()
    assert client.get(url).status_code == 200


def test_two_applicants_each_see_their_own_state_from_one_warm_cache(clock, plan):
    clock.move_to(OPENS + timedelta(hours=1))
    registered, other = make_applicant(), make_applicant()
    make_info(registered, plan)
    register(applicant=registered, plan=plan, offering=plan.plan_projects.get())
    first, second, anonymous = Client(), Client(), Client()
    first.force_login(registered)
    second.force_login(other)
    # The registered applicant's request renders the page the others then get from the cache.
    mine = first.get("/").content.decode()
    theirs = second.get("/").content.decode()
    nobody = anonymous.get("/").content.decode()
    assert "已登记 · 查看配租记录" in mine
    assert registered.masked_phone in mine
    for page in (theirs, nobody):
        assert "已登记 · 查看配租记录" not in page
        assert registered.masked_phone not in page
    assert other.masked_phone in theirs
    assert "立即登记" in theirs
    assert "登录</a>" in nobody


def test_a_signed_in_page_is_private_and_costs_few_queries(
    clock, plan, django_assert_max_num_queries
):
    for _ in range(9):
        make_plan(starts=OPENS, info_opens_at=BEFORE)
    applicant = make_applicant()
    make_info(applicant, plan)
    client = Client()
    client.force_login(applicant)
    Client().get("/")  # an anonymous visitor warmed the page
    client.get("/records/")  # the session's clock starts with its first request
    # session and user (the database session backend without Redis), and one for the state
    # of all ten plans; the session is not written
    with django_assert_max_num_queries(3) as captured:
        response = client.get("/")
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert response["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response
    assertContains(response, reverse("applications:info", args=[plan.pk]))  # 查看填报信息


def test_flash_messages_show_on_a_cached_page(client, plan, clock):
    client.get(reverse("plans:announcement", args=[plan.pk]))  # warm
    applicant = make_applicant()
    client.force_login(applicant)
    # 立即登记 before the window: a message, then the announcement page
    response = client.get(reverse("applications:register", args=[plan.pk]), follow=True)
    assertContains(response, "当前不在登记时间内")
    assert response.redirect_chain[-1][0] == reverse("plans:announcement", args=[plan.pk])
    assertNotContains(
        client.get(reverse("plans:announcement", args=[plan.pk])), "当前不在登记时间内"
    )


def test_the_registered_count_is_at_most_ten_seconds_old(client, plan, clock):
    clock.move_to(OPENS + timedelta(hours=1))
    project = plan.projects.get()
    page = client.get(project.get_absolute_url())
    assertContains(page, "每10秒更新")
    assert page["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=5"
    make_registrations(plan, 5)
    clock.shift(9)
    assertContains(client.get(project.get_absolute_url()), '<span class="stat-number">0</span>')
    clock.shift(1)
    assertContains(client.get(project.get_absolute_url()), '<span class="stat-number">5</span>')


def test_the_live_part_turns_at_the_boundary_too(client, plan, clock):
    project = plan.projects.get()
    clock.move_to(OPENS - timedelta(seconds=3))
    response = client.get(project.get_absolute_url(), HTTP_HX_REQUEST="true")
    assertContains(response, "距登记开始")
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=3"
    clock.move_to(OPENS)
    response = client.get(project.get_absolute_url(), HTTP_HX_REQUEST="true")
    assertContains(response, "距登记结束")
    assertContains(response, "立即登记")


def test_a_page_with_a_form_outside_a_hole_is_not_kept(rf, caplog):
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import cache
    from django.http import HttpResponse
    from django.template import RequestContext, Template

    from rentcenter.pagecache import public_page

    @public_page(until=lambda now: None)
    def view(request):
        template = Template("<form>{% csrf_token %}</form>")
        return HttpResponse(template.render(RequestContext(request)))

    request = rf.get("/a-form/")
    request.user, request.session = AnonymousUser(), {}
    response = view(request)
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # the visitor's own token
    assert cache.get("pagecache:page:/a-form/?") is None
    assert "renders a CSRF token outside a hole" in caplog.text


def test_publishing_a_plan_in_admin_shows_on_the_next_request(
    client, plan, django_capture_on_commit_callbacks
):
    draft = make_plan(status="draft", title="待发布的计划", starts=OPENS, info_opens_at=BEFORE)
    assertNotContains(client.get("/"), "待发布的计划")
    staff = Client()
    staff.force_login(make_staff(superuser=True))
    data = {"action": "publish", "_selected_action": [draft.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("admin:plans_plan_changelist"), data)
    assert Plan.objects.get(pk=draft.pk).status == Plan.Status.PUBLISHED
    assertContains(client.get("/"), "待发布的计划")


def test_closing_a_plan_in_admin_shows_on_the_next_request(
    client, plan, clock, django_capture_on_commit_callbacks
):
    clock.move_to(OPENS + timedelta(hours=1))
    assertContains(client.get("/"), "登记中")
    staff = Client()
    staff.force_login(make_staff(superuser=True))
    data = {"action": "close", "_selected_action": [plan.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("admin:plans_plan_changelist"), data)
    response = client.get("/")
    assertContains(response, "已结束")
    assertNotContains(response, reverse("applications:register", args=[plan.pk]))


def test_a_warm_page_for_a_visitor_without_cookies_skips_the_rest_of_the_stack(
    client, plan, monkeypatch
):
    from django.contrib.sessions.middleware import SessionMiddleware

    urls = public_urls(plan)
    first = {url: client.get(url) for url in urls}

    def no_session(*args):
        raise AssertionError("the session middleware ran")

    monkeypatch.setattr(SessionMiddleware, "process_request", no_session)
    for url in urls:
        response = client.get(url)
        assert response.content == first[url].content, url
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("public")
    # A page the visitor's query string changes is left to the view.
    with pytest.raises(AssertionError, match="the session middleware ran"):
        client.get("/?page=2&utm_source=wechat")
    with pytest.raises(AssertionError, match="the session middleware ran"):
        client.get("/", HTTP_HX_REQUEST="true")


def test_the_host_is_checked_on_the_fast_path_too(client, plan):
    client.get("/")
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400


def test_another_process_s_change_shows_here_within_a_second(client, plan, clock):
    from django.core.cache import cache

    from rentcenter.pagecache import LOCAL_SECONDS, VERSION_KEY

    client.get("/")  # rendered, and remembered by this process
    Plan.objects.filter(pk=plan.pk).update(title="另一进程改的标题")
    cache.incr(VERSION_KEY)  # what another process's commit does to the shared cache
    assertNotContains(client.get("/"), "另一进程改的标题")
    clock.shift(LOCAL_SECONDS)
    assertContains(client.get("/"), "另一进程改的标题")


# What may create an entry (issue 17, finding 2: `/?page=<anything>` made one per value) ------


def stored_pages() -> set[str]:
    """The page-cache entries (both kinds, every display mode) now in the cache."""
    from django.core.cache import cache

    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):
        keys = list(cache._cache)
    else:
        client = cache._cache.get_client(write=True)
        keys = [key.decode() for key in client.scan_iter(match=f"{cache.key_prefix}:*")]
    kept = (key.split(":pagecache:", 1)[1] for key in keys if ":pagecache:" in key)
    return {key for key in kept if key.startswith(("page:", "public:"))}


@pytest.fixture
def two_pages(clock):
    for day in range(12):
        make_plan(projects=[], starts=OPENS + timedelta(days=day), info_opens_at=BEFORE)


@pytest.mark.parametrize(
    ("page", "canonical"),
    [
        ("abc", "/"),
        ("0", "/"),
        ("-1", "/"),
        ("1.5", "/"),
        ("", "/"),
        ("٢", "/"),  # an Arabic-Indic 2: a digit to int(), no page number to the site
        ("२", "/"),
        ("２", "/"),
        (" 2", "/"),
        ("02", "/?page=2"),
        ("99", "/?page=2"),
        ("1" * 400, "/"),
    ],
)
def test_a_page_number_that_is_not_one_redirects_to_a_real_page_and_stores_nothing(
    client, two_pages, page, canonical
):
    client.get("/")
    before = stored_pages()

    response = client.get("/", {"page": page})

    assert response.status_code in (301, 302)
    assert response["Location"] == canonical
    assert stored_pages() == before
    assert client.get(canonical).status_code == 200


def test_valid_page_numbers_are_kept_once_each(client, two_pages):
    for page in ("1", "2"):
        assert client.get("/", {"page": page}).status_code == 200
    assert stored_pages() == {
        f"{kind}:/?{query}" for kind in ("page", "public") for query in ("page=1", "page=2")
    }


def test_a_flood_of_made_up_page_values_adds_nothing_to_the_cache(client, two_pages):
    client.get("/")
    before = stored_pages()
    for n in range(300):
        client.get("/", {"page": f"x{n}"})
        client.get("/", {"page": str(1000 + n)})
        client.get("/", {"utm_source": f"s{n}"})
    assert stored_pages() == before


def test_the_entries_of_one_page_are_bounded(rf, monkeypatch, caplog):
    """Whatever a view lets through, a path keeps at most MAX_VARIANTS entries per catalogue
    version; the others are answered without being kept."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from rentcenter import pagecache

    monkeypatch.setattr(pagecache, "MAX_VARIANTS", 3)

    @pagecache.public_page(until=lambda now: None, params={"page": pagecache.page_number})
    def view(request):
        return HttpResponse(f"page {request.GET.get('page', '1')}")

    for page in range(1, 8):
        request = rf.get("/bounded/", {"page": page})
        request.user, request.session, request.COOKIES = AnonymousUser(), {}, {}
        assert view(request).content == f"page {page}".encode()
    assert len({key for key in stored_pages() if key.startswith("public:/bounded/")}) == 3
    assert "keeps no more than 3 entries" in caplog.text


def test_a_variant_is_counted_once_however_often_it_is_stored_again(rf, monkeypatch):
    """Workers racing on a cold page at a boundary, or a page that expired, store the same
    entry again: the bound counts variants, not stores, so a busy page is never left uncached."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import cache
    from django.http import HttpResponse

    from rentcenter import pagecache

    monkeypatch.setattr(pagecache, "MAX_VARIANTS", 1)

    @pagecache.public_page(until=lambda now: None, params={"page": pagecache.page_number})
    def view(request):
        return HttpResponse("a page")

    def get(page: int) -> None:
        request = rf.get("/counted/", {"page": page})
        request.user, request.session, request.COOKIES = AnonymousUser(), {}, {}
        view(request)

    first = ["pagecache:page:/counted/?page=1", "pagecache:public:/counted/?page=1"]
    for _ in range(5):
        get(1)
        assert "public:/counted/?page=1" in stored_pages()
        cache.delete_many(first)  # expired, or never seen by the next worker
    get(1)
    assert "public:/counted/?page=1" in stored_pages()
    get(2)
    assert "public:/counted/?page=2" not in stored_pages()
