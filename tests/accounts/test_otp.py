from datetime import timedelta

import pytest
import time_machine
from phonenumber_field.phonenumber import PhoneNumber

from accounts import otp
from accounts.models import SmsCode
from rentcenter import sms
from tests.accounts.conftest import last_code, texts_to
from tests.clock import beijing
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PHONE = PhoneNumber.from_string("+8613800138000")
LOGIN = otp.Purpose.LOGIN


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def send(phone=PHONE, purpose=LOGIN, address="10.0.0.1", user=None):
        with django_capture_on_commit_callbacks(execute=True):
            otp.send_code(phone=phone, purpose=purpose, address=address, user=user)

    return send


def verify(code, phone=PHONE, purpose=LOGIN, user=None):
    return otp.verify_code(phone=phone, purpose=purpose, code=code, user=user)


def test_texts_a_six_digit_code(send):
    send()
    code = last_code()
    assert len(code) == 6
    assert code.isdigit()
    assert "5分钟内有效" in texts_to("+8613800138000")[0]


def test_stores_only_a_hash_of_the_code(send):
    send()
    stored = SmsCode.objects.get()
    assert last_code() not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_accepts_the_right_code_once(send):
    send()
    code = last_code()
    assert verify(code)
    assert not verify(code)


def test_refuses_a_wrong_code(send):
    send()
    wrong = f"{(int(last_code()) + 1) % 10**6:06d}"
    assert not verify(wrong)


def test_refuses_a_code_with_nothing_sent():
    assert not verify("123456")


def test_refuses_a_code_sent_to_another_phone(send):
    send(phone=PhoneNumber.from_string("+8613900139000"))
    assert not verify(last_code("+8613900139000"))


def test_refuses_a_code_for_the_other_purpose(send):
    send(purpose=otp.Purpose.LOGIN)
    code = last_code()
    assert not verify(code, purpose=otp.Purpose.CHANGE_PHONE)
    assert verify(code, purpose=otp.Purpose.LOGIN)


def test_change_phone_code_belongs_to_the_account_that_asked(send):
    owner, other = make_user(), make_user()
    send(purpose=otp.Purpose.CHANGE_PHONE, user=owner)
    code = last_code()
    assert not verify(code, purpose=otp.Purpose.CHANGE_PHONE, user=other)
    assert not verify(code, purpose=otp.Purpose.CHANGE_PHONE)
    assert verify(code, purpose=otp.Purpose.CHANGE_PHONE, user=owner)


def test_code_is_valid_for_five_minutes(send):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        send()
        code = last_code()
        clock.shift(timedelta(minutes=4, seconds=59))
        assert verify(code)


def test_code_expires_after_five_minutes(send):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        send()
        clock.shift(timedelta(minutes=5))
        assert not verify(last_code())


def test_four_wrong_tries_leave_the_code_alive(send):
    send()
    code = last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert not verify(wrong)
    assert verify(code)


def test_five_wrong_tries_kill_the_code(send):
    send()
    code = last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert not verify(wrong)
    assert not verify(code)


def test_a_new_code_replaces_the_earlier_one(send):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        send()
        first = last_code()
        clock.shift(61)
        send()
        second = last_code()
        if first != second:
            assert not verify(first)
        assert verify(second)


def test_one_send_per_phone_per_minute(send):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        send()
        clock.shift(59)
        with pytest.raises(otp.SendRefused, match="请1秒后再试"):
            send()
        clock.shift(1)
        send()
    assert len(texts_to("+8613800138000")) == 2


def test_five_sends_per_phone_per_hour(send):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        for _ in range(5):
            send()
            clock.shift(60)
        # 09:05; the first send (09:00) leaves the hour at 10:00.
        with pytest.raises(otp.SendRefused, match="请于10:00后再试") as refused:
            send()
        assert refused.value.retry_at == beijing(2026, 6, 1, 10)
        clock.move_to("2026-06-01 10:00 +08:00")
        send()
    assert len(texts_to("+8613800138000")) == 6


def test_ten_sends_per_phone_per_day(send):
    # The day is counted in 24-minute slots (rentcenter.ratelimit); 08:48 starts one.
    with time_machine.travel("2026-06-01 08:48 +08:00", tick=False) as clock:
        for _ in range(10):
            send()
            clock.shift(timedelta(hours=1))
        # 18:48; the first send (08:48) leaves the day tomorrow at 08:48.
        with pytest.raises(otp.SendRefused, match="请于 2026年6月2日 08:48 后再试"):
            send()
        clock.move_to("2026-06-02 08:47:59 +08:00")
        with pytest.raises(otp.SendRefused):
            send()
        clock.move_to("2026-06-02 08:48 +08:00")
        send()
    assert len(texts_to("+8613800138000")) == 11


def test_two_hundred_sends_per_address_per_hour_by_default(send, settings):
    """One address is an office or a carrier's gateway on opening day (issue #10, finding 6:
    20 an hour locked them out)."""
    assert settings.SMS_ADDRESS_LIMITS == ((200, 3600),)
    phones = [PhoneNumber.from_string(f"+86139{n:08d}") for n in range(201)]
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False):
        for phone in phones[:200]:
            send(phone=phone)
        with pytest.raises(otp.SendRefused, match="请于10:00后再试"):
            send(phone=phones[200])
    assert len(sms.outbox) == 200


def test_the_per_phone_limits_are_a_setting(send, settings):
    settings.SMS_PHONE_LIMITS = ((2, 60),)
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False):
        send()
        send()
        with pytest.raises(otp.SendRefused, match="发送过于频繁"):
            send()


def test_the_address_limit_is_a_setting(send, settings):
    settings.SMS_ADDRESS_LIMITS = ((20, 3600),)
    phones = [PhoneNumber.from_string(f"+86139{n:08d}") for n in range(21)]
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        for phone in phones[:20]:
            send(phone=phone)
        with pytest.raises(otp.SendRefused, match="请于10:00后再试"):
            send(phone=phones[20])
        # The refusal did not use up the phone's own allowance.
        send(phone=phones[20], address="10.0.0.2")
        clock.shift(timedelta(hours=1))
        send(phone=phones[0])


def test_refused_send_stores_and_texts_nothing(send):
    send()
    with pytest.raises(otp.SendRefused):
        send()
    assert SmsCode.objects.count() == 1
    assert len(texts_to("+8613800138000")) == 1


def test_retry_message_in_seconds_then_clock_time():
    now = beijing(2026, 6, 1, 9)
    with time_machine.travel(now, tick=False):
        assert otp.retry_message(now + timedelta(seconds=45)) == "发送过于频繁，请45秒后再试。"
        later = otp.retry_message(now + timedelta(minutes=30))
        assert later == "发送次数已达上限，请于09:30后再试。"
