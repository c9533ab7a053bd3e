"""The SMS outbox (短信发送记录): every text the site sends is a row here first.

The row is written in the same transaction as the change that causes it (a registration, a
reviewer's decision, a draw, a change of phone, a verification code), so a text is never lost
to a crash and never sent for a change that rolled back. A task sends it after commit
(messaging/outbox.py). This app is infrastructure: it imports no domain app; the apps decide
what to say and call messaging.outbox.queue_text.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "失败"

    class Kind(models.TextChoices):
        CODE = "code", "验证码"
        REGISTRATION = "registration", "登记成功"
        REVIEWING = "reviewing", "进入审核"  # 审核中: not a result yet
        DECISION = "decision", "审核结果"
        DRAW = "draw", "摇号结果"
        PHONE_CHANGE = "phone_change", "更改手机号码"
        OTHER = "other", "其他"

    phone = models.CharField("手机号", max_length=20)  # E.164, +8613800138000
    text = models.TextField("短信内容")
    kind = models.CharField("类别", max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # What the text is about, for staff searching and for a draw's progress: a registration's
    # 登记编号, or "draw:<id>" for the texts of a draw.
    reference = models.CharField("关联编号", max_length=40, blank=True)
    status = models.CharField(
        "发送状态", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    gateway_message_id = models.CharField("网关消息编号", max_length=100, blank=True)
    error = models.TextField("最近一次错误", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    # When the next attempt may start: creation, then later after each failure (backoff).
    next_attempt_at = models.DateTimeField("下次尝试时间", default=timezone.now)
    # The lease of the worker sending it now: while it lies in the future no other worker
    # takes the row; a worker that died mid-send leaves a lease that runs out, and the row is
    # taken again by the next one.
    claimed_until = models.DateTimeField("占用至", null=True, blank=True)
    claimed_by = models.CharField("占用标记", max_length=32, blank=True)  # the attempt's token
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信"
        verbose_name_plural = "短信发送记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep looks for pending rows whose task was lost (outbox.requeue_stranded).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due",
            ),
            # A draw's progress on its admin page counts its texts by status.
            models.Index(fields=["reference", "status"], name="outbox_reference_status"),
            models.Index(fields=["status", "-created_at"], name="outbox_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        """138****8000 for a mainland number, as admin shows phones elsewhere."""
        phone = self.phone.removeprefix("+86") if len(self.phone) == 14 else self.phone
        return f"{phone[:-8]}****{phone[-4:]}" if len(phone) > 8 else phone
