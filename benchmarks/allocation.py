"""选房 under load (`make loadtest`) and the board's queries (`make bench`).

phase(): after the opening minutes, on the same server. `manage.py seed_choosing` prepares a
plan in 选房 (ENTRANTS signed-in entrants who passed 资格复核, HOMES homes, a session starting
now). Then:

1. wrk measures /healthz, the 选房大厅 page and the board fragment its htmx polls ask for
   (anonymous, 32 connections): the board's throughput as a ratio to /healthz in the same run
   (goal ≥ 0.5, as the other public pages);
2. while WATCHERS Locust users poll the board every 3 s as the hall's visitors' browsers do,
   the entrants choose in turn: each turn the entrant presses 确认选房 and, in the same second,
   PRESSERS others press it for the same home (out of turn: each must be refused with a
   redirect, never a 5xx); from the entrant's 302 the board is polled, as a visitor without
   cookies, until it shows the 房号: the time from 确认选房 to the board showing it (goal ≤ 5 s);
3. the database is checked: every home held by one entrant at most, every entrant holding one
   home at most, as many holders as successful choices (0 double allocations).

board(): for `make bench`, the 选房大厅 at a small and a large size: a fixed number of queries.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRANTS = 200
HOMES = 100
CHOICES = 20  # turns taken during the watchers' phase
PRESSERS = 5
WATCHERS = 1000
CSRF = "loadtestloadtestloadtestloadtest"


def phase(
    base: str, env: dict[str, str], database: str, args, *, measure
) -> tuple[list, list[str]]:
    """The 选房 scenario: rows for the table (as benchmarks/loadtest.Row) and failed checks.

    `measure` (benchmarks/loadtest.Measure) gives each row the server's CPU per request: the
    watchers' row from when all poll until the last turn, 确认选房 and the board's checks in."""
    from benchmarks.loadtest import PYTHON, WORK, Row, read_locust

    out = WORK / "choosing.json"
    subprocess.run(
        [
            PYTHON,
            str(ROOT / "manage.py"),
            "seed_choosing",
            f"--entrants={ENTRANTS}",
            f"--homes={HOMES}",
            f"--out={out}",
            "--yes-this-is-a-load-test-database",
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(out.read_text())
    hall = f"/plans/{data['plan']}/hall/"
    rows = wrk_rows(base, hall, args, measure)
    board = f"{hall}board/"  # what htmx polls
    prefix = WORK / "locust-choosing"
    watchers = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "locust_hall.py"),
            "--headless",
            "--only-summary",
            f"--users={WATCHERS}",
            f"--spawn-rate={WATCHERS // 5}",
            f"--run-time={max(args.seconds, 60)}s",
            f"--host={base}",
            f"--csv={prefix}",
            "--loglevel=WARNING",
        ],
        env={**env, "LOADTEST_HALL": board},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    time.sleep(8)  # the watchers are all polling
    start = measure.point()
    latencies, statuses = choose_in_turn(base, data)
    end = measure.point()
    watchers.wait()
    watching = [
        row for row in read_locust(prefix, f"选房 {WATCHERS} watchers") if row.name.endswith("hall")
    ]
    for row in watching:
        row.cpu_ms = measure.per_request(start, end)
    rows += watching
    latency = sorted(latencies)
    note = ""
    if latency:
        note = f"median {latency[len(latency) // 2]:.2f} s, max {latency[-1]:.2f} s"
        rows.append(
            Row(
                "python",
                "确认选房 → 选房大厅 shows it (s)",
                None,
                len(latency),
                latency[len(latency) // 2] * 1000,
                latency[int(len(latency) * 0.95) - 1] * 1000,
                latency[-1] * 1000,
                len(latency),
                0,
                note,
            )
        )
    print(f"选房: {len(latency)} turns, 确认选房 → board {note}")
    return rows, check(database, statuses, latency)


def wrk_rows(base: str, hall: str, args, measure) -> list:
    import shutil

    from benchmarks.loadtest import run_wrk

    if not shutil.which("wrk"):
        return []
    targets = [
        ("/healthz", "/healthz", []),
        ("选房大厅（匿名）", hall, []),
        ("选房大厅 htmx 片段（匿名）", f"{hall}board/", ["-H", "HX-Request: true"]),
    ]
    rows = [
        run_wrk(name, base + path, headers, measure, args.seconds)
        for name, path, headers in targets
    ]
    for row in rows:
        row.ratio = row.rps / rows[0].rps
    return rows


def post(base: str, path: str, cookie: str, session: str) -> int:
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": CSRF}).encode()
    request = urllib.request.Request(
        base + path,
        data=body,
        headers={"Cookie": f"{cookie}={session}; csrftoken={CSRF}"},
        method="POST",
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def board_shows(base: str, board: str, label: str) -> bool:
    request = urllib.request.Request(base + board, headers={"HX-Request": "true"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return label in response.read().decode()


def choose_in_turn(base: str, data: dict) -> tuple[list[float], list[int]]:
    """Each turn: the entrant and PRESSERS others press 确认选房 for the same home at once."""
    cookie, board = data["session_cookie"], f"/plans/{data['plan']}/hall/board/"
    entrants, homes = data["entrants"], data["homes"]
    latencies: list[float] = []
    statuses: list[int] = []
    for turn in range(min(CHOICES, len(homes))):
        home = homes[turn]
        pressing = [entrants[turn], *entrants[turn + 1 : turn + 1 + PRESSERS]]
        results: dict[int, tuple[int, float]] = {}
        threads = [
            threading.Thread(target=press, args=(base, cookie, home, entrant, index, results))
            for index, entrant in enumerate(pressing)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses += [status for status, _ in results.values()]
        answered = results[0][1]
        for _ in range(200):
            if board_shows(base, board, home["label"]):
                latencies.append(time.perf_counter() - answered)
                break
            time.sleep(0.05)
    return latencies, statuses


def press(base, cookie, home, entrant, index, results) -> None:
    """One press of 确认选房 for `home`; its status and when it was answered."""
    path = f"/allocation/{entrant['number']}/homes/{home['id']}/"
    status = post(base, path, cookie, entrant["session"])
    results[index] = (status, time.perf_counter())


def check(database: str, statuses: list[int], latency: list[float]) -> list[str]:
    import psycopg

    failures = []
    errors = [status for status in statuses if status >= 500]
    if errors:
        failures.append(f"选房: {len(errors)} presses of 确认选房 answered with a 5xx")
    if len(latency) < CHOICES:
        failures.append(f"选房: the board showed {len(latency)} of {CHOICES} choices")
    if latency and max(latency) > 5:
        failures.append(f"选房: a choice took {max(latency):.1f} s to reach the board")
    with psycopg.connect(f"postgres://postgres@127.0.0.1:5432/{database}") as connection:
        one = lambda sql: connection.execute(sql).fetchone()[0]  # noqa: E731
        holding = "state IN ('chosen', 'signed')"
        held = one(f"SELECT count(*) FROM allocation_choice WHERE {holding}")
        homes = one(f"SELECT count(DISTINCT home_id) FROM allocation_choice WHERE {holding}")
        people = one(f"SELECT count(DISTINCT recheck_id) FROM allocation_choice WHERE {holding}")
        taken = one("SELECT count(*) FROM allocation_home WHERE state <> 'available'")
    print(f"选房: {held} homes held, {homes} distinct homes, {people} distinct entrants")
    if not held == homes == people == taken:
        failures.append(
            f"选房: double allocation: {held} held, {homes} homes, {people} entrants, "
            f"{taken} homes not 可选"
        )
    return failures


def board(measure, compare) -> None:
    """`make bench`: the 选房大厅 rendered from the database at a small and a large size."""
    from django.test import Client

    from tests.allocation.factories import make_homes, ready_session

    plan, _passed, _homes, _session = ready_session(entrants=5, homes=10)
    url = f"/plans/{plan.pk}/hall/"
    client = Client()
    small = measure(client, url)
    offering = plan.plan_projects.get()
    for building in range(2, 22):
        make_homes(offering, 25, building=str(building))
    large = measure(client, url)
    compare("选房大厅", small, large, "10 homes → 510")
    if large[0] != small[0]:
        raise SystemExit("选房大厅: the queries grow with the homes")


def main() -> int:
    """`python -m benchmarks.allocation`: the 选房 scenario alone, on a fresh database and the
    same production-like server as `make loadtest` (its helpers), for when only it changed."""
    import argparse

    from benchmarks import cpu, loadtest

    parser = argparse.ArgumentParser(description="选房 under load, alone")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    subprocess.run([ROOT / "scripts" / "services.sh"], check=True)
    loadtest.WORK.mkdir(parents=True, exist_ok=True)
    database = f"rentcenter_choosing_{int(time.time())}"
    env = loadtest.production_env(database, args.port)
    loadtest.admin(f"CREATE DATABASE {database}")
    server = worker = None
    try:
        loadtest.prepare(env, 10)
        server, worker = loadtest.start_server(env, args), loadtest.start_worker(env)
        meter = cpu.Meter(
            web=server.pid,
            worker=worker.pid,
            database=database,
            redis_port=loadtest.redis_port(env),
        )
        with meter:
            loadtest.settle(meter)
            data = json.loads((loadtest.WORK / "applicants.json").read_text())
            measure = loadtest.Measure(
                meter, loadtest.WORK / f"{database}-access.log", data["plan"]
            )
            rows, failures = phase(
                f"http://127.0.0.1:{args.port}", env, database, args, measure=measure
            )
        loadtest.print_table(rows)
    finally:
        loadtest.stop(server, worker)
        loadtest.admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
