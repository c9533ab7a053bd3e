"""/metrics for Prometheus (rentcenter/metrics.py): off by default, only with the bearer token,
answered before the host check, and harmless to the page cache and the security headers."""

import pytest
from django.test import Client, override_settings

from rentcenter.metrics import registrations_created
from tests.factories import make_applicant, make_info, make_plan, make_project
from tests.rentcenter.test_settings import DEVELOPMENT, PRODUCTION, run_settings

pytestmark = pytest.mark.django_db

TOKEN = "m" * 40
BEFORE = "django_prometheus.middleware.PrometheusBeforeMiddleware"
AFTER = "django_prometheus.middleware.PrometheusAfterMiddleware"


@pytest.fixture
def enabled(settings):
    """The middleware METRICS_ENABLED=1 adds (settings.py), on a fresh client."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(0, BEFORE)
    middleware.insert(middleware.index("rentcenter.health.ProbeMiddleware") + 1,
                      "rentcenter.metrics.MetricsMiddleware")  # fmt: skip
    middleware.insert(middleware.index("axes.middleware.AxesMiddleware"), AFTER)
    with override_settings(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN, MIDDLEWARE=middleware):
        yield Client()


def scrape(client: Client, token: str | None = TOKEN, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get("/metrics", headers=headers)


def test_off_by_default_there_is_no_such_page(client):
    assert client.get("/metrics").status_code == 404
    assert scrape(client).status_code == 404


def test_the_scraper_with_the_token_reads_the_counts(enabled):
    enabled.get("/accounts/login/")
    response = scrape(enabled)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in text
    assert 'view="accounts:login"' in text
    assert "rentcenter_registrations_created_total" in text


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_without_the_token_it_is_refused(enabled, token):
    response = scrape(enabled, token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"django_http" not in response.content


def test_a_basic_header_with_the_token_is_refused(enabled):
    response = enabled.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert response.status_code == 401


def test_only_get(enabled):
    response = enabled.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


def test_answered_whatever_host_the_scraper_names(enabled):
    """Prometheus scrapes each worker by its container name, not a name in ALLOWED_HOSTS."""
    assert scrape(enabled, HTTP_HOST="web-2:8000").status_code == 200


def test_cached_public_pages_are_unchanged(enabled, client):
    """The counting middleware touch no cookie, header or session: the anonymous home page is
    still answered from the cache, public, without a cookie, with its policy headers."""
    make_plan(projects=[make_project()])
    without = client.get("/")
    enabled.get("/")
    cached = enabled.get("/")
    assert cached.status_code == 200
    assert cached["Cache-Control"] == without["Cache-Control"]
    assert cached["Cache-Control"].startswith("public")
    assert "ETag" in cached
    assert not cached.cookies
    assert cached["Vary"] == without["Vary"]
    assert cached["Content-Security-Policy"] == without["Content-Security-Policy"]
    repeat = enabled.get("/", headers={"If-None-Match": cached["ETag"]})
    assert repeat.status_code == 304


def test_registrations_are_counted_once_committed(client, django_capture_on_commit_callbacks):
    applicant = make_applicant()
    plan = make_plan(projects=[make_project()])
    make_info(applicant, plan)
    client.force_login(applicant)
    before = registrations_created._value.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/plans/{plan.pk}/register/", {"offering": plan.plan_projects.get().pk}
        )
        assert registrations_created._value.get() == before  # not before the commit
    assert response.status_code == 302
    assert registrations_created._value.get() == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/plans/{plan.pk}/register/", {"offering": plan.plan_projects.get().pk})
    assert registrations_created._value.get() == before + 1  # the second press creates nothing


CHECK = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.MIDDLEWARE.index('django_prometheus.middleware.PrometheusBeforeMiddleware'), "
    "s.MIDDLEWARE[-2].rsplit('.', 1)[1], s.MIDDLEWARE[-1].rsplit('.', 1)[1])"
)


def test_the_setting_adds_the_middleware_and_needs_a_token(tmp_path):
    on = run_settings(tmp_path, CHECK, **PRODUCTION, METRICS_ENABLED="1", METRICS_TOKEN=TOKEN)
    assert on.stdout.split() == ["0", "PrometheusAfterMiddleware", "AxesMiddleware"], on.stderr
    short = run_settings(tmp_path, CHECK, **DEVELOPMENT, METRICS_ENABLED="1", METRICS_TOKEN="x")
    assert "METRICS_ENABLED needs METRICS_TOKEN" in short.stderr
    missing_dir = run_settings(
        tmp_path, CHECK, **DEVELOPMENT, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "nowhere")
    )
    assert "PROMETHEUS_MULTIPROC_DIR must be an existing directory" in missing_dir.stderr
