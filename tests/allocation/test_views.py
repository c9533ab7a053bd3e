"""The entrant's 选房 page, 确认选房, 放弃选房, the 选房确认书 and its public check, 预约签约
(allocation/views.py)."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from allocation import choosing
from allocation.models import Choice, Home, SigningSlot, Turn
from tests.allocation.factories import make_drawn_plan, pass_entrants, ready_session
from tests.clock import MORNING
from tests.factories import make_applicant
from tests.lottery.factories import make_ended_plan, make_registrations

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


def turn_url(registration) -> str:
    return f"/allocation/{registration.number}/"


@pytest.fixture
def allocation():
    """Three real applicants who passed 资格复核, in 顺序号 order, three homes, a session from
    now with 10 minutes a turn."""
    people = [make_applicant(name=name) for name in ("赵敏", "钱程", "孙丽")]
    plan, passed, homes, session = ready_session(entrants=3, applicants=people)
    return plan, sorted(passed, key=lambda r: r.position), homes, session


def test_the_entrant_whose_turn_it_is_sees_the_homes_and_the_time_left(client, allocation):
    _plan, (first, _second, _third), homes, _session = allocation
    client.force_login(first.registration.applicant)
    html = client.get(turn_url(first.registration)).content.decode()
    assert "轮到您选房了" in html
    assert f"<strong>{MORNING + timedelta(minutes=10):%H:%M}</strong> 前确认选房" in html
    assert all(home.label in html for home in homes)
    assert "放弃选房" in html
    assert "只能选择本人登记的项目小区的房源。" in html
    assert "hx-trigger" not in html  # no polling while choosing


def test_waiting_entrants_see_how_many_are_ahead_and_when(client, allocation):
    _plan, (_first, _second, third), _homes, _session = allocation
    client.force_login(third.registration.applicant)
    html = client.get(turn_url(third.registration)).content.decode()
    assert '您前面还有 <strong class="stat-number">2</strong> 位' in html
    assert f"<strong>{MORNING + timedelta(minutes=20):%H:%M}</strong> 轮到您" in html
    assert 'hx-trigger="every 5s"' in html
    assert "刷新" in html
    fragment = client.get(turn_url(third.registration), HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<section id="stage"')
    assert fragment["Cache-Control"] == "private, no-store"


def test_choose_confirm_download_the_confirmation_and_check_it(client, allocation):
    _plan, (first, _second, _third), homes, _session = allocation
    client.force_login(first.registration.applicant)
    url = f"/allocation/{first.registration.number}/homes/{homes[0].pk}/"
    confirm = client.get(url).content.decode()
    assert "确认选房" in confirm
    assert homes[0].label in confirm
    html = client.post(url, follow=True).content.decode()
    assert "确认选房成功" in html
    assert "下载选房确认书" in html
    choice = Choice.objects.get(recheck=first)
    pdf = client.get(f"/allocation/{first.registration.number}/confirmation.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "选房确认书" in text
    assert choice.number in text
    assert homes[0].label in text
    verify = client.get(f"/allocation/verify/{choice.verification_code}/").content.decode()
    assert "该选房确认书真实有效" in verify
    assert homes[0].label in verify
    assert "赵敏" not in verify


def test_a_choice_before_ones_turn_is_refused_on_the_page(client, allocation):
    _plan, (_first, second, _third), homes, _session = allocation
    client.force_login(second.registration.applicant)
    url = f"/allocation/{second.registration.number}/homes/{homes[0].pk}/"
    response = client.post(url, follow=True)
    assert "还没有轮到您选房，您前面还有 1 位" in response.content.decode()
    assert Home.objects.get(pk=homes[0].pk).state == Home.State.AVAILABLE


def test_give_up_asks_first_then_the_next_turn_starts(client, allocation):
    _plan, (first, second, _third), _homes, _session = allocation
    client.force_login(first.registration.applicant)
    page = client.get(f"/allocation/{first.registration.number}/give-up/")
    assert "确认放弃选房" in page.content.decode()
    assert Turn.objects.get(recheck=first).state == Turn.State.WAITING
    client.post(f"/allocation/{first.registration.number}/give-up/")
    assert Turn.objects.get(recheck=first).state == Turn.State.GAVE_UP
    client.force_login(second.registration.applicant)
    assert "轮到您选房了" in client.get(turn_url(second.registration)).content.decode()


def test_another_applicants_pages_are_404_and_anonymous_go_to_login(client, allocation):
    _plan, (first, second, _third), homes, _session = allocation
    client.force_login(second.registration.applicant)
    number = first.registration.number
    assert client.get(f"/allocation/{number}/").status_code == 404
    assert client.post(f"/allocation/{number}/homes/{homes[0].pk}/").status_code == 404
    assert client.post(f"/allocation/{number}/give-up/").status_code == 404
    assert client.get(f"/allocation/{number}/confirmation.pdf").status_code == 404
    assert Home.objects.filter(state=Home.State.AVAILABLE).count() == 3
    client.logout()
    response = client.get(f"/allocation/{number}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_no_confirmation_before_a_home_is_chosen(client, allocation):
    _plan, (first, _second, _third), _homes, _session = allocation
    client.force_login(first.registration.applicant)
    assert (
        client.get(f"/allocation/{first.registration.number}/confirmation.pdf").status_code == 404
    )


def test_candidates_see_they_wait_to_be_called(client):
    applicant = make_applicant()
    plan = make_drawn_plan(3, applicants=[applicant])
    registration = applicant.registrations.get()
    position = registration.lottery_entry.position
    client.force_login(applicant)
    html = client.get(turn_url(registration)).content.decode()
    assert '<h2 id="stage-title">候补</h2>' in html
    assert f"第 {position} 号" in html
    pass_entrants(plan, 3)
    html = client.get(turn_url(registration)).content.decode()
    assert "资格复核通过" in html
    assert "请等待选房通知" in html


def test_booking_a_slot_from_the_page(client, allocation):
    plan, (first, _second, _third), homes, _session = allocation
    choice = choosing.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)
    slot = SigningSlot.objects.create(
        plan=plan,
        starts_at=MORNING + timedelta(days=1),
        ends_at=MORNING + timedelta(days=1, hours=1),
        place="项目物业服务中心",
        capacity=5,
    )
    client.force_login(first.registration.applicant)
    page = client.get(turn_url(first.registration)).content.decode()
    assert "预约签约" in page
    assert "剩余 5 个名额" in page
    url = f"/allocation/{first.registration.number}/signing/"
    refused = client.post(url, {"slot": "x"}, follow=True)
    assert "请选择签约时段" in refused.content.decode()
    client.post(url, {"slot": slot.pk})
    choice.refresh_from_db()
    assert choice.slot == slot


def test_wrong_methods_are_refused(client, allocation):
    _plan, (first, _second, _third), _homes, _session = allocation
    client.force_login(first.registration.applicant)
    assert client.post(turn_url(first.registration)).status_code == 405
    assert client.get(f"/allocation/{first.registration.number}/signing/").status_code == 405
    assert client.put(f"/allocation/{first.registration.number}/give-up/").status_code == 405


def test_no_page_before_the_draw(client):
    applicant = make_applicant()
    plan = make_ended_plan()
    [registration] = make_registrations(plan, 1, applicant=applicant)
    client.force_login(applicant)
    assert client.get(turn_url(registration)).status_code == 404
    assert client.get(f"/plans/{plan.pk}/hall/").status_code == 404


def test_an_entrant_whose_time_ran_out_reads_so_before_anyone_records_it(
    client, allocation, time_machine
):
    _plan, (first, second, _third), _homes, _session = allocation
    time_machine.move_to(MORNING + timedelta(minutes=10, seconds=5), tick=False)
    client.force_login(first.registration.applicant)
    html = client.get(turn_url(first.registration)).content.decode()
    assert '<h2 id="stage-title">逾期未选</h2>' in html
    assert "hx-trigger" not in html
    assert Turn.objects.get(recheck=first).state == Turn.State.WAITING  # nothing recorded yet
    client.force_login(second.registration.applicant)
    assert "轮到您选房了" in client.get(turn_url(second.registration)).content.decode()
