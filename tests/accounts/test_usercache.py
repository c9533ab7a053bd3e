"""A signed-in page without the database (accounts/usercache.py): the user and their plan
states from the cache, and every change of theirs shown on the next page."""

from datetime import timedelta

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import consent, usercache
from accounts.models import User
from applications import review
from applications.models import Registration
from applications.registration import register
from privacy.closure import close_account
from tests.factories import make_applicant, make_info, make_plan, make_staff

pytestmark = pytest.mark.django_db

HOME = "/"


@pytest.fixture(autouse=True)
def sessions_from_the_cache(settings):
    """As in production (with Redis): the session is read from the cache."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def plan():
    return make_plan()


@pytest.fixture
def applicant(plan):
    person = make_applicant()
    make_info(person, plan)
    return person


@pytest.fixture
def other_plan(plan):
    """A second plan, there before the first page (the page cache keeps the plans listed)."""
    return make_plan()


@pytest.fixture
def signed_in(client, applicant):
    client.force_login(applicant)
    client.get(HOME)  # the session's clock starts: its first write
    return client


def queries_of(client, url: str = HOME) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries], response.content.decode()


def registered(applicant: User, plan, django_capture_on_commit_callbacks) -> Registration:
    with django_capture_on_commit_callbacks(execute=True):
        outcome = register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    return outcome.registration


def test_a_signed_in_home_page_asks_the_database_nothing(
    other_plan, signed_in, applicant, django_assert_num_queries, django_capture_on_commit_callbacks
):
    make_info(applicant, other_plan)
    registered(applicant, other_plan, django_capture_on_commit_callbacks)
    signed_in.get(HOME)  # the first page after the registration reads the database once
    with django_assert_num_queries(0):
        html = signed_in.get(HOME).content.decode()
    # The page is theirs: their phone, the plan they submitted for, the one they registered in.
    assert applicant.masked_phone in html
    assert "立即登记" in html
    assert "已登记 · 查看配租记录" in html


def test_the_first_page_after_a_change_reads_the_database_once(signed_in, applicant):
    applicant.save()
    first, _ = queries_of(signed_in)
    assert any("accounts_user" in sql for sql in first)
    again, _ = queries_of(signed_in)
    assert again == []


def test_registering_shows_on_the_next_page(
    signed_in, plan, applicant, django_capture_on_commit_callbacks
):
    assert "立即登记" in queries_of(signed_in)[1]
    registered(applicant, plan, django_capture_on_commit_callbacks)
    assert "已登记 · 查看配租记录" in queries_of(signed_in)[1]


def test_registering_through_the_form_shows_on_the_next_page(signed_in, plan):
    assert "立即登记" in queries_of(signed_in)[1]
    response = signed_in.post(
        f"/plans/{plan.pk}/register/", {"offering": plan.plan_projects.get().pk}
    )
    assert response.status_code == 302
    assert "已登记 · 查看配租记录" in queries_of(signed_in)[1]


def test_a_staff_decision_shows_on_the_next_page(
    signed_in, plan, applicant, django_capture_on_commit_callbacks
):
    registration = registered(applicant, plan, django_capture_on_commit_callbacks)
    assert "已登记 · 查看配租记录" in queries_of(signed_in)[1]
    reviewer = make_staff()
    with django_capture_on_commit_callbacks(execute=True):
        review.decide(registration, decision="start_review", by=reviewer)
        review.decide(registration, decision="reject", by=reviewer, reason="社保缴纳月数不足")
    html = queries_of(signed_in)[1]
    assert "审核不通过" in html
    assert "不通过原因：社保缴纳月数不足" in html


def test_cancelling_shows_on_the_next_page(
    signed_in, plan, applicant, django_capture_on_commit_callbacks
):
    registration = registered(applicant, plan, django_capture_on_commit_callbacks)
    assert "已登记 · 查看配租记录" in queries_of(signed_in)[1]
    response = signed_in.post(f"/records/{registration.number}/cancel/")
    assert response.status_code == 302
    html = queries_of(signed_in)[1]
    assert "已登记" not in html
    assert "立即登记" in html


def test_submitting_a_form_shows_on_the_next_page(other_plan, signed_in, applicant):
    assert f"/plans/{other_plan.pk}/info/edit/" in queries_of(signed_in)[1]  # 填报信息
    make_info(applicant, other_plan)
    assert f'/plans/{other_plan.pk}/info/"' in queries_of(signed_in)[1]  # 查看填报信息


def test_a_page_read_before_the_commit_is_not_kept_after_it(
    signed_in, plan, applicant, django_capture_on_commit_callbacks
):
    """A request that reads the person while another's change is not yet committed keeps
    what it read under the version the commit then deletes."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
        queries_of(signed_in)  # reads and keeps the person (in the test: the new rows)
        assert queries_of(signed_in)[0] == []
    for callback in callbacks:
        callback()  # the commit
    assert queries_of(signed_in)[0] != []


