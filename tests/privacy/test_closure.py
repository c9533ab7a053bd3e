"""注销账号 (privacy/closure.py): refused with the reason while a registration is active in an
open window (or under review), otherwise the person is erased or anonymised at once, what
decisions and the lottery need stays without a name, and the phone and the ID number are free
to sign up and verify again."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import access_log, consent, realname
from accounts.models import AccessEvent, Consent, SmsCode, User
from applications.models import (
    ApplicationDraft,
    ApplicationInfo,
    Document,
    FamilyMember,
    HouseholdMember,
    Progress,
    Registration,
)
from applications.registration import register
from lottery import draw as lottery
from lottery.models import Entry
from messaging.models import OutboxMessage
from privacy import closure
from privacy.export import build, personal_data
from privacy.models import DataExport
from rentcenter import crypto, sms
from tests.accounts.conftest import last_code, send_code
from tests.factories import id_number_for, make_applicant, make_info, make_plan, make_staff
from tests.lottery.factories import NUMBERS, freeze_earlier, make_ended_plan, make_registrations

pytestmark = pytest.mark.django_db

PAGE = "/privacy/close/"
PHONE = "+8613900139001"


@pytest.fixture
def applicant():
    return make_applicant(name="赵大海", phone=PHONE)


def registration_in(plan, person) -> Registration:
    make_info(
        person,
        plan,
        members=[
            (
                "赵小妹",
                "other",
                id_number_for(timezone.localdate() - timedelta(days=3000), sequence=9),
            )
        ],
    )
    return register(applicant=person, plan=plan, offering=plan.plan_projects.first()).registration


def close_with_code(client, **extra):
    send_code(client, f"{PAGE}send-code/")
    return client.post(PAGE, {"sms_code": last_code(PHONE), "confirm": "on", **extra})


def test_the_page_says_what_happens(client, applicant):
    client.force_login(applicant)
    page = client.get(PAGE).content.decode()
    for words in [
        "无法恢复",
        "立即删除",
        "保留但不再关联您",
        "该手机号可以重新注册",
        "下载我的个人信息",
    ]:
        assert words in page
    assert "确认注销账号" in page


def test_refused_while_a_registration_is_in_an_open_window(client, applicant, captcha_test_mode):
    registration = registration_in(make_plan(), applicant)
    client.force_login(applicant)
    page = client.get(PAGE).content.decode()
    assert "暂时不能注销账号" in page
    assert registration.number in page
    assert "请先在配租记录中取消登记" in page
    assert 'name="sms_code"' not in page
    # No code is sent, and a code of another purpose changes nothing.
    before = len(sms.outbox)
    send_code(client, f"{PAGE}send-code/")
    assert len(sms.outbox) == before
    client.post(PAGE, {"sms_code": "123456", "confirm": "on"})
    applicant.refresh_from_db()
    assert not applicant.is_closed


def test_refused_while_under_review_even_after_the_window(applicant):
    plan = make_plan()
    registration = registration_in(plan, applicant)
    registration.start_review(by=make_staff())
    plan.registration_ends_at = timezone.now() - timedelta(minutes=1)
    plan.save()
    reasons = closure.blockers(applicant, now=timezone.now())
    assert reasons == [
        f"“{plan.title}”的登记（{registration.number}）正在审核中，审核结束后才能注销账号。"
    ]
    with pytest.raises(closure.ClosureRefused):
        closure.close_account(user=applicant, now=timezone.now())


def test_a_cancelled_or_rejected_registration_does_not_hold_it(applicant):
    registration = registration_in(make_plan(), applicant)
    registration.cancel(by=applicant)
    assert closure.blockers(applicant, now=timezone.now()) == []


def test_staff_close_their_accounts_through_an_administrator(client):
    staff = make_staff()
    client.force_login(staff)
    assert "工作人员账号不能在此注销" in client.get(PAGE).content.decode()


def test_the_confirmation_box_is_required(client, applicant, captcha_test_mode):
    client.force_login(applicant)
    page = close_with_code(client, confirm="").content.decode()
    assert "请勾选确认后再注销账号。" in page
    applicant.refresh_from_db()
    assert not applicant.is_closed


def test_a_wrong_code_closes_nothing(client, applicant, captcha_test_mode):
    client.force_login(applicant)
    send_code(client, f"{PAGE}send-code/")
    wrong = f"{(int(last_code(PHONE)) + 1) % 10**6:06d}"
    page = client.post(PAGE, {"sms_code": wrong, "confirm": "on"}).content.decode()
    assert "短信验证码不正确或已失效" in page
    applicant.refresh_from_db()
    assert not applicant.is_closed


def test_closing_erases_the_person_and_keeps_the_decisions(client, applicant, captcha_test_mode):
    # A registration after its window, not reviewed yet: withdrawn at closure.
    waiting = registration_in(make_plan(), applicant)
    # A decided one, drawn: the decision, the code and the 顺序号 stay.
    ended = make_ended_plan()
    [decided] = make_registrations(ended, 1, applicant=applicant, progress=Progress.APPROVED)
    staff = make_staff()
    lottery.draw(plan=ended, numbers=NUMBERS, by=freeze_earlier(ended, by=staff).frozen_by)
    entry = Entry.objects.get(registration=decided)
    waiting.plan.registration_ends_at = timezone.now() - timedelta(seconds=1)
    waiting.plan.save()
    ApplicationDraft.objects.create(applicant=applicant, plan=make_plan(), data={"fields": {}})
    export = build(DataExport.objects.create(user=applicant))
    AccessEvent.objects.create(
        subject=applicant,
        staff=staff,
        staff_number="R0201",
        action=access_log.Action.ACCOUNT,
        target="账号信息",
    )
    documents = list(Document.objects.owned_by(applicant))
    files = [d.file.name for d in documents] + [d.thumbnail.name for d in documents]
    texts_before = set(OutboxMessage.objects.filter(phone=PHONE).values_list("pk", flat=True))
    assert len(texts_before) == 2  # 登记成功, not sent yet, and the draw's 顺序号
    number = applicant.id_number

    client.force_login(applicant)
    response = close_with_code(client)
    assert response["Location"] == "/privacy/closed/"
    assert "您的账号已注销。" in client.get("/privacy/closed/").content.decode()
    assert "_auth_user_id" not in client.session

    account = User.objects.get(pk=applicant.pk)
    assert account.is_closed
    assert not account.is_active
    assert account.phone is None
    assert (account.real_name, account.id_number_encrypted, account.id_number_digest) == (
        "",
        "",
        None,
    )
    assert not account.has_usable_password()
    # Records stay, without the person.
    waiting.refresh_from_db()
    assert waiting.progress == Progress.CANCELLED
    assert waiting.events.last().reason == "申请人注销账号"
    decided.refresh_from_db()
    assert decided.progress == Progress.APPROVED
    entry.refresh_from_db()
    assert entry.position is not None
    assert entry.code
    for info in ApplicationInfo.objects.filter(applicant=account):
        assert info.real_name == "（已注销）"
        assert info.id_number_encrypted == ""
        assert info.current_address == info.employer == info.emergency_contact_phone == ""
        assert (info.birth_date.month, info.birth_date.day) == (1, 1)
        assert info.masked_id_number == "（已注销）"
    assert not FamilyMember.objects.filter(info__applicant=account).exclude(name="（已注销）")
    assert not FamilyMember.objects.filter(info__applicant=account).exclude(id_number_encrypted="")
    digests = HouseholdMember.objects.filter(registration__applicant=account)
    assert digests.exists()
    assert all(row.id_number_digest.startswith("erased-") for row in digests)
    assert not digests.filter(active=True).exists()
    assert not ApplicationDraft.objects.filter(applicant=account).exists()
    for document in Document.objects.filter(owner=account):
        assert document.files_deleted_at is not None
        assert not document.file
    storage = documents[0].file.storage
    assert not any(storage.exists(name) for name in files if name)
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED
    assert not export.file
    assert not SmsCode.objects.filter(phone=PHONE).exists()
    # The texts lose their words and number; the last one says the account was closed.
    masked = OutboxMessage.objects.filter(phone="139****9001")
    assert texts_before < set(masked.values_list("pk", flat=True))  # the code's too
    assert set(masked.values_list("text", flat=True)) == {"（账号已注销，短信内容已删除）"}
    assert not masked.filter(status="pending").exists()  # no news for a closed account
    assert OutboxMessage.objects.filter(phone=PHONE).count() == 1
    assert "已于" in sms.outbox[-1].text
    assert "注销" in sms.outbox[-1].text
    assert sms.outbox[-1].phone == PHONE
    # Evidence stays for its period.
    assert Consent.objects.filter(user=account).count() == 2
    assert AccessEvent.objects.filter(subject=account).count() == 1
    # The number is not anywhere in the database any more.
    assert not User.objects.filter(id_number_digest=crypto.digest(number)).exists()


def test_the_phone_signs_up_again_and_the_number_verifies_again(
    client, applicant, captcha_test_mode
):
    number = applicant.id_number
    client.force_login(applicant)
    close_with_code(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        send_code(client, "/accounts/register/send-code/", phone="13900139001")
        client.post(
            "/accounts/register/",
            {"phone": "13900139001", "sms_code": last_code(PHONE), "agree": "on"},
        )
    newcomer = User.objects.get(phone=PHONE)
    assert newcomer.pk != applicant.pk
    assert int(client.session["_auth_user_id"]) == newcomer.pk
    consent.record(user=newcomer, kinds=[consent.Kind.SENSITIVE], address=None)
    realname.verify_real_name(user=newcomer, name="赵大海", id_number=number)
    newcomer.refresh_from_db()
    assert newcomer.has_real_name
    assert newcomer.id_number == number


def test_the_newcomer_on_the_phone_sees_nothing_of_the_closed_account(
    client, applicant, captcha_test_mode
):
    plan = make_plan()
    registration_in(plan, applicant)
    plan.registration_ends_at = timezone.now() - timedelta(seconds=1)
    plan.save()
    client.force_login(applicant)
    close_with_code(client)
    newcomer = make_applicant(name="孙新", phone=PHONE)
    data = personal_data(newcomer)
    assert data["短信"] == []
    assert data["配租登记"] == []
    assert "赵大海" not in str(data)


def test_every_session_of_the_account_ends(client, applicant, captcha_test_mode):
    elsewhere = Client()
    elsewhere.force_login(applicant)
    assert elsewhere.get("/accounts/profile/").status_code == 200
    client.force_login(applicant)
    close_with_code(client)
    assert elsewhere.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_a_zip_still_being_made_at_closure_is_never_made(applicant):
    from privacy.tasks import build_data_export

    waiting = DataExport.objects.create(user=applicant)
    closure.close_account(user=applicant, now=timezone.now())
    assert build_data_export.call(waiting.pk) == "skipped"
    waiting.refresh_from_db()
    assert waiting.status == DataExport.Status.EXPIRED
    assert not waiting.file
