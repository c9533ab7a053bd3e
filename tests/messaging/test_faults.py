"""Faults the SMS outbox survives: a slow gateway, a gateway down for a while, a worker killed
in the middle of a batch. Texts go through the database task backend and its worker here, as
with `make run`; the gateway is a fake on a local port (tests/sms_gateway.py)."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import close_old_connections, connection, transaction
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker

from applications.models import Registration
from messaging import outbox
from messaging.models import OutboxMessage
from messaging.tasks import send_texts
from rentcenter import sms
from tests.factories import make_applicant, make_info, make_plan
from tests.sms_gateway import Gateway, running_gateway

Status = OutboxMessage.Status
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["high", "default"]}
}

# The views commit for real: the texts' tasks are enqueued by on_commit in the request.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_queued")]


@pytest.fixture
def _queued(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def gateway(settings) -> Iterator[Gateway]:
    with running_gateway() as gateway:
        settings.SMS_BACKEND = "http"
        settings.SMS_GATEWAY_URL = gateway.url
        settings.SMS_GATEWAY_KEY = "gateway-secret"
        yield gateway


def run_worker() -> None:
    """`manage.py db_worker --batch`, in this process: every task that is due, then return."""
    Worker(
        queue_names=["high", "default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def register(client, applicant, plan):
    client.force_login(applicant)
    offering = plan.plan_projects.first()
    url = reverse("applications:register", args=[plan.pk])
    started = time.perf_counter()
    response = client.post(url, {"offering": offering.pk})
    return response, time.perf_counter() - started


def test_registration_does_not_wait_for_a_slow_gateway(client, gateway):
    gateway.delay = 5  # seconds, as long as the http backend's timeout
    plan = make_plan()
    applicant = make_applicant()
    make_info(applicant, plan)

    response, seconds = register(client, applicant, plan)

    assert response.status_code == 302
    assert "/registered/" in response["Location"]
    assert seconds < 1
    assert gateway.requests == 0
    [message] = OutboxMessage.objects.all()
    assert message.status == Status.PENDING
    gateway.delay = 0
    run_worker()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert gateway.phones == [applicant.phone.as_e164]


@pytest.mark.parametrize("fault", ["answers 500", "times out"])
def test_texts_go_out_once_when_the_gateway_recovers(
    client, gateway, settings, fault, now, time_machine
):
    plan = make_plan()
    applicants = [make_applicant() for _ in range(4)]
    for applicant in applicants:
        make_info(applicant, plan)
    if fault == "answers 500":
        gateway.status = 500
    else:  # hangs past the timeout, and has taken nothing when it gives up
        settings.SMS_GATEWAY_TIMEOUT = 0.3
        gateway.delay, gateway.status = 1, 504

    for applicant in applicants:
        response, seconds = register(client, applicant, plan)
        assert response.status_code == 302
        assert seconds < 1  # at full speed: the gateway is not in the request
    assert Registration.objects.count() == 4

    run_worker()  # every first attempt fails; each row waits 30 s for its retry
    assert gateway.received == []
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.PENDING, 1)}

    gateway.status, gateway.delay = 200, 0  # the gateway is back
    run_worker()
    assert gateway.received == []  # the retries are not due yet

    time_machine.shift(timedelta(seconds=31))
    run_worker()
    time_machine.shift(timedelta(seconds=settings.OUTBOX_STRANDED_SECONDS + 60))
    assert outbox.requeue_stranded() == 0
    run_worker()

    assert sorted(gateway.phones) == sorted(a.phone.as_e164 for a in applicants)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 2)}


# A worker killed in the middle of a batch --------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    port = db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"


def start_worker(gateway: Gateway, tmp_path) -> subprocess.Popen:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "rentcenter.settings",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "database",
        "SMS_BACKEND": "http",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_KEY": "gateway-secret",
        # A short lease and sweep, so that the test does not wait minutes.
        "SMS_GATEWAY_TIMEOUT": "1",
        "OUTBOX_LEASE_SECONDS": "2",
        "OUTBOX_STRANDED_SECONDS": "1",
        "OUTBOX_SWEEP_SECONDS": "1",
    }
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "high,default"]
    command += ["--no-reload", "--interval", "0.2", "--no-startup-delay", "-v", "0"]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command,
        cwd=django_settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.postgres
def test_the_next_worker_sends_what_a_killed_worker_left(gateway, tmp_path):
    phones = [f"+86137{n:08d}" for n in range(20)]
    with transaction.atomic():
        outbox.queue_texts(
            ((phone, f"您登记的计划已摇号，顺序号第 {n} 号。") for n, phone in enumerate(phones)),
            kind=OutboxMessage.Kind.DRAW,
            reference="draw:1",
        )
    # Due long ago by any clock: the workers read the machine's, this test may run on a moved
    # one (make test-clock).
    OutboxMessage.objects.update(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))
    gateway.delay = 0.2  # each text takes a moment, so the kill lands mid-batch

    first = start_worker(gateway, tmp_path)
    try:
        assert wait_for(lambda: len(gateway.received) >= 5, 30), first.stderr
        first.send_signal(signal.SIGKILL)  # no clean-up: its task stays "running" forever
        first.wait(10)
    finally:
        first.kill()
    left = OutboxMessage.objects.exclude(status=Status.SENT).count()
    assert 0 < left < 20

    second = start_worker(gateway, tmp_path)
    try:
        done = wait_for(lambda: not OutboxMessage.objects.exclude(status=Status.SENT).exists(), 60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert done, "the next worker did not send the remaining texts"
    received = Counter(gateway.phones)
    assert set(received) == set(phones)
    # Only a text in the gateway's hands at the kill may arrive twice: its row was not yet
    # marked sent, and the next worker took it again when its lease ran out.
    assert sum(count - 1 for count in received.values()) <= 1


@pytest.mark.postgres
def test_two_workers_given_the_same_batch_send_each_text_once(settings):
    settings.SMS_BACKEND = "locmem"
    with transaction.atomic():
        ids = [
            outbox.queue_text(phone=f"+86137{n:08d}", text=f"第{n}条", kind="draw").pk
            for n in range(40)
        ]
    # The commit above put the texts on the database queue: nothing is sent yet.
    barrier = threading.Barrier(2)

    def work() -> None:
        try:
            barrier.wait()
            send_texts.call(ids)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(m.text for m in sms.outbox) == sorted(f"第{n}条" for n in range(40))
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
