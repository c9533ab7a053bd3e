"""`make loadtest`: the opening minutes against the production configuration, then checks.

On this machine, by itself: starts PostgreSQL and Redis if needed, makes a fresh database,
migrates, collects static files, loads the demo catalogue (`seed_demo`) and N prepared
applicants (`seed_load`), starts gunicorn (deploy/gunicorn.conf.py, DEBUG=0) on 127.0.0.1 and
one RQ worker (`manage.py rqworker high default`, sending the texts from the SMS outbox) and
then measures:

1. with wrk (when installed; 32 connections): /healthz, then the home page and 项目详情 for an
   anonymous visitor and the home page for a signed-in one;
2. with Locust, headless: /healthz, then every prepared applicant pressing 确认登记 (one in
   ten twice) at --users concurrent users without think time, then the opening mix (70 %
   browsing home → 配租公告 → 项目详情 → 户型详情, 30 % registering: 立即登记 → 确认登记 →
   登记成功 → 配租记录, with think time).

Figures are requests per second, p50/p95/p99 in ms and failures, each divided by /healthz
measured by the same tool in the same run: the machine is shared and noisy, ratios are not.
Beside them, what a request costs the stack itself, which holds from machine to machine: the
CPU-ms per request of the web, db, redis and worker processes (benchmarks/cpu.py), read from
/proc at the start and the end of each phase's steady state and divided by the requests the
server answered between (its access log); the load tools are not counted. For 确认登记 also
per successful registration, the worker measured until it has sent every text; and from the
opening mix's figures, the cores a plan's opening needs (benchmarks/sizing.py).
Then the database is checked: one active registration per applicant, as many as 确认登记
succeeded, one 已登记 event each, one text each (once the worker has emptied the outbox), and
the 已登记人数 that 项目详情 shows equal to the rows. The exit status is 1 if a check fails.
"""

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

from benchmarks import allocation, cpu, sizing

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "loadtest"
PYTHON = sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200, help="concurrent Locust users")
    parser.add_argument("--seconds", type=int, default=20, help="length of each timed phase")
    parser.add_argument(
        "--opening-seconds", type=int, default=60, help="length of the opening mix's phase"
    )
    parser.add_argument("--register-seconds", type=int, default=300, help="at most, to register")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    subprocess.run([ROOT / "scripts" / "services.sh"], check=True)
    WORK.mkdir(parents=True, exist_ok=True)
    database = f"rentcenter_load_{int(time.time())}"
    env = production_env(database, args.port)
    admin(f"CREATE DATABASE {database}")
    server = worker = None
    try:
        prepare(env, args.applicants)
        server = start_server(env, args)
        worker = start_worker(env)
        base = f"http://127.0.0.1:{args.port}"
        data = json.loads((WORK / "applicants.json").read_text())
        rows: list[Row] = []
        meter = cpu.Meter(
            web=server.pid, worker=worker.pid, database=database, redis_port=redis_port(env)
        )
        with meter:
            settle(meter)
            measure = Measure(meter, WORK / f"{database}-access.log", data["plan"])
            rows += wrk_phase(base, data, measure, args)
            rows += locust_phases(base, env, database, measure, args)
            choosing_rows, choosing_failures = allocation.phase(  # 选房
                base, env, database, args, measure=measure
            )
            rows += choosing_rows
        print_table(rows)
        print_per_registration(measure.per_registration)
        opening = next(r for r in rows if r.name == "opening: 全部请求")
        sizing.print_table(
            cpu_ms_per_request=opening.cpu_ms,
            worker_cpu_seconds_per_text=measure.per_registration["确认登记"]["worker"] / 1000,
        )
        failures = check(database, base, data, rows) + choosing_failures
    finally:
        stop(server, worker)
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    print("checks: OK" if not failures else f"checks: {len(failures)} failed")
    return 1 if failures else 0


