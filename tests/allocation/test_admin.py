"""The plan's 选房 page in admin: figures per group, 设置选房场次, 代为选房, the CSV for the
运营单位, 已签约 and releasing; who may do what."""

import csv
import io
from datetime import timedelta

import pytest

from allocation import choosing
from allocation.models import AllocationEvent, Choice, Home, Session
from tests.allocation.factories import make_drawn_plan, make_homes, pass_entrants, ready_session
from tests.clock import MORNING
from tests.factories import make_staff
from tests.lottery.factories import make_plan_manager

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


@pytest.fixture
def manager(client):
    user = make_plan_manager()
    client.force_login(user)
    return user


def test_the_plans_page_shows_each_groups_figures(client, manager):
    plan, passed, homes, _session = ready_session(entrants=4, homes=3)
    ordered = sorted(passed, key=lambda r: r.position)
    choosing.choose(recheck=ordered[0], home_id=homes[0].pk, by=manager)
    choosing.give_up(recheck=ordered[1], by=ordered[1].registration.applicant)
    html = client.get(f"/admin/plans/plan/{plan.pk}/allocation/").content.decode()
    assert '<td class="figure-chosen">1</td>' in html
    assert '<td class="figure-left">2 / 3</td>' in html
    assert '<td class="figure-gave-up">1</td>' in html
    assert '<td class="figure-expired">0</td>' in html
    assert "正在选房：顺序号第 3 号" in html


def test_staff_set_a_session_from_a_form_that_keeps_what_was_typed(client, manager):
    plan = make_drawn_plan(3)
    make_homes(plan.plan_projects.get(), 3)
    pass_entrants(plan, 2)
    url = f"/admin/allocation/session/new/{plan.pk}/"
    page = client.get(url + "?group=1")
    assert page.status_code == 200
    start = MORNING + timedelta(days=1)
    data = {
        "group": "1",
        "starts_at_0": f"{start:%Y-%m-%d}",
        "starts_at_1": "09:00",
        "ends_at_0": f"{start:%Y-%m-%d}",
        "ends_at_1": "08:00",
        "minutes": "5",
        "sign_by_0": f"{start + timedelta(days=7):%Y-%m-%d}",
        "sign_by_1": "17:00",
    }
    refused = client.post(url, data).content.decode()
    assert "结束时间必须晚于开始时间" in refused
    assert 'value="5"' in refused
    assert not Session.objects.exists()
    data["ends_at_1"] = "12:00"
    response = client.post(url, data)
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.turns.count() == 2
    assert session.created_by == manager
    assert AllocationEvent.objects.filter(kind="session").count() == 2


def test_staff_choose_on_behalf_of_the_entrant_whose_turn_it_is(client, manager):
    plan, passed, homes, _session = ready_session(entrants=2)
    first = min(passed, key=lambda r: r.position)
    html = client.get(f"/admin/plans/plan/{plan.pk}/allocation/").content.decode()
    assert "代为确认选房" in html
    assert f'<option value="{homes[2].pk}">' in html
    response = client.post(
        f"/admin/plans/plan/{plan.pk}/allocation/on-behalf/",
        {"recheck": first.pk, "home": homes[2].pk},
        follow=True,
    )
    assert f"已为顺序号第 1 号代为选房：{homes[2].label}" in response.content.decode()
    choice = Choice.objects.get()
    assert (choice.on_behalf, choice.chosen_by) == (True, manager)
    refused = client.post(
        f"/admin/plans/plan/{plan.pk}/allocation/on-behalf/",
        {"recheck": first.pk, "home": homes[0].pk},
        follow=True,
    )
    assert "顺序号第 1 号：您已确认选房" in refused.content.decode()


def test_reviewers_cannot_choose_on_behalf_or_set_sessions(reviewer_client):
    plan, passed, homes, _session = ready_session(entrants=1)
    response = reviewer_client.post(
        f"/admin/plans/plan/{plan.pk}/allocation/on-behalf/",
        {"recheck": passed[0].pk, "home": homes[0].pk},
    )
    assert response.status_code == 403
    assert reviewer_client.get(f"/admin/allocation/session/new/{plan.pk}/").status_code == 403
    assert not Choice.objects.exists()


