"""The SMS outbox: a text is a row first, sent by a background task after commit.

1. queue_text() (or queue_texts() for many) writes the row inside the caller's transaction
   and, once that commits, enqueues a task (Django's tasks API, settings.TASKS_BACKEND):
   verification codes on the `high` queue, everything else on `default`. A rolled-back change
   texts nobody; a committed one cannot lose its text, whatever happens to the queue.
2. The task claims each row with one UPDATE … WHERE status='pending' AND its lease is free,
   setting a lease (claimed_until) of OUTBOX_LEASE_SECONDS: two workers given the same row
   (a task run twice, a sweep racing a retry) send it once; a worker killed mid-send leaves a
   lease that runs out, and the row is taken again.
3. A gateway error or timeout (SmsError) puts the row back with an exponentially growing wait
   (RETRY_POLICY); after the last attempt it is 失败, for staff to see and resend in admin.
4. requeue_stranded() finds pending rows whose task was lost (a worker killed with its batch,
   a queue unreachable at commit) and enqueues them again; the workers run it every minute.

Verification codes in development (console, file and locmem backends: no gateway to wait
for) are sent right after commit in the request itself, so `make run` shows a code at once
even before the worker has started; every other text, and every code in production, goes
through the queue.
"""

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Q, TextField, Value, When
from django.test.utils import override_settings
from django.utils import timezone

from messaging.models import OutboxMessage
from rentcenter import sms

logger = logging.getLogger(__name__)

Kind = OutboxMessage.Kind
Status = OutboxMessage.Status

# Texts per task when many are queued at once (a draw's entrants).
BATCH_SIZE = 500
# Backends with no gateway behind them: a code is printed or stored in an instant.
LOCAL_BACKENDS = {"console", "file", "locmem"}
HIGH_QUEUE = "high"
DEFAULT_QUEUE = "default"


@dataclass(frozen=True)
class RetryPolicy:
    first_wait: timedelta  # after the first failure; doubled after each further one
    longest_wait: timedelta
    attempts: int  # attempts in all before the row is 失败

    def wait(self, attempt: int) -> timedelta:
        return min(self.first_wait * 2 ** (attempt - 1), self.longest_wait)


# A code lives 5 minutes (accounts/otp.py): three quick tries, then the applicant asks again.
# Other texts keep trying for about two hours (30 s, 1, 2, 4, 8, 16, 32 min, then 失败).
CODE_POLICY = RetryPolicy(timedelta(seconds=10), timedelta(minutes=1), attempts=3)
NOTICE_POLICY = RetryPolicy(timedelta(seconds=30), timedelta(minutes=32), attempts=8)


def policy_for(kind: str) -> RetryPolicy:
    return CODE_POLICY if kind == Kind.CODE else NOTICE_POLICY


# Queueing ---------------------------------------------------------------------------------------


def queue_text(*, phone: str, text: str, kind: str, reference: str = "") -> OutboxMessage:
    """Write one text (`phone` in E.164) to the outbox in the current transaction; it is sent
    by a task once the transaction commits."""
    message = OutboxMessage.objects.create(phone=phone, text=text, kind=kind, reference=reference)
    transaction.on_commit(partial(dispatch, [message.pk], kind=kind), robust=True)
    return message


def queue_texts(texts: Iterable[tuple[str, str]], *, kind: str, reference: str) -> int:
    """Write many texts, (phone, text) pairs, under one `reference` (a draw's entrants), in
    the current transaction; after commit they are enqueued in batches of BATCH_SIZE."""
    count, chunk = 0, []
    for phone, text in texts:
        chunk.append(OutboxMessage(phone=phone, text=text, kind=kind, reference=reference))
        if len(chunk) == 2000:
            count += _insert(chunk)
            chunk = []
    count += _insert(chunk)
    transaction.on_commit(partial(dispatch_reference, reference), robust=True)
    return count


def _insert(messages: list[OutboxMessage]) -> int:
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)


def dispatch(message_ids: Sequence[int], *, kind: str) -> None:
    """After commit: hand the rows to the task queue (a code in development: send it now)."""
    if kind == Kind.CODE and settings.SMS_BACKEND in LOCAL_BACKENDS:
        send_now(message_ids)
        return
    enqueue(message_ids, queue=HIGH_QUEUE if kind == Kind.CODE else DEFAULT_QUEUE)


