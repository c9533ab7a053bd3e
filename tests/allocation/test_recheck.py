"""资格复核: called in 顺序号 order, decided with a reason and per-document checks, texted through
the outbox (allocation/recheck.py and its admin page)."""

import pytest

from allocation import recheck
from allocation.models import AllocationEvent, Recheck, RecheckDocumentCheck
from tests.allocation.factories import entries, make_drawn_plan, make_homes, texts_to
from tests.factories import make_applicant, make_document, make_info, make_staff
from tests.lottery.factories import make_ended_plan, make_plan_manager

pytestmark = pytest.mark.django_db


def test_staff_call_the_next_entrants_in_order_and_they_are_texted():
    plan = make_drawn_plan(5)
    staff = make_staff()
    first = recheck.call_next(plan=plan, group=1, count=2, by=staff)
    second = recheck.call_next(plan=plan, group=1, count=2, by=staff)
    assert [r.position for r in first + second] == [1, 2, 3, 4]
    ordered = entries(plan)
    assert [r.registration_id for r in first] == [e.registration_id for e in ordered[:2]]
    assert "已进入资格复核" in texts_to(first[0].registration)[-1]
    assert AllocationEvent.objects.filter(kind="called").count() == 4
    # The fifth is 候补 until called; then nobody is left.
    recheck.call_next(plan=plan, group=1, count=10, by=staff)
    with pytest.raises(recheck.RecheckError, match="已没有候补"):
        recheck.call_next(plan=plan, group=1, count=1, by=staff)


def test_calling_needs_a_drawn_plan_and_a_count():
    with pytest.raises(recheck.RecheckError, match="尚未摇号"):
        recheck.call_next(plan=make_ended_plan(), group=1, count=1, by=make_staff())
    with pytest.raises(recheck.RecheckError, match="至少 1 人"):
        recheck.call_next(plan=make_drawn_plan(1), group=1, count=0, by=make_staff())


def test_the_suggested_count_is_homes_times_one_point_two_less_those_holding_a_place():
    plan = make_drawn_plan(12)
    make_homes(plan.plan_projects.get(), 5)
    assert recheck.suggested_count(plan, 1) == 6
    staff = make_staff()
    called = recheck.call_next(plan=plan, group=1, count=4, by=staff)
    recheck.decide(called[0], passed=False, reason="社保缴纳月数不足", by=staff)
    assert recheck.suggested_count(plan, 1) == 3


def test_a_reviewer_passes_or_fails_with_a_reason_once():
    plan = make_drawn_plan(2)
    staff = make_staff()
    one, two = recheck.call_next(plan=plan, group=1, count=2, by=staff)
    with pytest.raises(recheck.RecheckError, match="必须填写不通过原因"):
        recheck.decide(one, passed=False, by=staff, reason="  ")
    recheck.decide(one, passed=True, by=staff)
    recheck.decide(two, passed=False, by=staff, reason="家庭成员名下有住房")
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.state, one.decided_by) == (Recheck.State.PASSED, staff)
    assert (two.state, two.reason) == (Recheck.State.FAILED, "家庭成员名下有住房")
    assert "资格复核通过" in texts_to(one.registration)[-1]
    assert "资格复核不通过，原因：家庭成员名下有住房" in texts_to(two.registration)[-1]
    with pytest.raises(recheck.RecheckError, match="已经是“复核通过”"):
        recheck.decide(one, passed=False, by=staff, reason="改判")


def real_entrant():
    """A drawn plan whose first entrant is a real applicant with uploaded documents."""
    applicant = make_applicant(name="陈静")
    plan = make_drawn_plan(1, applicants=[applicant])
    registration = entries(plan)[0].registration
    info = make_info(applicant, plan)
    registration.info = info
    registration.save()
    [called] = recheck.call_next(plan=plan, group=1, count=1, by=make_staff())
    return called


def test_the_review_page_checks_documents_and_decides(client):
    entrant = real_entrant()
    reviewer = make_staff(group="资格审核员")
    client.force_login(reviewer)
    url = f"/admin/allocation/recheck/{entrant.pk}/change/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "资格复核 · 顺序号第 1 号 · 复核中" in html
    document = entrant.registration.info.documents.first()
    refused = client.post(
        f"/admin/allocation/recheck/{entrant.pk}/documents/{document.pk}/check/",
        {"verdict": "mismatch", "note": ""},
        follow=True,
    )
    assert "选择“不符”时请填写说明" in refused.content.decode()
    client.post(
        f"/admin/allocation/recheck/{entrant.pk}/documents/{document.pk}/check/",
        {"verdict": "passed", "note": ""},
    )
    assert RecheckDocumentCheck.objects.get(recheck=entrant).checked_by == reviewer
    client.post(
        f"/admin/allocation/recheck/{entrant.pk}/decide/",
        {"decision": "fail", "custom_reason": "", "preset_reason": ""},
    )
    entrant.refresh_from_db()
    assert entrant.state == Recheck.State.REVIEWING
    client.post(f"/admin/allocation/recheck/{entrant.pk}/decide/", {"decision": "pass"})
    entrant.refresh_from_db()
    assert entrant.state == Recheck.State.PASSED
    assert entrant.decided_by == reviewer


def test_a_document_of_another_registration_cannot_be_checked(client):
    entrant = real_entrant()
    stranger = make_document(make_applicant())
    client.force_login(make_staff(group="资格审核员"))
    response = client.post(
        f"/admin/allocation/recheck/{entrant.pk}/documents/{stranger.pk}/check/",
        {"verdict": "passed"},
    )
    assert response.status_code == 404


def test_plan_managers_cannot_decide_and_get_requests_are_refused(client):
    entrant = real_entrant()
    client.force_login(make_plan_manager())
    assert (
        client.post(
            f"/admin/allocation/recheck/{entrant.pk}/decide/", {"decision": "pass"}
        ).status_code
        == 403
    )
    client.force_login(make_staff(group="资格审核员"))
    assert client.get(f"/admin/allocation/recheck/{entrant.pk}/decide/").status_code == 403


def test_the_plans_allocation_page_calls_the_next_entrants(client):
    plan = make_drawn_plan(8)
    make_homes(plan.plan_projects.get(), 3)
    client.force_login(make_plan_manager())
    page = client.get(f"/admin/plans/plan/{plan.pk}/allocation/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="4"' in html  # 3 homes × 1.2, rounded up
    response = client.post(
        f"/admin/plans/plan/{plan.pk}/allocation/call/", {"group": 1, "count": 4}, follow=True
    )
    assert "已开放资格复核：顺序号第 1 至 4 号，共 4 人" in response.content.decode()
    assert Recheck.objects.count() == 4
    refused = client.post(
        f"/admin/plans/plan/{plan.pk}/allocation/call/", {"group": 1, "count": ""}, follow=True
    )
    assert "请填写要开放复核的人数" in refused.content.decode()
    assert Recheck.objects.count() == 4
    change = client.get(f"/admin/plans/plan/{plan.pk}/change/")
    assert "房源、资格复核、选房场次、选房结果与签约" in change.content.decode()
