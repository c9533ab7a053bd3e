"""确认选房 and the rules on which homes an entrant may choose (allocation/choosing.py,
allocation/rules.py); the database's own word on one home per entrant and one entrant per home."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from allocation import choosing, rules
from allocation.models import AllocationEvent, Choice, ChoosingPolicy, Home, Session, Turn
from applications.models import FamilyMember
from rentcenter import crypto
from tests.allocation.factories import (
    make_drawn_plan,
    make_homes,
    open_session,
    pass_entrants,
    ready_session,
    texts_to,
)
from tests.clock import MORNING
from tests.factories import id_number_for, make_rent_item, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


def test_choosing_makes_the_home_the_entrants_at_once():
    _plan, passed, homes, session = ready_session(entrants=2)
    first = passed[0]
    choice = choosing.choose(recheck=first, home_id=homes[1].pk, by=first.registration.applicant)
    homes[1].refresh_from_db()
    assert homes[1].state == Home.State.CHOSEN
    assert choice.state == Choice.State.CHOSEN
    assert choice.sign_by == session.sign_by
    assert choice.number.startswith("XF")
    assert not choice.on_behalf
    assert Turn.objects.get(recheck=first).state == Turn.State.CHOSEN
    event = AllocationEvent.objects.get(registration=first.registration, kind="chosen")
    assert event.actor == first.registration.applicant
    assert homes[1].label in event.detail
    assert any("您已确认选房" in text for text in texts_to(first.registration))
    # Chosen is final: no second home.
    with pytest.raises(choosing.Refused, match="您已确认选房"):
        choosing.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)


def test_a_home_outside_the_registrations_project_cannot_be_chosen():
    plan = make_drawn_plan(2, projects=2)
    first, second = plan.plan_projects.order_by("position")
    make_homes(first, 2)
    other = make_homes(second, 2)
    passed = sorted(pass_entrants(plan, 2), key=lambda r: r.position)
    open_session(plan)
    entrant = passed[0]
    foreign = (
        other[0] if entrant.registration.offering_id == first.pk else first.allocation_homes.first()
    )
    with pytest.raises(choosing.Refused, match="该房源不在您登记的项目小区内"):
        choosing.choose(recheck=entrant, home_id=foreign.pk, by=entrant.registration.applicant)
    assert not Choice.objects.exists()
    assert foreign.pk not in [home.pk for home in choosing.choosable(entrant)]


def test_a_taken_or_withheld_home_is_refused():
    _plan, passed, homes, _session = ready_session(entrants=2, homes=2)
    Home.objects.filter(pk=homes[0].pk).update(state=Home.State.WITHHELD)
    with pytest.raises(choosing.Refused, match="已被选定或暂不可选"):
        choosing.choose(recheck=passed[0], home_id=homes[0].pk, by=passed[0].registration.applicant)
    with pytest.raises(choosing.Refused, match="没有找到该房源"):
        choosing.choose(recheck=passed[0], home_id=999_999, by=passed[0].registration.applicant)


def add_members(registration, count: int) -> None:
    for index in range(count):
        FamilyMember.objects.create(
            info=registration.info,
            name=f"成员{index}",
            relation="child",
            id_number_encrypted=crypto.encrypt(
                id_number_for(MORNING.date() - timedelta(days=3000 + index))
            ),
        )


def test_the_household_size_rule_refuses_a_home_too_large_and_the_公告_states_it(client):
    plan = make_drawn_plan(1)
    ChoosingPolicy.objects.create(plan=plan, bedrooms_by_household=True)
    offering = plan.plan_projects.get()
    small = make_homes(offering, 1, bedrooms=1)
    large = make_homes(
        offering,
        1,
        rent_item=make_rent_item(offering.project, room_type="三居室"),
        bedrooms=3,
        building="2",
    )
    [entrant] = pass_entrants(plan, 1)
    add_members(entrant.registration, 1)  # two people
    open_session(plan)
    assert [home.pk for home in choosing.choosable(entrant)] == [small[0].pk]
    with pytest.raises(
        choosing.Refused,
        match="该房源为三居室，须家庭人数（含申请人）不少于 3 人，您登记的家庭人数为 2 人",
    ):
        choosing.choose(recheck=entrant, home_id=large[0].pk, by=entrant.registration.applicant)
    # The same object's sentence is on the 配租公告.
    page = client.get(f"/plans/{plan.pk}/announcement/").content.decode()
    household = next(rule for rule in rules.RULES if rule.name == "household")
    assert household.describe in page


def test_the_preferred_room_rule_binds_only_when_the_plan_sets_it():
    plan = make_drawn_plan(1)
    offering = plan.plan_projects.get()
    one = make_homes(offering, 1, bedrooms=1)
    two = make_homes(offering, 1, bedrooms=2, building="2")
    [entrant] = pass_entrants(plan, 1)
    add_members(entrant.registration, 2)
    info = entrant.registration.info
    info.preferred_room = "one"
    info.save()
    open_session(plan)
    assert len(choosing.choosable(entrant)) == 2
    ChoosingPolicy.objects.create(plan=plan, follows_preferred_room=True)
    assert [home.pk for home in choosing.choosable(entrant)] == [one[0].pk]
    with pytest.raises(choosing.Refused, match="您填报的意向户型为一居室，该房源为两居室"):
        choosing.choose(recheck=entrant, home_id=two[0].pk, by=entrant.registration.applicant)


def test_published_rules_come_from_the_rule_objects():
    plan = make_drawn_plan(1)
    assert rules.published(rules.policy_of(plan.pk)) == [rules.RULES[0].describe]
    ChoosingPolicy.objects.create(
        plan=plan, bedrooms_by_household=True, follows_preferred_room=True
    )
    assert rules.published(rules.policy_of(plan.pk)) == [rule.describe for rule in rules.RULES]


def test_staff_choose_on_the_entrants_behalf_and_the_record_says_who():
    _plan, passed, homes, _session = ready_session(entrants=2)
    staff = make_staff()
    choice = choosing.choose(recheck=passed[0], home_id=homes[0].pk, by=staff)
    assert choice.on_behalf
    assert choice.chosen_by == staff
    event = AllocationEvent.objects.get(kind="chosen")
    assert event.actor == staff
    assert "代为选房" in event.detail


def test_the_database_keeps_one_home_per_entrant_and_one_entrant_per_home():
    _plan, passed, homes, _session = ready_session(entrants=2, homes=2)
    choice = choosing.choose(
        recheck=passed[0], home_id=homes[0].pk, by=passed[0].registration.applicant
    )
    second_turn = Turn.objects.get(recheck=passed[1])
    fields = {"sign_by": choice.sign_by, "chosen_by": choice.chosen_by}
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(
            number="XFTEST1",
            verification_code="V1",
            home=homes[0],
            recheck=passed[1],
            turn=second_turn,
            **fields,
        )
    earlier = Session.objects.create(
        plan=second_turn.session.plan,
        group=1,
        starts_at=MORNING - timedelta(days=2),
        ends_at=MORNING - timedelta(days=2, hours=-1),
        minutes_per_turn=5,
        sign_by=MORNING,
        created_by=choice.chosen_by,
    )
    first_turn_again = Turn.objects.create(
        session=earlier,
        recheck=passed[0],
        position=passed[0].position,
        state=Turn.State.GAVE_UP,
        ended_at=MORNING - timedelta(days=2),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(
            number="XFTEST2",
            verification_code="V2",
            home=homes[1],
            recheck=passed[0],
            turn=first_turn_again,
            **fields,
        )
