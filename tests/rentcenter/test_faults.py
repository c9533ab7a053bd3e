"""Faults the site survives (README, "Faults it survives"), against the live server:

- Redis restarts: /readyz answers 503 meanwhile, pages answer the Chinese 503 page, and the site
  recovers without a restart when Redis is back; nothing committed to PostgreSQL is lost.
- PostgreSQL restarts during a burst of registrations (a TCP proxy between Django and PostgreSQL
  is cut, then restored): every failure is the Chinese 503 page with Retry-After, never a 500
  trace; connections recover; every registration that answered 登记成功 is in the table.

They need PostgreSQL (SQLite has no server to lose) and Debian's redis-server.
"""

import re
import secrets
import shutil
import threading
import time
from collections import deque

import pytest
from django.db import close_old_connections, connection, connections
from django.test import Client, override_settings
from django.urls import reverse

from applications.models import Registration
from rentcenter import pagecache
from tests.conftest import on_postgres
from tests.factories import make_applicant, make_info, make_plan, make_project
from tests.faults import Browser, RedisServer, TcpProxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not on_postgres(), reason="fault tests restart PostgreSQL and Redis: set DATABASE_URL"
    ),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server"),
]

# 登记成功, or, for an applicant whose earlier attempt was committed though its answer was the
# outage page, their record (您已登记该计划).
REGISTERED = re.compile(r"/records/([^/]+)/(?:registered/)?$")
CSRF = secrets.token_hex(16)  # a 32-character secret: the cookie and the form field


def wait_for(condition, *, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "did not recover in time"
        time.sleep(0.1)


def applicant_browser(live_server, applicant) -> Browser:
    """The live server's browser signed in as `applicant` (a session made by the test client)."""
    client = Client()
    client.force_login(applicant)
    browser = Browser(live_server.url)
    browser.set_cookie("sessionid", client.cookies["sessionid"].value)
    browser.set_cookie("csrftoken", CSRF)
    return browser


def post_registration(browser: Browser, plan, offering) -> tuple[str, str | None]:
    """立即登记 → 确认登记 as the form posts it: ("ok", number), ("503", None) or a failure."""
    answer = browser.request(
        reverse("applications:register", args=[plan.pk]),
        {"csrfmiddlewaretoken": CSRF, "offering": offering.pk},
    )
    if answer.status == 302:
        match = REGISTERED.search(answer.headers.get("Location", ""))
        assert match, answer.headers
        return "ok", match.group(1)
    assert answer.status == 503, (
        answer.status,
        answer.headers.get("Location"),
        answer.body[-3000:],
    )
    assert answer.headers["Retry-After"] == "30"
    assert "系统繁忙，请稍后再试" in answer.body
    assert "Traceback" not in answer.body
    return "503", None


@pytest.fixture
def plan_with_applicants(transactional_db):
    plan = make_plan(projects=[make_project(name="望京锦苑")])
    applicants = [make_applicant() for _ in range(24)]
    for applicant in applicants:
        make_info(applicant, plan)
    return plan, plan.plan_projects.get(), applicants


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    caches = {
        "default": {
            "BACKEND": "rentcenter.cache.SharedRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "faults",
        }
    }
    # As in production: the page cache, the rate limits and the sessions on Redis.
    with override_settings(
        CACHES=caches, SESSION_ENGINE="django.contrib.sessions.backends.cached_db"
    ):
        yield server
    server.kill()
    pagecache.forget_local()


def test_redis_restarting_answers_503_then_recovers_without_a_restart(
    live_server, redis_server, plan_with_applicants
):
    plan, offering, applicants = plan_with_applicants
    visitor = Browser(live_server.url)
    assert visitor.request("/readyz").status == 200
    assert visitor.request("/").status == 200
    first = applicant_browser(live_server, applicants[0])
    second = applicant_browser(live_server, applicants[1])
    outcome, number = post_registration(first, plan, offering)
    assert outcome == "ok"

    redis_server.kill()
    pagecache.forget_local()  # what the worker read from Redis in the last second
    ready = visitor.request("/readyz")
    assert ready.status == 503
    assert "cache" in ready.body
    home = visitor.request("/")
    assert home.status == 503
    assert home.headers["Retry-After"] == "30"
    assert "系统繁忙，请稍后再试" in home.body
    assert "请重新获取验证码" in home.body  # codes in flight are gone with Redis
    assert visitor.request("/accounts/login/").status in {200, 503}  # never a 500
    # A registration meanwhile is refused cleanly, or goes through to PostgreSQL.
    during, during_number = post_registration(second, plan, offering)

    redis_server.start()  # empty, as a restarted cache-only Redis is
    wait_for(lambda: visitor.request("/readyz").status == 200)
    assert visitor.request("/").status == 200
    if during == "503":
        during, during_number = post_registration(second, plan, offering)
    assert during == "ok"
    # Nothing committed to PostgreSQL was lost with Redis.
    assert set(Registration.objects.values_list("number", flat=True)) == {number, during_number}


@pytest.fixture
def database_proxy(transactional_db):
    """Every new database connection goes through a proxy to PostgreSQL, persistent and
    health-checked as in production (DATABASE_CONN_MAX_AGE, CONN_HEALTH_CHECKS)."""
    database = connections.settings["default"]  # the dict every new connection reads
    original = {
        key: database.get(key) for key in ("HOST", "PORT", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    }
    proxy = TcpProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)).start()
    connections.close_all()
    database.update(
        HOST="127.0.0.1", PORT=str(proxy.port), CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True
    )
    yield proxy
    connections.close_all()
    database.update(original)
    proxy.stop()


def test_a_persistent_connection_recovers_after_postgresql_restarts(database_proxy):
    """The worker's kept connection is dead after the restart; the health check at the next
    request's start notices and reconnects, so no worker needs a restart."""
    from django.core.signals import request_finished, request_started

    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    request_finished.send(sender=None)
    database_proxy.cut()
    database_proxy.restore()
    request_started.send(sender=None)  # close_old_connections: health checks are due again
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    request_finished.send(sender=None)


def test_postgresql_restarting_during_a_burst_of_registrations(
    live_server, database_proxy, plan_with_applicants
):
    plan, offering, applicants = plan_with_applicants
    browsers = {a.pk: applicant_browser(live_server, a) for a in applicants}
    close_old_connections()
    waiting = deque(a.pk for a in applicants)
    lock = threading.Lock()
    succeeded: dict[int, str] = {}
    refused: list[int] = []
    failures: list[BaseException] = []

    def register_until_done() -> None:
        while True:
            with lock:
                if not waiting:
                    return
                applicant_id = waiting.popleft()
            try:
                outcome, number = post_registration(browsers[applicant_id], plan, offering)
            except BaseException as error:  # the test reports it
                failures.append(error)
                return
            with lock:
                if outcome == "ok":
                    succeeded[applicant_id] = number
                else:
                    refused.append(applicant_id)
                    waiting.append(applicant_id)  # the applicant tries again later
            if outcome != "ok":
                time.sleep(0.2)

    threads = [threading.Thread(target=register_until_done) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(succeeded) >= 4 or failures, seconds=60)
    database_proxy.cut()  # PostgreSQL goes away in the middle of the burst
    wait_for(lambda: len(refused) >= 3 or failures or not waiting, seconds=30)
    database_proxy.restore()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert refused, "the restart reached no request"
    assert len(succeeded) == len(applicants)  # everyone got through after the restart
    stored = dict(Registration.objects.values_list("applicant_id", "number"))
    assert stored == succeeded  # every 登记成功 is in the table, and nothing else
