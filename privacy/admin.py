"""个人信息 in admin: the 我的个人信息 downloads and the purge's records, for superusers, read
only (what was exported and what was deleted are facts, not settings)."""

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import ReadOnlyAdmin
from privacy.models import DataExport, PurgeRun


class SuperuserOnly(ReadOnlyAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


@admin.register(DataExport)
class DataExportAdmin(SuperuserOnly):
    list_display = ["requested_at", "user", "status", "ready_at", "expires_at", "size"]
    list_filter = ["status"]
    list_select_related = ["user"]
    fields = ["user", "status", "requested_at", "address", "ready_at", "expires_at", "size"]
    date_hierarchy = "requested_at"


@admin.register(PurgeRun)
class PurgeRunAdmin(SuperuserOnly):
    list_display = ["started_at", "finished_at", "counts"]
    fields = ["started_at", "finished_at", "counts"]
