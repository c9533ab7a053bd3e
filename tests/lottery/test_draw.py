"""冻结名单 and 摇号 (lottery/draw.py) against the real database."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, close_old_connections, connection, transaction

from applications.models import Progress
from lottery import draw as lottery
from lottery import publication, verify
from lottery.draw import Announcement
from lottery.models import Draw, Entry, PriorityGroup, PriorityGroupOffering, SeedSource
from plans.models import Plan
from rentcenter import sms
from tests.clock import beijing
from tests.factories import make_plan, make_project, make_staff
from tests.lottery.factories import (
    LOTTERY_SOURCE,
    NOTARY_SOURCE,
    NUMBERS,
    SEED,
    SEED_SOURCE,
    TYPED_SEED,
    announcements,
    freeze_earlier,
    make_ended_plan,
    make_registrations,
    make_typed_draw,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def staff():
    return make_staff()


def freeze(plan: Plan, staff, *, mode: str = "active") -> Draw:
    """冻结名单 now, announcing the two sources of the worked example."""
    return lottery.freeze(plan=plan, mode=mode, by=staff, sources=announcements())


def freeze_and_draw(plan: Plan, staff, *, mode: str = "active") -> Draw:
    """冻结名单 half an hour ago, then the draw now with the sources' numbers."""
    freeze_earlier(plan, by=staff, mode=mode)
    return lottery.draw(plan=plan, numbers=NUMBERS, by=staff)


def test_refuses_to_freeze_before_registration_ends(staff):
    ends = beijing(2026, 6, 8, 17)
    with time_machine.travel(ends - timedelta(days=1), tick=False):
        plan = make_plan(starts=ends - timedelta(days=7), ends=ends)
        make_registrations(plan, 3)
    with (
        time_machine.travel(ends - timedelta(minutes=1), tick=False),
        pytest.raises(lottery.LotteryError, match="登记尚未结束"),
    ):
        freeze(plan, staff)
    assert not Draw.objects.exists()
    with time_machine.travel(ends, tick=False):
        draw = freeze(plan, staff)
    assert draw.entry_count == 3


def test_a_closed_plan_may_be_frozen_before_its_end_date(staff):
    plan = make_plan(status=Plan.Status.CLOSED)
    make_registrations(plan, 2)
    assert freeze(plan, staff).entry_count == 2


