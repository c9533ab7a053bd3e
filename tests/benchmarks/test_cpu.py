"""benchmarks/cpu.py reads /proc right: a busy process's CPU as /proc gives it is what the
process itself reports (time.process_time()), a reaped child's CPU stays in its parent's tree,
and the groups take the processes they should and no others."""

import subprocess
import sys
import time

import pytest

from benchmarks import cpu

# A child that burns CPU when told ("burn SECONDS" on stdin), then reports on stdout the CPU
# time it has used, by its own account, and that of the children it has reaped.
CHILD = """
import resource, subprocess, sys, time
BURN = "import time; end = time.process_time() + {}\\nwhile time.process_time() < end: pass"
for line in sys.stdin:
    command, seconds = line.split()
    if command == "burn":
        exec(BURN.format(seconds))
    elif command == "child":  # a grandchild burns, exits and is reaped
        subprocess.run([sys.executable, "-c", BURN.format(seconds)], check=True)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(time.process_time(), children.ru_utime + children.ru_stime, flush=True)
"""
TICK = 1 / cpu.TICKS
# /proc counts in clock ticks, and splits a process's runtime into user and system time, each
# rounded: a few ticks either way, far below the 0.3 s burned.
BOUND = 5 * TICK


@pytest.fixture
def child():
    process = subprocess.Popen(  # noqa: S603 - this interpreter, this file's code
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield process
    process.stdin.close()
    process.wait(timeout=10)


def tell(child, command: str) -> tuple[float, float]:
    child.stdin.write(command + "\n")
    child.stdin.flush()
    own, children = child.stdout.readline().split()
    return float(own), float(children)


def test_a_busy_process_reads_as_the_cpu_it_reports(child):
    own, _ = tell(child, "burn 0.3")
    process = cpu.read_process(child.pid)
    assert own >= 0.3
    assert process.ticks / cpu.TICKS == pytest.approx(own, abs=BOUND)
    assert process.children_ticks == 0
    assert process.ppid > 1
    assert "burn" in process.title  # the command line, from the CHILD source


def test_a_reaped_child_stays_in_its_parents_tree(child):
    own, children = tell(child, "child 0.3")
    table = cpu.read_table()
    (parent,) = cpu.tree(table, child.pid)  # the grandchild has exited
    assert children >= 0.3
    assert parent.children_ticks / cpu.TICKS == pytest.approx(children, abs=BOUND)
    assert (parent.ticks + parent.children_ticks) / cpu.TICKS == pytest.approx(
        own + children, abs=2 * BOUND
    )


def test_a_gone_process_reads_as_none():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert cpu.read_process(process.pid) is None


def test_the_meter_measures_a_tree_between_two_marks(child):
    tell(child, "burn 0.05")  # the interpreter has started
    with cpu.Meter(web=child.pid, worker=0, database="none", redis_port=0, interval=0.05) as meter:
        start = meter.mark()
        before, _ = tell(child, "burn 0.3")
        after, children = tell(child, "child 0.2")
        time.sleep(0.2)  # the thread samples too
        end = meter.mark()
    used = cpu.cpu_seconds(start, end)
    # From the start mark: the 0.3 s burned, the child's own bookkeeping and its 0.2 s child.
    assert used["web"] == pytest.approx(after - (before - 0.3) + children, abs=3 * BOUND)
    assert used["web"] >= 0.5 - 3 * BOUND
    assert used["worker"] == used["db"] == used["redis"] == 0
    assert used["total"] == used["web"]


def process(pid, ppid, title, ticks=0, children_ticks=0, started=1):
    return cpu.Process(pid, ppid, started, ticks, children_ticks, title)


POSTMASTER = process(10, 1, "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main")
TABLE = [
    POSTMASTER,
    process(11, 10, "postgres: 15/main: checkpointer"),
    process(12, 10, "postgres: 15/main: walwriter"),
    process(13, 10, "postgres: 15/main: postgres rentcenter_load_1 127.0.0.1(5000) idle"),
    process(14, 10, "postgres: 15/main: postgres rentcenter_load_1 127.0.0.1(5001) SELECT"),
    process(15, 10, "postgres: 15/main: postgres rentcenter_load_12 127.0.0.1(5002) idle"),
    process(16, 10, "postgres: 15/main: postgres test_other 127.0.0.1(5003) idle"),
    process(17, 10, "postgres: 15/main: autovacuum worker rentcenter_load_1"),
    process(20, 1, "redis-server 127.0.0.1:6379"),
    process(21, 1, "redis-server 127.0.0.1:6380"),
    process(30, 1, "gunicorn: master"),
    process(31, 30, "gunicorn: worker"),
    process(32, 31, "a worker's child"),
    process(33, 1, "locust -f benchmarks/locustfile.py"),
]


def test_postgres_is_the_load_databases_backends_and_the_servers_own_processes():
    pids = {p.pid for p in cpu.postgres(TABLE, "rentcenter_load_1")}
    assert pids == {11, 12, 13, 14, 17}  # not another database's backends, not the postmaster


def test_redis_is_the_server_on_the_load_tests_port():
    assert [p.pid for p in cpu.redis(TABLE, 6379)] == [20]


def test_a_tree_is_its_root_and_every_descendant():
    assert [p.pid for p in cpu.tree(TABLE, 30)] == [30, 31, 32]
    assert cpu.tree(TABLE, 99) == []


def test_a_reaped_process_is_counted_once():
    """Between the marks the worker (pid 31) used 3 ticks more and died: the master (pid 30)
    reaped it, so its cutime grew by all the worker's 8 ticks. The group used 3 ticks, not 8."""
    start = cpu.Mark(0, {"web": {(30, 1): 2, (31, 1): 5}, "db": {}, "redis": {}, "worker": {}})
    end = cpu.Mark(1, {"web": {(30, 1): 2 + 8}, "db": {}, "redis": {}, "worker": {}})
    assert cpu.cpu_seconds(start, end)["web"] == pytest.approx(3 / cpu.TICKS)


def test_db_keeps_the_last_reading_of_a_backend_that_closed(monkeypatch):
    readings = iter(
        [
            [process(13, 10, "postgres: 15/main: postgres load 127.0.0.1(1) idle", ticks=4)],
            [process(13, 10, "postgres: 15/main: postgres load 127.0.0.1(1) idle", ticks=9)],
            [],  # the backend closed its connection
        ]
    )
    monkeypatch.setattr(cpu, "read_table", lambda: next(readings))
    meter = cpu.Meter(web=0, worker=0, database="load", redis_port=0)
    start = meter.mark()
    meter.sample()
    end = meter.mark()
    assert cpu.cpu_seconds(start, end)["db"] == pytest.approx(5 / cpu.TICKS)
