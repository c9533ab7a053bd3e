"""The entrant's 配租记录 shows every stage after the draw; what allocation holds about a person
for the data export, and why an account cannot be closed mid-allocation; the workers' sweep."""

from datetime import timedelta

import pytest

from allocation import choosing, signing, tasks
from allocation.personal_data import closure_blockers
from allocation.personal_data import collect as personal_data
from messaging import schedule
from tests.allocation.factories import ready_session
from tests.clock import MORNING
from tests.factories import make_applicant, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


@pytest.fixture
def chosen():
    applicant = make_applicant(name="林青")
    _plan, passed, homes, session = ready_session(entrants=1, applicants=[applicant])
    [entrant] = passed
    choice = choosing.choose(recheck=entrant, home_id=homes[0].pk, by=applicant)
    return applicant, entrant, choice, session


def test_the_record_page_shows_recheck_turn_home_and_signing(client, chosen):
    applicant, entrant, choice, _session = chosen
    signing.sign(choice=choice, by=make_staff())
    client.force_login(applicant)
    html = client.get(f"/records/{entrant.registration.number}/").content.decode()
    assert "资格复核与选房" in html
    assert "<strong>资格复核</strong>：复核通过" in html
    assert "<strong>选房</strong>：" in html
    assert f"<strong>选定房源</strong>：{choice.home.label}（已签约）" in html
    for step in ("进入资格复核", "资格复核通过", "选房通知", "确认选房", "已签约"):
        assert f"<strong>{step}</strong>" in html
    assert "进入选房" in html


def test_the_record_page_of_a_candidate_says_so(client):
    applicant = make_applicant()
    from tests.allocation.factories import make_drawn_plan

    make_drawn_plan(2, applicants=[applicant])
    registration = applicant.registrations.get()
    client.force_login(applicant)
    html = client.get(f"/records/{registration.number}/").content.decode()
    assert "<strong>资格复核</strong>：候补" in html


def test_personal_data_lists_what_allocation_holds(chosen):
    applicant, entrant, choice, _session = chosen
    data = personal_data(applicant)["选房与签约"]
    assert len(data) == 1
    assert data[0]["顺序号"] == entrant.position
    assert data[0]["资格复核"] == "复核通过"
    assert data[0]["选定房源"][0]["确认书编号"] == choice.number
    assert [event["事项"] for event in data[0]["记录"]][-1] == "确认选房"
    assert personal_data(make_applicant()) == {"选房与签约": []}


def test_an_account_cannot_close_while_a_chosen_home_waits_for_signing(chosen):
    applicant, _entrant, choice, _session = chosen
    [reason] = closure_blockers(applicant)
    assert "尚未签约" in reason
    assert choice.number in reason
    signing.sign(choice=choice, by=make_staff())
    assert closure_blockers(applicant) == []


def test_waiting_for_a_turn_blocks_closing_too():
    applicant = make_applicant()
    ready_session(entrants=2, applicants=[applicant, make_applicant()])
    assert any("选房尚未完成" in reason for reason in closure_blockers(applicant))


def test_the_workers_sweep_settles_the_queues(time_machine):
    _plan, passed, _homes, _session = ready_session(entrants=2)
    assert tasks.settle_sessions in schedule.sweeps()
    time_machine.move_to(MORNING + timedelta(minutes=11), tick=False)
    schedule.run_sweeps()
    first = min(passed, key=lambda r: r.position)
    assert first.turns.get().state == "expired"