def test_a_closed_account_is_signed_out(signed_in, applicant, django_capture_on_commit_callbacks):
    assert applicant.masked_phone in queries_of(signed_in)[1]
    with django_capture_on_commit_callbacks(execute=True):
        close_account(user=applicant, now=timezone.now())
    response = signed_in.get("/records/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_deactivated_account_is_signed_out(signed_in, applicant):
    assert applicant.masked_phone in queries_of(signed_in)[1]
    account = User.objects.get(pk=applicant.pk)
    account.is_active = False
    account.save()
    assert signed_in.get("/records/").status_code == 302


def test_a_new_phone_signs_out_the_other_sessions(signed_in, applicant):
    assert applicant.masked_phone in queries_of(signed_in)[1]
    account = User.objects.get(pk=applicant.pk)
    account.phone = "+8613912345678"
    account.save()
    assert signed_in.get("/records/").status_code == 302


def test_a_session_whose_hash_differs_is_not_signed_in_from_the_cache(signed_in, applicant):
    assert applicant.masked_phone in queries_of(signed_in)[1]
    session = signed_in.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    response = signed_in.get("/records/")
    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_a_new_secret_key_reads_no_entry_made_under_the_old_one(signed_in, applicant, settings):
    assert applicant.masked_phone in queries_of(signed_in)[1]
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert signed_in.get("/records/").status_code == 302  # no fallback: signed out


def test_staff_are_never_kept(client):
    staff = make_staff()
    client.force_login(staff)
    client.get(HOME)
    for _ in range(2):
        sql, _ = queries_of(client)
        assert any("accounts_user" in query for query in sql)
    assert cache.get(usercache.version_key(staff.pk)) is not None  # read, but no entry
    assert cache.get(usercache.entry_key(staff.pk)) is None


def test_the_entry_holds_no_password_and_no_encrypted_number(signed_in, applicant):
    entry = cache.get(usercache.entry_key(applicant.pk))
    assert entry["fields"]["phone"] == applicant.phone
    assert "password" not in entry["fields"]
    assert "id_number_encrypted" not in entry["fields"]
    assert applicant.password not in repr(entry)
    assert applicant.id_number_encrypted not in repr(entry)


def test_a_user_from_the_cache_loads_what_it_does_not_hold_when_asked(signed_in, applicant):
    session = signed_in.session
    request = type("Request", (), {"session": session})()
    user = usercache.get_user(request)
    assert user.person_cache is not None  # from the entry
    assert user.get_deferred_fields() == {"password", "id_number_encrypted"}
    assert user.id_number == applicant.id_number  # loaded now
    version = cache.get(usercache.version_key(applicant.pk))
    user.real_name = "李四"
    user.save()  # saves what it holds, and the entry is no longer current
    assert User.objects.get(pk=applicant.pk).password == applicant.password
    assert cache.get(usercache.version_key(applicant.pk)) not in (None, version)


def test_a_new_version_of_the_rules_is_asked_for_with_the_person_cached(
    signed_in, applicant, monkeypatch
):
    assert queries_of(signed_in)[0] == []
    second = consent.RulesVersion(2, timezone.localdate() + timedelta(days=1), "新版本。")
    monkeypatch.setattr(consent, "VERSIONS", (*consent.VERSIONS, second))
    response = signed_in.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/consent/")


def test_key_rotation_drops_the_entries(signed_in, applicant):
    from accounts import keys

    assert queries_of(signed_in)[0] == []
    keys.reencrypt_users()
    assert queries_of(signed_in)[0] != []
