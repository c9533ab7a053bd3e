import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_logs_out_with_post(client):
    client.force_login(make_user())
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_refuses_get(client):
    client.force_login(make_user())
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_anonymous_logout_is_harmless(client):
    assert client.post("/accounts/logout/").status_code == 302