def production_env(database: str, port: int) -> dict[str, str]:
    keys = [secrets.token_urlsafe(32) for _ in range(2)]
    fernet = subprocess.run(
        [
            PYTHON,
            "-c",
            "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DEBUG": "0",
        "SECRET_KEY": keys[0],
        "ID_NUMBER_KEYS": fernet,
        "ID_NUMBER_HMAC_KEY": keys[1],
        # Applicants are prepared verified (seed_load): nobody is compared with a service here.
        "IDENTITY_VERIFIER": "local",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": database,
        "VAR_DIR": str(WORK / "var"),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(WORK / f"{database}-sms.jsonl"),
        # Texts leave through the outbox and an RQ worker, as in production.
        "TASKS_BACKEND": "rq",
        # In production the records' PDFs are rendered ahead by workers on hosts of their own;
        # on this one machine they would take the cores the measured web workers need.
        "RECORD_PDF_AHEAD": "0",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # Method, path, status and where a redirect leads: the server's own account of what it
        # answered, which the checks compare with the database.
        "GUNICORN_ACCESS_LOG": str(WORK / f"{database}-access.log"),
        "GUNICORN_CMD_ARGS": "--access-logformat='%(m)s %(U)s %(s)s %({location}o)s'",
    }


def redis_port(env: dict[str, str]) -> int:
    return urllib.parse.urlsplit(env["REDIS_URL"]).port or 6379


def prepare(env: dict[str, str], applicants: int) -> None:
    manage = [PYTHON, str(ROOT / "manage.py")]
    steps = [
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--no-input", "-v", "0"],
        ["seed_demo"],
        [
            "seed_load",
            f"--applicants={applicants}",
            f"--out={WORK / 'applicants.json'}",
            "--yes-this-is-a-load-test-database",
        ],
    ]
    for step in steps:
        started = time.perf_counter()
        subprocess.run([*manage, *step], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"{step[0]:<14} {time.perf_counter() - started:6.1f} s")


def start_server(env: dict[str, str], args) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            f"--workers={args.workers}",
            "rentcenter.wsgi",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/readyz", timeout=2):
                print(f"gunicorn       {args.workers} workers on 127.0.0.1:{args.port}")
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn did not become ready")


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    worker = subprocess.Popen(
        [PYTHON, str(ROOT / "manage.py"), "rqworker", "high", "default", "-v", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    print("rqworker       1 worker, queues high and default")
    return worker


def stop(*processes: subprocess.Popen | None) -> None:
    """SIGTERM, then a second one: RQ's worker takes the first as "finish the job" (warm
    shutdown) and has been seen waiting on a thread after it; the second is its cold shutdown."""
    for process in processes:
        if process:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


def wait_for_the_outbox(connection, seconds: int = 300) -> int:
    """Pending texts left after waiting up to `seconds` for the worker to send them."""
    pending = 0
    for _ in range(seconds):
        sql = "SELECT count(*) FROM messaging_outboxmessage WHERE status = 'pending'"
        pending = connection.execute(sql).fetchone()[0]
        if not pending:
            break
        time.sleep(1)
    return pending


# Measuring ---------------------------------------------------------------------------------------


class Row:
    def __init__(self, tool, name, users, rps, p50, p95, p99, requests, failures, note=""):
        self.tool, self.name, self.users = tool, name, users
        self.rps, self.p50, self.p95, self.p99 = rps, p50, p95, p99
        self.requests, self.failures, self.note = requests, failures, note
        self.ratio: float | None = None
        # CPU-ms per request served in the phase's steady state, by group (benchmarks/cpu.py).
        self.cpu_ms: dict[str, float] | None = None


class Point:
    """A moment of a phase: the processes' CPU and what the server had answered by then."""

    def __init__(self, mark: cpu.Mark, requests: int, registrations: int) -> None:
        self.mark, self.requests, self.registrations = mark, requests, registrations


class Measure:
    """CPU between two moments, per request and per registration, counted by the server.

    The requests are the lines of gunicorn's access log (every answer, whoever asked); the
    registrations are its 302s from 确认登记 to 登记成功, as the checks count them."""

    def __init__(self, meter: cpu.Meter, access_log: Path, plan: int) -> None:
        self.meter, self.access_log = meter, access_log
        self.registration = f"POST /plans/{plan}/register/ 302 "
        self.offset = self.requests = self.registrations = 0
        self.per_registration: dict[str, dict[str, float]] = {}

    def point(self) -> Point:
        mark = self.meter.mark()
        with open(self.access_log, "rb") as file:
            file.seek(self.offset)
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written waits for the next
        self.offset += len(complete)
        lines = complete.decode(errors="replace").splitlines()
        self.requests += len(lines)
        self.registrations += sum(
            line.startswith(self.registration) and "/registered/" in line for line in lines
        )
        return Point(mark, self.requests, self.registrations)

    def per_request(self, start: Point, end: Point) -> dict[str, float]:
        used = cpu.cpu_seconds(start.mark, end.mark)
        served = max(end.requests - start.requests, 1)
        return {group: seconds * 1000 / served for group, seconds in used.items()}

    def registered(self, name: str, start: Point, end: Point) -> int:
        """CPU-ms per successful 确认登记 from `start` to `end`, kept under `name`."""
        used = cpu.cpu_seconds(start.mark, end.mark)
        registrations = end.registrations - start.registrations
        self.per_registration[name] = {
            **{group: seconds * 1000 / max(registrations, 1) for group, seconds in used.items()},
            "registrations": registrations,
            "requests": end.requests - start.requests,
        }
        return registrations


def settle(meter: cpu.Meter, seconds: int = 60) -> None:
    """Wait until the server and the worker have finished starting (Django's imports, the PDF
    fonts): until a second passes in which the stack uses less than 5 % of a core. Their start
    is no request's cost."""
    previous = meter.mark()
    for _ in range(seconds):
        time.sleep(1)
        now = meter.mark()
        if cpu.cpu_seconds(previous, now)["total"] < 0.05:
            return
        previous = now


def steady(seconds: float) -> tuple[float, float]:
    """Warm-up and tail of a timed phase, in seconds: the steady state is what lies between."""
    return min(3.0, seconds * 0.15), min(2.0, seconds * 0.1)


def run_wrk(name: str, url: str, headers: list[str], measure: Measure, seconds: int) -> "Row":
    """One wrk run (32 connections), its CPU measured from after the warm-up to before the end."""
    warm_up, tail = steady(seconds)
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", *headers, url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as wrk:
        time.sleep(warm_up)
        start = measure.point()
        time.sleep(seconds - warm_up - tail)
        end = measure.point()
        output, _ = wrk.communicate()
    if wrk.returncode:
        raise SystemExit(f"wrk failed on {url}")
    row = parse_wrk(name, output)
    row.cpu_ms = measure.per_request(start, end)
    return row


def wrk_phase(base: str, data: dict, measure: Measure, args) -> list["Row"]:
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk): its figures are left out")
        return []
    project = data["offerings"][0]["project"]
    cookie = f"{data['session_cookie']}={data['sessions'][-1]}"
    targets = [
        ("/healthz", "/healthz", []),
        ("首页（匿名）", "/", []),
        ("项目详情（匿名）", f"/projects/{project}/", []),
        ("首页（已登录）", "/", ["-H", f"Cookie: {cookie}"]),
    ]
    rows = [
        run_wrk(name, base + path, headers, measure, args.seconds)
        for name, path, headers in targets
    ]
    healthz = rows[0].rps
    for row in rows:
        row.ratio = row.rps / healthz
    return rows


def parse_wrk(name: str, output: str) -> Row:
    def millis(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)\b", output)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: .*", output)
    failures = int(errors.group(1)) if errors else 0
    note = socket_errors.group(0) if socket_errors else ""
    return Row(
        "wrk", name, 32, rps, millis("50"), millis("90"), millis("99"), requests, failures, note
    )


def locust_phases(base: str, env: dict[str, str], database: str, measure: Measure, args):
    """/healthz, 确认登记 alone, then the opening mix, each measured in its steady state.

    确认登记 alone runs until every prepared applicant has registered, so it has no set end:
    its steady state ends when 90 % have (then users start leaving). Its figures per
    registration run from its start until the worker has sent every text it caused."""
    locust_env = {**env, "LOADTEST_APPLICANTS": str(WORK / "applicants.json")}
    # (phase, users, how long at most, think time, registrant's flow, warm-up)
    phases = [
        ("healthz", ["HealthzUser"], args.seconds, "0", "post", steady(args.seconds)[0]),
        ("register", ["Registrant"], args.register_seconds, "0", "post", 5),
        # With think time a user's flow takes seconds: the mix is steady once every user has
        # been through a flow or two.
        ("opening", ["Registrant", "Browser"], args.opening_seconds, "1", "full", 10),
    ]
    rows: list[Row] = []
    healthz = None
    for phase, classes, seconds, think, flow, warm_up in phases:
        if phase == "opening":
            # The mix registers applicants too: fresh ones from a second file.
            subprocess.run(
                [
                    PYTHON,
                    str(ROOT / "manage.py"),
                    "seed_load",
                    f"--applicants={args.users * 20}",
                    f"--out={WORK / 'applicants-opening.json'}",
                    "--yes-this-is-a-load-test-database",
                ],
                env=env,
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            locust_env["LOADTEST_APPLICANTS"] = str(WORK / "applicants-opening.json")
        prefix = WORK / f"locust-{phase}"
        first = measure.point()
        locust = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                "--only-summary",
                f"--users={args.users}",
                f"--spawn-rate={args.users}",
                f"--run-time={seconds}s",
                # At the end users finish the flow they are in: every 确认登记 the database
                # holds was counted.
                "--stop-timeout=60",
                f"--host={base}",
                f"--csv={prefix}",
                "--loglevel=WARNING",
                *classes,
            ],
            env={**locust_env, "LOADTEST_THINK": think, "LOADTEST_FLOW": flow},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )  # Locust exits 1 when a request failed; the checks say so
        time.sleep(warm_up)
        start = end = measure.point()
        if phase == "register":
            while locust.poll() is None:
                time.sleep(1)
                now = measure.point()
                if now.registrations - first.registrations < 0.9 * args.applicants:
                    end = now
        else:
            time.sleep(max(seconds - warm_up - steady(seconds)[1], 1))
            end = measure.point()
        locust.wait()
        if phase == "register":
            with psycopg.connect(env["DATABASE_URL"]) as connection:
                wait_for_the_outbox(connection)
            measure.registered("确认登记", first, measure.point())
        if phase == "opening":
            measure.registered("opening", start, end)
        phase_rows = read_locust(prefix, phase)
        phase_rows[-1].cpu_ms = measure.per_request(start, end)
        for row in phase_rows:
            if row.name == "healthz: /healthz":
                healthz = row.rps
            rows.append(row)
    for row in rows:
        row.ratio = row.rps / healthz if healthz else None
    return rows


