from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.utils import OperationalError


def test_healthz_answers_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_while_the_database_is_down(client, db):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        assert client.get("/healthz").status_code == 200


def test_readyz_answers_when_database_and_cache_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_fails_when_the_database_is_down(client, db):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"unavailable: database"


def test_readyz_fails_when_the_cache_is_down(client, db):
    with mock.patch.object(cache, "set", side_effect=ConnectionError("refused")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"unavailable: cache"


def test_readyz_fails_when_the_cache_forgets_what_it_was_told(client, db):
    with mock.patch.object(cache, "get", return_value=None):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"unavailable: cache"


def test_readyz_names_both_when_both_are_down(client, db):
    with (
        mock.patch.object(connection, "cursor", side_effect=OperationalError("down")),
        mock.patch.object(cache, "set", side_effect=ConnectionError("refused")),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"unavailable: database, cache"


def test_probes_refuse_post(client, db):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_whatever_the_host_and_scheme(client, settings, path):
    """Load balancers probe workers by address over plain HTTP."""
    settings.ALLOWED_HOSTS = ["zl.example.cn"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(path, HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok"
