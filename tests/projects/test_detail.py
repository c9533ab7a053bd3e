import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from applications.models import Progress
from plans.models import Plan, PlanProject
from projects.models import Project
from tests.clock import MORNING
from tests.conftest import clear_cache
from tests.factories import (
    make_floor_plan,
    make_plan,
    make_project,
    make_project_photo,
)
from tests.lottery.factories import make_registrations

NOW = datetime(2026, 5, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def url(project: Project) -> str:
    return reverse("projects:detail", args=[project.pk])


def img_tags(html: str) -> list[str]:
    return re.findall(r"<img [^>]*>", html)


def test_shows_name_address_intro_and_contact(client, db):
    project = make_project(
        name="上地青年汇",
        address="北京市海淀区上地东路35号",
        intro="距地铁13号线上地站约1公里。\n\n楼内配有共享办公区。",
        operator="北京安居城市运营管理有限公司",
        contact_phone="010-6298 1234",
    )
    make_plan(projects=[project])
    response = client.get(url(project))
    assert response.status_code == 200
    assertContains(response, "<h1>上地青年汇</h1>", html=True)
    assertContains(response, "北京市海淀区上地东路35号")
    assertContains(response, "<p>距地铁13号线上地站约1公里。</p>", html=True)
    assertContains(response, "<p>楼内配有共享办公区。</p>", html=True)
    assertContains(response, "北京安居城市运营管理有限公司")
    assertContains(response, '<a href="tel:01062981234">010-6298 1234</a>', html=True)


def test_gallery_shows_every_photo_with_srcset_and_lazy_loading(client, db):
    project = make_project()
    photos = [make_project_photo(project, position=i, caption=f"实景{i}") for i in range(3)]
    make_plan(projects=[project])
    html = client.get(url(project)).content.decode()
    gallery = html[html.index('class="gallery"') : html.index('id="offerings"')]
    tags = img_tags(gallery)
    assert len(tags) == 3
    for photo, tag in zip(photos, tags, strict=True):
        assert f'srcset="{photo.thumbnail.url} 480w, {photo.large.url} 1600w"' in tag
        assert f'alt="实景{photo.position}"' in tag
        assert f'width="{photo.width}" height="{photo.height}"' in tag
        assert f'<a href="{photo.large.url}">' in gallery
    # The first photo is what the visitor sees at once; the others load when scrolled to.
    assert 'loading="eager"' in tags[0]
    assert all('loading="lazy"' in tag for tag in tags[1:])


def test_photo_without_caption_is_described_by_the_project_name(client, db):
    project = make_project(name="亦庄宜居园")
    make_project_photo(project)
    make_plan(projects=[project])
    assertContains(client.get(url(project)), 'alt="亦庄宜居园实景照片"')


def test_links_each_floor_plan_with_its_picture(client, db):
    project = make_project()
    one = make_floor_plan(project, name="一居室A", position=0)
    two = make_floor_plan(project, name="两居室B", position=1)
    make_plan(projects=[project])
    html = client.get(url(project)).content.decode()
    section = html[html.index('id="floor-plans-title"') : html.index('id="intro-title"')]
    for floor_plan in (one, two):
        assert f'<a href="{floor_plan.get_absolute_url()}">' in section
        assert f'srcset="{floor_plan.srcset}"' in section
        assert f'alt="{floor_plan.name}户型图"' in section
    assert 'loading="lazy"' in section
    assert section.index("一居室A") < section.index("两居室B")


def test_upcoming_plan_counts_down_to_the_start(client, db):
    with time_machine.travel(NOW, tick=False):
        project = make_project()
        starts = NOW + timedelta(days=2, hours=3, minutes=5, seconds=30)
        make_plan(projects=[project], starts=starts)
        response = client.get(url(project))
    assertContains(response, "<dt>距登记开始</dt>", html=True)
    assertContains(response, f'datetime="{starts.isoformat()}"')
    assertContains(response, "2 天 3 小时 5 分</time>")
    assertNotContains(response, "立即登记")


def test_open_plan_counts_down_to_the_end_and_offers_registering(client, db):
    with time_machine.travel(NOW, tick=False):
        project = make_project()
        plan = make_plan(
            projects=[project], starts=NOW - timedelta(days=1), ends=NOW + timedelta(minutes=42)
        )
        response = client.get(url(project))
    assertContains(response, "<dt>距登记结束</dt>", html=True)
    assertContains(response, "42 分</time>")
    register = reverse("applications:register", args=[plan.pk])
    assertContains(response, f'href="{register}?project={project.pk}">立即登记</a>')


def test_ended_plan_says_ended_without_countdown(client, db):
    with time_machine.travel(NOW, tick=False):
        project = make_project()
        make_plan(projects=[project], starts=NOW - timedelta(days=20), ends=NOW)
        response = client.get(url(project))
    assertContains(response, "<div><dt>登记时间</dt><dd>已结束</dd></div>", html=True)
    assertNotContains(response, "data-countdown")
    assertNotContains(response, "立即登记")


def test_closed_plan_inside_its_dates_is_ended(client, db):
    project = make_project()
    make_plan(projects=[project], status=Plan.Status.CLOSED)
    response = client.get(url(project))
    assertContains(response, '<span class="badge badge--ended">已结束</span>', html=True)
    assertNotContains(response, "立即登记")


def test_shows_registered_count_and_homes_of_each_offering(client, db):
    project = make_project()
    plan = make_plan(projects=[project])
    PlanProject.objects.filter(plan=plan, project=project).update(homes=80)
    make_registrations(plan, 1234)
    make_registrations(plan, 3, progress=Progress.CANCELLED)
    response = client.get(url(project))
    assertContains(
        response,
        '<div><dt>已登记人数</dt><dd><span class="stat-number">1234</span> 人'
        '<small class="stat-note js-only">每10秒更新</small></dd></div>',
        html=True,
    )
    assertContains(
        response,
        '<div><dt>配租房源</dt><dd><span class="stat-number">80</span> 套</dd></div>',
        html=True,
    )
    # The competition ratio: 已登记 ÷ 房源, so that applicants can pick a less crowded project.
    assertContains(
        response,
        '<div><dt>竞争比（已登记 ÷ 房源）</dt><dd><span class="stat-number">15.4</span>'
        '<small class="stat-note">每套房源约 15.4 人登记</small></dd></div>',
        html=True,
    )


def test_shows_each_public_plan_offering_the_project_but_not_drafts(client, db, now):
    project = make_project()
    old = make_plan(projects=[project], starts=now - timedelta(days=60))
    new = make_plan(projects=[project])
    make_plan(projects=[project], status=Plan.Status.DRAFT, title="草稿计划不公开")
    html = client.get(url(project)).content.decode()
    assert html.index(new.title) < html.index(old.title)
    assert "草稿计划不公开" not in html


def test_htmx_request_gets_only_the_offerings_fragment(client, db):
    project = make_project(intro="项目简介不在片段中")
    make_project_photo(project)
    plan = make_plan(projects=[project])
    make_registrations(plan, 77)
    response = client.get(url(project), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<section id="offerings"')
    assert html.endswith("</section>")
    assert f'hx-get="{url(project)}"' in html
    assert '<span class="stat-number">77</span>' in html
    assert "<html" not in html
    assert "项目简介不在片段中" not in html
    assert 'class="gallery"' not in html


def test_full_page_and_fragment_vary_on_the_htmx_header(client, db):
    project = make_project()
    make_plan(projects=[project])
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(url(project), **headers)
        assert "HX-Request" in response["Vary"]


def test_project_only_in_a_draft_plan_is_not_found(client, db):
    project = make_project()
    make_plan(projects=[project], status=Plan.Status.DRAFT)
    assert client.get(url(project)).status_code == 404
    assert client.get(url(project), HTTP_HX_REQUEST="true").status_code == 404


def test_project_in_no_plan_is_not_found(client, db):
    assert client.get(url(make_project())).status_code == 404


def test_unknown_project_is_not_found(client, db):
    assert client.get(reverse("projects:detail", args=[987654])).status_code == 404


def test_refuses_post(client, db):
    project = make_project()
    make_plan(projects=[project])
    assert client.post(url(project)).status_code == 405


def test_runs_the_same_queries_for_one_photo_as_for_many(
    client, db, django_assert_num_queries, now
):
    small = make_project()
    make_project_photo(small)
    make_floor_plan(small)
    make_plan(projects=[small])
    with CaptureQueriesContext(connection) as queries:
        client.get(url(small))
    # The page: project, its public offerings, photos, floor plans, when it next changes (2);
    # its live part: project, offerings with their plans, their 已登记人数, their 房源.
    assert len(queries) <= 10

    big = make_project()
    for position in range(8):
        make_project_photo(big, position=position)
        make_floor_plan(big, name=f"户型{position}", position=position)
    for days in range(6):
        make_plan(projects=[big, make_project()], starts=now - timedelta(days=days * 20))
    with django_assert_num_queries(len(queries)):
        response = client.get(url(big))
    assert response.content.decode().count("srcset=") == 16
    assert response.content.decode().count('class="card offering"') == 6
    with django_assert_num_queries(0):  # the page and its live part from the cache
        assert client.get(url(big)).content == response.content
    with django_assert_num_queries(0):  # the fragment htmx polls is that live part
        client.get(url(big), HTTP_HX_REQUEST="true")

    clear_cache()
    with django_assert_num_queries(4):
        client.get(url(big), HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_polls_share_one_rendering_of_the_offerings_for_ten_seconds(client, time_machine):
    time_machine.move_to(MORNING, tick=False)
    plan = make_plan()
    project = plan.projects.get()
    with CaptureQueriesContext(connection) as first:
        response = client.get(url(project), HTTP_HX_REQUEST="true")
    assert len(first) == 4  # project, offerings, 已登记人数, 房源
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=5"
    make_registrations(plan, 42)
    time_machine.shift(9.5)
    with CaptureQueriesContext(connection) as second:
        cached = client.get(url(project), HTTP_HX_REQUEST="true")
    assert len(second) == 0
    assert ">42<" not in cached.content.decode()
    assert cached["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=0"
    time_machine.shift(0.5)
    fresh = client.get(url(project), HTTP_HX_REQUEST="true").content.decode()
    assert ">42<" in fresh


def test_says_every_ten_seconds_only_while_registering_and_polls_only_while_live(client, db, now):
    project = make_project()
    ended = make_plan(projects=[project], starts=now - timedelta(days=60), title="已结束计划")
    html = client.get(url(project)).content.decode()
    assert "每10秒更新" not in html  # an ended plan's count is not refreshed for anyone
    assert "hx-trigger" not in html  # nothing on the page changes by itself
    upcoming = make_plan(projects=[project], starts=now + timedelta(days=2), title="未开始计划")
    clear_cache()
    html = client.get(url(project)).content.decode()
    assert 'hx-trigger="every 10s"' in html  # 登记开始 is still to come
    assert "每10秒更新" not in html
    registering = make_plan(projects=[project], title="登记中计划")
    clear_cache()
    html = client.get(url(project)).content.decode()
    offerings = html[html.index('id="offerings"') :]
    assert offerings.count("每10秒更新") == 1
    # Said only where it is true: the note is .js-only (hidden without JavaScript, site.css).
    assert '<small class="stat-note js-only">每10秒更新</small>' in offerings
    assert offerings.index(registering.title) < offerings.index("每10秒更新")
    assert {ended.pk, upcoming.pk}  # all three plans are on the page
