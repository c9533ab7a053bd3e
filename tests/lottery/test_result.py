"""The public 摇号结果 page of a plan (lottery.views.result)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from lottery import views
from plans.models import Plan
from tests.clock import beijing
from tests.factories import make_plan
from tests.lottery.factories import (
    CANONICAL,
    LOTTERY_SOURCE,
    NOTARY_SOURCE,
    SEED,
    SEED_SOURCE,
    TYPED_SEED,
    make_drawn_draw,
    make_ended_plan,
    make_frozen_draw,
    make_typed_draw,
)

pytestmark = pytest.mark.django_db


def url(plan: Plan) -> str:
    return reverse("lottery:result", args=[plan.pk])


def test_before_freezing_says_when_the_list_will_be_published(client):
    plan = make_plan()
    response = client.get(url(plan))
    assert response.status_code == 200
    assertContains(response, "登记结束后，工作人员将冻结参加摇号的名单")
    assertNotContains(response, "名单 SHA-256")


def test_after_registration_ends_says_the_list_is_not_frozen_yet(client):
    response = client.get(url(make_ended_plan()))
    assertContains(response, "登记已结束，名单尚未冻结")


@pytest.mark.time_machine(beijing(2026, 12, 20, 20, 50), tick=False)
def test_frozen_list_shows_sorted_codes_their_hash_and_the_seed_sources(client):
    draw = make_frozen_draw(count=12)
    response = client.get(url(draw.plan))
    assert response.status_code == 200
    assertContains(response, "名单已冻结")
    assertContains(response, draw.list_sha256)
    assertContains(response, f"<strong>{LOTTERY_SOURCE}</strong>", html=True)
    text = strip_tags(response.content.decode())
    assert "2026年12月20日 21:05 公布，6 个号码，从小到大排序后计入" in text
    assert "2026年12月20日 21:00 公布，5 个号码，按开出顺序计入" in text
    assertContains(response, "其 SHA-256 即为种子")
    assertContains(response, reverse("lottery:entries", args=[draw.plan_id]))
    assertNotContains(response, reverse("lottery:result_txt", args=[draw.plan_id]))
    assertNotContains(response, reverse("lottery:seed_txt", args=[draw.plan_id]))
    codes = sorted(draw.entries.values_list("code", flat=True))
    assert [row.code for row in response.context["rows"]] == codes
    assertNotContains(response, "顺序号")
    assertNotContains(response, 'id="canonical"')


def test_drawn_result_shows_numbers_canonical_string_seed_algorithm_hash_and_the_order(client):
    draw = make_drawn_draw(count=12)
    response = client.get(url(draw.plan))
    assertContains(response, "已摇号")
    assertContains(response, '<code class="lottery-numbers">31 7 19 3 25 12</code>', html=True)
    assertContains(response, '<code class="lottery-numbers">47 8 23 15 31</code>', html=True)
    assertContains(response, NOTARY_SOURCE)
    assertContains(response, f'<code class="lottery-hash" id="canonical">{CANONICAL}</code>')
    assertContains(response, f'<code class="lottery-hash" id="seed">{SEED}</code>')
    assertContains(response, "hmac-sha256-sort/1")
    assertContains(response, draw.list_sha256)
    assertContains(response, reverse("lottery:result_txt", args=[draw.plan_id]))
    assertContains(response, reverse("lottery:seed_txt", args=[draw.plan_id]))
    assertContains(
        response, "python3 verify.py entries.txt --seed-file seed.txt --result result.txt"
    )
    ordered = list(draw.entries.order_by("overall_position").values_list("code", flat=True))
    rows = response.context["rows"]
    assert [row.code for row in rows] == ordered
    assert [row.overall for row in rows] == list(range(1, 13))
    assertContains(response, f"<td>1</td><td><code>{ordered[0]}</code></td>", html=True)


def test_a_draw_with_a_typed_seed_shows_its_seed_and_source_as_published(client):
    draw = make_typed_draw(count=3)
    response = client.get(url(draw.plan))
    assertContains(response, f'<code class="lottery-hash" id="seed">{TYPED_SEED}</code>')
    assertContains(response, SEED_SOURCE)
    assertContains(response, 'python3 verify.py entries.txt "种子" --result result.txt')
    assertNotContains(response, reverse("lottery:seed_txt", args=[draw.plan_id]))
    assertNotContains(response, 'id="canonical"')


def test_long_lists_are_paginated_with_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    draw = make_drawn_draw(count=views.ENTRIES_PER_PAGE + 20)
    page_url = url(draw.plan)
    # plan, draw, its seed sources, the page of entries: the count is the draw's entry_count.
    with django_assert_max_num_queries(4):
        response = client.get(page_url, {"page": 2})
    assert [row.overall for row in response.context["rows"]] == list(
        range(views.ENTRIES_PER_PAGE + 1, views.ENTRIES_PER_PAGE + 21)
    )
    assertContains(response, "第 2 页，共 2 页")


def test_htmx_pagination_gets_only_the_entries_fragment(client):
    draw = make_drawn_draw(count=3)
    response = client.get(url(draw.plan), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="entries"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_finds_an_entry_code_and_its_position(client):
    draw = make_drawn_draw(count=8)
    entry = draw.entries.get(overall_position=5)
    response = client.get(url(draw.plan), {"code": entry.code.lower()})
    assertContains(response, f"摇号编码 <strong>{entry.code}</strong>")
    assertContains(response, "顺序号第 <strong>5</strong> 号")
    assertContains(response, 'href="?page=1#entries"')


def test_finds_an_entry_code_in_the_frozen_list_before_the_draw(client):
    draw = make_frozen_draw(count=views.ENTRIES_PER_PAGE + 20)
    codes = sorted(draw.entries.values_list("code", flat=True))
    last = codes[-1]
    response = client.get(url(draw.plan), {"code": f" {last.lower()} "})
    assertContains(response, f"摇号编码 <strong>{last}</strong> 在冻结的名单中，尚未摇号。")
    assertContains(response, 'href="?page=2#entries"')
    assertContains(response, "名单冻结后即可查找，确认自己在名单中")


def test_looking_up_a_code_does_not_load_the_list(client, django_assert_max_num_queries):
    draw = make_frozen_draw(count=3000)
    code = sorted(draw.entries.values_list("code", flat=True))[1700]
    with django_assert_max_num_queries(6) as queries:
        response = client.get(url(draw.plan), {"code": code, "page": 4})
    assertContains(response, f"摇号编码 <strong>{code}</strong> 在冻结的名单中")
    assertContains(response, 'href="?page=4#entries"')
    # Every query of the entries reads one row, one page, or counts in the index.
    for query in queries.captured_queries:
        if '"lottery_entry"' in query["sql"]:
            assert "LIMIT" in query["sql"] or "COUNT(" in query["sql"], query["sql"]
    assert len(response.context["rows"]) == views.ENTRIES_PER_PAGE


def test_says_when_an_entry_code_is_not_in_the_list(client):
    draw = make_frozen_draw(count=2)
    response = client.get(url(draw.plan), {"code": "ZZZZZZZZZZ"})
    assertContains(response, "名单中没有摇号编码 ZZZZZZZZZZ")


def test_draft_plans_have_no_result_page(client):
    plan = make_plan(status=Plan.Status.DRAFT)
    assert client.get(url(plan)).status_code == 404


def test_refuses_post(client):
    draw = make_frozen_draw(count=1)
    assert client.post(url(draw.plan)).status_code == 405


def test_announcement_links_to_the_result_once_registration_has_ended(client, now):
    ended = make_ended_plan()
    response = client.get(reverse("plans:announcement", args=[ended.pk]))
    assertContains(response, url(ended))
    open_plan = make_plan(ends=now + timedelta(days=1))
    response = client.get(reverse("plans:announcement", args=[open_plan.pk]))
    assertNotContains(response, url(open_plan))


def test_page_uses_its_template(client):
    response = client.get(url(make_plan()))
    assertTemplateUsed(response, "lottery/result.html")