def test_refuses_a_second_freeze(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    freeze(plan, staff)
    with pytest.raises(lottery.LotteryError, match="已经冻结"):
        freeze(plan, staff, mode="approved")
    assert Entry.objects.count() == 3


def test_refuses_to_freeze_an_empty_list(staff):
    plan = make_ended_plan()
    with pytest.raises(lottery.LotteryError, match="没有符合条件的登记"):
        freeze(plan, staff)


def test_refuses_to_draw_before_freezing(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    with pytest.raises(lottery.LotteryError, match="尚未冻结"):
        lottery.draw(plan=plan, numbers=NUMBERS, by=staff)


def test_refuses_a_second_draw(staff):
    plan = make_ended_plan()
    make_registrations(plan, 5)
    draw = freeze_and_draw(plan, staff)
    order = list(draw.entries.order_by("overall_position").values_list("code", flat=True))
    with pytest.raises(lottery.LotteryError, match="已经摇号"):
        lottery.draw(plan=plan, numbers=[[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5]], by=staff)
    draw.refresh_from_db()
    assert draw.seed == SEED
    assert list(draw.entries.order_by("overall_position").values_list("code", flat=True)) == order


@pytest.mark.parametrize("seed", ["", " 08 15", "08\n15"])
def test_refuses_a_typed_seed_that_is_not_one_clean_line(staff, seed):
    draw = make_typed_draw(count=2, drawn=False)
    with pytest.raises(lottery.LotteryError, match="一行文字"):
        lottery.draw_with_typed_seed(plan=draw.plan, seed=seed, seed_source=SEED_SOURCE, by=staff)
    assert not Draw.objects.get().is_drawn


def test_cancelled_and_rejected_registrations_are_not_entered(staff):
    plan = make_ended_plan()
    entered = make_registrations(plan, 2)
    entered += make_registrations(plan, 1, progress=Progress.REVIEWING)
    entered += make_registrations(plan, 1, progress=Progress.APPROVED)
    make_registrations(plan, 2, progress=Progress.CANCELLED)
    make_registrations(plan, 1, progress=Progress.REJECTED)
    draw = freeze(plan, staff)
    assert draw.entry_count == 4
    assert set(draw.entries.values_list("registration", flat=True)) == {r.pk for r in entered}


def test_approved_only_mode_enters_only_approved_registrations(staff):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    make_registrations(plan, 1, progress=Progress.REVIEWING)
    approved = make_registrations(plan, 3, progress=Progress.APPROVED)
    draw = freeze(plan, staff, mode="approved")
    assert draw.eligibility == "approved"
    assert set(draw.entries.values_list("registration", flat=True)) == {r.pk for r in approved}


@pytest.mark.time_machine(beijing(2026, 12, 20, 20, 50), tick=False)
def test_freezing_publishes_the_hash_of_the_list_and_the_seed_sources(staff):
    plan = make_ended_plan()
    registrations = make_registrations(plan, 30)
    draw = freeze(plan, staff)
    codes = list(draw.entries.values_list("code", flat=True))
    assert draw.list_sha256 == verify.list_hash(codes)
    sources = list(
        draw.seed_sources.values_list("position", "name", "known_at", "count", "ordered")
    )
    assert sources == [
        (1, LOTTERY_SOURCE, beijing(2026, 12, 20, 21, 5), 6, False),
        (2, NOTARY_SOURCE, beijing(2026, 12, 20, 21, 0), 5, True),
    ]
    assert not draw.seed_sources.exclude(numbers="").exists()
    assert (draw.seed_rule, draw.announced_seed_source) == ("rfc3797-sha256/1", "")
    assert draw.state == Draw.State.FROZEN
    assert (draw.frozen_by, draw.algorithm) == (staff, verify.ALGORITHM)
    assert draw.groups == [{"name": "全部", "projects": [plan.plan_projects.get().project.name]}]
    # Codes are pseudonyms: nothing of the registration number or the applicant is in them.
    numbers = {r.number for r in registrations}
    assert not any(code in number or number[-6:] in code for code in codes for number in numbers)
    assert not Entry.objects.filter(position__isnull=False).exists()


FREEZING = beijing(2026, 12, 20, 20, 50)


@pytest.mark.time_machine(FREEZING, tick=False)
@pytest.mark.parametrize("known_at", [FREEZING - timedelta(seconds=1), FREEZING])
def test_refuses_a_source_whose_numbers_are_known_before_the_freeze(staff, known_at):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    early = Announcement("2026年12月19日 双色球 第2026149期", known_at, count=7)
    with pytest.raises(lottery.LotteryError, match="必须晚于冻结名单的时间"):
        lottery.freeze(plan=plan, mode="active", by=staff, sources=[*announcements(), early])
    assert not Draw.objects.exists()
    assert not SeedSource.objects.exists()


@pytest.mark.parametrize(
    ("sources", "problem"),
    [
        ([], "至少预告一个种子来源"),
        ([Announcement(" 双色球", FREEZING + timedelta(hours=1), 6)], "一行文字"),
        ([Announcement("双色球\n第2026150期", FREEZING + timedelta(hours=1), 6)], "一行文字"),
        ([Announcement("双色球", FREEZING + timedelta(hours=1), 0)], "1 到 50"),
        ([Announcement("双色球", FREEZING + timedelta(hours=1), 51)], "1 到 50"),
        ([Announcement("双" * 201, FREEZING + timedelta(hours=1), 6)], "200 个字符"),
    ],
)
@pytest.mark.time_machine(FREEZING, tick=False)
def test_refuses_sources_that_cannot_give_a_seed(staff, sources, problem):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    with pytest.raises(lottery.LotteryError, match=problem):
        lottery.freeze(plan=plan, mode="active", by=staff, sources=sources)
    assert not Draw.objects.exists()


def test_refuses_numbers_before_their_source_has_published_them(staff, time_machine):
    time_machine.move_to(FREEZING, tick=False)
    plan = make_ended_plan()
    make_registrations(plan, 3)
    freeze(plan, staff)  # the notary's numbers at 21:00, the lottery's at 21:05
    time_machine.move_to(beijing(2026, 12, 20, 21, 4, 59), tick=False)
    with pytest.raises(lottery.LotteryError, match="2026年12月20日 21:05 才公布"):
        lottery.draw(plan=plan, numbers=NUMBERS, by=staff)
    draw = Draw.objects.get()
    assert not draw.is_drawn
    assert not draw.seed_sources.exclude(numbers="").exists()
    time_machine.move_to(beijing(2026, 12, 20, 21, 5), tick=False)
    assert lottery.draw(plan=plan, numbers=NUMBERS, by=staff).seed == SEED


@pytest.mark.parametrize(
    ("numbers", "problem"),
    [
        ([[31, 7, 19, 3, 25], [47, 8, 23, 15, 31]], "应有 6 个号码，录入了 5 个"),
        ([[31, 7, 19, 3, 25, 12, 9], [47, 8, 23, 15, 31]], "应有 6 个号码，录入了 7 个"),
        ([[31, 7, 19, 3, 25, 12]], "全部 2 个种子来源"),
        ([[31, 7, 19, 3, 25, -12], [47, 8, 23, 15, 31]], "整数"),
        ([[31, 7, 19, 3, 25, 10**18], [47, 8, 23, 15, 31]], "18 位"),
    ],
)
def test_refuses_numbers_that_are_not_what_the_sources_announced(staff, numbers, problem):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    freeze_earlier(plan, by=staff)
    with pytest.raises(lottery.LotteryError, match=problem):
        lottery.draw(plan=plan, numbers=numbers, by=staff)
    assert not Draw.objects.get().is_drawn


def test_the_seed_is_computed_from_the_numbers_never_typed(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    freeze_earlier(plan, by=staff)
    with pytest.raises(lottery.LotteryError, match="不能直接录入种子"):
        lottery.draw_with_typed_seed(plan=plan, seed=SEED, seed_source="公证处", by=staff)
    assert not Draw.objects.get().is_drawn


def test_a_list_frozen_before_seeds_came_from_numbers_is_drawn_with_its_typed_seed(staff):
    frozen = make_typed_draw(count=6, drawn=False)
    with pytest.raises(lottery.LotteryError, match="请录入种子"):
        lottery.draw(plan=frozen.plan, numbers=NUMBERS, by=staff)
    draw = lottery.draw_with_typed_seed(
        plan=frozen.plan, seed=TYPED_SEED, seed_source=f" {SEED_SOURCE} ", by=staff
    )
    assert (draw.seed_rule, draw.seed, draw.seed_source) == ("typed", TYPED_SEED, SEED_SOURCE)
    codes = list(draw.entries.order_by("overall_position").values_list("code", flat=True))
    assert codes == verify.order(seed=TYPED_SEED, entry_codes=codes)
    published = publication.entries_text(draw)
    assert publication.result_text(draw) == verify.result_text(
        seed=TYPED_SEED, entries_text=published
    )


def test_the_database_refuses_to_change_announced_sources_or_drawn_numbers(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    draw = freeze(plan, staff)
    source = draw.seed_sources.filter(position=1)
    for change in ({"name": "另一个来源"}, {"count": 7}, {"ordered": True}, {"position": 3}):
        with pytest.raises(IntegrityError), transaction.atomic():
            source.update(**change)
    later = draw.seed_sources.get(position=1).known_at + timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        source.update(known_at=later)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(seed_rule="typed")

    drawn = make_ended_plan()
    make_registrations(drawn, 3)
    freeze_and_draw(drawn, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeedSource.objects.filter(draw__plan=drawn, position=1).update(numbers="1 2 3 4 5 6")


@pytest.mark.parametrize("numbers", ["08 1 2 3 4 5", "1 2 3 4 5", "1  2 3 4 5 6", "1 2 3 4 5 6 "])
def test_the_database_keeps_numbers_canonical_and_counted(staff, numbers):
    draw = make_typed_draw(count=1, drawn=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeedSource.objects.create(
            draw=draw, position=1, name="双色球", known_at=draw.frozen_at, count=6, numbers=numbers
        )
    SeedSource.objects.create(
        draw=draw,
        position=1,
        name="双色球",
        known_at=draw.frozen_at,
        count=6,
        numbers="0 1 2 3 4 5",
    )


def test_the_draw_orders_entries_by_the_published_algorithm(staff):
    plan = make_ended_plan()
    make_registrations(plan, 40)
    draw = freeze_and_draw(plan, staff)
    entries = draw.entries.order_by("overall_position")
    codes = list(entries.values_list("code", flat=True))
    assert codes == verify.order(seed=SEED, entry_codes=codes)
    assert list(entries.values_list("position", flat=True)) == list(range(1, 41))
    assert list(entries.values_list("overall_position", flat=True)) == list(range(1, 41))
    assert (draw.state, draw.seed, draw.seed_source) == ("drawn", SEED, "")
    assert draw.drawn_by == staff
    numbers = list(draw.seed_sources.values_list("numbers", flat=True))
    assert numbers == ["31 7 19 3 25 12", "47 8 23 15 31"]


def test_the_same_list_and_seed_always_give_the_same_result(staff):
    plan = make_ended_plan()
    make_registrations(plan, 25)
    draw = freeze_and_draw(plan, staff)
    published = publication.entries_text(draw)
    sources = publication.sources(draw)
    assert publication.result_text(draw) == verify.result_text(
        sources=sources, entries_text=published
    )


def test_priority_groups_are_drawn_separately_in_their_order(staff):
    first, second, third = make_project(), make_project(), make_project()
    plan = make_ended_plan(projects=[first, second, third])
    offerings = {o.project_id: o for o in plan.plan_projects.all()}
    later = PriorityGroup.objects.create(plan=plan, position=2, name="第二组：其他项目")
    earlier = PriorityGroup.objects.create(plan=plan, position=1, name="第一组：人才公寓")
    PriorityGroupOffering.objects.create(group=earlier, offering=offerings[second.pk])
    PriorityGroupOffering.objects.create(group=later, offering=offerings[first.pk])
    PriorityGroupOffering.objects.create(group=later, offering=offerings[third.pk])
    in_first = make_registrations(plan, 6, offering=offerings[second.pk])
    make_registrations(plan, 5, offering=offerings[first.pk])
    make_registrations(plan, 4, offering=offerings[third.pk])

    draw = freeze_and_draw(plan, staff)

    assert [group["name"] for group in draw.groups] == ["第一组：人才公寓", "第二组：其他项目"]
    ordered = list(draw.entries.order_by("overall_position"))
    assert [e.registration_id for e in ordered[:6]] == [  # group 1 first, whatever the HMAC
        e.registration_id for e in ordered if e.registration_id in {r.pk for r in in_first}
    ]
    assert [e.group for e in ordered] == [1] * 6 + [2] * 9
    assert [e.position for e in ordered] == [*range(1, 7), *range(1, 10)]
    assert [e.overall_position for e in ordered] == list(range(1, 16))
    second_group = [e.code for e in ordered[6:]]
    assert second_group == verify.order(seed=SEED, entry_codes=second_group)
    assert publication.entries_text(draw).split("\n")[0].endswith((" 1", " 2"))


def test_refuses_to_freeze_when_a_project_with_registrations_is_in_no_group(staff):
    grouped, forgotten = make_project(), make_project(name="遗漏家园")
    plan = make_ended_plan(projects=[grouped, forgotten])
    offerings = {o.project_id: o for o in plan.plan_projects.all()}
    group = PriorityGroup.objects.create(plan=plan, position=1, name="第一组")
    PriorityGroupOffering.objects.create(group=group, offering=offerings[grouped.pk])
    make_registrations(plan, 2, offering=offerings[forgotten.pk])
    with pytest.raises(lottery.LotteryError, match="遗漏家园"):
        freeze(plan, staff)


def test_texts_each_entrant_their_position_after_commit(staff, django_capture_on_commit_callbacks):
    plan = make_ended_plan()
    registrations = make_registrations(plan, 3)
    freeze_earlier(plan, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        lottery.draw(plan=plan, numbers=NUMBERS, by=staff)
        assert sms.outbox == []  # nothing before the commit
    assert sorted(m.phone for m in sms.outbox) == sorted(
        r.applicant.phone.as_e164 for r in registrations
    )
    for registration in registrations:
        entry = Entry.objects.get(registration=registration)
        [text] = [m.text for m in sms.outbox if m.phone == registration.applicant.phone.as_e164]
        assert registration.number in text
        assert entry.code in text
        assert f"顺序号第 {entry.position} 号" in text


def test_no_text_and_no_result_when_the_draw_is_rolled_back(
    staff, django_capture_on_commit_callbacks
):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    freeze_earlier(plan, by=staff)

    def draw_then_fail() -> None:
        with transaction.atomic():
            lottery.draw(plan=plan, numbers=NUMBERS, by=staff)
            raise RuntimeError("something after the draw failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        draw_then_fail()
    assert callbacks == []
    assert sms.outbox == []
    assert not Draw.objects.get().is_drawn
    assert not Entry.objects.filter(position__isnull=False).exists()
    assert not Draw.objects.get().seed_sources.exclude(numbers="").exists()


def test_draw_stops_when_the_list_no_longer_matches_its_published_hash(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    draw = freeze_earlier(plan, by=staff)
    [late] = make_registrations(plan, 1)
    Entry.objects.create(draw=draw, registration=late, code="0000000000", group=1)
    with pytest.raises(lottery.LotteryError, match="SHA-256 不一致"):
        lottery.draw(plan=plan, numbers=NUMBERS, by=staff)


def test_the_database_refuses_to_change_a_drawn_result(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    draw = freeze_and_draw(plan, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(draw=draw, overall_position=1).update(overall_position=99)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(seed="another seed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(state=Draw.State.FROZEN, seed="")


def test_the_database_refuses_to_change_a_frozen_list(staff):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    draw = freeze(plan, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(draw=draw).update(code="0000000000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(list_sha256="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(announced_seed_source="另一个来源")


def test_freezes_and_draws_5000_registrations_in_seconds(staff, django_capture_on_commit_callbacks):
    plan = make_ended_plan()
    make_registrations(plan, 5000)
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        freeze_earlier(plan, by=staff)
        draw = lottery.draw(plan=plan, numbers=NUMBERS, by=staff)  # the texts written too
        seconds = time.perf_counter() - started
    # Sent after commit, by the workers in production (here at once: the immediate backend).
    assert seconds < 5
    assert len(sms.outbox) == 5000
    assert draw.entries.filter(overall_position__isnull=True).count() == 0
    published = publication.entries_text(draw)
    sources = publication.sources(draw)
    assert publication.result_text(draw) == verify.result_text(
        sources=sources, entries_text=published
    )


def run_in_threads(count: int, work) -> list:
    """Start `count` threads together at a barrier; each returns what `work` returned or raised."""
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(work())
        except Exception as error:  # the test inspects what each thread met
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_draws_only_one_succeeds():
    staff = make_staff()
    plan = make_ended_plan()
    make_registrations(plan, 200)
    freeze_earlier(plan, by=staff)

    outcomes = run_in_threads(2, lambda: lottery.draw(plan=plan, numbers=NUMBERS, by=staff))

    assert sum(isinstance(o, Draw) for o in outcomes) == 1
    [refusal] = [o for o in outcomes if not isinstance(o, Draw)]
    assert isinstance(refusal, lottery.LotteryError)
    assert "已经摇号" in str(refusal)
    assert Entry.objects.filter(overall_position__isnull=False).count() == 200
    assert len(sms.outbox) == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_freezes_only_one_succeeds():
    staff = make_staff()
    plan = make_ended_plan()
    make_registrations(plan, 50)

    outcomes = run_in_threads(2, lambda: freeze(plan, staff))

    assert sum(isinstance(o, Draw) for o in outcomes) == 1
    assert sum(isinstance(o, lottery.LotteryError) for o in outcomes) == 1
    assert Entry.objects.count() == 50
