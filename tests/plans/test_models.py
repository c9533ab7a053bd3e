from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plans.models import Announcement, Plan, PlanProject, render_announcement
from tests.factories import make_announcement, make_plan, make_project

BEIJING = ZoneInfo("Asia/Shanghai")
STARTS = datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING)
ENDS = datetime(2026, 3, 15, 17, 0, tzinfo=BEIJING)
INFO_OPENS = datetime(2026, 2, 22, 9, 0, tzinfo=BEIJING)
MICROSECOND = timedelta(microseconds=1)


@pytest.fixture
def plan(db) -> Plan:
    return make_plan(starts=STARTS, ends=ENDS, info_opens_at=INFO_OPENS)


def state_at(plan: Plan, moment: datetime) -> str:
    with time_machine.travel(moment, tick=False):
        return plan.state.label


# Registration window -----------------------------------------------------------------------


def test_upcoming_until_one_microsecond_before_start(plan):
    assert state_at(plan, STARTS - MICROSECOND) == "未开始"


def test_open_from_the_exact_start(plan):
    assert state_at(plan, STARTS) == "登记中"


def test_still_open_one_microsecond_before_end(plan):
    assert state_at(plan, ENDS - MICROSECOND) == "登记中"


def test_ended_at_the_exact_end(plan):
    assert state_at(plan, ENDS) == "已结束"


def test_closed_plan_has_ended_even_inside_its_window(plan):
    plan.status = Plan.Status.CLOSED
    assert state_at(plan, STARTS + timedelta(days=1)) == "已结束"
    assert state_at(plan, STARTS - timedelta(days=1)) == "已结束"


def test_registration_state_takes_an_explicit_moment(plan):
    assert plan.registration_state(STARTS - MICROSECOND) == Plan.RegistrationState.UPCOMING
    assert plan.registration_state(ENDS) == Plan.RegistrationState.ENDED


def test_registration_is_open_only_for_a_published_plan_inside_its_window(plan):
    with time_machine.travel(STARTS, tick=False):
        assert plan.is_registration_open
        plan.status = Plan.Status.CLOSED
        assert not plan.is_registration_open
    plan.status = Plan.Status.PUBLISHED
    with time_machine.travel(ENDS, tick=False):
        assert not plan.is_registration_open


# Info filling ------------------------------------------------------------------------------


def info_open_at(plan: Plan, moment: datetime) -> bool:
    with time_machine.travel(moment, tick=False):
        return plan.is_info_open


def test_info_filling_closed_one_microsecond_before_it_opens(plan):
    assert info_open_at(plan, INFO_OPENS - MICROSECOND) is False


def test_info_filling_opens_at_its_exact_time(plan):
    assert info_open_at(plan, INFO_OPENS) is True


def test_info_filling_stays_open_during_registration(plan):
    assert info_open_at(plan, ENDS - MICROSECOND) is True


def test_info_filling_ends_with_registration(plan):
    assert info_open_at(plan, ENDS) is False


def test_info_filling_is_closed_for_drafts_and_closed_plans(plan):
    for status in (Plan.Status.DRAFT, Plan.Status.CLOSED):
        plan.status = status
        assert info_open_at(plan, STARTS) is False


# Countdown ---------------------------------------------------------------------------------


def test_countdown_before_start_counts_to_the_start(plan):
    with time_machine.travel(STARTS - MICROSECOND, tick=False):
        countdown = plan.countdown
    assert (countdown.label, countdown.target) == ("距登记开始", STARTS)


def test_countdown_during_registration_counts_to_the_end(plan):
    with time_machine.travel(STARTS, tick=False):
        countdown = plan.countdown
    assert (countdown.label, countdown.target) == ("距登记结束", ENDS)


def test_no_countdown_once_ended_or_closed(plan):
    with time_machine.travel(ENDS, tick=False):
        assert plan.countdown is None
    plan.status = Plan.Status.CLOSED
    with time_machine.travel(STARTS, tick=False):
        assert plan.countdown is None


# Invariants --------------------------------------------------------------------------------


def plan_fields(**overrides) -> dict:
    fields = {
        "title": "约束测试计划",
        "info_opens_at": INFO_OPENS,
        "registration_starts_at": STARTS,
        "registration_ends_at": ENDS,
    }
    fields.update(overrides)
    return fields


@pytest.mark.parametrize("ends", [STARTS, STARTS - timedelta(hours=1)])
def test_database_refuses_registration_ending_at_or_before_its_start(db, ends):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(**plan_fields(registration_ends_at=ends))


def test_database_refuses_info_filling_opening_after_registration_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(**plan_fields(info_opens_at=STARTS + MICROSECOND))


def test_database_accepts_info_filling_opening_with_registration(db):
    plan = Plan.objects.create(**plan_fields(info_opens_at=STARTS))
    assert plan.pk


def test_clean_explains_a_registration_ending_before_it_starts():
    plan = Plan(**plan_fields(registration_ends_at=STARTS - timedelta(days=1)))
    with pytest.raises(ValidationError) as error:
        plan.clean()
    assert error.value.message_dict == {
        "registration_ends_at": ["登记结束时间必须晚于登记开始时间。"]
    }


