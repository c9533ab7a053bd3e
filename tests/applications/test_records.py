"""配租记录, 取消登记 and 查看审核结果 (manual 6.1, 6.2, 7.1): applications.views.records."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Progress, Registration
from applications.registration import register, registered_counts
from tests.clock import AFTER_MIDNIGHT
from tests.factories import make_applicant, make_info, make_plan, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant():
    return make_applicant()


@pytest.fixture
def signed_in(client: Client, applicant) -> Client:
    client.force_login(applicant)
    return client


def registered(applicant, plan=None, **info) -> Registration:
    plan = plan or make_plan()
    make_info(applicant, plan, **info)
    return register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.first()
    ).registration


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("applications:records"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_list_shows_each_registration_with_progress_and_reason(signed_in, applicant):
    staff = make_user(is_staff=True)
    kept = registered(applicant)
    rejected = registered(applicant)
    rejected.start_review(by=staff)
    rejected.reject(by=staff, reason="社保缴纳月数不足")
    cancelled = registered(applicant)
    cancelled.cancel(by=applicant)
    html = signed_in.get(reverse("applications:records")).content.decode()
    for header in ("配租计划", "项目小区", "登记时间", "目前进度", "不通过原因", "操作"):
        assert header in html
    for registration in (kept, rejected, cancelled):
        assert registration.plan.title in html
        assert registration.get_absolute_url() in html
    assert "审核不通过" in html
    assert "社保缴纳月数不足" in html
    assert "已取消" in html
    assert reverse("applications:cancel", args=[kept.number]) in html
    assert reverse("applications:cancel", args=[rejected.number]) not in html
    assert reverse("applications:cancel", args=[cancelled.number]) not in html


def test_list_shows_only_the_applicants_own_registrations(signed_in, applicant):
    mine = registered(applicant)
    theirs = registered(make_applicant())
    html = signed_in.get(reverse("applications:records")).content.decode()
    assert mine.number in html
    assert theirs.number not in html


def test_list_runs_a_fixed_number_of_queries(signed_in, applicant):
    registered(applicant)
    signed_in.get(reverse("applications:records"))  # the first request starts the session clock
    with CaptureQueriesContext(connection) as one:
        signed_in.get(reverse("applications:records"))
    for _ in range(15):
        registered(applicant)
    # The first page after the registrations reads the account again (accounts/usercache.py).
    signed_in.get(reverse("applications:records"))
    with CaptureQueriesContext(connection) as many:
        signed_in.get(reverse("applications:records"))
    assert len(many) == len(one)
    assert len(one) <= 8


def test_detail_shows_declared_info_documents_and_timeline(signed_in, applicant):
    registration = registered(applicant, employer="北京望京科技有限公司")
    staff = make_user(is_staff=True)
    registration.start_review(by=staff)
    html = signed_in.get(registration.get_absolute_url()).content.decode()
    assert registration.number in html
    assert "北京望京科技有限公司" in html
    assert applicant.masked_id_number in html
    assert applicant.id_number not in html
    for kind in ("身份证人像面", "户口簿或居住证"):
        assert kind in html
    timeline = html.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert timeline.index("已登记") < timeline.index("审核中")
    assert reverse("applications:record_pdf", args=[registration.number]) in html


def test_another_applicants_record_is_not_found(signed_in):
    theirs = registered(make_applicant())
    for name in ("record", "record_pdf", "cancel", "registered"):
        url = reverse(f"applications:{name}", args=[theirs.number])
        assert signed_in.get(url).status_code == 404, name
    assert signed_in.post(reverse("applications:cancel", args=[theirs.number])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.progress == Progress.REGISTERED


@pytest.mark.parametrize(
    "path",
    [
        "/records/%00/",
        "/records/PZ%00/cancel/",
        "/records/%E7%99%BB%E8%AE%B0/pdf/",
        "/records/a-b/registered/",
        "/verify/%00/",
        "/plans/1/info/TB%00/",
    ],
)
def test_a_number_that_is_not_letters_and_digits_is_not_found(signed_in, path):
    """Not even looked up: PostgreSQL refuses a query holding a NUL byte with an error."""
    assert signed_in.get(path).status_code == 404
    assert signed_in.post(path).status_code in (404, 405)


def test_cancel_asks_for_confirmation_then_cancels_and_frees_the_count(signed_in, applicant):
    registration = registered(applicant)
    confirm = signed_in.get(reverse("applications:cancel", args=[registration.number]))
    assert "确认取消登记" in confirm.content.decode()
    registration.refresh_from_db()
    assert registration.progress == Progress.REGISTERED  # GET changes nothing
    response = signed_in.post(reverse("applications:cancel", args=[registration.number]))
    assert response.url == reverse("applications:records")
    registration.refresh_from_db()
    assert registration.progress == Progress.CANCELLED
    assert registered_counts([registration.offering_id]) == {registration.offering_id: 0}
    assert [e.to_progress for e in registration.events.all()] == ["registered", "cancelled"]
    assert registration.events.last().actor == applicant


def test_cancel_is_refused_once_review_started(signed_in, applicant):
    registration = registered(applicant)
    registration.start_review(by=make_user(is_staff=True))
    response = signed_in.post(
        reverse("applications:cancel", args=[registration.number]), follow=True
    )
    assert "不能取消登记" in response.content.decode()
    registration.refresh_from_db()
    assert registration.progress == Progress.REVIEWING


def test_cancel_is_refused_after_the_window_closes(client, applicant):
    registration = registered(applicant)
    with time_machine.travel(registration.plan.registration_ends_at + timedelta(seconds=1)):
        client.force_login(applicant)
        response = client.post(
            reverse("applications:cancel", args=[registration.number]), follow=True
        )
    assert "登记已结束，不能取消登记" in response.content.decode()
    registration.refresh_from_db()
    assert registration.progress == Progress.REGISTERED


def test_cancelling_twice_cancels_once(signed_in, applicant):
    registration = registered(applicant)
    url = reverse("applications:cancel", args=[registration.number])
    signed_in.post(url)
    second = signed_in.post(url, follow=True)
    assert "不能取消登记" in second.content.decode()
    registration.refresh_from_db()
    assert registered_counts([registration.offering_id]) == {registration.offering_id: 0}
    assert registration.events.filter(to_progress=Progress.CANCELLED).count() == 1


def test_cancel_then_edit_and_register_again(signed_in, applicant):
    first = registered(applicant)
    plan = first.plan
    signed_in.post(reverse("applications:cancel", args=[first.number]))
    assert signed_in.get(reverse("applications:fill", args=[plan.pk])).status_code == 200
    make_info(applicant, plan, employer="修改后的单位")
    response = signed_in.post(
        reverse("applications:register", args=[plan.pk]), {"offering": first.offering_id}
    )
    second = Registration.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("applications:registered", args=[second.number])
    assert second.info.employer == "修改后的单位"
    second.offering.refresh_from_db()
    assert registered_counts([second.offering_id]) == {second.offering_id: 1}
    html = signed_in.get(reverse("applications:records")).content.decode()
    assert first.number in html
    assert second.number in html


def test_home_page_follows_the_applicants_progress(signed_in, applicant):
    plan = make_plan()
    home = reverse("plans:home")
    html = signed_in.get(home).content.decode()
    assert reverse("applications:fill", args=[plan.pk]) in html
    make_info(applicant, plan)
    html = signed_in.get(home).content.decode()
    assert "查看填报信息" in html
    assert reverse("applications:fill", args=[plan.pk]) not in html
    register(applicant=applicant, plan=plan, offering=plan.plan_projects.first())
    html = signed_in.get(home).content.decode()
    assert "已登记 · 查看配租记录" in html
    assert reverse("applications:register", args=[plan.pk]) not in html


def test_verify_page_confirms_without_personal_data(client, applicant):
    registration = registered(applicant)
    html = client.get(
        reverse("applications:verify", args=[registration.verification_code])
    ).content.decode()
    assert "真实有效" in html
    assert registration.number in html
    assert "已登记" in html
    for personal in (
        applicant.real_name,
        applicant.masked_id_number,
        str(applicant.phone.national_number),
    ):
        assert personal not in html
    assert client.get(reverse("applications:verify", args=["nope"])).status_code == 404


def test_wrong_methods_are_refused(signed_in, applicant):
    registration = registered(applicant)
    assert signed_in.post(reverse("applications:records")).status_code == 405
    assert signed_in.post(registration.get_absolute_url()).status_code == 405
    assert (
        signed_in.delete(reverse("applications:cancel", args=[registration.number])).status_code
        == 405
    )


def test_cancel_without_csrf_token_is_refused(applicant):
    registration = registered(applicant)
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    assert (
        client.post(reverse("applications:cancel", args=[registration.number])).status_code == 403
    )
    registration.refresh_from_db()
    assert registration.progress == Progress.REGISTERED


def test_registration_window_end_is_server_time(applicant, now):
    plan = make_plan(starts=now - timedelta(days=1), ends=now + timedelta(hours=1))
    registration = registered(applicant, plan)
    assert registration.can_cancel()
    assert not registration.can_cancel(now + timedelta(hours=1))


def test_a_progress_event_is_named_by_its_beijing_time(applicant):
    registration = registered(applicant)
    event = registration.events.get()
    event.created_at = AFTER_MIDNIGHT  # 16:30 on 28 February in UTC
    assert str(event) == "已登记 @ 2027年3月1日 00:30"
