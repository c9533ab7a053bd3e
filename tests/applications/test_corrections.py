"""Issue 16, item 4: a rejected applicant learns which document to fix. The reviewer's note on
each document found 不符 (DocumentCheck) is on the record, on its PDF and at the top of
修改填报信息 beside that document; the record names the window's end; the text says until when
they can correct and register again. And (item 11) a registration under review says why it
cannot be cancelled."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from applications import review
from applications.models import DocumentCheck, Progress, Registration
from applications.registration import register
from messaging.models import OutboxMessage
from rentcenter.dates import format_when
from tests.applications.test_pdf import text_of
from tests.clock import AFTER_MIDNIGHT, MORNING
from tests.factories import (
    INFO_FIELDS,
    image_upload,
    make_applicant,
    make_info,
    make_plan,
    make_staff,
)

pytestmark = pytest.mark.django_db

NOTE = "社保缴纳证明照片模糊，看不清缴费月份"
REASON = "提交材料与填报信息不符"


@pytest.fixture(params=[MORNING, AFTER_MIDNIGHT], ids=["morning", "after-midnight"])
def instant(request, time_machine):
    time_machine.move_to(request.param, tick=False)
    return request.param


@pytest.fixture
def applicant():
    return make_applicant(name="孙丽")


@pytest.fixture
def plan(instant):
    return make_plan(starts=instant - timedelta(days=1), ends=instant + timedelta(days=6, hours=7))


def reviewed(applicant, plan, *, verdicts: dict[str, str]) -> Registration:
    """Registered, each named kind checked (note, or "" for 核验通过), then rejected."""
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    reviewer = make_staff(group="资格审核员")
    review.decide(registration, decision="start_review", by=reviewer)
    for document in registration.info.documents.all():
        if document.kind in verdicts:
            note = verdicts[document.kind]
            DocumentCheck.objects.create(
                registration=registration,
                document=document,
                verdict=DocumentCheck.Verdict.MISMATCH if note else DocumentCheck.Verdict.PASSED,
                note=note,
                checked_by=reviewer,
            )
    review.decide(registration, decision="reject", by=reviewer, reason=REASON)
    registration.refresh_from_db()
    return registration


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_mismatches_of_a_rejected_registration_are_to_correct(applicant, plan):
    registration = reviewed(
        applicant, plan, verdicts={"contributions": NOTE, "id_front": "", "hukou": "户口页缺本人页"}
    )
    assert [(c.document.kind, c.note) for c in registration.documents_to_correct()] == [
        ("hukou", "户口页缺本人页"),  # in the form's order
        ("contributions", NOTE),
    ]
    other = make_applicant()
    make_info(other, plan)
    active = register(applicant=other, plan=plan, offering=plan.plan_projects.get()).registration
    DocumentCheck.objects.create(
        registration=active,
        document=active.info.documents.first(),
        verdict=DocumentCheck.Verdict.MISMATCH,
        note="尚在审核",
        checked_by=make_staff(),
    )
    assert active.documents_to_correct() == []  # nothing to tell before a rejection


def test_the_record_shows_each_note_and_the_window_end(applicant, plan):
    registration = reviewed(applicant, plan, verdicts={"contributions": NOTE, "id_front": ""})
    html = signed_in(applicant).get(registration.get_absolute_url()).content.decode()
    assert "需要更正的材料" in html
    assert "社保或个税缴纳证明" in html
    assert f"（contributions.jpg）</span>：{NOTE}" in html
    assert "id_front.jpg）" not in html.split("需要更正的材料")[1].split("</ul>")[0]
    assert "登记截止前" not in html
    day, time = format_when(plan.registration_ends_at).split(" ")
    assert (
        f'登记截止时间为 <time class="date" datetime="{plan.registration_ends_at.isoformat()}">'
        in html
    )
    assert f'<span class="date__day">{day}</span> {time}</time>，截止前您可以' in html


def test_the_pdf_lists_the_documents_to_correct(applicant, plan):
    registration = reviewed(applicant, plan, verdicts={"contributions": NOTE})
    client = signed_in(applicant)
    text = text_of(
        client.get(reverse("applications:record_pdf", args=[registration.number])).content
    )
    assert "需要更正的材料" in text
    assert "contributions.jpg" in text
    assert NOTE in text


def test_the_form_opens_with_the_notes_beside_the_documents(applicant, plan):
    reviewed(applicant, plan, verdicts={"contributions": NOTE})
    client = signed_in(applicant)
    url = reverse("applications:fill", args=[plan.pk])
    html = client.get(url).content.decode()
    top = html.index("上次登记审核不通过")
    assert top < html.index('class="info-form"')
    assert f"不通过原因：{REASON}" in html
    assert '<a href="#documents-contributions">社保或个税缴纳证明</a>' in html
    block = html[html.index('id="documents-contributions"') :]
    block = block[: block.index('type="file"')]
    assert f"审核意见：{NOTE}" in block
    day, _ = format_when(plan.registration_ends_at).split(" ")
    assert f"{day}</span>" in html[top : html.index('class="info-form"')]

    # The file replaced: the note stays at the top of its block, naming the removed file.
    document = applicant.documents.get(kind="contributions")
    data = {**INFO_FIELDS, "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    client.post(
        reverse("applications:remove_document", args=[plan.pk, document.pk]),
        {**data, "upload_contributions": image_upload("new-contributions.jpg")},
    )
    html = client.get(url).content.decode()
    block = html[html.index('id="documents-contributions"') :]
    block = block[: block.index('type="file"')]
    assert f"审核意见（已移除的 contributions.jpg）：{NOTE}" in block
    assert "new-contributions.jpg" in block


def test_the_form_of_a_never_rejected_applicant_has_no_such_notice(applicant, plan):
    make_info(applicant, plan)
    html = signed_in(applicant).get(reverse("applications:fill", args=[plan.pk])).content.decode()
    assert "上次登记审核不通过" not in html
    assert "审核意见" not in html


def test_the_rejection_text_counts_the_documents_and_says_until_when(applicant, plan):
    registration = reviewed(applicant, plan, verdicts={"contributions": NOTE, "id_front": ""})
    text = OutboxMessage.objects.filter(reference=registration.number).latest("id").text
    assert f"原因：{REASON}。" in text
    assert "其中 1 项材料需更正，审核意见见配租记录。" in text
    assert (
        f"您可在 {format_when(plan.registration_ends_at)} 前登录配租平台修改填报信息并重新登记。"
        in text
    )


def test_without_registering_again_the_text_does_not_promise_it(applicant, instant):
    plan = make_plan(allows_registering_again=False, ends=instant + timedelta(days=3))
    registration = reviewed(applicant, plan, verdicts={})
    text = OutboxMessage.objects.filter(reference=registration.number).latest("id").text
    assert "重新登记" not in text
    assert "材料需更正" not in text
    assert text.endswith("详情请登录配租平台查看配租记录。")


def test_a_registration_under_review_says_why_it_cannot_be_cancelled(applicant, plan):
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    review.decide(registration, decision="start_review", by=make_staff(group="资格审核员"))
    client = signed_in(applicant)
    listing = client.get(reverse("applications:records")).content.decode()
    assert "审核中，不能取消登记" in listing
    assert reverse("applications:cancel", args=[registration.number]) not in listing
    detail = client.get(registration.get_absolute_url()).content.decode()
    assert "资格审核已开始，不能取消登记。审核结果会以短信通知您" in detail
    response = client.get(reverse("applications:cancel", args=[registration.number]), follow=True)
    assert "资格审核已开始，不能取消登记" in response.content.decode()
    response = client.post(reverse("applications:cancel", args=[registration.number]), follow=True)
    assert "资格审核已开始，不能取消登记" in response.content.decode()
    registration.refresh_from_db()
    assert registration.progress == Progress.REVIEWING
