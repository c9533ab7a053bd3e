"""What the SMS outbox holds about a person: the texts sent to their phone.

The outbox knows phones, not accounts (it imports no domain room), so the privacy room says
which texts are a person's: those to the phone the account has, since it has it (a number
given up and signed up again by someone else keeps its earlier texts from the newcomer), and
those about the account's records (their 登记编号), to whatever phone they went.

Retention (rentcenter/retention.py): a text's words are cleared RETENTION_TEXT_BODY_DAYS after
it was delivered or failed (a verification code's at once: messaging/outbox.py), and the
delivery record goes after RETENTION_TEXT_DAYS.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from messaging.models import OutboxMessage
from rentcenter.retention import Rule, days, delete_rows

Status = OutboxMessage.Status
FINISHED = (Status.SENT, Status.FAILED)
CLEARED_TEXT = "（短信内容已按保存期限删除）"
ERASED_TEXT = "（账号已注销，短信内容已删除）"


def texts_for(*, phone: str, since: datetime, references: Iterable[str]) -> QuerySet:
    """The texts of one person: to `phone` (E.164; "" for none) from `since` on, and about
    these references (登记编号) to any phone."""
    mine = Q(reference__in=list(references))
    if phone:
        mine |= Q(phone=phone, created_at__gte=since)
    return OutboxMessage.objects.filter(mine).order_by("created_at", "id")


def collect(texts: QuerySet) -> list[dict[str, object]]:
    return [
        {
            "时间": timezone.localtime(text.created_at).isoformat(timespec="seconds"),
            "手机号": text.phone,
            "类别": text.get_kind_display(),
            "关联编号": text.reference,
            "发送状态": text.get_status_display(),
            "内容": text.text,
        }
        for text in texts
    ]


def erase(texts: QuerySet) -> int:
    """注销账号: the texts lose their words and their number (the last four digits stay, for a
    question to 客服); one still waiting is not sent any more. How many."""
    rows = list(texts)
    for text in rows:
        text.phone = text.masked_phone
        text.text = ERASED_TEXT
        if text.status == Status.PENDING:
            text.status = Status.FAILED
            text.error = "账号已注销，不再发送。"
    OutboxMessage.objects.bulk_update(rows, ["phone", "text", "status", "error"], batch_size=1000)
    return len(rows)


def _bodies_past_period(now: datetime) -> QuerySet:
    cutoff = now - days("RETENTION_TEXT_BODY_DAYS")()
    finished_before = Q(status=Status.SENT, sent_at__lt=cutoff) | Q(
        status=Status.FAILED, created_at__lt=cutoff
    )
    return (
        OutboxMessage.objects.filter(finished_before)
        .exclude(text=CLEARED_TEXT)
        .exclude(text=ERASED_TEXT)
        .exclude(kind=OutboxMessage.Kind.CODE)  # cleared when it left (messaging/outbox.py)
    )


def _clear_bodies(texts: QuerySet, now: datetime) -> int:
    return texts.update(text=CLEARED_TEXT)


def _records_past_period(now: datetime) -> QuerySet:
    cutoff = now - days("RETENTION_TEXT_DAYS")()
    return OutboxMessage.objects.filter(status__in=FINISHED, created_at__lt=cutoff)


RETENTION_RULES = [
    Rule(
        key="text_bodies",
        label="短信内容",
        period=days("RETENTION_TEXT_BODY_DAYS"),
        sentence="短信发出（或发送失败）{days}天后删除内容，验证码短信发出后立即删除内容。",
        expired=_bodies_past_period,
        purge=_clear_bodies,
    ),
    Rule(
        key="text_records",
        label="短信发送记录（手机号、类别、发送状态）",
        period=days("RETENTION_TEXT_DAYS"),
        sentence="保存{days}天后删除。",
        expired=_records_past_period,
        purge=delete_rows,
    ),
]
