"""顺序号 in 配租记录: the list and the record page show an applicant's place in the draw."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from lottery import draw as lottery
from tests.factories import make_applicant, make_user
from tests.lottery.factories import (
    NUMBERS,
    announcements,
    freeze_earlier,
    make_ended_plan,
    make_registrations,
)

pytestmark = pytest.mark.django_db


def entered(applicant, *, drawn: bool = True):
    """A registration of `applicant` in an ended plan with others, frozen, and drawn."""
    plan = make_ended_plan()
    [registration] = make_registrations(plan, 1, applicant=applicant)
    make_registrations(plan, 4)
    staff = make_user()
    if drawn:
        freeze_earlier(plan, by=staff)
        lottery.draw(plan=plan, numbers=NUMBERS, by=staff)
    else:
        lottery.freeze(plan=plan, mode="active", by=staff, sources=announcements())
    return registration


def test_records_show_the_position_once_drawn(client):
    applicant = make_applicant()
    drawn = entered(applicant)
    frozen = entered(applicant, drawn=False)
    client.force_login(applicant)
    response = client.get(reverse("applications:records"))
    position = drawn.lottery_entry.position
    assertContains(response, f"顺序号 第 {position} 号", count=1)
    assert frozen.lottery_entry.position is None


def test_records_show_the_entry_code_as_soon_as_the_list_is_frozen(client):
    applicant = make_applicant()
    frozen = entered(applicant, drawn=False)
    client.force_login(applicant)
    response = client.get(reverse("applications:records"))
    code = frozen.lottery_entry.code
    assertContains(response, f"摇号编码 <code>{code}</code>", count=1)
    # A link to find the code in the published list, before any 顺序号 exists.
    lookup = reverse("lottery:result", args=[frozen.plan_id]) + f"?code={code}#find"
    assertContains(response, f'href="{lookup}"')
    assertContains(response, "名单已冻结，尚未摇号")
    assertContains(response, "在名单中查看")
    assertNotContains(response, "顺序号 第")


def test_records_list_costs_the_same_queries_for_many_registrations(client):
    applicant = make_applicant()
    client.force_login(applicant)
    entered(applicant)
    client.get(reverse("applications:records"))  # the session starts its clock: one write
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("applications:records"))
    for _ in range(4):
        entered(applicant)
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("applications:records"))
    assert len(five) == len(one)
    assertContains(response, "顺序号 第", count=5)


def test_record_page_shows_the_entry_code_and_position(client):
    applicant = make_applicant()
    registration = entered(applicant)
    entry = registration.lottery_entry
    client.force_login(applicant)
    response = client.get(registration.get_absolute_url())
    assertContains(response, f"<code>{entry.code}</code>")
    assertContains(response, f"<dd>第 {entry.position} 号</dd>", html=True)
    assertContains(response, reverse("lottery:result", args=[registration.plan_id]))


def test_record_page_says_the_list_is_frozen_before_the_draw(client):
    applicant = make_applicant()
    registration = entered(applicant, drawn=False)
    client.force_login(applicant)
    response = client.get(registration.get_absolute_url())
    assertContains(response, registration.lottery_entry.code)
    assertContains(response, "名单已冻结，尚未摇号")


def test_record_page_shows_nothing_of_the_lottery_before_freezing(client):
    applicant = make_applicant()
    plan = make_ended_plan()
    [registration] = make_registrations(plan, 1, applicant=applicant)
    client.force_login(applicant)
    response = client.get(registration.get_absolute_url())
    assert response.status_code == 200
    assertNotContains(response, "摇号编码")
