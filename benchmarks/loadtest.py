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
import urllib.request
from pathlib import Path

import psycopg

from benchmarks import allocation

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "loadtest"
PYTHON = sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200, help="concurrent Locust users")
    parser.add_argument("--seconds", type=int, default=20, help="length of each timed phase")
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
        rows += wrk_phase(base, data, env, args)
        rows += locust_phases(base, env, args)
        choosing_rows, choosing_failures = allocation.phase(base, env, database, args)  # 选房
        rows += choosing_rows
        print_table(rows)
        failures = check(database, base, data, rows) + choosing_failures
    finally:
        for process in (server, worker):
            if process:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
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


def wrk_phase(base: str, data: dict, env: dict[str, str], args) -> list["Row"]:
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed (apt-get install wrk): its figures are left out")
        return []
    project = data["offerings"][0]["project"]
    cookie = f"{data['session_cookie']}={data['sessions'][-1]}"
    targets = [
        ("/healthz", "/healthz", None),
        ("首页（匿名）", "/", None),
        ("项目详情（匿名）", f"/projects/{project}/", None),
        ("首页（已登录）", "/", cookie),
    ]
    rows = []
    for name, path, cookie_header in targets:
        command = [wrk, "-t2", "-c32", f"-d{args.seconds}s", "--latency"]
        if cookie_header:
            command += ["-H", f"Cookie: {cookie_header}"]
        output = subprocess.run(
            [*command, base + path], capture_output=True, text=True, check=True
        ).stdout
        rows.append(parse_wrk(name, output))
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


def locust_phases(base: str, env: dict[str, str], args) -> list[Row]:
    locust_env = {**env, "LOADTEST_APPLICANTS": str(WORK / "applicants.json")}
    # (phase, users, how long at most, think time, registrant's flow)
    phases = [
        ("healthz", ["HealthzUser"], args.seconds, "0", "post"),
        ("register", ["Registrant"], args.register_seconds, "0", "post"),
        ("opening", ["Registrant", "Browser"], args.seconds, "1", "full"),
    ]
    rows: list[Row] = []
    healthz = None
    for phase, classes, seconds, think, flow in phases:
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
        subprocess.run(
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
            check=False,  # Locust exits 1 when a request failed; the checks say so
            stdout=subprocess.DEVNULL,
        )
        for row in read_locust(prefix, phase):
            if phase == "healthz" and row.name == "/healthz":
                healthz = row.rps
            rows.append(row)
    for row in rows:
        row.ratio = row.rps / healthz if healthz else None
    return rows


def read_locust(prefix: Path, phase: str) -> list[Row]:
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as file:
        for record in csv.DictReader(file):
            if record["Name"] == "Aggregated":
                continue
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
    print("| tool | what | req/s | p50 ms | p95 ms | p99 ms | requests | failures | ÷ /healthz |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ratio = f"{row.ratio:.3f}" if row.ratio is not None else ""
        print(
            f"| {row.tool} | {row.name} | {row.rps:.1f} | {row.p50:.0f} | {row.p95:.0f} | "
            f"{row.p99:.0f} | {row.requests} | {row.failures} | {ratio} |"
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
