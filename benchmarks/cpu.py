"""CPU time of the stack's own processes, from /proc, for `make loadtest` (issue 20).

Requests per second on a shared two-core machine move with whatever else runs on it; the CPU
a request costs the server's processes does not, or far less. So each scenario reads, at the
start and at the end of its steady state, the CPU seconds (user + system) of four groups:

- web: the gunicorn master and its workers (the process tree of the server `make loadtest`
  started);
- worker: the RQ worker's process tree (the worker and RQ's scheduler process);
- db: the PostgreSQL backends whose process title names the load test's database, plus the
  server's own background processes (checkpointer, background and WAL writers, launchers).
  The background processes serve every database of the instance, but they work for whoever
  writes, and on this machine that is the load test; backends of other databases are left out;
- redis: the redis-server listening on the load test's port. There is one for everything on
  this machine, so another program's use of it is counted too: run the load test alone.

The load tools (wrk, Locust, the load test itself) are in no group: they are not the stack.

Where a process's CPU goes when it exits: /proc/<pid>/stat gives utime and stime of the process
(all its threads), and cutime and cstime, the CPU of the children it has reaped. A tree group
counts, for each process alive in it, all four: a gunicorn worker that dies and is reaped by the
master moves from its own figures into the master's cutime, so the tree's sum loses nothing.
The postmaster's cutime is of no use (it reaps the backends of every database on the instance),
so the db and redis groups are sampled every second by `Meter` and keep each process's last
reading: a backend that closes its connection (Django's CONN_MAX_AGE is 600 s in the load test)
loses at most its last second. Processes are told apart by (pid, start time), so a reused pid
is a new process.
"""

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")  # clock ticks per second of utime/stime (100 on Linux)
GROUPS = ("web", "db", "redis", "worker")
# Process titles of PostgreSQL's own processes, the postmaster's children that are not backends.
POSTGRES_BACKGROUND = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
    "stats collector",
    "archiver",
)


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    started: int  # clock ticks after boot: with the pid, which process this is
    ticks: int  # utime + stime
    children_ticks: int  # cutime + cstime: reaped children's CPU
    title: str  # the command line as `ps` shows it (PostgreSQL rewrites its own)

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.started)


def read_process(pid: int) -> Process | None:
    """One process's line of /proc, or None if it has gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        title = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The name in parentheses may hold spaces and parentheses itself: the fields start after
    # the last ")". proc(5) numbers them from 1: state is 3, so fields[i] is field i + 3.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return Process(
        pid=pid,
        ppid=int(fields[1]),
        started=int(fields[19]),
        ticks=utime + stime,
        children_ticks=cutime + cstime,
        title=title.replace(b"\0", b" ").decode(errors="replace").strip(),
    )


def read_table() -> list[Process]:
    table = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            process = read_process(int(entry.name))
            if process:
                table.append(process)
    return table


def tree(table: list[Process], root: int) -> list[Process]:
    """The process `root` and every descendant alive in `table`."""
    children: dict[int, list[Process]] = {}
    for process in table:
        children.setdefault(process.ppid, []).append(process)
    found = [process for process in table if process.pid == root]
    for process in found:  # grows as it goes: breadth first
        found += children.get(process.pid, [])
    return found


def postgres(table: list[Process], database: str) -> list[Process]:
    """The backends serving `database` and the background processes of their server."""
    backends = [p for p in table if p.title.startswith("postgres:") and database in p.title.split()]
    servers = {p.ppid for p in backends}
    background = [
        p
        for p in table
        if p.ppid in servers and p.title.split(":")[-1].strip() in POSTGRES_BACKGROUND
    ]
    return backends + background


def redis(table: list[Process], port: int) -> list[Process]:
    return [p for p in table if p.title.startswith("redis-server") and f":{port}" in p.title]


class Meter:
    """Samples the four groups every `interval` seconds in a thread; `mark()` reads them now.

    Marks hold clock ticks per process; `cpu_seconds(a, b)` is what each group used between."""

    def __init__(
        self, *, web: int, worker: int, database: str, redis_port: int, interval: float = 1.0
    ) -> None:
        self.web, self.worker = web, worker
        self.database, self.redis_port = database, redis_port
        self.interval = interval
        # db and redis: the last reading of every process seen, alive or not.
        self.seen: dict[str, dict[tuple[int, int], int]] = {"db": {}, "redis": {}}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def __enter__(self) -> "Meter":
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()

    def _sample_until_stopped(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def sample(self) -> dict[str, dict[tuple[int, int], int]]:
        table = read_table()
        readings = {
            "web": {p.key: p.ticks + p.children_ticks for p in tree(table, self.web)},
            "worker": {p.key: p.ticks + p.children_ticks for p in tree(table, self.worker)},
        }
        with self.lock:
            self.seen["db"].update({p.key: p.ticks for p in postgres(table, self.database)})
            self.seen["redis"].update({p.key: p.ticks for p in redis(table, self.redis_port)})
            return {**readings, "db": dict(self.seen["db"]), "redis": dict(self.seen["redis"])}

    def mark(self) -> "Mark":
        return Mark(time.monotonic(), self.sample())


@dataclass(frozen=True)
class Mark:
    at: float  # time.monotonic()
    ticks: dict[str, dict[tuple[int, int], int]]


def cpu_seconds(start: Mark, end: Mark) -> dict[str, float]:
    """CPU seconds each group used from `start` to `end`, and their total.

    Sums, not per-process differences: a tree's process that was reaped in between left its
    figures at `start` and took them, with what it used since, into its parent's cutime; a
    process that started in between is only in `end`. (db and redis keep every process seen.)"""
    used = {
        group: (sum(end.ticks[group].values()) - sum(start.ticks[group].values())) / TICKS
        for group in GROUPS
    }
    used["total"] = sum(used.values())
    return used
