"""Users in admin. Staff find people by phone and see whether they verified their real name;
ID numbers are masked everywhere, and the full number appears only on a user's change page and
only to staff holding accounts.view_full_id_number (个人信息保护法 art. 51: least access).

Applicants have no password (they log in with SMS codes); staff accounts do, and log in to admin
with phone + password."""

import logging
import re

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import realname
from accounts.models import User

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
    search_fields = ["phone", "real_name"]
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
        (None, {"fields": ["phone", "password"]}),
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
