"""Users in admin. Staff find people by phone and see whether they verified their real name;
ID numbers are masked everywhere. Staff holding accounts.view_full_id_number may see a full
number after typing why (个人信息保护法 art. 51: least access), and every look at an account is
a 查看记录 the applicant sees (accounts/access_log.py); the trail itself is read-only here.

Applicants have no password (they log in with SMS codes); staff accounts do, and log in to admin
with phone + password."""

import csv
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import access_log, realname, staff_login
from accounts.models import AccessEvent, Consent, LoginFailure, LoginLockout, User

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


FULL_ID = "accounts.view_full_id_number"


class RevealReasonForm(forms.Form):
    reason = forms.CharField(
        label="查看原因",
        min_length=4,
        max_length=access_log.MAX_REASON,
        help_text="例如：核对身份证照片与填报的证件号码是否一致。申请人会看到这次查看，原因会记录在案。",
        error_messages={
            "required": "请填写查看完整证件号码的原因。",
            "min_length": "请具体说明查看原因（至少4个字）。",
            "max_length": "查看原因不能超过200个字。",
        },
        widget=forms.TextInput(attrs={"class": "vTextField", "autocomplete": "off"}),
    )


def reveal_id_number(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    *,
    subject: User,
    number: str,
    target: str,
    back_url: str,
) -> HttpResponse:
    """查看完整证件号码: the reason first, then the number once, and a 查看记录 with that reason.
    For staff holding accounts.view_full_id_number; the page is never cached."""
    if not (request.user.has_perm(FULL_ID) and model_admin.has_view_permission(request)):
        raise PermissionDenied
    if not number:
        raise Http404
    form = RevealReasonForm(request.POST or None)
    revealed = ""
    if request.method == "POST" and form.is_valid():
        access_log.record(
            request,
            subject_id=subject.pk,
            action=access_log.Action.FULL_ID_NUMBER,
            target=target,
            reason=form.cleaned_data["reason"],
        )
        revealed = number
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "查看完整证件号码",
        "subject": subject,
        "target": target,
        "form": form,
        "revealed": revealed,
        "back_url": back_url,
        "opts": model_admin.model._meta,
    }
    # admin_view adds never_cache (no-store) to every admin page, this one included.
    return TemplateResponse(request, "admin/reveal_id_number.html", context)


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
        # What an applicant sees of a staff member in 谁查看了我的信息.
        ("工作人员", {"fields": ["staff_number", "department"]}),
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

    @admin.display(description="证件号码")
    def full_id_number(self, user: User) -> str:
        if not user.id_number_encrypted:
            return "—"
        url = reverse("admin:accounts_user_id_number", args=[user.pk])
        link = '{} <a class="reveal-link" href="{}">查看完整号码（需填写原因）</a>'
        return format_html(link, user.masked_id_number, url)

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

    def get_urls(self):
        view = self.admin_site.admin_view(self.id_number_view)
        return [
            path("<int:pk>/id-number/", view, name="accounts_user_id_number"),
            *super().get_urls(),
        ]

    def id_number_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(User, pk=pk)
        back = reverse("admin:accounts_user_change", args=[pk])
        return reveal_id_number(
            request,
            self,
            subject=user,
            number=user.id_number,
            target="账号的实名信息",
            back_url=back,
        )

    def change_view(self, request: HttpRequest, object_id: str, *args, **kwargs):
        user = self.get_object(request, unquote(object_id))
        if request.method == "GET" and user and self.has_view_or_change_permission(request, user):
            access_log.record(
                request, subject_id=user.pk, action=access_log.Action.ACCOUNT, target="账号信息"
            )
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


# 告知与同意 and 查看记录: records nobody edits ----------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that are evidence: no one adds, changes or deletes them here, superusers
    included (a superuser passes every has_perm, so the answers are given here outright)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DepartmentFilter(admin.SimpleListFilter):
    """所属部门 as recorded; events of staff without a department are listed under 未填写."""

    title = "所属部门"
    parameter_name = "department"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        names = AccessEvent.objects.order_by("department").values_list("department", flat=True)
        return [(name or "-", name or "未填写") for name in names.distinct()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(department="" if self.value() == "-" else self.value())
        return queryset


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    """查看记录, the whole trail: for superusers only, to read and to export for audits."""

    list_display = [
        "at",
        "staff_number",
        "department",
        "staff",
        "action",
        "target",
        "reason",
        "subject",
        "address",
    ]
    list_filter = ["action", DepartmentFilter]
    list_select_related = ["staff", "subject"]
    search_fields = ["staff_number", "staff__phone", "subject__phone", "target", "reason"]
    search_help_text = "按工号、手机号、查看内容或原因搜索"
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    actions = ["export_csv"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="导出所选查看记录为 CSV（审计用）")
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        rows = access_event_rows(queryset.select_related("staff", "subject").order_by("at", "id"))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="access-events-{stamp}.csv"'
        logger.info("user %s exported %d access events", request.user.pk, queryset.count())
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


ACCESS_CSV_HEADER = [
    "时间",
    "工号",
    "所属部门",
    "工作人员账号",
    "操作",
    "查看内容",
    "查看原因",
    "被查看的账号",
    "被查看账号编号",
    "IP地址",
]


def access_event_rows(events: QuerySet[AccessEvent]) -> Iterator[str]:
    """The trail as CSV lines, with a BOM so that Excel reads the Chinese."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(ACCESS_CSV_HEADER)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.staff_number,
                event.department,
                event.staff.masked_phone,
                event.get_action_display(),
                event.target,
                event.reason,
                str(event.subject),
                event.subject_id,
                event.address or "",
            ]
        )


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """Who agreed to which version of the 个人信息处理规则, and when: evidence, read only."""

    list_display = ["given_at", "user", "kind", "version", "address"]
    list_filter = ["kind", "version"]
    list_select_related = ["user"]
    search_fields = ["user__phone"]
    date_hierarchy = "given_at"
    ordering = ["-given_at", "-id"]
