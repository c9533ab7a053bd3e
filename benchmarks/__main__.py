"""`make bench`: how the hot paths scale with data, as ratios of a large case to a small one.

Runs against a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL is set) and prints, for each page, the queries and the time per request at a small
and a large size: a query ratio of 1.00 is the promise that listing pages do a fixed number of
queries whatever the data size; the time ratio shows what the extra rows cost in rendering.
Then the registration path's throughput, and the lottery's own figures (benchmarks/lottery.py).
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rentcenter.settings")
os.environ.setdefault("SMS_BACKEND", "locmem")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

REPEAT = 15


def measure(client: Client, url: str) -> tuple[int, float]:
    """Queries of one request, and the median milliseconds of REPEAT requests."""
    client.get(url)  # warm caches and the session clock
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # read now: the next request resets the query log
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return count, statistics.median(times)


def compare(name: str, small: tuple[int, float], large: tuple[int, float], sizes: str) -> None:
    (q1, t1), (q2, t2) = small, large
    print(
        f"{name:<22} {sizes:<28} queries {q1:>3} → {q2:>3} (ratio {q2 / q1:.2f})   "
        f"time {t1:7.1f} ms → {t2:7.1f} ms (ratio {t2 / t1:.2f})"
    )


def home_page() -> None:
    from tests.factories import make_plan, make_project, make_project_photo

    client = Client()
    make_plan(projects=[make_project_photo(make_project()).project])
    small = measure(client, "/")
    for _ in range(49):
        projects = [make_project() for _ in range(10)]
        for project in projects:
            make_project_photo(project)
        make_plan(projects=projects)
    # The home page shows 10 plans a page; the big case is 50 plans of 10 projects each.
    compare("home page", small, measure(client, "/"), "1 plan×1 → 50 plans×10")


def project_page() -> None:
    from tests.factories import (
        make_floor_plan,
        make_plan,
        make_project,
        make_project_photo,
    )

    client = Client()
    project = make_project()
    make_project_photo(project)
    make_floor_plan(project)
    make_plan(projects=[project])
    small = measure(client, project.get_absolute_url())
    for _ in range(19):
        make_project_photo(project)
        make_floor_plan(project)
    for _ in range(9):
        make_plan(projects=[project])
    compare(
        "project page",
        small,
        measure(client, project.get_absolute_url()),
        "1 photo → 20, 1 plan → 10",
    )


def records_page() -> None:
    from applications.registration import register
    from tests.factories import make_applicant, make_document, make_info, make_plan

    applicant = make_applicant()
    documents = [
        make_document(applicant, kind)
        for kind in ("id_front", "id_back", "hukou", "employment", "contributions")
    ]

    def registered() -> None:
        plan = make_plan()
        make_info(applicant, plan, documents=documents)
        register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())

    registered()
    client = Client()
    client.force_login(applicant)
    small = measure(client, "/records/")
    for _ in range(49):
        registered()
    compare("records list", small, measure(client, "/records/"), "1 registration → 50")


def registration_throughput() -> None:
    from applications.registration import register, registered_counts
    from tests.factories import make_applicant, make_document, make_info, make_plan

    plan = make_plan()
    offering = plan.plan_projects.get()
    people = []
    for _ in range(200):
        person = make_applicant()
        make_info(person, plan, documents=[make_document(person, "id_front")])
        people.append(person)
    started = time.perf_counter()
    for person in people:
        register(applicant=person, plan=plan, offering=offering)
    elapsed = time.perf_counter() - started
    counted = registered_counts([offering.pk])[offering.pk]
    assert counted == len(people)
    print(
        f"{'registration':<22} {len(people)} applicants, one process   "
        f"{len(people) / elapsed:8.0f} registrations/s "
        f"({elapsed / len(people) * 1000:.1f} ms each, 已登记人数 {counted})"
    )


def lottery() -> None:
    try:
        from benchmarks import lottery as lottery_bench
    except ImportError:
        return
    for name, value in lottery_bench.run():
        print(f"{name:<75} {value:12.3f}")


def main() -> None:
    from django.conf import settings
    from django.test import override_settings

    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    scratch = Path(settings.BASE_DIR) / "var" / "bench-files"
    storages = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {"location": scratch / "media", "base_url": "/media/"},
        },
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": scratch / "private"}},
    }
    benches: list[Callable[[], None]] = [
        home_page,
        project_page,
        records_page,
        registration_throughput,
        lottery,
    ]
    print(f"database: {connection.vendor}; {REPEAT} requests per figure, median\n")
    try:
        with override_settings(STORAGES=storages, SMS_BACKEND="locmem"):
            for bench in benches:
                bench()
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
