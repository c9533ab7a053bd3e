"""告知与同意 (accounts/consent.py): a signed-in applicant agrees to the current 个人信息处理规则
before going on, and again when a new version is published; the answer lives in the session."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from accounts import consent
from accounts.middleware import ConsentMiddleware
from accounts.models import Consent
from plans.views import home
from tests.factories import make_applicant, make_staff, make_user

pytestmark = pytest.mark.django_db

SECOND = consent.RulesVersion(2, date(2027, 1, 1), "新增了保存期限的说明。")


@pytest.fixture
def publish(monkeypatch):
    """Publishes the rules of version 2 when called (their text: version 1's, for the test)."""

    def new_version() -> None:
        monkeypatch.setattr(consent, "VERSIONS", (*consent.VERSIONS, SECOND))
        monkeypatch.setattr(
            consent.RulesVersion, "template", property(lambda v: "privacy/rules/v1.html")
        )

    return new_version


def test_an_applicant_who_never_agreed_is_asked_first_and_comes_back(client):
    applicant = make_user(consented=False)
    client.force_login(applicant)
    response = client.get("/records/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/consent/?next=%2Frecords%2F"
    page = client.get(response["Location"]).content.decode()
    assert "请阅读并同意个人信息处理规则" in page
    assert 'href="/privacy/rules/"' in page
    # A verified real name is not there yet: only the rules are asked for.
    assert "敏感个人信息单独同意" not in page
    response = client.post("/accounts/consent/", {"rules": "on", "next": "/records/"})
    assert response["Location"] == "/records/"
    assert client.get("/records/").status_code == 200
    assert applicant.consents.get().kind == Consent.Kind.RULES


def test_the_box_must_be_ticked(client):
    client.force_login(make_user(consented=False))
    page = client.post("/accounts/consent/", {"next": "/records/"}).content.decode()
    assert "请阅读《个人信息处理规则》并勾选同意。" in page
    assert not Consent.objects.exists()


def test_a_new_version_asks_again_at_the_next_visit(client, publish):
    applicant = make_user()  # agreed to version 1 at sign-up
    publish()
    client.force_login(applicant)
    response = client.get("/records/")
    assert response["Location"].startswith("/accounts/consent/")
    page = client.get(response["Location"]).content.decode()
    assert "个人信息处理规则已更新" in page
    assert "新增了保存期限的说明。" in page
    client.post("/accounts/consent/", {"rules": "on"})
    assert client.get("/records/").status_code == 200
    versions = list(applicant.consents.filter(kind="rules").values_list("version", flat=True))
    assert versions == [1, 2]


def test_a_session_settled_before_the_new_version_is_asked_again(client, publish):
    client.force_login(make_user())
    assert client.get("/records/").status_code == 200
    publish()
    assert client.get("/records/")["Location"].startswith("/accounts/consent/")


def test_an_applicant_with_a_real_name_also_gives_the_separate_consent_again(client, publish):
    applicant = make_applicant()
    publish()
    client.force_login(applicant)
    page = client.get("/accounts/consent/").content.decode()
    assert "敏感个人信息单独同意" in page
    for item, _purpose in consent.SENSITIVE_ITEMS:
        assert item in page
    refused = client.post("/accounts/consent/", {"rules": "on"}).content.decode()
    assert "请勾选单独同意" in refused
    assert not applicant.consents.filter(version=2).exists()
    client.post("/accounts/consent/", {"rules": "on", "sensitive": "on"})
    kinds = set(applicant.consents.filter(version=2).values_list("kind", flat=True))
    assert kinds == {"rules", "sensitive"}


def test_staff_are_not_asked(client, publish):
    staff = make_staff()
    publish()
    client.force_login(staff)
    assert client.get("/records/").status_code == 200
    assert client.session[consent.SESSION_KEY] == consent.STAFF


@pytest.mark.parametrize(
    "url",
    ["/privacy/rules/", "/privacy/my-data/", "/privacy/close/", "/accounts/consent/"],
)
def test_the_rules_and_the_rights_need_no_agreement(client, publish, url):
    client.force_login(make_user())
    publish()
    assert client.get(url).status_code == 200


def test_a_form_posted_as_the_rules_change_is_not_lost(client, publish):
    """Only pages being opened are held back: a post goes through, the next page asks."""
    client.force_login(make_user())
    publish()
    response = client.post("/accounts/profile/consent/", {"sensitive": "on"})
    assert response.status_code == 302
    assert "/accounts/profile/" in response["Location"]


def test_htmx_is_sent_to_the_page_that_asks(client, publish):
    client.force_login(make_user())
    publish()
    response = client.get(
        "/records/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/consent/?next=%2F"


def test_login_puts_the_answer_in_the_session(client):
    client.force_login(make_user())
    assert client.session[consent.SESSION_KEY] == consent.current().number
    client.logout()
    client.force_login(make_user(consented=False))
    assert consent.SESSION_KEY not in client.session


def test_a_settled_session_costs_no_query(django_assert_num_queries):
    """The check on every signed-in page reads the session only, not even the user."""
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session["_auth_user_id"] = "1"
    request.session[consent.SESSION_KEY] = consent.current().number
    request.user = SimpleLazyObject(lambda: pytest.fail("the user was loaded"))
    middleware = ConsentMiddleware(lambda r: HttpResponse())
    with django_assert_num_queries(0):
        assert middleware.process_view(request, home, (), {}) is None


def test_anonymous_visitors_are_not_asked(client):
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    assert ConsentMiddleware(lambda r: HttpResponse()).process_view(request, home, (), {}) is None


def test_agreeing_on_the_page_when_nothing_is_missing_goes_on(client):
    client.force_login(make_user())
    response = client.get("/accounts/consent/?next=/records/")
    assert response["Location"] == "/records/"


def test_records_the_address(client):
    applicant = make_user(consented=False)
    client.force_login(applicant)
    client.post("/accounts/consent/", {"rules": "on"}, REMOTE_ADDR="198.51.100.7")
    assert applicant.consents.get().address == "198.51.100.7"


@pytest.mark.parametrize("back", ["records", "' OR '1'='1' --", "//evil.example/"])
def test_going_on_never_leaves_for_a_made_up_address(client, back):
    """Found by the bad-input tests: a `next` that is no path was taken for a URL's name (500)."""
    client.force_login(make_user())
    assert client.get("/accounts/consent/", {"next": back})["Location"] == "/"
