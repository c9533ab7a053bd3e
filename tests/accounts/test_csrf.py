"""Every form post needs the CSRF token (the account pages are all POST-then-redirect)."""

import pytest
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

ANONYMOUS_POSTS = [
    "/accounts/login/",
    "/accounts/login/send-code/",
    "/accounts/login/create/",
    "/accounts/register/",
    "/accounts/register/send-code/",
    "/accounts/logout/",
]
SIGNED_IN_POSTS = [
    "/accounts/profile/real-name/",
    "/accounts/profile/phone/",
    "/accounts/profile/phone/send-code/",
    "/accounts/logout/",
]


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_anonymous_posts_need_the_token(url):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {"phone": "13800138000"}).status_code == 403


@pytest.mark.parametrize("url", SIGNED_IN_POSTS)
def test_signed_in_posts_need_the_token(url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    assert client.post(url, {"phone": "13900139000"}).status_code == 403


def test_a_post_with_the_token_goes_through():
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/login/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_htmx_sends_the_token_in_a_header():
    # static/js/site.js copies the csrftoken cookie into this header for htmx posts.
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/send-code/",
        {"phone": "13800138000"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
