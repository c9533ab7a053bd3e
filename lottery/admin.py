"""摇号 in admin: 冻结名单 and 录入号码并摇号, each a form, a confirmation page, then the step.

The draw and its entries are never edited through admin: the only changes are the two steps,
which call lottery/draw.py. 配租管理员 hold add_draw (冻结名单) and change_draw (摇号);
资格审核员 may only look (lottery/migrations/0003_staff_permissions.py).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_http_methods, require_POST

from lottery import draw as lottery
from lottery import verify
from lottery.forms import FreezeForm, NumbersForm, SourceFormSet, TypedSeedForm
from lottery.models import Draw, Eligibility, Entry, PriorityGroup, PriorityGroupOffering
from messaging import outbox
from plans.admin import PlanPanel, add_plan_panel
from plans.models import Plan
from rentcenter.adminforms import LabelledTabularInline
from rentcenter.dates import format_when

FREEZE_PERMISSION = "lottery.add_draw"
DRAW_PERMISSION = "lottery.change_draw"


def plan_draw_link(plan: Plan) -> str:
    """The 摇号 panel of the plan's admin page: the draw, or the way to freeze its list."""
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
    readonly_fields = [
        "plan",
        "state",
        "steps",
        "eligibility",
        "entry_count",
        "group_list",
        "list_sha256",
        "algorithm",
        "seed_rule",
        "source_list",
        "canonical",
        "announced_seed_source",
        "frozen_at",
        "frozen_by",
        "seed",
        "seed_source",
        "drawn_at",
        "drawn_by",
        "texts_progress",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Draw | None = None) -> list:
        frozen = ["eligibility", "entry_count", "group_list", "list_sha256", "algorithm"]
        frozen += ["seed_rule", "frozen_at", "frozen_by"]
        if obj is not None and not obj.seeded_by_sources:
            frozen.insert(-2, "announced_seed_source")
            drawn = ["seed", "seed_source", "drawn_at", "drawn_by", "texts_progress"]
        else:
            frozen.insert(-2, "source_list")
            drawn = ["canonical", "seed", "drawn_at", "drawn_by", "texts_progress"]
        return [
            (None, {"fields": ["plan", "state", "steps"]}),
            ("冻结的名单", {"fields": frozen}),
            ("摇号", {"fields": drawn}),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Draw]:
        return super().get_queryset(request).prefetch_related("seed_sources")

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
            links = format_html('{} · <a href="{}">result.txt</a>', links, result)
            if obj.seeded_by_sources:
                seed = reverse("lottery:seed_txt", args=[obj.plan_id])
                links = format_html('{} · <a href="{}">seed.txt</a>', links, seed)
            return links
        run = reverse("admin:lottery_draw_run", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a> {}', run, run_title(obj), links)

    @admin.display(description="短信通知")
    def texts_progress(self, obj: Draw) -> str:
        """How far the entrants' texts have gone (the outbox sends them after the draw)."""
        if not obj.is_drawn:
            return "摇号后向每位入围申请人发送顺序号短信。"
        reference = lottery.texts_reference(obj)
        counts = outbox.progress(reference)
        listing = reverse("admin:messaging_outboxmessage_changelist") + f"?reference={reference}"
        return format_html(
            '已发送 {} · 待发送 {} · 失败 {}（共 {} 条）· <a href="{}">查看短信</a>',
            counts.sent,
            counts.pending,
            counts.failed,
            counts.total,
            listing,
        )

    @admin.display(description="种子来源")
    def source_list(self, obj: Draw) -> str:
        """The announced sources, with their numbers once drawn."""
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{}（{} 公布，{}）{}</li>",
                (
                    (
                        source.name,
                        format_when(source.known_at),
                        source.rule_text,
                        f"：{source.numbers}" if source.numbers else "",
                    )
                    for source in obj.seed_sources.all()
                ),
            ),
        )

    @admin.display(description="规范字符串")
    def canonical(self, obj: Draw) -> str:
        if not (obj.is_drawn and obj.seeded_by_sources):
            return "—"
        sources = [source.as_source() for source in obj.seed_sources.all()]
        return verify.canonical_string(sources)

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
        """GET: choose who draws and announce the seed's sources; POST: the confirmation page."""
        self.require(request, FREEZE_PERMISSION)
        plan = get_object_or_404(Plan, pk=plan_id)
        if Draw.objects.filter(plan=plan).exists():
            messages.warning(request, "该计划的名单已经冻结。")
            return redirect("admin:lottery_draw_change", plan.draw.pk)
        data = request.POST if request.method == "POST" else None
        form, sources = FreezeForm(data), SourceFormSet(data, prefix="sources")
        context = {"plan": plan, "form": form, "sources": sources}
        context["ended"] = plan.state == Plan.RegistrationState.ENDED
        # "返回修改" on the confirmation page posts the values back to this form.
        checking = request.method == "POST" and "edit" not in request.POST
        if checking and form.is_valid() and sources.is_valid():
            eligibility = Eligibility(form.cleaned_data["mode"])
            context["eligibility"] = eligibility
            context["count"] = lottery.eligible_registrations(plan, eligibility).count()
            context["groups"], _ = lottery.groups_of(plan)
            context["announcements"] = sources.announcements()
            return self.page(request, "freeze_check.html", "确认冻结名单", **context)
        return self.page(request, "freeze.html", "冻结名单", **context)

    @method_decorator(require_POST)
    def freeze_confirm_view(self, request: HttpRequest, plan_id: int) -> HttpResponse:
        """冻结名单, then the draw's page."""
        self.require(request, FREEZE_PERMISSION)
        plan = get_object_or_404(Plan, pk=plan_id)
        form, sources = FreezeForm(request.POST), SourceFormSet(request.POST, prefix="sources")
        if not (form.is_valid() and sources.is_valid()):
            # Re-checked when confirmed: a source's instant may have passed in the meantime.
            ended = plan.state == Plan.RegistrationState.ENDED
            context = {"plan": plan, "form": form, "sources": sources, "ended": ended}
            return self.page(request, "freeze.html", "冻结名单", **context)
        try:
            draw = lottery.freeze(
                plan=plan,
                mode=form.cleaned_data["mode"],
                by=request.user,
                sources=sources.announcements(),
            )
        except lottery.LotteryError as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:plans_plan_change", plan.pk)
        messages.success(
            request,
            f"名单已冻结：{draw.entry_count} 人，SHA-256 {draw.list_sha256}。"
            "名单和种子来源已在公示页公布。",
        )
        return redirect("admin:lottery_draw_change", draw.pk)

    # 录入号码并摇号 ----------------------------------------------------------------------------

    @staticmethod
    def draw_form(draw: Draw, data=None) -> NumbersForm | TypedSeedForm:
        """The sources' numbers; for a list frozen before seeds came from public numbers, the
        typed seed, with the source announced in words as its default."""
        if draw.seeded_by_sources:
            return NumbersForm(data, sources=list(draw.seed_sources.order_by("position")))
        return TypedSeedForm(data, initial={"seed_source": draw.announced_seed_source})

    @method_decorator(require_http_methods(["GET", "POST"]))
    def run_view(self, request: HttpRequest, draw_id: int) -> HttpResponse:
        """GET: enter the numbers (or seed); POST: the confirmation page with the seed."""
        self.require(request, DRAW_PERMISSION)
        draw = get_object_or_404(Draw.objects.select_related("plan"), pk=draw_id)
        if draw.is_drawn:
            messages.warning(request, "该计划已经摇号，结果不能更改。")
            return redirect("admin:lottery_draw_change", draw.pk)
        form = self.draw_form(draw, request.POST if request.method == "POST" else None)
        context = {"draw": draw, "plan": draw.plan, "form": form}
        checking = request.method == "POST" and "edit" not in request.POST
        if checking and form.is_valid():
            if draw.seeded_by_sources:
                checked = form.checked_sources()
                context["checked"] = zip(form.sources, checked, strict=True)
                context["canonical"] = verify.canonical_string(checked)
                context["seed"] = verify.seed_from(checked)
            return self.page(request, "draw_check.html", "确认摇号", **context)
        return self.page(request, "draw.html", run_title(draw), **context)

    @method_decorator(require_POST)
    def run_confirm_view(self, request: HttpRequest, draw_id: int) -> HttpResponse:
        """摇号, then the draw's page."""
        self.require(request, DRAW_PERMISSION)
        draw = get_object_or_404(Draw.objects.select_related("plan"), pk=draw_id)
        if draw.is_drawn:
            messages.error(request, "该计划已经摇号，结果不能更改。")
            return redirect("admin:lottery_draw_change", draw.pk)
        form = self.draw_form(draw, request.POST)
        if not form.is_valid():
            context = {"draw": draw, "plan": draw.plan, "form": form}
            return self.page(request, "draw.html", run_title(draw), **context)
        try:
            if draw.seeded_by_sources:
                lottery.draw(plan=draw.plan, numbers=form.numbers(), by=request.user)
            else:
                lottery.draw_with_typed_seed(
                    plan=draw.plan,
                    seed=form.cleaned_data["seed"],
                    seed_source=form.cleaned_data["seed_source"],
                    by=request.user,
                )
        except lottery.LotteryError as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:lottery_draw_change", draw.pk)
        messages.success(
            request,
            "摇号完成，结果已公布。给每位参加摇号的申请人的短信已加入发送队列，发送进度见“短信通知”。",
        )
        return redirect("admin:lottery_draw_change", draw.pk)


def run_title(draw: Draw) -> str:
    return "录入号码并摇号" if draw.seeded_by_sources else "录入种子并摇号"


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


class MembershipInline(LabelledTabularInline):
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


add_plan_panel(PlanPanel(name="draw", title="摇号", render=plan_draw_link))
