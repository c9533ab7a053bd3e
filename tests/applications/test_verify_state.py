"""Issue 16, item 8: the public page the PDF's QR code opens states the record's current state
truthfully, and when it changed: a cancelled or rejected registration is not 真实有效."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from applications.registration import register
from tests.clock import AFTER_MIDNIGHT, MORNING
from tests.factories import make_applicant, make_info, make_plan, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[MORNING, AFTER_MIDNIGHT], ids=["morning", "after-midnight"])
def registration(request, time_machine):
    time_machine.move_to(request.param, tick=False)
    applicant = make_applicant(name="赵云")
    plan = make_plan()
    make_info(applicant, plan)
    return register(applicant=applicant, plan=plan, offering=plan.plan_projects.get()).registration


def page_of(registration) -> str:
    url = reverse("applications:verify", args=[registration.verification_code])
    return Client().get(url).content.decode()


def when(instant) -> str:
    local = instant.astimezone(MORNING.tzinfo)
    return (
        f'<span class="date__day">{local.year}年{local.month}月{local.day}日</span> {local:%H:%M}'
    )


def test_an_active_record_is_valid_with_its_progress_since(registration, time_machine):
    time_machine.shift(timedelta(hours=2))
    registration.start_review(by=make_staff(group="资格审核员"))
    html = page_of(registration)
    assert "该配租登记记录真实有效，目前进度：审核中（" in html
    assert when(registration.events.last().created_at) in html


def test_a_cancelled_record_says_so_and_when(registration, time_machine):
    time_machine.shift(timedelta(hours=3, minutes=7))
    registration.cancel(by=registration.applicant)
    cancelled_at = registration.events.last().created_at
    html = page_of(registration)
    assert "真实有效" not in html
    assert "该配租登记记录存在，但已于 <time" in html
    assert f"{when(cancelled_at)}</time> 由申请人取消，已失效。" in html
    assert "已取消" in html


def test_a_rejected_record_says_so_and_when(registration, time_machine):
    reviewer = make_staff(group="资格审核员")
    registration.start_review(by=reviewer)
    time_machine.shift(timedelta(days=1))
    registration.reject(by=reviewer, reason="材料不全")
    html = page_of(registration)
    assert "真实有效" not in html
    assert f"{when(registration.events.last().created_at)}</time> 审核不通过，已失效。" in html
    assert "材料不全" not in html  # the reason is the applicant's business