def dispatch_reference(reference: str) -> None:
    """After commit: enqueue every pending text of `reference`, BATCH_SIZE to a task."""
    ids = (
        OutboxMessage.objects.filter(reference=reference, status=Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    batch: list[int] = []
    for pk in ids.iterator(chunk_size=5000):
        batch.append(pk)
        if len(batch) == BATCH_SIZE:
            enqueue(batch, queue=DEFAULT_QUEUE)
            batch = []
    if batch:
        enqueue(batch, queue=DEFAULT_QUEUE)


def enqueue(message_ids: Sequence[int], *, queue: str, run_after: datetime | None = None) -> None:
    from messaging.tasks import send_texts

    task = send_texts.using(queue_name=queue)
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(list(message_ids))


# Sending ----------------------------------------------------------------------------------------


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claim_size() -> int:
    """Rows claimed together: as many as can all time out at the gateway within one lease, or
    a hundred with a local backend (no gateway to wait for)."""
    if settings.SMS_BACKEND in LOCAL_BACKENDS:
        return 100
    return max(1, int(settings.OUTBOX_LEASE_SECONDS // (2 * settings.SMS_GATEWAY_TIMEOUT)))


def claim(message_ids: Sequence[int], *, now: datetime) -> list[OutboxMessage]:
    """Take these rows for one attempt each, under a new token; those still pending and free.
    One UPDATE decides: of two workers, the database lets only one match a row's WHERE."""
    token = secrets.token_hex(16)
    OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk__in=message_ids,
        status=Status.PENDING,
    ).update(claimed_until=now + lease(), claimed_by=token, attempts=F("attempts") + 1)
    return list(OutboxMessage.objects.filter(pk__in=message_ids, claimed_by=token).order_by("pk"))


def send_now(message_ids: Iterable[int]) -> None:
    """Send each of these rows that is still pending and free; what the task runs."""
    ids, size = list(message_ids), claim_size()
    for start in range(0, len(ids), size):
        claimed = claim(ids[start : start + size], now=timezone.now())
        if settings.SMS_BACKEND in LOCAL_BACKENDS:
            _send_locally(claimed)
        else:
            for message in claimed:
                attempt(message)


def _send_locally(claimed: list[OutboxMessage]) -> None:
    """Printed, written to a file or kept in memory: no gateway to wait for or give an id, so
    the rows are marked 已发送 together, in one UPDATE."""
    sent = []
    for message in claimed:
        try:
            sms.send(phone=message.phone, text=message.text)
        except sms.SmsError as error:
            ours = OutboxMessage.objects.filter(pk=message.pk, claimed_by=message.claimed_by)
            _failed_attempt(message, ours, error=str(error))
        else:
            sent.append(message.pk)
    if sent:
        OutboxMessage.objects.filter(pk__in=sent, claimed_by=claimed[0].claimed_by).update(
            status=Status.SENT,
            sent_at=timezone.now(),
            claimed_until=None,
            error="",
            text=finished_text(),
        )


def attempt(message: OutboxMessage) -> str:
    """Hand a claimed row to the gateway; its status afterwards."""
    ours = OutboxMessage.objects.filter(pk=message.pk, claimed_by=message.claimed_by)
    try:
        gateway_id = sms.send(phone=message.phone, text=message.text)
    except sms.SmsError as error:
        return _failed_attempt(message, ours, error=str(error))
    ours.update(
        status=Status.SENT,
        sent_at=timezone.now(),
        gateway_message_id=gateway_id,
        claimed_until=None,
        error="",
        text=finished_text(),
    )
    return Status.SENT


# A code is stored only as a keyed hash (accounts/otp.py): its text leaves the outbox with it.
SENT_CODE_TEXT = "（验证码短信，内容已清除）"


def finished_text() -> Case:
    """The text a finished row keeps: as it was, but a verification code's is cleared."""
    return Case(
        When(kind=Kind.CODE, then=Value(SENT_CODE_TEXT)),
        default=F("text"),
        output_field=TextField(),
    )


def _failed_attempt(message: OutboxMessage, ours, *, error: str) -> Status:
    policy = policy_for(message.kind)
    if message.attempts >= policy.attempts:
        ours.update(
            status=Status.FAILED, claimed_until=None, error=error[:2000], text=finished_text()
        )
        logger.error(
            "SMS %s (%s) failed after %d attempts: %s",
            message.pk,
            message.kind,
            message.attempts,
            error,
        )
        return Status.FAILED
    retry_at = timezone.now() + policy.wait(message.attempts)
    ours.update(next_attempt_at=retry_at, claimed_until=None, error=error[:2000])
    logger.warning(
        "SMS %s not accepted (attempt %d), again at %s: %s",
        message.pk,
        message.attempts,
        retry_at.isoformat(),
        error,
    )
    _schedule_retry(message, retry_at)
    return Status.PENDING


def _schedule_retry(message: OutboxMessage, retry_at: datetime) -> None:
    from messaging.tasks import send_texts

    # The immediate backend (unit tests) cannot wait: the sweep sends the row when it is due.
    if not send_texts.get_backend().supports_defer:
        return
    queue = HIGH_QUEUE if message.kind == Kind.CODE else DEFAULT_QUEUE
    try:
        enqueue([message.pk], queue=queue, run_after=retry_at)
    except Exception:
        # The row is pending and due at retry_at: the sweep enqueues it if this did not.
        logger.exception("Retry of SMS %s could not be enqueued", message.pk)


def kept_in_memory() -> override_settings:
    """Texts queued inside this block are sent at commit into rentcenter.sms.outbox (locmem)
    and go no further: for demo data, whose phones are made up. Commit inside the block."""
    immediate = {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": settings.TASK_QUEUES,
    }
    return override_settings(SMS_BACKEND="locmem", TASKS={"default": immediate})


# Recovery and staff ------------------------------------------------------------------------------


def stranded(*, now: datetime):
    """Pending rows that should have been sent by now and that no worker holds: their task
    was lost, or their retry is due and nothing ran it."""
    overdue = now - timedelta(seconds=settings.OUTBOX_STRANDED_SECONDS)
    return OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=Status.PENDING,
        next_attempt_at__lte=overdue,
    )


def requeue_stranded(*, limit: int = 10_000) -> int:
    """Enqueue the stranded rows again, oldest first; how many. Each gets a fresh due time, so
    the next sweep leaves it alone while its new task waits in the queue."""
    now = timezone.now()
    rows = list(stranded(now=now).order_by("next_attempt_at").values_list("pk", "kind")[:limit])
    if not rows:
        return 0
    OutboxMessage.objects.filter(pk__in=[pk for pk, _kind in rows]).update(next_attempt_at=now)
    codes = [pk for pk, kind in rows if kind == Kind.CODE]
    others = [pk for pk, kind in rows if kind != Kind.CODE]
    if codes:
        enqueue(codes, queue=HIGH_QUEUE)
    for start in range(0, len(others), BATCH_SIZE):
        enqueue(others[start : start + BATCH_SIZE], queue=DEFAULT_QUEUE)
    logger.warning("Requeued %d stranded SMS", len(rows))
    return len(rows)


def resend(messages) -> int:
    """重新发送: put 失败 texts back as 待发送, attempts from zero, sent after commit. Codes
    are not resent (they expired long ago; the applicant asks for a new one)."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            messages.filter(status=Status.FAILED)
            .exclude(kind=Kind.CODE)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now, claimed_until=None
        )
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            transaction.on_commit(partial(dispatch, batch, kind=Kind.OTHER), robust=True)
    return len(ids)


@dataclass(frozen=True)
class Progress:
    sent: int
    pending: int
    failed: int

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed


def progress(reference: str) -> Progress:
    """已发送 / 待发送 / 失败 of the texts of one reference (a draw's entrants)."""
    counts = dict(
        OutboxMessage.objects.filter(reference=reference)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return Progress(
        sent=counts.get(Status.SENT, 0),
        pending=counts.get(Status.PENDING, 0),
        failed=counts.get(Status.FAILED, 0),
    )
