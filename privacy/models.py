"""The applicant's rights over their data (个人信息保护法 arts. 44–47): 我的个人信息 exports, and
the record of each retention purge.

A DataExport is one 下载我的个人信息 request: made after a fresh SMS code, built by a background
task into a ZIP in private storage (privacy/export.py), served only to its owner, deleted
RETENTION_EXPORT_DAYS after it was made (the row stays, saying so). A PurgeRun is one
`manage.py purge_expired --commit`: when, and how many of each kind it removed — the
accountability record of deletion (art. 47) and what `check --deploy --database default` reads
to tell whether the purge runs.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from rentcenter.storage import private_storage


def export_upload_to(instance: "DataExport", filename: str) -> str:
    return f"exports/{instance.user_id}/{secrets.token_hex(16)}.zip"


def new_token() -> str:
    return secrets.token_urlsafe(18)


class DataExport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "正在生成"
        READY = "ready", "可以下载"
        FAILED = "failed", "生成失败"
        EXPIRED = "expired", "已过期删除"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="data_exports",
        verbose_name="账号",
    )
    # In the download address instead of the row's number, which would tell how many exist.
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    ready_at = models.DateTimeField("生成时间", null=True, blank=True)
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)
    file = models.FileField("文件", storage=private_storage, upload_to=export_upload_to, blank=True)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)

    class Meta:
        verbose_name = "个人信息下载"
        verbose_name_plural = "个人信息下载"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["user", "-requested_at"], name="export_user_requested")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="ready")
                | models.Q(ready_at__isnull=False, expires_at__isnull=False),
                name="export_ready_has_times",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_status_display()} · {timezone.localtime(self.requested_at):%Y-%m-%d %H:%M}"
        )

    def is_downloadable(self, now) -> bool:
        return self.status == self.Status.READY and self.expires_at > now

    def delete_file(self) -> None:
        """The ZIP goes (expired, or the account closed); the row stays, saying so."""
        if self.file:
            self.file.storage.delete(self.file.name)
        self.file = ""
        self.status = self.Status.EXPIRED
        self.save(update_fields=["file", "status"])


class PurgeRun(models.Model):
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # {rule key: how many items it removed or cleared}
    counts = models.JSONField("清理数量", default=dict)

    class Meta:
        verbose_name = "到期数据清理记录"
        verbose_name_plural = "到期数据清理记录"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"
