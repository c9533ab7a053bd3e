"""Review in admin: applications.admin.RegistrationAdmin and the progress transitions."""

import csv
import io
import threading
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from applications.models import (
    DocumentCheck,
    InvalidTransition,
    Progress,
    Registration,
    RegistrationEvent,
)
from applications.registration import register
from rentcenter import sms
from tests.clock import AFTER_MIDNIGHT, beijing
from tests.factories import (
    make_applicant,
    make_info,
    make_plan,
    make_project,
    make_staff,
    make_user,
)

pytestmark = pytest.mark.django_db


def staff_in(group: str, **overrides):
    return make_staff(group=group, password="pw-for-tests-only", **overrides)


@pytest.fixture
def reviewer():
    return staff_in("资格审核员")


@pytest.fixture
def manager():
    return staff_in("配租管理员")


@pytest.fixture
def reviewer_client(reviewer, django_capture_on_commit_callbacks) -> Client:
    """A reviewer whose every request commits, as on the real site (SMS go out on commit)."""

    class CommittingClient(Client):
        def request(self, **request):
            with django_capture_on_commit_callbacks(execute=True):
                return super().request(**request)

    client = CommittingClient()
    client.force_login(reviewer)
    return client


def registered(applicant=None, plan=None, **info) -> Registration:
    applicant = applicant or make_applicant(name="赵大海")
    plan = plan or make_plan(rejection_reasons="社保缴纳月数不足\n材料不清晰")
    make_info(applicant, plan, **info)
    return register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.first()
    ).registration


def change_url(registration) -> str:
    return reverse("admin:applications_registration_change", args=[registration.pk])


def decide(client, registration, decision, **extra):
    data = {"decision": decision, "expected_progress": registration.progress, **extra}
    url = reverse("admin:applications_registration_decide", args=[registration.pk])
    return client.post(url, data, follow=True)


def test_reviewer_lists_registrations_with_masked_applicants(reviewer_client):
    registration = registered()
    html = reviewer_client.get(
        reverse("admin:applications_registration_changelist")
    ).content.decode()
    assert registration.number in html
    assert "赵*海" in html
    assert "赵大海" not in html
    assert registration.applicant.masked_phone in html
    for facet in ("配租计划", "目前进度", "项目所在区"):
        assert facet in html


def test_reviewer_finds_a_registration_by_number_and_by_phone(reviewer_client):
    wanted, other = registered(), registered()
    url = reverse("admin:applications_registration_changelist")
    national = str(wanted.applicant.phone.national_number)
    for query in (wanted.number, national):
        html = reviewer_client.get(url, {"q": query}).content.decode()
        assert wanted.number in html
        assert other.number not in html


def test_list_filters_by_progress_and_district(reviewer_client):
    plan = make_plan(projects=[make_project(district="haidian"), make_project(district="tongzhou")])
    in_haidian = registered(plan=plan)
    in_tongzhou = make_applicant()
    make_info(in_tongzhou, plan)
    other = register(
        applicant=in_tongzhou,
        plan=plan,
        offering=plan.plan_projects.get(project__district="tongzhou"),
    ).registration
    url = reverse("admin:applications_registration_changelist")
    html = reviewer_client.get(url, {"district": "haidian"}).content.decode()
    assert in_haidian.number in html
    assert other.number not in html
    in_haidian.start_review(by=make_user(is_staff=True))
    html = reviewer_client.get(url, {"progress__exact": "reviewing"}).content.decode()
    assert in_haidian.number in html
    assert other.number not in html


def test_review_page_shows_declared_info_documents_screening_and_history(reviewer_client):
    registration = registered(employer="北京中关村某公司")
    html = reviewer_client.get(change_url(registration)).content.decode()
    assert "北京中关村某公司" in html
    assert registration.info.masked_id_number in html
    assert registration.info.id_number not in html
    for document in registration.info.documents.all():
        assert reverse("applications:document_thumbnail", args=[document.pk]) in html
    assert "符合本计划的全部登记条件" in html
    assert "进度记录" in html
    assert "开始审核" in html


def test_full_id_number_needs_the_dedicated_permission_and_a_reason(reviewer, reviewer_client):
    registration = registered()
    reveal = reverse("admin:applications_registration_id_number", args=[registration.pk])
    assert reveal not in reviewer_client.get(change_url(registration)).content.decode()
    assert reviewer_client.post(reveal, {"reason": "核对证件照片"}).status_code == 403
    reviewer.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    html = reviewer_client.get(change_url(registration)).content.decode()
    assert registration.info.id_number not in html
    assert reveal in html
    shown = reviewer_client.post(reveal, {"reason": "核对证件照片"}).content.decode()
    assert registration.info.id_number in shown


