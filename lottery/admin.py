"""摇号 in admin: 冻结名单 and 录入种子并摇号, each a form, a confirmation page, then the step.

The draw and its entries are never edited through admin: the only changes are the two steps,
which call lottery/draw.py. 配租管理员 hold add_draw (冻结名单) and change_draw (摇号);
资格审核员 may only look (lottery/migrations/0003_staff_permissions.py).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from lottery import draw as lottery
from lottery.forms import DrawForm, FreezeForm
from lottery.models import Draw, Eligibility, Entry, PriorityGroup, PriorityGroupOffering
from plans.models import Plan

FREEZE_PERMISSION = "lottery.add_draw"
DRAW_PERMISSION = "lottery.change_draw"


def plan_draw_link(plan: Plan) -> str:
    """For PlanAdmin: the plan's draw, or the way to freeze its list."""
    if not plan.pk:
        return "保存计划后可进行摇号。"
    try:
        draw = plan.draw
    except ObjectDoesNotExist:
        if plan.registration_state() != Plan.RegistrationState.ENDED:
            return "登记结束后可冻结名单、摇号。"
        url = reverse("admin:lottery_draw_freeze", args=[plan.pk])
        return format_html('<a class="button" href="{}">冻结名单</a>', url)
    return format_html(
        '<a href="{}">{}（{} 人）</a> · <a href="{}">摇号结果公示页</a>',
        reverse("admin:lottery_draw_change", args=[draw.pk]),
        draw.get_state_display(),
        draw.entry_count,
        reverse("lottery:result", args=[plan.pk]),
    )


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    list_display = ("plan", "state", "eligibility", "entry_count", "frozen_at", "drawn_at")
    list_filter = ("state",)
    list_select_related = ("plan",)
    search_fields = ("plan__title",)
    fieldsets = [
        (None, {"fields": ("plan", "state", "steps")}),
        (
            "冻结的名单",
            {
                "fields": (
                    "eligibility",
                    "entry_count",
                    "group_list",
                    "list_sha256",
                    "algorithm",
                    "announced_seed_source",
                    "frozen_at",
                    "frozen_by",
                )
            },
        ),
        ("摇号", {"fields": ("seed", "seed_source", "drawn_at", "drawn_by")}),
    ]
    readonly_fields = [
        "plan",
        "state",
        "steps",
        "eligibility",
        "entry_count",
        "group_list",
        "list_sha256",
        "algorithm",
        "announced_seed_source",
        "frozen_at",
        "frozen_by",
        "seed",
        "seed_source",
        "drawn_at",
        "drawn_by",
    ]

    # Created only by 冻结名单, changed only by 摇号, never deleted: the change form is a view.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Draw | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Draw | None = None) -> bool:
        return False

    @admin.display(description="操作")
    def steps(self, obj: Draw) -> str:
        public = reverse("lottery:result", args=[obj.plan_id])
        links = format_html(
            '<a href="{}">摇号结果公示页</a> · <a href="{}">entries.txt</a>',
            public,
            reverse("lottery:entries", args=[obj.plan_id]),
        )
        if obj.is_drawn:
            result = reverse("lottery:result_txt", args=[obj.plan_id])
            return format_html('{} · <a href="{}">result.txt</a>', links, result)
        run = reverse("admin:lottery_draw_run", args=[obj.pk])
        return format_html('<a class="button" href="{}">录入种子并摇号</a> {}', run, links)

    @admin.display(description="摇号分组")
    def group_list(self, obj: Draw) -> str:
        return "；".join(
            f"{number}. {group['name']}（{'、'.join(group['projects']) or '—'}）"
            for number, group in enumerate(obj.groups, start=1)
        )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("freeze/<int:plan_id>/", wrap(self.freeze_view), name="lottery_draw_freeze"),
            path(
                "freeze/<int:plan_id>/confirm/",
                wrap(self.freeze_confirm_view),
                name="lottery_draw_freeze_confirm",
            ),
            path("<int:draw_id>/run/", wrap(self.run_view), name="lottery_draw_run"),
            path(
                "<int:draw_id>/run/confirm/",
                wrap(self.run_confirm_view),
                name="lottery_draw_run_confirm",
            ),
            *super().get_urls(),
        ]

    def page(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        site = self.admin_site.each_context(request)
        context = {**site, "opts": self.opts, "title": title, **context}
        return TemplateResponse(request, f"lottery/admin/{template}", context)

    # 冻结名单 ------------------------------------------------------------------------------

    @staticmethod
    def require(request: HttpRequest, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    @method_decorator(require_http_methods(["GET", "POST"]))
    def freeze_view(self, request: HttpRequest, plan_id: int) -> HttpResponse:
        """GET: choose who draws and announce the seed's source; POST: the confirmation page."""
        self.require(request, FREEZE_PERMISSION)
        plan = get_object_or_404(Plan, pk=plan_id)
        if Draw.objects.filter(plan=plan).exists():
            messages.warning(request, "该计划的名单已经冻结。")
            return redirect("admin:lottery_draw_change", plan.draw.pk)
        form = FreezeForm(request.POST if request.method == "POST" else None)
        context = {"plan": plan, "form": form, "ended": plan.state == Plan.RegistrationState.ENDED}
        if request.method == "POST" and form.is_valid():
            eligibility = Eligibility(form.cleaned_data["mode"])
            context["eligibility"] = eligibility
            context["count"] = lottery.eligible_registrations(plan, eligibility).count()
            context["groups"], _ = lottery.groups_of(plan)
            return self.page(request, "freeze_check.html", "确认冻结名单", **context)
        return self.page(request, "freeze.html", "冻结名单", **context)

    @method_decorator(require_POST)
    def freeze_confirm_view(self, request: HttpRequest, plan_id: int) -> HttpResponse:
        """冻结名单, then the draw's page."""
        self.require(request, FREEZE_PERMISSION)
        plan = get_object_or_404(Plan, pk=plan_id)
        form = FreezeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请重新选择并填写。")
            return redirect("admin:lottery_draw_freeze", plan.pk)
        try:
            draw = lottery.freeze(
                plan=plan,
                mode=form.cleaned_data["mode"],
                by=request.user,
                seed_source=form.cleaned_data["seed_source"],
            )
        except lottery.LotteryError as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:plans_plan_change", plan.pk)
        messages.success(
            request,
            f"名单已冻结：{draw.entry_count} 人，SHA-256 {draw.list_sha256}。已在公示页公布。",
        )
        return redirect("admin:lottery_draw_change", draw.pk)

    # 录入种子并摇号 ----------------------------------------------------------------------------

    @method_decorator(require_http_methods(["GET", "POST"]))
    def run_view(self, request: HttpRequest, draw_id: int) -> HttpResponse:
        """GET: enter the seed and its source; POST: the confirmation page with the list hash."""
        self.require(request, DRAW_PERMISSION)
        draw = get_object_or_404(Draw.objects.select_related("plan"), pk=draw_id)
        if draw.is_drawn:
            messages.warning(request, "该计划已经摇号，结果不能更改。")
            return redirect("admin:lottery_draw_change", draw.pk)
        initial = {"seed_source": draw.announced_seed_source}
        form = DrawForm(request.POST if request.method == "POST" else None, initial=initial)
        context = {"draw": draw, "plan": draw.plan, "form": form}
        if request.method == "POST" and form.is_valid():
            return self.page(request, "draw_check.html", "确认摇号", **context)
        return self.page(request, "draw.html", "录入种子并摇号", **context)

    @method_decorator(require_POST)
    def run_confirm_view(self, request: HttpRequest, draw_id: int) -> HttpResponseRedirect:
        """摇号, then the draw's page."""
        self.require(request, DRAW_PERMISSION)
        draw = get_object_or_404(Draw.objects.select_related("plan"), pk=draw_id)
        form = DrawForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请重新录入种子。")
            return redirect("admin:lottery_draw_run", draw.pk)
        try:
            lottery.draw(
                plan=draw.plan,
                seed=form.cleaned_data["seed"],
                seed_source=form.cleaned_data["seed_source"],
                by=request.user,
            )
        except lottery.LotteryError as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:lottery_draw_change", draw.pk)
        messages.success(request, "摇号完成，结果已公布，并已向每位参加摇号的申请人发送短信。")
        return redirect("admin:lottery_draw_change", draw.pk)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Which registration holds which code: for staff answering applicants' questions."""

    list_display = ("code", "plan", "group", "position", "overall_position", "registration")
    list_filter = ("draw__plan",)
    list_select_related = ("draw__plan", "registration")
    search_fields = ("=code", "=registration__number")
    show_full_result_count = False
    readonly_fields = ("draw", "registration", "code", "group", "position", "overall_position")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Entry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Entry | None = None) -> bool:
        return False

    @admin.display(description="配租计划", ordering="draw__plan")
    def plan(self, obj: Entry) -> Plan:
        return obj.draw.plan


class MembershipFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        plan_id = self.instance.plan_id
        for form in self.forms:
            offering = form.cleaned_data.get("offering") if form.cleaned_data else None
            if offering and plan_id and offering.plan_id != plan_id:
                form.add_error("offering", "只能选择本配租计划的项目小区。")


def frozen(group: PriorityGroup | None) -> bool:
    """Groups are fixed once their plan's list is frozen (the draw keeps a copy anyway)."""
    return group is not None and Draw.objects.filter(plan_id=group.plan_id).exists()


class MembershipInline(admin.TabularInline):
    model = PriorityGroupOffering
    formset = MembershipFormSet
    extra = 1
    verbose_name = "项目小区"
    verbose_name_plural = "分组包含的项目小区"

    def has_add_permission(self, request: HttpRequest, obj: PriorityGroup | None) -> bool:
        return super().has_add_permission(request, obj) and not frozen(obj)

    def has_change_permission(self, request: HttpRequest, obj: PriorityGroup | None = None):
        return super().has_change_permission(request, obj) and not frozen(obj)

    def has_delete_permission(self, request: HttpRequest, obj: PriorityGroup | None = None):
        return super().has_delete_permission(request, obj) and not frozen(obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "offering":
            kwargs["queryset"] = db_field.related_model.objects.select_related("plan", "project")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    """摇号分组: which projects are drawn first. Fixed once the plan's list is frozen."""

    list_display = ("name", "plan", "position", "project_names")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    ordering = ("plan", "position")
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriorityGroup]:
        return super().get_queryset(request).prefetch_related("memberships__offering__project")

    @admin.display(description="项目小区")
    def project_names(self, obj: PriorityGroup) -> str:
        return "、".join(m.offering.project.name for m in obj.memberships.all()) or "—"

    def has_change_permission(self, request: HttpRequest, obj: PriorityGroup | None = None):
        return super().has_change_permission(request, obj) and not frozen(obj)

    def has_delete_permission(self, request: HttpRequest, obj: PriorityGroup | None = None):
        return super().has_delete_permission(request, obj) and not frozen(obj)
