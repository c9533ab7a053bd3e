"""短信发送记录 in admin: the list, its filters, hidden codes and 重新发送."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messaging.admin import explain_error
from messaging.models import OutboxMessage
from rentcenter import sms
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

Status, Kind = OutboxMessage.Status, OutboxMessage.Kind
LIST = reverse("admin:messaging_outboxmessage_changelist")


def make_message(**kw) -> OutboxMessage:
    fields = {"phone": "+8613800138000", "text": "您已成功登记", "kind": Kind.REGISTRATION}
    return OutboxMessage.objects.create(**{**fields, **kw})


def test_staff_see_each_text_with_its_status_and_error(staff_client):
    failed = make_message(
        status=Status.FAILED, attempts=8, error="gateway answered 500", reference="PZ1"
    )
    page = staff_client.get(LIST)
    assertContains(page, "短信发送记录")
    assertContains(page, '<td class="field-masked_phone">138****8000</td>', html=True)
    assertContains(page, "PZ1")
    assertContains(page, '<td class="field-status_column">失败（已试 8 次）</td>', html=True)
    assertContains(
        page, '<td class="field-short_error">短信平台拒绝发送（返回 500）</td>', html=True
    )
    assertContains(page, "重新发送所选的失败短信")
    detail = staff_client.get(reverse("admin:messaging_outboxmessage_change", args=[failed.pk]))
    assertContains(detail, "gateway answered 500")


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("gateway answered 429", "短信平台拒绝发送（返回 429）"),
        ("gateway unreachable: timed out", "连接短信平台超时"),
        (
            "gateway unreachable: <urlopen error [Errno 110] Connection timed out>",
            "连接短信平台超时",
        ),
        ("gateway unreachable: <urlopen error [Errno 111] Connection refused>", "无法连接短信平台"),
        ("", "—"),
    ],
)
def test_the_last_error_reads_as_what_went_wrong_not_cut_at_40_characters(error, shown):
    assert explain_error(error) == shown


def test_an_unknown_error_is_shown_up_to_80_characters():
    shown = explain_error("worker stopped: " + "x" * 200)
    assert shown.startswith("worker stopped: xxx")
    assert len(shown) <= 80


def test_a_category_is_one_word_and_texts_tried_more_than_once_say_so(staff_client):
    make_message(status=Status.SENT, attempts=3, reference="PZ-THIRD")
    make_message(status=Status.PENDING, attempts=0, reference="PZ-WAITING")
    page = staff_client.get(LIST)
    assertContains(page, '<td class="field-status_column">已发送（第 3 次）</td>', html=True)
    assertContains(page, '<td class="field-status_column">待发送</td>', html=True)
    assertContains(page, '<td class="field-kind">登记成功</td>', html=True)


def test_the_list_filters_by_status(staff_client):
    make_message(status=Status.FAILED, reference="PZ-FAILED")
    make_message(status=Status.SENT, reference="PZ-SENT")
    page = staff_client.get(LIST, {"status__exact": Status.FAILED})
    assertContains(page, "PZ-FAILED")
    assertNotContains(page, "PZ-SENT")


def test_a_codes_text_is_not_shown(staff_client):
    code = make_message(kind=Kind.CODE, text="您的验证码为123456")
    page = staff_client.get(reverse("admin:messaging_outboxmessage_change", args=[code.pk]))
    assertNotContains(page, "123456")
    assertContains(page, "验证码短信，内容不显示")


def test_resend_puts_failed_texts_back_and_sends_them(
    staff_client, django_capture_on_commit_callbacks
):
    failed = make_message(status=Status.FAILED, attempts=8, error="gateway answered 500")
    sent = make_message(status=Status.SENT, attempts=1)
    code = make_message(status=Status.FAILED, kind=Kind.CODE, text="您的验证码为123456")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            LIST,
            {"action": "resend_selected", "_selected_action": [failed.pk, sent.pk, code.pk]},
            follow=True,
        )
    assertContains(response, "已重新加入发送队列 1 条。")
    assertContains(response, "2 条未重新发送")
    failed.refresh_from_db()
    code.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.SENT, 1)
    assert code.status == Status.FAILED
    assert [m.text for m in sms.outbox] == ["您已成功登记"]


def test_reviewers_do_not_see_the_outbox(reviewer_client):
    assert reviewer_client.get(LIST).status_code == 403


def test_nobody_edits_or_deletes_a_text(staff_client):
    message = make_message()
    change = reverse("admin:messaging_outboxmessage_change", args=[message.pk])
    staff_client.post(change, {"text": "改过的内容"})
    delete = reverse("admin:messaging_outboxmessage_delete", args=[message.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    message.refresh_from_db()
    assert message.text == "您已成功登记"


def test_staff_who_may_only_look_are_not_offered_resend(client):
    from django.contrib.auth.models import Permission

    viewer = make_staff()
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    page = client.get(LIST)
    assert page.status_code == 200
    assertNotContains(page, "重新发送所选的失败短信")


def test_resending_from_the_failed_filter_counts_right(
    staff_client, django_capture_on_commit_callbacks
):
    failed = make_message(status=Status.FAILED, attempts=8)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            LIST + "?status__exact=failed",
            {"action": "resend_selected", "_selected_action": [failed.pk]},
            follow=True,
        )
    assertContains(response, "已重新加入发送队列 1 条。")
    assertNotContains(response, "未重新发送")