def test_reviewer_opens_the_documents_through_the_checked_view(reviewer_client):
    registration = registered()
    document = registration.info.documents.first()
    response = reviewer_client.get(reverse("applications:document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_start_review_then_approve_records_history_and_texts_the_applicant(
    reviewer, reviewer_client
):
    registration = registered()
    decide(reviewer_client, registration, "start_review")
    registration.refresh_from_db()
    assert registration.progress == Progress.REVIEWING
    decide(reviewer_client, registration, "approve")
    registration.refresh_from_db()
    assert registration.progress == Progress.APPROVED
    events = list(registration.events.values_list("from_progress", "to_progress", "actor"))
    assert events == [
        ("", "registered", registration.applicant_id),
        ("registered", "reviewing", reviewer.pk),
        ("reviewing", "approved", reviewer.pk),
    ]
    texts = [m.text for m in sms.outbox if m.phone == registration.applicant.phone.as_e164]
    assert any("进入资格审核" in text for text in texts)
    assert any("审核通过" in text for text in texts)


def test_rejection_needs_a_reason_and_the_applicant_sees_it(reviewer_client):
    registration = registered()
    registration.start_review(by=make_user(is_staff=True))
    response = decide(reviewer_client, registration, "reject")
    assert "审核不通过时必须填写不通过原因" in response.content.decode()
    registration.refresh_from_db()
    assert registration.progress == Progress.REVIEWING
    decide(reviewer_client, registration, "reject", preset_reason="社保缴纳月数不足")
    registration.refresh_from_db()
    assert registration.progress == Progress.REJECTED
    assert registration.rejection_reason == "社保缴纳月数不足"
    assert registration.events.last().reason == "社保缴纳月数不足"
    applicant = Client()
    applicant.force_login(registration.applicant)
    page = applicant.get(reverse("applications:records")).content.decode()
    assert "审核不通过" in page
    assert "社保缴纳月数不足" in page
    assert any("原因：社保缴纳月数不足" in m.text for m in sms.outbox)


def test_written_reason_wins_over_the_preset(reviewer_client):
    registration = registered()
    registration.start_review(by=make_user(is_staff=True))
    decide(
        reviewer_client,
        registration,
        "reject",
        preset_reason="材料不清晰",
        custom_reason="户籍证明不符",
    )
    registration.refresh_from_db()
    assert registration.rejection_reason == "户籍证明不符"


@pytest.mark.parametrize(
    ("start", "method"),
    [
        (Progress.REGISTERED, "approve"),
        (Progress.APPROVED, "start_review"),
        (Progress.REJECTED, "approve"),
        (Progress.CANCELLED, "start_review"),
    ],
)
def test_transitions_outside_the_workflow_are_refused(start, method):
    registration = registered()
    staff = make_user(is_staff=True)
    path = {
        Progress.REGISTERED: [],
        Progress.APPROVED: ["start_review", "approve"],
        Progress.REJECTED: ["start_review", ("reject", "原因")],
    }.get(start, [])
    if start == Progress.CANCELLED:
        registration.cancel(by=registration.applicant)
    for step in path:
        if isinstance(step, tuple):
            getattr(registration, step[0])(by=staff, reason=step[1])
        else:
            getattr(registration, step)(by=staff)
    events_before = registration.events.count()
    with pytest.raises(InvalidTransition):
        getattr(registration, method)(by=staff)
    registration.refresh_from_db()
    assert registration.progress == start
    assert registration.events.count() == events_before


def test_only_the_applicant_cancels():
    registration = registered()
    with pytest.raises(InvalidTransition, match="只有申请人本人"):
        registration.cancel(by=make_user(is_staff=True))


def test_stale_decision_form_is_refused(reviewer_client):
    registration = registered()
    seen = registration.progress
    registration.start_review(by=make_user(is_staff=True))
    url = reverse("admin:applications_registration_decide", args=[registration.pk])
    response = reviewer_client.post(
        url, {"decision": "start_review", "expected_progress": seen}, follow=True
    )
    assert "已被其他审核人员更新" in response.content.decode()
    assert registration.events.filter(to_progress=Progress.REVIEWING).count() == 1


def test_plan_manager_cannot_decide_or_check_documents(manager):
    registration = registered()
    client = Client()
    client.force_login(manager)
    assert client.get(change_url(registration)).status_code == 200  # may look
    response = decide(client, registration, "start_review")
    assert response.status_code == 403
    document = registration.info.documents.first()
    check = reverse(
        "admin:applications_registration_check_document", args=[registration.pk, document.pk]
    )
    assert client.post(check, {"verdict": "passed"}).status_code == 403
    registration.refresh_from_db()
    assert registration.progress == Progress.REGISTERED
    assert not DocumentCheck.objects.exists()


def test_reviewer_cannot_touch_plans_or_projects(reviewer):
    plan = make_plan()
    client = Client()
    client.force_login(reviewer)
    assert client.get(reverse("admin:plans_plan_change", args=[plan.pk])).status_code == 403
    assert client.get(reverse("admin:plans_plan_add")).status_code == 403
    project = plan.projects.first()
    assert (
        client.get(reverse("admin:projects_project_change", args=[project.pk])).status_code == 403
    )


def test_decisions_only_by_post(reviewer_client):
    registration = registered()
    url = reverse("admin:applications_registration_decide", args=[registration.pk])
    assert reviewer_client.get(url).status_code == 403


def test_document_checks_need_a_note_when_mismatched(reviewer, reviewer_client):
    registration = registered()
    document = registration.info.documents.get(kind="hukou")
    url = reverse(
        "admin:applications_registration_check_document", args=[registration.pk, document.pk]
    )
    response = reviewer_client.post(url, {"verdict": "mismatch"}, follow=True)
    assert "选择“不符”时请填写说明" in response.content.decode()
    assert not DocumentCheck.objects.exists()
    reviewer_client.post(url, {"verdict": "mismatch", "note": "户口簿页码不全"})
    reviewer_client.post(url, {"verdict": "passed", "note": ""})
    check = DocumentCheck.objects.get()
    assert (check.verdict, check.checked_by) == ("passed", reviewer)
    html = reviewer_client.get(change_url(registration)).content.decode()
    assert "核验通过" in html


def test_document_of_another_registration_cannot_be_checked(reviewer_client):
    registration, other = registered(), registered()
    foreign = other.info.documents.first()
    url = reverse(
        "admin:applications_registration_check_document", args=[registration.pk, foreign.pk]
    )
    assert reviewer_client.post(url, {"verdict": "passed"}).status_code == 404


def test_bulk_start_review_asks_for_confirmation_then_skips_what_it_cannot_do(reviewer_client):
    waiting, cancelled = registered(), registered()
    cancelled.cancel(by=cancelled.applicant)
    url = reverse("admin:applications_registration_changelist")
    data = {"action": "start_review_selected", "_selected_action": [waiting.pk, cancelled.pk]}
    confirm = reviewer_client.post(url, data)
    assert "确认开始审核" in confirm.content.decode()
    waiting.refresh_from_db()
    assert waiting.progress == Progress.REGISTERED
    done = reviewer_client.post(url, {**data, "confirmed": "yes"}, follow=True)
    html = done.content.decode()
    assert "已处理 1 条" in html
    assert cancelled.number in html
    waiting.refresh_from_db()
    assert waiting.progress == Progress.REVIEWING


def test_bulk_approve_needs_review_permission(manager):
    registration = registered()
    registration.start_review(by=make_user(is_staff=True))
    client = Client()
    client.force_login(manager)
    url = reverse("admin:applications_registration_changelist")
    data = {"action": "approve_selected", "_selected_action": [registration.pk], "confirmed": "yes"}
    assert client.post(url, data).status_code == 403
    registration.refresh_from_db()
    assert registration.progress == Progress.REVIEWING


def test_csv_export_of_the_filtered_list_masks_ids(reviewer_client):
    registration = registered()
    registered()
    url = reverse("admin:applications_registration_changelist")
    response = reviewer_client.post(
        url, {"action": "export_csv", "_selected_action": [registration.pk]}
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["登记编号", "配租计划", "项目小区"]
    assert len(rows) == 2
    assert rows[1][0] == registration.number
    assert rows[1][5] == registration.info.masked_id_number
    assert registration.info.id_number not in body
    assert rows[1][8] == "已登记"


def test_decision_texts_go_out_only_after_commit():
    registration = registered()
    staff = make_user(is_staff=True)
    sms.outbox.clear()

    def review_then_fail() -> None:
        with transaction.atomic():
            registration.start_review(by=staff)
            raise RuntimeError("the request failed later")

    with pytest.raises(RuntimeError):
        review_then_fail()
    assert sms.outbox == []
    registration.refresh_from_db()
    assert registration.progress == Progress.REGISTERED


def test_submitted_versions_stay_readable_to_staff(reviewer_client):
    applicant = make_applicant()
    plan = make_plan()
    first = make_info(applicant, plan, employer="第一版")
    make_info(applicant, plan, employer="第二版")
    html = reviewer_client.get(
        reverse("admin:applications_applicationinfo_change", args=[first.pk])
    ).content.decode()
    assert "第一版" in html
    assert "第 2 版" in html


@pytest.mark.parametrize(
    ("instant", "bars"),
    [
        # 30 hours before 10:00 on 2 June is 04:00 on 1 June.
        (beijing(2026, 6, 2, 10), [(date(2026, 6, 1), 1), (date(2026, 6, 2), 3)]),
        # 30 hours before 00:30 on 1 March (UTC: still 28 February) is 18:30 on 27 February;
        # days are Beijing days, and the empty day between is drawn too.
        (
            AFTER_MIDNIGHT,
            [(date(2027, 2, 27), 1), (date(2027, 2, 28), 0), (date(2027, 3, 1), 3)],
        ),
    ],
)
def test_dashboard_counts_match_the_data(manager, time_machine, instant, bars):
    time_machine.move_to(instant, tick=False)
    plan = make_plan(projects=[make_project(name="甲项目"), make_project(name="乙项目")])
    first, second = plan.plan_projects.all()
    people = [make_applicant() for _ in range(4)]
    for person in people:
        make_info(person, plan)
    day_one = instant - timedelta(hours=30)
    for person, offering in zip(people, [first, first, second, second], strict=True):
        register(applicant=person, plan=plan, offering=offering)
    Registration.objects.filter(applicant=people[0]).update(created_at=day_one)
    register(applicant=people[1], plan=plan, offering=first)  # a duplicate, prevented
    Registration.objects.get(applicant=people[3]).cancel(by=people[3])
    client = Client()
    client.force_login(manager)
    response = client.get(reverse("admin:plans_plan_dashboard", args=[plan.pk]))
    html = response.content.decode()
    stats = response.context["stats"]
    assert response.status_code == 200
    assert stats.active == 3
    assert stats.total == 4
    assert stats.duplicates_prevented == 1
    assert [(row.name, row.active) for row in stats.projects] == [("甲项目", 2), ("乙项目", 1)]
    assert dict(stats.progress)["已取消"] == 1
    assert [(bar.day, bar.count) for bar in stats.days] == bars
    assert "<svg" in html
    assert 'id="stat-active">3<' in html


def test_dashboard_needs_permission_to_see_registrations():
    plan = make_plan()
    nobody = make_staff()
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("admin:plans_plan_dashboard", args=[plan.pk])).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_cannot_both_win():
    registration = registered()
    registration.start_review(by=make_user(is_staff=True))
    reviewers = [make_user(is_staff=True), make_user(is_staff=True)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(reviewer, index: int) -> None:
        try:
            barrier.wait()
            mine = Registration.objects.get(pk=registration.pk)
            if index == 0:
                mine.approve(by=reviewer)
            else:
                mine.reject(by=reviewer, reason="材料不清晰")
            outcomes.append("done")
        except InvalidTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(r, i)) for i, r in enumerate(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    decisions = RegistrationEvent.objects.filter(
        registration=registration, to_progress__in=[Progress.APPROVED, Progress.REJECTED]
    )
    assert decisions.count() == 1
    registration.refresh_from_db()
    assert registration.progress == decisions.get().to_progress


@pytest.mark.parametrize("model", ["registration", "applicationinfo"])
@pytest.mark.parametrize("object_id", ["abc", "1 OR 1=1", "999999"])
def test_a_change_page_for_an_id_that_is_not_there_is_404(reviewer_client, model, object_id):
    """Not a 500 for an id that is not a number (issue #10, finding 6)."""
    registered()
    url = reverse(f"admin:applications_{model}_change", args=[object_id])
    reviewer_client.raise_request_exception = False
    assert reviewer_client.get(url).status_code == 404
