"""短信发送记录 in admin: what was texted, whether it went, and 重新发送 for the failed.

Rows are never edited or deleted here: a text's history is the record of what the site told
an applicant. A verification code's text is not shown (the code would let the reader sign in
as the applicant); the other texts are shown as sent.
"""

import re

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from messaging import outbox
from messaging.models import OutboxMessage

HIDDEN_CODE = "（验证码短信，内容不显示）"

# What rentcenter.sms's gateway backend records when a text does not go, in staff's words.
GATEWAY_ERRORS = (
    (re.compile(r"^gateway answered (\d+)"), "短信平台拒绝发送（返回 {0}）"),
    (re.compile(r"^gateway unreachable:.*time(?:d )?out", re.IGNORECASE), "连接短信平台超时"),
    (re.compile(r"^gateway unreachable"), "无法连接短信平台"),
)


def explain_error(error: str) -> str:
    for pattern, words in GATEWAY_ERRORS:
        if found := pattern.search(error):
            return words.format(*found.groups())
    return Truncator(error).chars(80) or "—"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "masked_phone",
        "reference",
        "status_column",
        "short_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("reference", "phone")
    date_hierarchy = "created_at"
    actions = ["resend_selected"]
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) of a table with a row per text
    fields = (
        "kind",
        "masked_phone",
        "reference",
        "shown_text",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "claimed_until",
        "sent_at",
        "gateway_message_id",
        "error",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    @admin.display(description="手机号")
    def masked_phone(self, obj: OutboxMessage) -> str:
        return obj.masked_phone

    @admin.display(description="短信内容")
    def shown_text(self, obj: OutboxMessage) -> str:
        return HIDDEN_CODE if obj.kind == OutboxMessage.Kind.CODE else obj.text

    @admin.display(description="发送状态", ordering="status")
    def status_column(self, obj: OutboxMessage) -> str:
        """失败（已试 8 次）: the state and the tries in one narrow column."""
        label = obj.get_status_display()
        if obj.status == OutboxMessage.Status.SENT:
            return f"{label}（第 {obj.attempts} 次）" if obj.attempts > 1 else label
        return f"{label}（已试 {obj.attempts} 次）" if obj.attempts else label

    @admin.display(description="最近一次错误")
    def short_error(self, obj: OutboxMessage) -> str:
        """What went wrong in a few words: cutting the gateway's answer at 40 characters left
        "gateway unreachable: <urlopen error [Er"; the text's page keeps it in full."""
        return explain_error(obj.error)

    @admin.action(description="重新发送所选的失败短信", permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        selected = queryset.count()  # before: resending moves rows out of a 失败 filter
        count = outbox.resend(queryset)
        skipped = selected - count
        self.message_user(request, f"已重新加入发送队列 {count} 条。", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} 条未重新发送：只有“失败”的短信可以重新发送，"
                "验证码短信请申请人重新获取。",
                messages.WARNING,
            )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("messaging.change_outboxmessage")
