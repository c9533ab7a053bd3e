"""选房大厅 and 选房结果: public, from the page cache, within seconds of the truth, never a name
or a phone (allocation/board.py, allocation/views.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocation import choosing, turns
from allocation.models import Session
from tests.allocation.factories import make_homes, ready_session
from tests.clock import MORNING
from tests.factories import make_applicant, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


def hall(client, plan, **headers):
    return client.get(f"/plans/{plan.pk}/hall/", **headers)


def board(client, plan):
    """The board as htmx polls it."""
    return client.get(f"/plans/{plan.pk}/hall/board/", HTTP_HX_REQUEST="true")


def test_the_board_shows_homes_left_who_chooses_now_and_the_last_choices(client):
    people = [make_applicant(name="周杰伦"), make_applicant(name="吴彦祖")]
    plan, passed, homes, _session = ready_session(entrants=2, homes=3, applicants=people)
    first = min(passed, key=lambda r: r.position)
    choosing.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)
    html = hall(client, plan).content.decode()
    assert "选房大厅" in html
    assert '<span class="stat-number" id="homes-left">2</span> / 3 套' in html
    assert '顺序号 第 <span class="stat-number hall__position">2</span> 号' in html
    project = plan.plan_projects.get().project.name
    assert f'顺序号 第 1 号</span> <span class="hall__what">{project} {homes[0].label}' in html
    for person in people:
        assert person.real_name not in html
        assert person.phone.as_e164[-8:] not in html
    assert "全屏显示" in html


def test_the_board_is_cached_and_shows_a_choice_at_once(client, django_capture_on_commit_callbacks):
    plan, passed, homes, _session = ready_session(entrants=2, homes=2)
    assert f'hx-get="/plans/{plan.pk}/hall/board/"' in hall(client, plan).content.decode()
    board(client, plan)
    with CaptureQueriesContext(connection) as cached:
        fragment = board(client, plan)
    assert len(cached) == 0  # the board from the cache
    assert fragment["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=3"
    assert fragment.content.decode().lstrip().startswith('<section id="board"')
    assert 'hx-trigger="every 3s"' in fragment.content.decode()
    first = min(passed, key=lambda r: r.position)
    with django_capture_on_commit_callbacks(execute=True):  # the board is dropped at commit
        choosing.choose(recheck=first, home_id=homes[1].pk, by=first.registration.applicant)
    after = board(client, plan).content.decode()
    assert homes[1].label in after
    assert '<span class="stat-number" id="homes-left">1</span>' in after


def test_an_expired_turn_shows_on_the_board_without_anyone_acting(client, time_machine):
    plan, _passed, _homes, _session = ready_session(entrants=3)
    assert (
        '<span class="stat-number hall__position">1</span>' in hall(client, plan).content.decode()
    )
    time_machine.move_to(MORNING + timedelta(minutes=10, seconds=1), tick=False)
    html = board(client, plan).content.decode()
    assert '<span class="stat-number hall__position">2</span>' in html


def test_the_board_costs_the_same_queries_for_many_homes(client, django_assert_num_queries):
    plan, _passed, _homes, _session = ready_session(entrants=2, homes=2)
    with CaptureQueriesContext(connection) as small:
        board(client, plan)
    offering = plan.plan_projects.get()
    for building in range(2, 12):
        make_homes(offering, 20, building=str(building))
    from tests.conftest import clear_cache

    clear_cache()
    with django_assert_num_queries(len(small)):
        html = board(client, plan).content.decode()
    assert '<span class="stat-number" id="homes-left">202</span>' in html


def test_the_full_screen_board_for_the_hall(client):
    plan, _passed, _homes, _session = ready_session(entrants=1)
    response = client.get(f"/plans/{plan.pk}/hall/screen/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="screen' in html
    assert 'id="board"' in html
    assert "退出全屏" in html
    assert "site-header" not in html


def test_results_are_public_only_once_published(client, time_machine):
    plan, passed, homes, session = ready_session(entrants=3, homes=2)
    first = min(passed, key=lambda r: r.position)
    choosing.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)
    url = f"/plans/{plan.pk}/hall/results/"
    assert "选房结果尚未公布" in client.get(url).content.decode()
    with pytest.raises(turns.TurnError, match="尚未结束"):
        turns.publish_results(session, by=make_staff(), now=MORNING)
    second = sorted(passed, key=lambda r: r.position)[1]
    time_machine.move_to(MORNING + timedelta(minutes=15), tick=False)
    choosing.choose(
        recheck=sorted(passed, key=lambda r: r.position)[2],
        home_id=homes[1].pk,
        by=second.called_by,
    )
    turns.publish_results(Session.objects.get(pk=session.pk), by=make_staff())
    html = client.get(url).content.decode()
    assert homes[0].label in html
    assert first.entry.code in html
    assert "逾期未选" in html  # the second entrant's ten minutes ran out
    assert homes[1].label in html  # the third's, chosen by staff on their behalf
    assert first.registration.info.real_name not in html