def test_the_csv_for_the_operator_lists_every_called_entrant_with_their_home(client, manager):
    plan, passed, homes, _session = ready_session(entrants=2)
    first = min(passed, key=lambda r: r.position)
    choosing.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)
    response = client.get(f"/admin/plans/plan/{plan.pk}/allocation/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "\ufeff分组"
    assert len(rows) == 3
    assert rows[1][1] == "1"
    assert rows[1][8] == "已选房，待签约"
    assert rows[1][9] == homes[0].label
    assert "*" in rows[1][5]  # the phone masked


def test_staff_record_signing_and_release_only_after_the_deadline(client, manager):
    _plan, passed, homes, _session = ready_session(entrants=2)
    ordered = sorted(passed, key=lambda r: r.position)
    one = choosing.choose(recheck=ordered[0], home_id=homes[0].pk, by=manager)
    two = choosing.choose(recheck=ordered[1], home_id=homes[1].pk, by=manager)
    changelist = "/admin/allocation/choice/"
    client.post(changelist, {"action": "sign_selected", "_selected_action": [one.pk]})
    one.refresh_from_db()
    assert one.state == Choice.State.SIGNED
    early = client.post(
        changelist, {"action": "release_selected", "_selected_action": [two.pk]}, follow=True
    )
    assert "未到，不能释放" in early.content.decode()
    # The deadline has passed (moved rather than the clock: a week later the sign-in is gone).
    Choice.objects.filter(pk=two.pk).update(sign_by=MORNING - timedelta(minutes=1))
    released = client.post(
        changelist, {"action": "release_selected", "_selected_action": [two.pk]}, follow=True
    )
    assert "已释放 1 套逾期未签约的房源" in released.content.decode()
    two.refresh_from_db()
    assert two.state == Choice.State.RELEASED
    assert Home.objects.get(pk=homes[1].pk).state == Home.State.AVAILABLE


def test_staff_withhold_and_restore_homes(client, manager):
    plan, _passed, homes, _session = ready_session(entrants=1, homes=2)
    url = "/admin/allocation/home/"
    client.post(url, {"action": "withhold", "_selected_action": [homes[0].pk]})
    assert Home.objects.get(pk=homes[0].pk).state == Home.State.WITHHELD
    client.post(url, {"action": "restore", "_selected_action": [homes[0].pk]})
    assert Home.objects.get(pk=homes[0].pk).state == Home.State.AVAILABLE
    assert AllocationEvent.objects.filter(home=homes[0]).count() == 2
    assert client.get(url + f"?offering__plan__id__exact={plan.pk}").status_code == 200


def test_the_plan_panel_before_the_draw(client, manager):
    from tests.lottery.factories import make_ended_plan

    plan = make_ended_plan()
    html = client.get(f"/admin/plans/plan/{plan.pk}/change/").content.decode()
    assert "摇号后可导入房源、开放资格复核、设置选房场次。" in html
    assert client.get(f"/admin/plans/plan/{plan.pk}/allocation/").status_code == 404


def test_admin_lists_open_for_both_roles(client, reviewer_client):
    ready_session(entrants=2)
    client.force_login(make_staff(superuser=True))
    for url in (
        "/admin/allocation/home/",
        "/admin/allocation/recheck/",
        "/admin/allocation/session/",
        "/admin/allocation/choice/",
        "/admin/allocation/signingslot/",
        "/admin/allocation/signingslot/add/",
        "/admin/allocation/allocationevent/",
        "/admin/allocation/choosingpolicy/add/",
    ):
        assert client.get(url).status_code == 200, url
        assert reviewer_client.get(url).status_code in (200, 403), url


def test_the_plans_admin_page_shows_the_figures_in_its_panel(client, manager):
    plan, passed, homes, _session = ready_session(entrants=3, homes=3)
    first = min(passed, key=lambda r: r.position)
    choosing.choose(recheck=first, home_id=homes[0].pk, by=manager)
    html = client.get(f"/admin/plans/plan/{plan.pk}/change/").content.decode()
    assert "<li>全部：已选 1 · 剩余房源 2 / 3 · 放弃 0 · 逾期 0 · 已签约 0 · 候补 0</li>" in html