def test_clean_explains_info_filling_opening_after_registration_starts():
    plan = Plan(**plan_fields(info_opens_at=STARTS + timedelta(days=1)))
    with pytest.raises(ValidationError) as error:
        plan.clean()
    assert error.value.message_dict == {"info_opens_at": ["信息填报开始时间不能晚于登记开始时间。"]}


def test_clean_accepts_a_consistent_plan():
    Plan(**plan_fields()).clean()


def test_clean_leaves_missing_dates_to_the_required_field_errors():
    Plan(**plan_fields(registration_starts_at=None, info_opens_at=None)).clean()


def test_a_project_is_offered_once_per_plan(db):
    project = make_project()
    plan = make_plan(projects=[project])
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanProject.objects.create(plan=plan, project=project, homes=5)


# Query sets --------------------------------------------------------------------------------


def test_public_plans_are_the_published_and_closed_ones(db):
    published = make_plan()
    closed = make_plan(status=Plan.Status.CLOSED)
    make_plan(status=Plan.Status.DRAFT)
    assert set(Plan.objects.public()) == {published, closed}


def test_public_offerings_leave_out_draft_plans(db):
    project = make_project()
    published = make_plan(projects=[project])
    make_plan(projects=[project], status=Plan.Status.DRAFT)
    assert [offering.plan for offering in PlanProject.objects.public()] == [published]


def test_open_for_registration_is_published_and_inside_the_window(db):
    open_plan = make_plan(starts=STARTS, ends=ENDS)
    make_plan(starts=STARTS, ends=ENDS, status=Plan.Status.CLOSED)
    make_plan(starts=STARTS, ends=ENDS, status=Plan.Status.DRAFT)
    make_plan(starts=ENDS + timedelta(days=1), ends=ENDS + timedelta(days=10))
    make_plan(starts=STARTS - timedelta(days=5), ends=STARTS)
    assert list(Plan.objects.open_for_registration(now=STARTS)) == [open_plan]
    assert list(Plan.objects.open_for_registration(now=ENDS)) == []
    with time_machine.travel(ENDS - MICROSECOND, tick=False):
        assert list(Plan.objects.open_for_registration()) == [open_plan]


def test_plans_are_listed_newest_registration_first(db):
    older = make_plan(starts=STARTS - timedelta(days=30))
    newer = make_plan(starts=STARTS)
    assert list(Plan.objects.all()) == [newer, older]


def test_published_announcements_leave_out_future_ones(db):
    plan = make_plan()
    past = make_announcement(plan, published_at=STARTS - timedelta(days=3))
    make_announcement(plan, published_at=STARTS + timedelta(days=3))
    assert list(Announcement.objects.published(now=STARTS)) == [past]


# Announcement text -------------------------------------------------------------------------


def test_announcement_markdown_keeps_lists_tables_and_links():
    html = render_announcement(
        "- 年满18周岁\n- 本市无房\n\n"
        "| 房型 | 月租金 |\n|---|---|\n| 一居室 | 3800 |\n\n"
        "详见[北京保障房中心](https://www.bphc.com.cn/)。"
    )
    assert "<li>年满18周岁</li>" in html
    assert "<table>" in html
    assert "<td>一居室</td>" in html
    assert '<a href="https://www.bphc.com.cn/" rel="noopener noreferrer">北京保障房中心</a>' in html


def test_announcement_table_keeps_column_alignment():
    html = render_announcement("| 房型 | 月租金 |\n|:---|---:|\n| 一居室 | 3800 |")
    assert '<td align="right">3800</td>' in html
    assert "style=" not in html


def test_announcement_headings_sit_below_the_announcement_title():
    # The page shows the plan as h1 and the announcement title as h2; a "# 标题" the staff
    # member types (the field's help text suggests it) must become a heading inside it.
    html = render_announcement("# 申请条件\n\n## 收入\n\n### 资产\n\n正文")
    assert "<h3>申请条件</h3>" in html
    assert "<h4>收入</h4>" in html
    assert "<h5>资产</h5>" in html
    assert "<h1" not in html
    assert "<h2" not in html


def test_announcement_drops_scripts_with_their_content():
    html = render_announcement("通知\n\n<script>alert('x')</script>\n\n<style>p{}</style>")
    assert "<script" not in html
    assert "alert" not in html
    assert "<style" not in html


def test_announcement_drops_event_handler_attributes():
    html = render_announcement('<p onclick="steal()" onmouseover="steal()">点此</p>')
    assert "onclick" not in html
    assert "onmouseover" not in html
    assert "steal" not in html
    assert "点此" in html


def test_announcement_drops_javascript_links_but_keeps_their_text():
    html = render_announcement(
        "[点此登记](javascript:alert(1)) <a href='JaVaScRiPt:alert(2)'>另一个</a>"
    )
    assert "javascript" not in html.lower()
    assert "点此登记" in html
    assert "另一个" in html


def test_announcement_drops_frames_images_and_inline_styles():
    html = render_announcement(
        '<iframe src="https://evil.example/"></iframe>'
        '<img src="x" onerror="steal()"><p style="position:fixed">正文</p>'
    )
    assert "<iframe" not in html
    assert "<img" not in html
    assert "style=" not in html
    assert "正文" in html
