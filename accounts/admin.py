"""Users in admin. Staff find people by phone and see whether they verified their real name;
ID numbers are masked everywhere, and the full number appears only on a user's change page and
only to staff holding accounts.view_full_id_number (个人信息保护法 art. 51: least access).

Applicants have no password (they log in with SMS codes); staff accounts do, and log in to admin
with phone + password."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import realname, staff_login
from accounts.models import LoginFailure, LoginLockout, User

logger = logging.getLogger(__name__)


class RealNameFilter(admin.SimpleListFilter):
    title = "实名状态"
    parameter_name = "real_name"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "已实名"), ("no", "未实名")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "yes":
            return queryset.filter(real_name_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(real_name_verified_at__isnull=True)
        return queryset


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("phone",)


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = [
        "phone",
        "real_name",
        "masked_id_number_column",
        "has_real_name_column",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [RealNameFilter, "is_staff", "is_active", "groups"]
    search_fields = ["phone", "real_name", "staff_name"]
    ordering = ["-date_joined"]
    actions = ["clear_real_name"]
    readonly_fields = [
        "real_name",
        "sex",
        "birth_date",
        "real_name_verified_at",
        "masked_id_number_column",
        "last_login",
        "date_joined",
    ]
    fieldsets = [
        (None, {"fields": ["phone", "password", "staff_name"]}),
        (
            "实名认证",
            {
                "fields": [
                    "real_name",
                    "id_number_field",
                    "sex",
                    "birth_date",
                    "real_name_verified_at",
                ]
            },
        ),
        (
            "权限",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["phone", "usable_password", "password1", "password2"]},
        ),
    ]

    @admin.action(description="撤销实名认证（核实本人后释放证件号码）", permissions=["change"])
    def clear_real_name(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(real_name_verified_at__isnull=False))
        for user in users:
            realname.clear_real_name(user=user)
            self.log_change(request, user, "撤销实名认证")
        self.message_user(request, f"已撤销 {len(users)} 个账号的实名认证。")

    @admin.display(description="证件号码")
    def masked_id_number_column(self, user: User) -> str:
        return user.masked_id_number or "—"

    @admin.display(description="证件号码（完整）")
    def full_id_number(self, user: User) -> str:
        return user.id_number or "—"

    @admin.display(description="已实名", boolean=True)
    def has_real_name_column(self, user: User) -> bool:
        return user.has_real_name

    def _id_number_field(self, request: HttpRequest) -> str:
        if request.user.has_perm("accounts.view_full_id_number"):
            return "full_id_number"
        return "masked_id_number_column"

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        shown = self._id_number_field(request)
        return [
            (
                name,
                {
                    **options,
                    "fields": [shown if f == "id_number_field" else f for f in options["fields"]],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "full_id_number"]

    def change_view(self, request: HttpRequest, object_id: str, *args, **kwargs):
        if request.user.has_perm("accounts.view_full_id_number"):
            # Who read which full number, and when, is kept in the log for audits.
            logger.info("user %s viewed the change page of user %s", request.user.pk, object_id)
        return super().change_view(request, object_id, *args, **kwargs)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        # Phones are stored as +8613800138000: "138 0013 8000" and "138-0013-8000" find it too.
        if re.fullmatch(r"[\d\s+-]+", search_term.strip()):
            search_term = re.sub(r"[\s-]", "", search_term)
        return super().get_search_results(request, queryset, search_term)


# Admin logins refused (accounts.staff_login) -----------------------------------------------------


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Who is locked out of the admin login, until when (accounts.staff_login's rules: an
    account from one address, an account from everywhere, an address for every account); 解除
    所选的登录锁定 removes what locks the selected rows, for a staff member who proved who they
    are another way."""

    list_display_links = None
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    actions = ["unlock"]

    def get_list_display(self, request: HttpRequest) -> list:
        # Each row's state depends on the other rows of its account and address: the recent
        # ones are read once for the page (one query, whatever its length).
        rows = staff_login.recent_attempts()

        @admin.display(description="状态")
        def state(attempt: LoginLockout) -> str:
            return describe(attempt, rows)

        return ["username", "ip_address", "failures_since_start", "attempt_time", state]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginLockout | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # 解除锁定 says what deleting means here
        return actions

    @admin.action(description="解除所选的登录锁定", permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[LoginLockout]) -> None:
        rows = staff_login.recent_attempts()
        selected = list(queryset)
        for attempt in selected:
            lock = staff_login.lockout_of(attempt.username, attempt.ip_address, rows)
            scope = lock.scope if lock else "row"
            logger.warning(
                "user %s removed the admin login lockout (%s) of %s from %s",
                request.user.pk,
                scope,
                attempt.username,
                attempt.ip_address,
            )
            what = {
                "pair": {"username": attempt.username, "ip_address": attempt.ip_address},
                "account": {"username": attempt.username},
                "address": {"ip_address": attempt.ip_address},
                "row": {"pk": attempt.pk},
            }[scope]
            unlocked = list(LoginLockout.objects.filter(**what))
            self.log_deletions(request, unlocked)
            LoginLockout.objects.filter(pk__in=[row.pk for row in unlocked]).delete()
        self.message_user(request, f"已解除 {len(selected)} 个登录锁定。")


def describe(attempt: LoginLockout, rows: list[staff_login.Attempt]) -> str:
    """What a row of the lockout list means now, in the words of the rules."""
    window = timedelta(minutes=settings.STAFF_LOGIN_LOCKOUT_MINUTES)
    if attempt.attempt_time + window <= timezone.now():
        return "已过期"
    lock = staff_login.lockout_of(attempt.username, attempt.ip_address, rows)
    if lock is not None:
        until = f"{timezone.localtime(lock.ends_at):%H:%M}"
        return {
            "pair": f"此地址锁定至 {until}",
            "account": f"账号锁定至 {until}（已完成双重验证的设备仍可登录）",
            "address": f"地址锁定至 {until}（已完成双重验证的设备仍可登录）",
        }[lock.scope]
    here = sum(
        row[3] for row in rows if row[0] == attempt.username and row[1] == attempt.ip_address
    )
    account = sum(row[3] for row in rows if row[0] == attempt.username)
    return f"此地址 {here} 次，账号共 {account} 次失败，未锁定"


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Every wrong admin password, for audits: read only, kept."""

    list_display = ["attempt_time", "username", "ip_address", "locked_out", "user_agent"]
    list_filter = ["locked_out"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"
    ordering = ["-attempt_time"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginFailure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LoginFailure | None = None) -> bool:
        return False
