"""单独同意 (个人信息保护法 art. 29): before 实名认证 processes the ID number for the first time,
基本信息 asks for a separate consent naming exactly the sensitive information; without it
nothing of the number is looked at."""

from unittest import mock

import pytest
from django.core.cache import cache

from accounts import consent, realname
from accounts.models import Consent
from tests.factories import make_plan, make_user

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"


@pytest.fixture
def newcomer():
    """Signed up (the rules agreed to), the separate consent not given yet."""
    user = make_user(consented=False)
    consent.record(user=user, kinds=[consent.Kind.RULES], address=None)
    return user


def test_profile_asks_for_the_separate_consent_before_the_real_name_form(client, newcomer):
    client.force_login(newcomer)
    page = client.get("/accounts/profile/").content.decode()
    assert "实名认证前，请单独同意处理以下敏感个人信息" in page
    for item, purpose in consent.SENSITIVE_ITEMS:
        assert item in page
        assert purpose in page
    assert "我单独同意平台为上述目的处理上述敏感个人信息" in page
    assert 'name="sensitive"' in page
    assert "checked" not in page.split('name="sensitive"')[1].split(">")[0]
    assert 'name="id_number"' not in page  # the real-name form comes after


def test_posting_a_number_without_the_consent_processes_nothing(client, newcomer):
    client.force_login(newcomer)
    with (
        mock.patch.object(realname, "get_verifier") as verifier,
        mock.patch("accounts.views.RealNameForm") as form,
    ):
        response = client.post(
            "/accounts/profile/real-name/", {"real_name": "王小明", "id_number": NUMBER}
        )
    assert response["Location"] == "/accounts/profile/#sensitive-consent"
    form.assert_not_called()  # the number was not even read
    verifier.assert_not_called()
    newcomer.refresh_from_db()
    assert not newcomer.has_real_name
    assert newcomer.id_number_encrypted == ""
    assert cache.get(f"realname:{newcomer.pk}") is None
    page = client.get(response["Location"]).content.decode()
    assert realname.consent_needed_message() in page


def test_the_real_name_function_refuses_without_the_consent(newcomer):
    with (
        mock.patch.object(realname, "get_verifier") as verifier,
        pytest.raises(realname.RealNameRefused) as refused,
    ):
        realname.verify_real_name(user=newcomer, name="王小明", id_number=NUMBER)
    assert refused.value.message == realname.consent_needed_message()
    verifier.assert_not_called()
    newcomer.refresh_from_db()
    assert newcomer.id_number_digest is None


def test_the_box_must_be_ticked(client, newcomer):
    client.force_login(newcomer)
    page = client.post("/accounts/profile/consent/", {}).content.decode()
    assert "请勾选单独同意，否则无法进行实名认证和信息填报。" in page
    assert not newcomer.consents.filter(kind="sensitive").exists()


def test_the_consent_is_recorded_and_the_real_name_follows(client, newcomer, now):
    client.force_login(newcomer)
    response = client.post(
        "/accounts/profile/consent/",
        {"sensitive": "on", "next": "/plans/1/info/"},
        REMOTE_ADDR="192.0.2.44",
    )
    assert response["Location"] == "/accounts/profile/?next=%2Fplans%2F1%2Finfo%2F#real-name"
    given = newcomer.consents.get(kind=Consent.Kind.SENSITIVE)
    assert (given.version, given.given_at, given.address) == (1, now, "192.0.2.44")
    page = client.get("/accounts/profile/?next=/plans/1/info/").content.decode()
    assert 'name="id_number"' in page
    response = client.post(
        "/accounts/profile/real-name/",
        {"real_name": "王小明", "id_number": NUMBER, "next": "/plans/1/info/"},
    )
    assert response["Location"] == "/plans/1/info/"
    newcomer.refresh_from_db()
    assert newcomer.has_real_name


def test_the_information_filling_needs_the_real_name_and_so_the_consent(client, newcomer):
    """Document photos and household members are asked for on 信息填报, which needs the real
    name (real_name_required), which needs the separate consent: none of them comes first."""
    plan = make_plan()
    client.force_login(newcomer)
    for url in (f"/plans/{plan.pk}/info/edit/", f"/plans/{plan.pk}/info/documents/"):
        response = client.post(url) if url.endswith("documents/") else client.get(url)
        assert response["Location"].startswith("/accounts/profile/"), url
