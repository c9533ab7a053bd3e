import re
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from plans.models import Plan
from projects.models import FloorPlan, RentItem
from tests.factories import (
    make_floor_plan,
    make_floor_plan_photo,
    make_plan,
    make_project,
    make_rent_item,
)


def url(floor_plan: FloorPlan) -> str:
    return reverse("projects:floor_plan", args=[floor_plan.project_id, floor_plan.pk])


def offered_floor_plan(**overrides) -> FloorPlan:
    project = make_project(name="望京锦苑公寓")
    make_plan(projects=[project])
    return make_floor_plan(project, **overrides)


def test_shows_the_layout_and_indoor_photos(client, db):
    floor_plan = offered_floor_plan(name="两居室B", area=Decimal("56.20"), bedrooms=2)
    living = make_floor_plan_photo(floor_plan, caption="客厅", position=0)
    bedroom = make_floor_plan_photo(floor_plan, caption="卧室", position=1)
    response = client.get(url(floor_plan))
    assert response.status_code == 200
    assertContains(response, "<h1>望京锦苑公寓 · 两居室B</h1>", html=True)
    assertContains(response, "建筑面积 56.20㎡ · 2 居室")
    html = response.content.decode()
    assert f'srcset="{floor_plan.srcset}"' in html
    for photo in (living, bedroom):
        assert f'srcset="{photo.srcset}"' in html
        assert f'<a href="{photo.large.url}">' in html
    assert html.index('alt="客厅"') < html.index('alt="卧室"')


def test_lists_the_project_rents_with_rent_per_square_metre(client, db):
    floor_plan = offered_floor_plan()
    project = floor_plan.project
    make_rent_item(project, room_type="一居室", area=Decimal("38.50"), monthly_rent=3800, homes=120)
    make_rent_item(
        project,
        room_type="三居室",
        area=Decimal("72.80"),
        monthly_rent=5980,
        homes=24,
        position=1,
    )
    response = client.get(url(floor_plan))
    header = '<th scope="col">租金单价<span class="unit">（元/㎡/月）</span></th>'
    assertContains(response, header, html=True)
    # 3800 / 38.5 = 98.701…, 5980 / 72.8 = 82.142…
    assertContains(
        response,
        '<tr><th scope="row">一居室</th><td data-label="建筑面积（㎡）">38.50</td>'
        '<td data-label="月租金（元/月）">3800</td><td data-label="租金单价（元/㎡/月）">98.70</td>'
        '<td data-label="房源套数">120</td></tr>',
        html=True,
    )
    assertContains(
        response,
        '<tr><th scope="row">三居室</th><td data-label="建筑面积（㎡）">72.80</td>'
        '<td data-label="月租金（元/月）">5980</td><td data-label="租金单价（元/㎡/月）">82.14</td>'
        '<td data-label="房源套数">24</td></tr>',
        html=True,
    )


def test_rent_per_square_metre_rounds_half_up_to_the_fen():
    # 1000.5 / 100 = 10.005 exactly: half a fen rounds up, not to the even neighbour.
    item = RentItem(area=Decimal("200.00"), monthly_rent=2001)
    assert item.rent_per_square_meter == Decimal("10.01")


def test_says_so_when_the_project_has_no_rents(client, db):
    assertContains(client.get(url(offered_floor_plan())), "暂无租金信息。")


def test_open_plan_offers_registering_for_the_project(client, db, now):
    project = make_project()
    plan = make_plan(projects=[project], starts=now - timedelta(hours=1))
    floor_plan = make_floor_plan(project)
    register = reverse("applications:register", args=[plan.pk])
    assertContains(client.get(url(floor_plan)), f'href="{register}?project={project.pk}"')


def test_upcoming_plan_offers_no_registering(client, db, now):
    project = make_project()
    make_plan(projects=[project], starts=now + timedelta(days=3))
    assertNotContains(client.get(url(make_floor_plan(project))), "立即登记")


def test_links_back_to_the_project(client, db):
    floor_plan = offered_floor_plan()
    assertContains(client.get(url(floor_plan)), f'href="{floor_plan.project.get_absolute_url()}"')


def test_floor_plan_of_another_project_is_not_found(client, db):
    floor_plan = offered_floor_plan()
    other = make_project()
    make_plan(projects=[other])
    response = client.get(reverse("projects:floor_plan", args=[other.pk, floor_plan.pk]))
    assert response.status_code == 404


def test_floor_plan_of_a_project_only_in_drafts_is_not_found(client, db):
    project = make_project()
    make_plan(projects=[project], status=Plan.Status.DRAFT)
    assert client.get(url(make_floor_plan(project))).status_code == 404


def test_unknown_floor_plan_is_not_found(client, db):
    project = offered_floor_plan().project
    response = client.get(reverse("projects:floor_plan", args=[project.pk, 987654]))
    assert response.status_code == 404


def test_refuses_post(client, db):
    assert client.post(url(offered_floor_plan())).status_code == 405


def test_runs_the_same_queries_for_one_photo_as_for_many(client, db, django_assert_num_queries):
    small = offered_floor_plan()
    make_floor_plan_photo(small)
    make_rent_item(small.project)
    with CaptureQueriesContext(connection) as queries:
        client.get(url(small))
    # project, offerings, floor plan, its photos, rents; when the page next changes (2)
    assert len(queries) <= 7

    big = offered_floor_plan()
    for position in range(6):
        make_floor_plan_photo(big, position=position)
        make_rent_item(big.project, position=position)
    for _ in range(3):
        make_plan(projects=[big.project])
    with django_assert_num_queries(len(queries)):
        response = client.get(url(big))
    assert response.content.decode().count("srcset=") == 7
    assert len(re.findall(r'<th scope="row">', response.content.decode())) == 6
    with django_assert_num_queries(0):  # from the cache
        assert client.get(url(big)).content == response.content
