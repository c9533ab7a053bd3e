"""Admin password logins are throttled (issue 10, finding 4): 5 wrong passwords within 15 minutes
lock the account, and separately the address, for 15 minutes; the login page says until when;
every failure is kept for audits; staff with the right can unlock in admin."""

import logging
from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.test import Client

from accounts import staff_login
from accounts.models import LoginFailure, LoginLockout
from tests.clock import MORNING, beijing
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

PASSWORD = "correct-horse-2026"
LOCKED = "密码错误次数过多"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    """Dozens of logins per test: a fast hasher, since what is under test is the counting."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser():
    return make_staff(phone="+8613800000000", password=PASSWORD, superuser=True)


def log_in(client: Client, phone: str, password: str, **headers):
    return client.post(
        "/admin/login/?next=/admin/", {"username": phone, "password": password}, **headers
    )


def test_25_wrong_passwords_then_the_right_one_does_not_log_in(client, superuser):
    for attempt in range(25):
        log_in(client, "13800000000", f"guess-{attempt}")
    response = log_in(client, "13800000000", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    # Locked at the fifth failure, 10:00, for 15 minutes; later tries did not prolong it.
    assert f"{LOCKED}，该账号或网络地址已暂停登录。请于 10:15（约 15 分钟后）再试" in page
    # The login form again, with the phone as typed.
    assert 'name="username"' in page
    assert 'value="13800000000"' in page


def test_four_wrong_passwords_do_not_lock(client, superuser):
    for attempt in range(4):
        assert log_in(client, "13800000000", f"guess-{attempt}").status_code == 200
    response = log_in(client, "13800000000", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/second-factor/")


def test_the_fifth_wrong_password_already_says_locked(client, superuser):
    for attempt in range(4):
        assert LOCKED not in log_in(client, "13800000000", f"guess-{attempt}").content.decode()
    response = log_in(client, "13800000000", "guess-5")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_lock_lifts_after_15_minutes(client, superuser, time_machine):
    for attempt in range(5):
        log_in(client, "13800000000", f"guess-{attempt}")
    time_machine.move_to(MORNING + timedelta(minutes=14, seconds=59), tick=False)
    assert log_in(client, "13800000000", PASSWORD).status_code == 429
    time_machine.move_to(MORNING + timedelta(minutes=15, seconds=1), tick=False)
    response = log_in(client, "13800000000", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)


def test_the_time_is_rounded_up_to_the_minute(client, superuser, time_machine):
    time_machine.move_to(beijing(2026, 6, 1, 23, 50, 20), tick=False)
    for attempt in range(5):
        log_in(client, "13800000000", f"guess-{attempt}")
    page = log_in(client, "13800000000", PASSWORD).content.decode()
    assert "请于 00:06（约 15 分钟后）再试" in page


def test_the_phone_written_another_way_is_the_same_account(client, superuser):
    for typed in [
        "13800000000",
        "138 0000 0000",
        "+86 138-0000-0000",
        "+8613800000000",
        "138-0000-0000",
    ]:
        log_in(client, typed, "wrong")
    assert log_in(client, "13800000000", PASSWORD).status_code == 429


def test_the_account_stays_locked_from_another_address(superuser):
    for attempt in range(5):
        log_in(Client(REMOTE_ADDR="203.0.113.7"), "13800000000", f"guess-{attempt}")
    response = log_in(Client(REMOTE_ADDR="198.51.100.20"), "13800000000", PASSWORD)
    assert response.status_code == 429


def test_one_address_guessing_across_accounts_is_locked(superuser):
    for n in range(5):
        make_staff(phone=f"+861380000010{n}", password=PASSWORD)
        log_in(Client(REMOTE_ADDR="203.0.113.7"), f"1380000010{n}", "guess")
    locked = log_in(Client(REMOTE_ADDR="203.0.113.7"), "13800000000", PASSWORD)
    assert locked.status_code == 429
    # The same account from another address is not locked: only that address is.
    other = log_in(Client(REMOTE_ADDR="198.51.100.20"), "13800000000", PASSWORD)
    assert other.status_code == 302


def test_behind_nginx_the_address_is_the_one_nginx_appended(settings, superuser):
    """A guesser cannot dodge the address lock by making up X-Forwarded-For entries."""
    settings.TRUST_X_FORWARDED_FOR = True
    for n in range(5):
        make_staff(phone=f"+861380000010{n}", password=PASSWORD)
        forwarded = f"10.0.0.{n}, 203.0.113.7"  # the first entry is the client's own word
        log_in(Client(), f"1380000010{n}", "guess", HTTP_X_FORWARDED_FOR=forwarded)
    locked = log_in(Client(), "13800000000", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert locked.status_code == 429
    elsewhere = log_in(Client(), "13800000000", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert elsewhere.status_code == 302


def test_every_failure_is_kept_with_whether_it_locked(client, superuser, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.staff_login"):
        for attempt in range(6):
            log_in(client, "13800000000", f"guess-{attempt}")
    failures = LoginFailure.objects.order_by("pk")
    assert [failure.locked_out for failure in failures] == [False] * 4 + [True]
    assert {failure.username for failure in failures} == {"+8613800000000"}
    # The sixth, refused without a look at the password, is in the application log.
    assert f"admin login refused by the lockout: user {superuser.pk}, address 127.0.0.1" in (
        caplog.text
    )
    assert "guess" not in caplog.text


def test_a_password_typed_as_the_phone_stays_out_of_the_log(client, superuser, caplog):
    with caplog.at_level(logging.WARNING):
        for _ in range(6):
            log_in(client, PASSWORD, PASSWORD)
    assert PASSWORD not in caplog.text
    assert "(no such account)" in caplog.text


def test_staff_see_lockouts_in_admin_and_unlock(client, superuser):
    locked_out = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(5):
        log_in(locked_out, "13800000000", f"guess-{attempt}")
    admin = make_staff(superuser=True)
    client.force_login(admin)
    page = client.get("/admin/accounts/loginlockout/").content.decode()
    assert "+8613800000000" in page
    assert "锁定至 10:15" in page
    failures = client.get("/admin/accounts/loginfailure/").content.decode()
    assert "203.0.113.7" in failures

    lockout = LoginLockout.objects.get()
    response = client.post(
        "/admin/accounts/loginlockout/",
        {"action": "unlock", "_selected_action": [lockout.pk]},
        follow=True,
    )
    assert "已解除 1 个登录锁定。" in response.content.decode()
    assert not LoginLockout.objects.exists()
    assert LogEntry.objects.filter(user=admin, action_flag=DELETION).exists()
    assert log_in(locked_out, "13800000000", PASSWORD).status_code == 302
    # The audit trail stays.
    assert LoginFailure.objects.count() == 5


def test_lockout_pages_are_read_only(client):
    client.force_login(make_staff(superuser=True))
    assert client.get("/admin/accounts/loginlockout/add/").status_code == 403
    assert client.get("/admin/accounts/loginfailure/add/").status_code == 403


def test_plan_managers_do_not_see_lockouts(client):
    client.force_login(make_staff(group="配租管理员"))
    assert client.get("/admin/accounts/loginlockout/").status_code == 403


def test_applicants_sms_login_is_not_counted(client, superuser):
    """Applicants log in with SMS codes, not passwords: nothing of theirs reaches axes."""
    for attempt in range(5):
        log_in(client, "13800000000", f"guess-{attempt}")
    assert client.get("/accounts/login/").status_code == 200
    assert LoginFailure.objects.count() == 5


def test_a_lockout_anywhere_but_the_admin_login_page_is_told_in_plain_text(rf):
    """axes' hook for any other login that calls authenticate(): the same sentence, 429."""
    request = rf.post("/elsewhere/", {"username": "13800000000"})
    response = staff_login.lockout_response(request, None, {"username": "13800000000"})
    assert response.status_code == 429
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "密码错误次数过多，该账号或网络地址已暂停登录。请于 10:15（约 15 分钟后）再试" in (
        response.content.decode()
    )