def read_locust(prefix: Path, phase: str) -> list[Row]:
    """A row per URL, and the whole phase's as the last row when it asked for several."""
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as file:
        records = list(csv.DictReader(file))
    for record in records:
        if record["Name"] == "Aggregated":
            if len(records) <= 2:
                continue
            record = {**record, "Name": "全部请求"}
        rows.append(
            Row(
                "locust",
                f"{phase}: {record['Name']}",
                None,
                float(record["Requests/s"]),
                float(record["50%"]),
                float(record["95%"]),
                float(record["99%"]),
                int(record["Request Count"]),
                int(record["Failure Count"]),
            )
        )
    return rows


def print_table(rows: list[Row]) -> None:
    print()
    print(
        "| tool | what | req/s | p50 ms | p95 ms | p99 ms | requests | failures | ÷ /healthz "
        "| CPU-ms/req web | db | redis | worker | total |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ratio = f"{row.ratio:.3f}" if row.ratio is not None else ""
        used = " | ".join(
            f"{row.cpu_ms[group]:.2f}" if row.cpu_ms else "" for group in (*cpu.GROUPS, "total")
        )
        print(
            f"| {row.tool} | {row.name} | {row.rps:.1f} | {row.p50:.0f} | {row.p95:.0f} | "
            f"{row.p99:.0f} | {row.requests} | {row.failures} | {ratio} | {used} |"
        )
    print()
    print(
        "CPU-ms/req: CPU milliseconds of each group of the server's processes (benchmarks/cpu.py)"
        " per request the server answered in the phase's steady state; of the whole mix where a"
        " phase asks for several URLs (全部请求)."
    )
    print()


def print_per_registration(figures: dict[str, dict[str, float]]) -> None:
    labels = {
        "确认登记": "确认登记 alone, from its start until the outbox was empty",
        "opening": "the opening mix, a registration with its browsing",
    }
    print(
        "| CPU-ms per successful 确认登记 | registrations | requests | web | db | redis "
        "| worker | total |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, used in figures.items():
        groups = " | ".join(f"{used[group]:.1f}" for group in (*cpu.GROUPS, "total"))
        print(
            f"| {labels.get(name, name)} | {used['registrations']:.0f} | {used['requests']:.0f} "
            f"| {groups} |"
        )
    print()


# Checking -----------------------------------------------------------------------------------------


def check(database: str, base: str, data: dict, rows: list[Row]) -> list[str]:
    failures = []
    # Every 确认登记 the server answered with 登记成功 made one registration; Locust may not
    # have read the last few answers when it stopped, the server's log has them all.
    log = (WORK / f"{database}-access.log").read_text(encoding="utf-8").splitlines()
    confirmed = sum(
        line.startswith(f"POST /plans/{data['plan']}/register/ 302 ") and "/registered/" in line
        for line in log
    )
    errors = sum(line.split(" ")[2].startswith("5") for line in log if line.count(" ") >= 2)
    if errors:
        failures.append(f"{errors} answers with a 5xx status")
    failed_steps = [
        f"{r.name}: {r.failures} failed" for r in rows if r.failures and r.tool == "locust"
    ]
    failures += failed_steps
    failures += [
        f"{r.name}: {r.failures} answers not 2xx/3xx"
        for r in rows
        if r.tool == "wrk" and r.failures
    ]
    with psycopg.connect(f"postgres://postgres@127.0.0.1:5432/{database}") as connection:
        one = lambda sql: connection.execute(sql).fetchone()[0]  # noqa: E731
        # Active as 已登记人数 counts it: neither cancelled nor rejected (the demo data holds
        # rejected registrations in the open plan; a rejected applicant may register again).
        active = "progress NOT IN ('cancelled', 'rejected')"
        load = "applicant_id IN (SELECT id FROM accounts_user WHERE phone LIKE '+86136%')"
        registered = one(
            f"SELECT count(*) FROM applications_registration WHERE {active} AND {load}"
        )
        distinct = one(
            f"SELECT count(DISTINCT (applicant_id, plan_id)) FROM applications_registration "
            f"WHERE {active} AND {load}"
        )
        events = one(
            "SELECT count(*) FROM applications_registrationevent e "
            "JOIN applications_registration r "
            f"ON r.id = e.registration_id WHERE e.to_progress = 'registered' AND r.{load}"
        )
        print(f"registrations in the database: {registered}; 登记成功 answers: {confirmed}")
        if registered != distinct:
            failures.append(f"{registered - distinct} duplicate active registrations")
        if registered != confirmed:
            failures.append(f"{registered} registrations for {confirmed} successful 确认登记")
        if events != registered:
            failures.append(f"{events} 已登记 events for {registered} registrations")
        counts = dict(
            connection.execute(
                f"SELECT offering_id, count(*) FROM applications_registration WHERE {active} "
                "GROUP BY offering_id"
            ).fetchall()
        )
        pending = wait_for_the_outbox(connection)
        failed = one("SELECT count(*) FROM messaging_outboxmessage WHERE status = 'failed'")
        if pending or failed:
            failures.append(f"SMS outbox: {pending} texts still pending, {failed} failed")
    # The demo's own registrations texted nobody (seed_demo keeps texts in memory); each
    # prepared applicant (+86136…) gets one text per registration, none twice.
    sms = WORK / f"{database}-sms.jsonl"
    lines = sms.read_text(encoding="utf-8").splitlines() if sms.exists() else []
    texts = [line for line in lines if "您已成功登记" in line and '"+86136' in line]
    if len(texts) != registered:
        failures.append(f"{len(texts)} registration texts for {registered} registrations")
    numbers = [re.search(r"登记编号 (\w+)", line) for line in texts]
    if len({match.group(1) for match in numbers if match}) != len(texts):
        failures.append("a registration text was sent twice")
    time.sleep(10)  # 已登记人数 may be ten seconds old
    for offering in data["offerings"]:
        request = urllib.request.Request(
            f"{base}/projects/{offering['project']}/", headers={"HX-Request": "true"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            html = response.read().decode()
        shown = shown_count(html, data["plan"])
        expected = counts.get(offering["id"], 0)
        if shown != expected:
            failures.append(
                f"项目详情 shows {shown} registered for offering {offering['id']}; "
                f"the rows say {expected}"
            )
    return failures


def shown_count(html: str, plan_id: int) -> int | None:
    block = html.split(f'/plans/{plan_id}/announcement/"', 1)
    if len(block) < 2:
        return None
    match = re.search(r'<span class="stat-number">(\d+)</span> 人', block[1])
    return int(match.group(1)) if match else None


def admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


if __name__ == "__main__":
    sys.exit(main())
