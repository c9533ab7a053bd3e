"""Server CPU per request, in process: what issue 20's goals are written in.

Each figure is time.process_time() over many requests handed straight to Django's WSGI handler
(no test client, no template instrumentation, DEBUG off as in production), divided by their
number, with the SQL queries and Redis round trips of one request, and the ratio to /healthz
measured the same way in the same run. Run it against PostgreSQL and Redis (DATABASE_URL,
REDIS_URL) for the production figures: on SQLite and a local-memory cache the round trips
cost nothing and the figures flatter the database pages.

确认登记 is measured twice: the request alone (its tasks queued and left: what the web worker
spends), then with the work it queues done in the same process (the text sent, and the record
PDF rendered ahead when RECORD_PDF_AHEAD is on), which is what the machine spends in all.
"""

import io
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

ROUNDS = 3  # the best of three: the machine is shared, and interference only adds time
CHEAP = 400  # requests a round for pages that take a millisecond or less
DUMMY_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.dummy.DummyBackend",
        "QUEUES": ["high", "default"],
    }
}
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["high", "default"],
    }
}


class Browser:
    """A cookie jar in front of the WSGI handler: the requests a browser would make, without
    django.test.Client's bookkeeping (which costs more than a cached page)."""

    def __init__(self, handler: WSGIHandler) -> None:
        self.handler = handler
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, bytes]:
        body = urlencode(data or {}).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status = []

        def start_response(line: str, headers: list[tuple[str, str]], exc_info=None) -> None:
            status.append(int(line.split()[0]))
            for name, value in headers:
                if name.lower() == "set-cookie":
                    for morsel in SimpleCookie(value).values():
                        if morsel["max-age"] == "0" or not morsel.value:
                            self.cookies.pop(morsel.key, None)
                        else:
                            self.cookies[morsel.key] = morsel.value

        response = self.handler(environ, start_response)
        try:
            content = b"".join(response)
        finally:
            response.close()
        return status[0], content


class RedisTrips:
    """Counts commands sent to Redis (a pipeline is one round trip)."""

    def __init__(self) -> None:
        self.count = 0

    @contextmanager
    def counting(self) -> Iterator["RedisTrips"]:
        try:
            from redis.connection import AbstractConnection
        except ImportError:
            yield self
            return
        original = AbstractConnection.send_packed_command

        def send(conn, command, check_health=True):
            self.count += 1
            return original(conn, command, check_health)

        AbstractConnection.send_packed_command = send
        try:
            yield self
        finally:
            AbstractConnection.send_packed_command = original


@contextmanager
def production_like() -> Iterator[None]:
    """DEBUG off (no query log, no debug pages) and templates rendered without the test
    environment's instrumentation, as gunicorn's workers run them."""
    from django.test import utils

    utils.teardown_test_environment()
    try:
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["127.0.0.1"]):
            yield
    finally:
        utils.setup_test_environment()


def server_pids() -> dict[str, int]:
    """The processes that serve this one on this machine: its PostgreSQL backend (its own) and
    the Redis server (shared with whatever else uses it, so its figure is an upper bound)."""
    pids = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids["PostgreSQL"] = cursor.fetchone()[0]
    if settings.REDIS_URL:
        from django.core.cache import cache

        pids["Redis"] = cache._cache.get_client().info("server")["process_id"]
    return pids


def _on_cpu_ms(pid: int) -> float:
    """Milliseconds the process has run on a CPU (the scheduler's count, in nanoseconds)."""
    try:
        return int(open(f"/proc/{pid}/schedstat").read().split()[0]) / 1e6
    except OSError:  # not on this machine, or not Linux
        return 0.0


@dataclass
class Cpu:
    app: float  # this process, CPU-ms per request
    servers: dict[str, float]  # PostgreSQL and Redis, CPU-ms per request

    @property
    def all_in(self) -> float:
        return self.app + sum(self.servers.values())


def cpu_ms(step: Callable[[], None], count: int) -> Cpu:
    """The best of ROUNDS rounds of `count` calls: CPU milliseconds per call, here and in the
    servers it talked to."""
    return cpu_ms_of_rounds(lambda: [step] * count)


def cpu_ms_of_rounds(prepare: Callable[[], list[Callable[[], None]]]) -> Cpu:
    """The best of ROUNDS rounds, each of the calls `prepare` gives (prepared untimed)."""
    pids = server_pids()
    best: Cpu | None = None
    for _ in range(ROUNDS):
        steps = prepare()
        count = len(steps)
        servers = {name: _on_cpu_ms(pid) for name, pid in pids.items()}
        started = time.process_time()
        for step in steps:
            step()
        app = (time.process_time() - started) * 1000 / count
        servers = {
            name: (_on_cpu_ms(pids[name]) - before) / count for name, before in servers.items()
        }
        if best is None or app < best.app:
            best = Cpu(app, servers)
    return best


