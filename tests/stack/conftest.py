"""`make stack-test` only: these tests need the namespaces scripts/stack-test.sh makes (root,
ports 80 and 443, mounts of their own), so anywhere else, `make test` included, they are
skipped."""

import json
from pathlib import Path

import pytest

from tests.stack import run

HERE = Path(__file__).parent
DOMAIN = "zl.rentcenter.test"
APPLICANTS = 60


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if run.inside_the_namespaces():
        return
    skip = pytest.mark.skip(reason="make stack-test runs these (as root, in namespaces)")
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)


_started: list[run.Stack] = []


@pytest.fixture(scope="session")
def stack():
    with run.started_stack(DOMAIN) as started:
        _started.append(started)
        yield started


def pytest_terminal_summary(terminalreporter) -> None:
    """How long each container took to start (the release job: migrate, collectstatic …)."""
    for started in _started:
        timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in started.timings.items())
        terminalreporter.write_line(f"stack started: {timings}")
        for note in started.notes:
            terminalreporter.write_line(note)


@pytest.fixture(scope="session")
def seeded(stack) -> dict:
    """The demo catalogue, and applicants ready to register (verified, 信息填报 submitted,
    signed in), loaded as an operator would: one-off commands in the release container."""
    stack.manage("seed_demo")
    out = stack.work / "applicants.json"
    stack.manage(
        "seed_load",
        f"--applicants={APPLICANTS}",
        f"--out={out}",
        "--yes-this-is-a-load-test-database",
    )
    return json.loads(out.read_text())
