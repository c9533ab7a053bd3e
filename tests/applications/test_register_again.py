"""审核不通过, then 修改填报信息 and 重新登记 (issue 12): the rejected registration stays in the
history, a new one takes its place, unless the plan says no (Plan.allows_registering_again)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from applications.models import Progress, Registration
from applications.registration import register, registered_counts
from tests.applications.test_concurrency import register_fresh, run_together
from tests.factories import make_applicant, make_info, make_plan, make_staff

pytestmark = pytest.mark.django_db

REASON = "劳动合同照片与工作单位名称不一致，请核对后重新申请。"


@pytest.fixture
def applicant():
    return make_applicant()


@pytest.fixture
def signed_in(client, applicant):
    client.force_login(applicant)
    return client


def rejected(applicant, plan) -> Registration:
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    reviewer = make_staff(group="资格审核员")
    registration.start_review(by=reviewer)
    registration.reject(by=reviewer, reason=REASON)
    return registration


def test_home_page_shows_the_rejection_and_the_way_forward(signed_in, applicant):
    plan = make_plan()
    rejected(applicant, plan)
    html = signed_in.get(reverse("plans:home")).content.decode()
    assert "审核不通过" in html
    assert REASON in html
    assert "已登记 · 查看配租记录" not in html
    assert "重新登记" in html
    assert reverse("applications:fill", args=[plan.pk]) in html


def test_records_and_record_offer_to_edit_and_register_again(signed_in, applicant):
    plan = make_plan()
    registration = rejected(applicant, plan)
    for url in (reverse("applications:records"), registration.get_absolute_url()):
        html = signed_in.get(url).content.decode()
        assert REASON in html
        assert "修改填报信息" in html
        assert "重新登记" in html


def test_register_again_makes_a_new_registration_and_keeps_the_old(signed_in, applicant):
    plan = make_plan()
    old = rejected(applicant, plan)
    offering = plan.plan_projects.get()
    url = reverse("applications:register", args=[plan.pk])

    assert signed_in.get(url).status_code == 200  # the form, not "您已登记该计划"
    # 修改填报信息 is open again: the rejected registration no longer locks the form.
    assert signed_in.get(reverse("applications:fill", args=[plan.pk])).status_code == 200
    response = signed_in.post(url, {"offering": offering.pk})

    new = Registration.objects.exclude(pk=old.pk).get(applicant=applicant, plan=plan)
    assert response.url == reverse("applications:registered", args=[new.number])
    old.refresh_from_db()
    assert (old.progress, new.progress) == (Progress.REJECTED, Progress.REGISTERED)
    assert registered_counts([offering.pk]) == {offering.pk: 1}
    records = signed_in.get(reverse("applications:records")).content.decode()
    assert old.number in records
    assert new.number in records
    assert "重新登记" not in records  # the new registration holds the place now
    assert "重新登记" not in signed_in.get(old.get_absolute_url()).content.decode()
    assert "已登记 · 查看配租记录" in signed_in.get(reverse("plans:home")).content.decode()


def test_a_plan_can_forbid_registering_again(signed_in, applicant):
    plan = make_plan(allows_registering_again=False)
    old = rejected(applicant, plan)
    url = reverse("applications:register", args=[plan.pk])

    response = signed_in.get(url, follow=True)
    assert "审核不通过后不能重新登记" in response.content.decode()
    response = signed_in.post(url, {"offering": plan.plan_projects.get().pk}, follow=True)
    assert "审核不通过后不能重新登记" in response.content.decode()
    assert list(Registration.objects.filter(plan=plan)) == [old]
    assert "重新登记" not in signed_in.get(reverse("plans:home")).content.decode()
    assert "重新登记" not in signed_in.get(old.get_absolute_url()).content.decode()
    assert REASON in signed_in.get(reverse("plans:home")).content.decode()


def test_no_register_again_once_the_window_has_closed(signed_in, applicant, now, time_machine):
    plan = make_plan(ends=now + timedelta(hours=1))
    old = rejected(applicant, plan)
    time_machine.move_to(plan.registration_ends_at, tick=False)
    html = signed_in.get(old.get_absolute_url()).content.decode()
    assert REASON in html
    assert "重新登记" not in html
    html = signed_in.get(reverse("plans:home")).content.decode()
    assert REASON in html
    assert "重新登记" not in html


def test_the_database_still_allows_one_active_registration_only(applicant):
    plan = make_plan()
    old = rejected(applicant, plan)
    register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            number="PZ1",
            applicant=applicant,
            plan=plan,
            offering=old.offering,
            info=old.info,
            verification_code="X1",
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registering_again_from_two_tabs_at_once_makes_one_registration(applicant):
    plan = make_plan()
    old = rejected(applicant, plan)
    offering = plan.plan_projects.get()

    outcomes, errors = run_together(
        10, lambda _: register_fresh(applicant.pk, plan.pk, offering.pk)
    )

    assert errors == []
    assert sum(outcome.created for outcome in outcomes) == 1
    assert Registration.objects.filter(plan=plan).exclude(pk=old.pk).count() == 1


def test_the_project_page_shows_the_rejection_to_that_applicant_only(signed_in, applicant):
    plan = make_plan()
    rejected(applicant, plan)
    url = plan.plan_projects.get().project.get_absolute_url()
    html = signed_in.get(url).content.decode()
    assert "审核不通过" in html
    assert REASON in html
    assert "重新登记" in html
    assert REASON not in Client().get(url).content.decode()


def test_the_dashboard_counts_the_new_registration_not_the_rejected_one(applicant):
    from applications.dashboard import statistics

    plan = make_plan()
    rejected(applicant, plan)
    assert statistics(plan).active == 0
    register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    stats = statistics(plan)
    assert stats.active == 1
    assert stats.total == 2
    assert [row.active for row in stats.projects] == [1]