def trips(step: Callable[[], None]) -> tuple[int, int]:
    """SQL queries and Redis round trips of one call."""
    redis = RedisTrips()
    with CaptureQueriesContext(connection) as queries, redis.counting():
        step()
    if os.environ.get("BENCH_SQL"):  # BENCH_SQL=1: which queries they are
        for query in queries:
            print("    ", query["sql"][:160])
    return len(queries), redis.count


def report(name: str, cpu: Cpu, counts: tuple[int, int], healthz: Cpu) -> None:
    servers = "  ".join(f"{name} {ms:6.3f}" for name, ms in cpu.servers.items())
    ratio = cpu.all_in / healthz.all_in
    print(
        f"{name:<28} app {cpu.app:7.3f} (÷ /healthz {cpu.app / healthz.app:6.1f})  "
        f"{servers}  all-in {cpu.all_in:7.3f} CPU-ms (÷ /healthz {ratio:6.1f})"
        f"   {counts[0]:>2} SQL {counts[1]:>2} Redis"
    )


def run() -> None:
    from benchmarks.__main__ import empty_caches
    from tests.factories import make_applicant, make_info, make_plan, make_project

    projects = [make_project() for _ in range(3)]
    open_plan = make_plan(projects=projects)
    for _ in range(4):  # a home page of five plans, as on opening day
        make_plan(projects=[make_project()])
    applicant = make_applicant()
    make_info(applicant, open_plan)
    empty_caches()

    with production_like():
        handler = WSGIHandler()

        def get(browser: Browser, path: str, status: int = 200) -> Callable[[], None]:
            def step() -> None:
                code, _ = browser.request("GET", path)
                assert code == status, (path, code)

            return step

        visitor = Browser(handler)
        healthz = get(visitor, "/healthz")
        healthz()
        base = cpu_ms(healthz, CHEAP * 2)
        print()
        print(f"database: {connection.vendor}; cache: {settings.CACHES['default']['BACKEND']}")
        report("/healthz", base, trips(healthz), base)

        home = get(visitor, "/")
        home()  # the page is rendered and kept
        home()  # and remembered by this process
        report("home, no cookies (cached)", cpu_ms(home, CHEAP), trips(home), base)

        signed_in = signed_in_browser(handler, applicant)
        mine = get(signed_in, "/")
        mine()
        mine()
        report("home, signed in", cpu_ms(mine, CHEAP), trips(mine), base)

        for name, tasks, warm in (
            ("确认登记 (request)", DUMMY_TASKS, True),
            ("确认登记 (session's first)", DUMMY_TASKS, False),
            ("确认登记 + what it queues", IMMEDIATE_TASKS, True),
        ):
            with override_settings(TASKS=tasks, RECORD_PDF_AHEAD=True):
                cpu, counts = registering(handler, open_plan, warm=warm)
            report(name, cpu, counts, base)

        # The record page (where 导出 PDF is) opened again: its PDF was asked for the first time.
        with override_settings(TASKS=DUMMY_TASKS, RECORD_PDF_AHEAD=True):
            from applications.registration import register

            number = register(
                applicant=applicant, plan=open_plan, offering=open_plan.plan_projects.first()
            ).registration.number
            record = get(signed_in, f"/records/{number}/")
            record()
            report("record page (again)", cpu_ms(record, CHEAP // 4), trips(record), base)


def signed_in_browser(handler: WSGIHandler, user) -> Browser:
    """A browser holding a session of `user`, made as 登录 makes one."""
    from django.contrib.auth import login
    from django.http import HttpRequest
    from django.middleware.csrf import _get_new_csrf_string

    from accounts.middleware import start_session_clock

    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    request = HttpRequest()
    request.session = engine.SessionStore()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    start_session_clock(request)
    request.session.save()
    browser = Browser(handler)
    browser.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    browser.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return browser


def registering(handler: WSGIHandler, plan, *, warm: bool) -> tuple[Cpu, tuple[int, int]]:
    """确认登记 by fresh applicants, each signed in and with a submitted form: CPU per POST
    (the best of ROUNDS rounds), and the SQL queries and Redis round trips of one. `warm`: each
    came from the home page (as on the day), else the POST is their session's first request
    (as in `make loadtest`'s registration phase)."""
    from django.urls import reverse

    from tests.factories import make_applicant, make_info

    offerings = list(plan.plan_projects.all())
    url = reverse("applications:register", args=[plan.pk])

    def prepare(count: int = 60) -> list[Callable[[], None]]:
        steps = []
        for i in range(count):
            person = make_applicant()
            make_info(person, plan, documents=[])
            browser = signed_in_browser(handler, person)
            if warm:
                browser.request("GET", "/")  # as the applicant came from the home page
            data = {
                "offering": offerings[i % len(offerings)].pk,
                "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME],
            }
            steps.append(_post(browser, url, data))
        return steps

    first, *others = prepare(10)
    counts = trips(first)
    for step in others:  # warm up
        step()
    return cpu_ms_of_rounds(prepare), counts


def _post(browser: Browser, url: str, data: dict) -> Callable[[], None]:
    def step() -> None:
        code, _ = browser.request("POST", url, data)
        assert code == 302, (url, code)

    return step
