"""短信发送记录 in admin: what was texted, whether it went, and 重新发送 for the failed.

Rows are never edited or deleted here: a text's history is the record of what the site told
an applicant. A verification code's text is not shown (the code would let the reader sign in
as the applicant); the other texts are shown as sent.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from messaging import outbox
from messaging.models import OutboxMessage

HIDDEN_CODE = "（验证码短信，内容不显示）"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "masked_phone",
        "reference",
        "status",
        "attempts",
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

    @admin.display(description="最近一次错误")
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.error[:40]

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
