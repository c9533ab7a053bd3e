"""`make bench`: how the hot paths scale with data, as ratios of a large case to a small one.

Runs against a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL is set) and prints, for each page, the queries and the time per request at a small
and a large size: a query ratio of 1.00 is the promise that listing pages do a fixed number of
queries whatever the data size; the time ratio shows what the extra rows cost in rendering.
Then the public pages from the page cache (queries and time on a miss and a hit, anonymous and
signed in), 导出 PDF against the HTML record page, the registration path's throughput, and the
lottery's own figures (benchmarks/lottery.py), and server CPU per request against /healthz
(benchmarks/inprocess.py). `python -m benchmarks cpu_per_request` runs only the benches named.
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
    """Queries of one request, and the median milliseconds of REPEAT requests, each rendering
    the page (the page cache is emptied before each: cached_pages measures hits)."""
    client.get(url)  # warm the session clock
    empty_caches()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # read now: the next request resets the query log
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REPEAT):
        empty_caches()
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return count, statistics.median(times)


def empty_caches() -> None:
    """The shared cache and what this process remembers of it (rentcenter.pagecache)."""
    from django.core.cache import cache

    from rentcenter import pagecache

    cache.clear()
    pagecache.forget_local()


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


def cached_pages() -> None:
    """The public pages as a visitor gets them: the first request after a change renders (a
    miss), the next ones come from the cache (a hit), anonymous and signed in."""
    from tests.factories import (
        make_applicant,
        make_floor_plan,
        make_info,
        make_plan,
        make_project,
        make_project_photo,
    )

    projects = [make_project() for _ in range(10)]
    for project in projects:
        make_project_photo(project)
        make_floor_plan(project)
    plans = [make_plan(projects=projects) for _ in range(10)]
    applicant = make_applicant()
    make_info(applicant, plans[0])
    signed_in = Client()
    signed_in.force_login(applicant)
    signed_in.get("/records/")  # the session's clock starts
    urls = {
        "home": "/",
        "配租公告": f"/plans/{plans[0].pk}/announcement/",
        "项目详情": projects[0].get_absolute_url(),
        "户型详情": projects[0].floor_plans.first().get_absolute_url(),
    }
    print()
    for name, url in urls.items():
        empty_caches()
        miss = timed(Client(), url, repeat=1)
        hit = timed(Client(), url)
        # A browser showing the page again asks with its ETag (max-age=0, must-revalidate).
        etag = Client().get(url)["ETag"]
        revalidated = timed(Client(headers={"If-None-Match": etag}), url, status=304)
        mine = timed(signed_in, url)
        print(
            f"{name + ' (cached)':<22} miss {miss[0]:>2} queries {miss[1]:6.1f} ms   "
            f"hit {hit[0]} queries {hit[1]:5.2f} ms   304 {revalidated[0]} queries "
            f"{revalidated[1]:5.2f} ms   signed in {mine[0]} queries {mine[1]:5.2f} ms"
        )


def timed(client: Client, url: str, repeat: int = REPEAT, status: int = 200) -> tuple[int, float]:
    """Queries of the first request and the median milliseconds of `repeat` requests."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        assert client.get(url).status_code == status, url
        first = (time.perf_counter() - started) * 1000
    if repeat == 1:
        return len(queries), first
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return len(queries), statistics.median(times)


def pdf_export() -> None:
    """导出 PDF against the HTML record page of the same registration: the first export of a
    record renders it, a repeat reads the stored file."""
    from applications import pdf
    from applications.registration import register
    from applications.views import records
    from tests.factories import make_applicant, make_info, make_plan

    records.PDF_EXPORTS_PER_HOUR = 10**6  # one applicant exporting again and again
    pdf.warm_up()  # as a web worker does when it starts
    applicant = make_applicant()
    client = Client()
    client.force_login(applicant)
    firsts, repeats, pages = [], [], []
    for _ in range(5):
        plan = make_plan()
        make_info(applicant, plan)
        registration = register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
        number = registration.registration.number
        pages.append(timed(client, f"/records/{number}/")[1])
        firsts.append(timed(client, f"/records/{number}/pdf/", repeat=1)[1])
        repeats.append(timed(client, f"/records/{number}/pdf/")[1])
    page, first, repeat = (statistics.median(x) for x in (pages, firsts, repeats))
    print(
        f"{'导出 PDF':<22} record page {page:5.1f} ms   first export {first:6.1f} ms "
        f"(÷ page {first / page:4.1f})   repeat {repeat:5.1f} ms (÷ page {repeat / page:4.1f})"
    )


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


def choosing_board() -> None:
    from benchmarks import allocation

    allocation.board(measure, compare)


def cpu_per_request() -> None:
    from benchmarks import inprocess

    inprocess.run()


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
        cached_pages,
        pdf_export,
        registration_throughput,
        lottery,
        choosing_board,
        cpu_per_request,
    ]
    # `python -m benchmarks cpu_per_request …`: only the benches named.
    chosen = sys.argv[1:]
    unknown = set(chosen) - {bench.__name__ for bench in benches}
    if unknown:
        sys.exit(f"no bench named {', '.join(sorted(unknown))}")
    if chosen:
        benches = [bench for bench in benches if bench.__name__ in chosen]
    print(f"database: {connection.vendor}; {REPEAT} requests per figure, median\n")
    try:
        with override_settings(STORAGES=storages, SMS_BACKEND="locmem"):
            for bench in benches:
                bench()
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
