"""确认选房 and 预约签约 when many press at once (PostgreSQL only: SQLite serialises writers).

Every thread is a person with their own browser session posting through the views, so a
refusal must be a redirect with a message, never a 500. The database decides: the session's
row lock orders the choices, the home's conditional UPDATE and the Choice's partial unique
constraints keep one home per entrant and one entrant per home, the slot's conditional UPDATE
and check constraint keep a slot within its capacity.
"""

import random
import time

import pytest
from django.db import connection
from django.test import Client

from allocation import choosing
from allocation.models import Choice, Home, SigningSlot, Turn
from tests.allocation.factories import ready_session
from tests.applications.test_concurrency import run_together
from tests.factories import make_applicant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def people(count: int):
    return [make_applicant(name=f"申请人{index}") for index in range(count)]


def test_fifty_entrants_race_for_ten_homes_each_taken_once_in_order():
    _plan, passed, homes, _session = ready_session(entrants=50, homes=10, applicants=people(50))
    home_ids = [home.pk for home in homes]
    statuses: list[int] = []

    def entrant(index: int) -> str:
        mine = passed[index]
        client = Client()
        client.force_login(mine.registration.applicant)
        url = f"/allocation/{mine.registration.number}/homes/"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            free = list(
                Home.objects.filter(pk__in=home_ids, state=Home.State.AVAILABLE).values_list(
                    "pk", flat=True
                )
            )
            target = random.choice(free or home_ids)
            response = client.post(f"{url}{target}/")
            statuses.append(response.status_code)
            if Choice.objects.filter(recheck=mine).exists():
                return "chosen"
            if not Turn.objects.filter(recheck=mine, state=Turn.State.WAITING).exists():
                return "passed over"
            connection.close()
            time.sleep(0.02)
        return "timeout"

    outcomes, errors = run_together(50, entrant)

    assert errors == []
    assert set(statuses) == {302}  # every press answered, refused or not; no 500
    assert outcomes.count("chosen") == 10
    assert outcomes.count("passed over") == 40
    choices = list(Choice.objects.select_related("recheck"))
    assert len({choice.home_id for choice in choices}) == 10  # every home taken once
    assert len({choice.recheck_id for choice in choices}) == 10  # every entrant at most once
    assert sorted(choice.recheck.position for choice in choices) == list(range(1, 11))
    assert not Home.objects.filter(state=Home.State.AVAILABLE).exists()


def test_the_same_entrant_pressing_for_two_homes_at_once_gets_one():
    _plan, passed, homes, _session = ready_session(entrants=2, homes=2, applicants=people(2))
    first = min(passed, key=lambda r: r.position)
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(first.registration.applicant)
        clients.append(client)

    def press(index: int) -> int:
        url = f"/allocation/{first.registration.number}/homes/{homes[index].pk}/"
        return clients[index].post(url).status_code

    statuses, errors = run_together(2, press)

    assert errors == []
    assert statuses == [302, 302]
    assert Choice.objects.filter(recheck=first).count() == 1
    assert Home.objects.filter(state=Home.State.CHOSEN).count() == 1
    assert Home.objects.filter(state=Home.State.AVAILABLE).count() == 1


def test_twenty_bookings_for_five_places_fill_the_slot_exactly():
    plan, passed, homes, session = ready_session(entrants=20, homes=20, applicants=people(20))
    for entrant in sorted(passed, key=lambda r: r.position):
        choosing.choose(
            recheck=entrant,
            home_id=homes[entrant.position - 1].pk,
            by=entrant.registration.applicant,
        )
    slot = SigningSlot.objects.create(
        plan=plan,
        starts_at=session.starts_at + (session.sign_by - session.starts_at) / 2,
        ends_at=session.sign_by,
        place="物业服务中心",
        capacity=5,
    )

    def book(index: int) -> int:
        client = Client()
        client.force_login(passed[index].registration.applicant)
        return client.post(
            f"/allocation/{passed[index].registration.number}/signing/", {"slot": slot.pk}
        ).status_code

    statuses, errors = run_together(20, book)

    assert errors == []
    assert set(statuses) == {302}
    slot.refresh_from_db()
    assert slot.booked == 5
    assert Choice.objects.filter(slot=slot).count() == 5
