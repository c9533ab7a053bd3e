"""After the draw in admin: 房源 and their import, 资格复核, 选房场次, 代为选房, 选房结果 and 签约.

The plan's admin page gets a 选房 panel (plans.admin.add_plan_panel) leading to the plan's 选房
page: each group's figures, 开放资格复核 for the next entrants, its sessions and the turn running
now (with 代为选房 for staff on site), the homes of each project with their import, and the CSV
for the 运营单位. Every change goes through the topic modules (homes, recheck, turns, choosing,
signing), which lock, record an event with who and when, and write the texts to the outbox.

Rights (allocation/migrations/0002_staff_permissions.py): 配租管理员 import homes, call entrants
to 资格复核, set sessions, choose on an entrant's behalf, publish results, keep 签约 slots and
record 已签约 or release; 资格复核员 decide 资格复核 (review_recheck) and look at the rest.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from allocation import choosing, homes, oversight, recheck, signing, turns
from allocation.models import (
    AllocationEvent,
    Choice,
    ChoosingPolicy,
    Home,
    Recheck,
    RecheckDocumentCheck,
    Session,
    SigningSlot,
)
from applications.admin import masked_name
from applications.models import DocumentCheck
from lottery.models import Draw
from plans.admin import PlanPanel, add_plan_panel
from plans.models import Plan, PlanProject
from rentcenter.adminforms import LabelledDateTimes

MANAGE = "allocation.add_session"  # 配租管理员: the plan's 选房 steps
CALL = "allocation.add_recheck"  # 开放资格复核
REVIEW = "allocation.review_recheck"  # 资格复核员
SIGN = "allocation.change_choice"  # 记录已签约, 释放房源
IMPORT = "allocation.add_home"
FULL_ID = "accounts.view_full_id_number"


def require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def page(model_admin, request, template: str, title: str, **context) -> TemplateResponse:
    site = model_admin.admin_site.each_context(request)
    context = {**site, "opts": model_admin.opts, "title": title, **context}
    return TemplateResponse(request, f"allocation/admin/{template}", context)


# The plan's 选房 page (a panel of the plan's admin page) -------------------------------------


def plan_allocation_link(plan: Plan) -> str:
    if not plan.pk:
        return "保存计划后可管理选房。"
    draw = Draw.objects.filter(plan=plan).first()
    if draw is None or not draw.is_drawn:
        return "摇号后可导入房源、开放资格复核、设置选房场次。"
    url = reverse("admin:plans_plan_allocation", args=[plan.pk])
    figures = format_html_join(
        "",
        "<li>{}：已选 {} · 剩余房源 {} / {} · 放弃 {} · 逾期 {} · 已签约 {} · 候补 {}</li>",
        (
            (
                group.name,
                group.chosen + group.signed,
                group.homes_left,
                group.homes,
                group.gave_up,
                group.expired,
                group.signed,
                group.waiting,
            )
            for group in oversight.figures(plan)
        ),
    )
    link = format_html('<a href="{}">房源、资格复核、选房场次、选房结果与签约</a>', url)
    return format_html('<ul class="allocation-panel">{}</ul>{}', figures, link)


class CallForm(forms.Form):
    group = forms.IntegerField(widget=forms.HiddenInput)
    count = forms.IntegerField(label="开放复核人数", min_value=1, max_value=10_000)


class OnBehalfForm(forms.Form):
    recheck = forms.IntegerField(widget=forms.HiddenInput)
    home = forms.IntegerField(label="房源")


def plan_allocation_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    site = model_admin.admin_site

    def plan_of(pk: int) -> Plan:
        return get_object_or_404(Plan, pk=pk)

    def overview(request: HttpRequest, pk: int) -> TemplateResponse:
        require(request, "allocation.view_recheck")
        plan = plan_of(pk)
        draw = Draw.objects.filter(plan=plan).first()
        if draw is None or not draw.is_drawn:
            raise Http404
        groups = oversight.figures(plan)
        sessions = turns.latest_sessions(plan)
        now = timezone.now()
        for figures in groups:
            figures.suggested = recheck.suggested_count(plan, figures.number)
            figures.session = sessions.get(figures.number)
            figures.all_sessions = plan.choosing_sessions.filter(group=figures.number)
            if figures.session:
                queue = turns.walk(figures.session, now)
                figures.queue = queue
                if queue.current is not None:
                    current = Recheck.objects.select_related("registration__info").get(
                        pk=queue.current.recheck_id
                    )
                    figures.current = current
                    figures.current_homes = choosing.choosable(current)
        offerings = plan.plan_projects.select_related("project")
        for offering in offerings:
            offering.warnings = homes.count_warnings(offering)
            offering.home_count = offering.allocation_homes.count()
        context = {
            "plan": plan,
            "draw": draw,
            "groups": groups,
            "offerings": offerings,
            "can_manage": request.user.has_perm(MANAGE),
            "can_call": request.user.has_perm(CALL),
            "can_import": request.user.has_perm(IMPORT),
        }
        return page(model_admin, request, "plan.html", f"{plan.title} · 选房", **context)

    def call(request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            raise PermissionDenied
        require(request, CALL)
        plan = plan_of(pk)
        form = CallForm(request.POST)
        back = redirect("admin:plans_plan_allocation", plan.pk)
        if not form.is_valid():
            messages.error(request, "请填写要开放复核的人数（至少 1 人）。")
            return back
        try:
            called = recheck.call_next(
                plan=plan,
                group=form.cleaned_data["group"],
                count=form.cleaned_data["count"],
                by=request.user,
            )
        except recheck.RecheckError as refusal:
            messages.error(request, str(refusal))
            return back
        first, last = called[0].position, called[-1].position
        messages.success(
            request,
            f"已开放资格复核：顺序号第 {first} 至 {last} 号，共 {len(called)} 人，"
            "通知短信已加入发送队列。",
        )
        return back

    def on_behalf(request: HttpRequest, pk: int) -> HttpResponse:
        """代为选房: staff on site choose for the entrant whose turn it is."""
        if request.method != "POST":
            raise PermissionDenied
        require(request, MANAGE)
        plan = plan_of(pk)
        back = redirect("admin:plans_plan_allocation", plan.pk)
        form = OnBehalfForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请选择房源。")
            return back
        entrant = get_object_or_404(Recheck, pk=form.cleaned_data["recheck"], plan=plan)
        try:
            choice = choosing.choose(
                recheck=entrant, home_id=form.cleaned_data["home"], by=request.user
            )
        except choosing.Refused as refusal:
            messages.error(request, f"顺序号第 {entrant.position} 号：{refusal}")
            return back
        messages.success(
            request, f"已为顺序号第 {entrant.position} 号代为选房：{choice.home.label}。"
        )
        return back

    def export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
        require(request, "allocation.view_choice")
        plan = plan_of(pk)
        if not Draw.objects.filter(plan=plan, state=Draw.State.DRAWN).exists():
            raise Http404
        response = StreamingHttpResponse(
            oversight.csv_rows(plan), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="allocation-{pk}-{stamp}.csv"'
        return response

    wrap = site.admin_view
    return [
        path("<int:pk>/allocation/", wrap(overview), name="plans_plan_allocation"),
        path("<int:pk>/allocation/call/", wrap(call), name="plans_plan_allocation_call"),
        path(
            "<int:pk>/allocation/on-behalf/",
            wrap(on_behalf),
            name="plans_plan_allocation_on_behalf",
        ),
        path("<int:pk>/allocation/export.csv", wrap(export), name="plans_plan_allocation_csv"),
    ]


add_plan_panel(
    PlanPanel(
        name="allocation", title="选房", render=plan_allocation_link, urls=plan_allocation_urls
    )
)


# 房源 and their import -----------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label="房源表（.xlsx 或 .csv）",
        help_text="第 1 行为表头：房型、楼号、单元（选填）、楼层、房号、建筑面积（选填）、朝向、"
        "月租金（选填）、居室数（选填）。",
    )


@admin.register(Home)
class HomeAdmin(admin.ModelAdmin):
    list_display = (
        "label",
        "project_name",
        "room_type",
        "floor",
        "area",
        "orientation",
        "monthly_rent",
        "bedrooms",
        "state",
    )
    list_filter = ("offering__plan", "state", "offering__project")
    list_select_related = ("offering__project", "rent_item")
    search_fields = ("building", "number", "offering__project__name")
    actions = ["withhold", "restore"]
    readonly_fields = [f.name for f in Home._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # homes come from the import

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a chosen home's history stays

    @admin.display(description="项目小区", ordering="offering__project__name")
    def project_name(self, obj: Home) -> str:
        return obj.offering.project.name

    @admin.display(description="房型", ordering="rent_item__room_type")
    def room_type(self, obj: Home) -> str:
        return obj.rent_item.room_type

    @admin.action(description="将所选房源设为暂不可选")
    def withhold(self, request: HttpRequest, queryset) -> None:
        require(request, IMPORT)
        count = homes.set_withheld(queryset, withheld=True, by=request.user)
        self.message_user(request, f"已将 {count} 套可选房源设为暂不可选。", messages.SUCCESS)

    @admin.action(description="将所选房源恢复可选")
    def restore(self, request: HttpRequest, queryset) -> None:
        require(request, IMPORT)
        count = homes.set_withheld(queryset, withheld=False, by=request.user)
        self.message_user(request, f"已将 {count} 套房源恢复可选。", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/<int:offering_id>/",
                wrap(self.import_view),
                name="allocation_home_import",
            ),
            path("import/confirm/", wrap(self.confirm_view), name="allocation_home_confirm"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest, offering_id: int) -> HttpResponse:
        """导入房源: upload (GET shows the form), then the preview with every row's errors."""
        require(request, IMPORT)
        offering = get_object_or_404(
            PlanProject.objects.select_related("plan", "project"), pk=offering_id
        )
        form = ImportForm(request.POST or None, request.FILES or None)
        context = {"offering": offering, "plan": offering.plan, "form": form}
        context["warnings"] = homes.count_warnings(offering)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                content = upload.read(homes.MAX_BYTES + 1)
                context["preview"] = homes.preview(offering, upload.name, content)
            except homes.SheetError as refusal:
                form.add_error("file", str(refusal))
            else:
                if context["preview"].valid:
                    context["payload"] = context["preview"].payload(request.user)
        title = f"导入房源 · {offering.project.name}"
        return page(self, request, "import.html", title, **context)

    def confirm_view(self, request: HttpRequest) -> HttpResponse:
        """确认导入: save the previewed rows, all or none."""
        if request.method != "POST":
            raise PermissionDenied
        require(request, IMPORT)
        try:
            offering, saved = homes.save(request.POST.get("payload", ""), by=request.user)
        except homes.SheetError as refusal:
            messages.error(request, str(refusal))
            return redirect("admin:allocation_home_changelist")
        messages.success(request, f"已导入 {offering.project.name} 的房源 {len(saved)} 套。")
        for warning in homes.count_warnings(offering):
            messages.warning(request, warning)
        return redirect("admin:plans_plan_allocation", offering.plan_id)


# 选房规则 -----------------------------------------------------------------------------------


@admin.register(ChoosingPolicy)
class ChoosingPolicyAdmin(admin.ModelAdmin):
    list_display = ("plan", "bedrooms_by_household", "follows_preferred_room")
    autocomplete_fields = ("plan",)


# 资格复核 -----------------------------------------------------------------------------------


@admin.register(Recheck)
class RecheckAdmin(admin.ModelAdmin):
    list_display = ("position", "group", "registration_number", "applicant", "state", "called_at")
    list_filter = ("plan", "state", "group")
    list_select_related = ("registration__info", "registration__applicant")
    search_fields = ("registration__number", "entry__code")
    ordering = ("plan", "group", "position")
    fields = ("plan", "group", "position", "registration", "state", "reason")
    readonly_fields = fields
    change_form_template = "allocation/admin/recheck_change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # called in order from the plan's 选房 page

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="登记编号", ordering="registration__number")
    def registration_number(self, obj: Recheck) -> str:
        return obj.registration.number

    @admin.display(description="申请人")
    def applicant(self, obj: Recheck) -> str:
        registration = obj.registration
        return f"{masked_name(registration.info.real_name)} {registration.applicant.masked_phone}"

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", wrap(self.decide_view), name="allocation_recheck_decide"),
            path(
                "<int:pk>/documents/<int:document_pk>/check/",
                wrap(self.check_document_view),
                name="allocation_recheck_check_document",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entrant = self.get_object(request, unquote(object_id))
        if entrant is None:
            raise Http404
        info = entrant.registration.info
        checks = {
            check.document_id: check
            for check in entrant.document_checks.select_related("checked_by")
        }
        extra = {
            "recheck": entrant,
            "registration": entrant.registration,
            "info": info,
            "documents": [
                (document, checks.get(document.pk)) for document in info.documents_in_order
            ],
            "events": entrant.registration.allocation_events.select_related("actor"),
            "can_review": request.user.has_perm(REVIEW),
            "full_id_number": info.id_number if request.user.has_perm(FULL_ID) else "",
            "reasons": entrant.plan.preset_rejection_reasons,
            "verdicts": DocumentCheck.Verdict.choices,
            "reviewing": entrant.state == Recheck.State.REVIEWING,
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _reviewable(self, request: HttpRequest, pk: int) -> Recheck:
        if request.method != "POST":
            raise PermissionDenied
        require(request, REVIEW)
        return get_object_or_404(Recheck, pk=pk)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        entrant = self._reviewable(request, pk)
        back = HttpResponseRedirect(reverse("admin:allocation_recheck_change", args=[pk]))
        decision = request.POST.get("decision")
        reason = request.POST.get("custom_reason", "").strip() or request.POST.get(
            "preset_reason", ""
        )
        if decision not in ("pass", "fail"):
            messages.error(request, "请选择复核结果。")
            return back
        try:
            recheck.decide(entrant, passed=decision == "pass", by=request.user, reason=reason)
        except recheck.RecheckError as refusal:
            messages.error(request, str(refusal))
            return back
        messages.success(
            request,
            f"顺序号第 {entrant.position} 号：{entrant.get_state_display()}，"
            "通知短信已加入发送队列。",
        )
        return back

    def check_document_view(self, request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
        entrant = self._reviewable(request, pk)
        document = get_object_or_404(entrant.registration.info.documents, pk=document_pk)
        back = HttpResponseRedirect(
            reverse("admin:allocation_recheck_change", args=[pk]) + f"#document-{document.pk}"
        )
        try:
            check = recheck.check_document(
                entrant,
                document=document,
                verdict=request.POST.get("verdict", ""),
                note=request.POST.get("note", ""),
                by=request.user,
            )
        except recheck.RecheckError as refusal:
            messages.error(request, str(refusal))
            return back
        messages.success(request, f"{document.get_kind_display()}：{check.get_verdict_display()}。")
        return back


@admin.register(RecheckDocumentCheck)
class RecheckDocumentCheckAdmin(admin.ModelAdmin):
    list_display = ("recheck", "document", "verdict", "checked_by", "checked_at")
    list_select_related = ("recheck__registration", "document", "checked_by")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # shown on each 资格复核 page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# 选房场次 ----------------------------------------------------------------------------------


class SessionForm(forms.Form):
    group = forms.TypedChoiceField(label="摇号分组", coerce=int)
    starts_at = forms.SplitDateTimeField(label="开始时间", widget=admin.widgets.AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(
        label="结束时间",
        widget=admin.widgets.AdminSplitDateTime,
        help_text="此时间后不再开始新的选房；未轮到的申请人作为候补参加下一场。",
    )
    minutes = forms.IntegerField(
        label="每人选房时间（分钟）", min_value=1, max_value=120, initial=5
    )
    sign_by = forms.SplitDateTimeField(
        label="签约截止时间",
        widget=admin.widgets.AdminSplitDateTime,
        help_text="选房后须在此时间前签约，逾期未签约的房源可由工作人员释放。",
    )

    def __init__(self, *args, draw: Draw, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [
            (number, group["name"]) for number, group in enumerate(draw.groups, start=1)
        ]
        for field in ("starts_at", "ends_at", "sign_by"):
            date_input, time_input = self.fields[field].widget.widgets
            date_input.attrs["aria-label"] = f"{self.fields[field].label}（日期）"
            time_input.attrs["aria-label"] = f"{self.fields[field].label}（时间）"

    def clean(self) -> dict:
        data = super().clean()
        starts, ends, sign_by = data.get("starts_at"), data.get("ends_at"), data.get("sign_by")
        if starts and starts <= timezone.now():
            self.add_error("starts_at", "开始时间必须晚于现在。")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "结束时间必须晚于开始时间。")
        if ends and sign_by and sign_by <= ends:
            self.add_error("sign_by", "签约截止时间必须晚于选房结束时间。")
        return data


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = (
        "plan",
        "group",
        "starts_at",
        "ends_at",
        "minutes_per_turn",
        "sign_by",
        "published",
    )
    list_filter = ("plan",)
    list_select_related = ("plan",)
    actions = ["publish"]
    readonly_fields = [
        "plan",
        "group",
        "starts_at",
        "ends_at",
        "minutes_per_turn",
        "sign_by",
        "created_at",
        "created_by",
        "results_published_at",
        "results_published_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # set from the plan's 选房 page

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="选房结果", boolean=True)
    def published(self, obj: Session) -> bool:
        return obj.is_published

    @admin.action(description="公布所选场次的选房结果")
    def publish(self, request: HttpRequest, queryset) -> None:
        require(request, MANAGE)
        for session in queryset:
            try:
                turns.publish_results(session, by=request.user)
            except turns.TurnError as refusal:
                self.message_user(request, f"{session}：{refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{session}：选房结果已公布。", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("new/<int:plan_id>/", wrap(self.new_view), name="allocation_session_new"),
            *super().get_urls(),
        ]

    def new_view(self, request: HttpRequest, plan_id: int) -> HttpResponse:
        """设置选房场次."""
        require(request, MANAGE)
        plan = get_object_or_404(Plan, pk=plan_id)
        draw = Draw.objects.filter(plan=plan, state=Draw.State.DRAWN).first()
        if draw is None:
            raise Http404
        initial = {"group": request.GET.get("group")}
        form = SessionForm(request.POST or None, initial=initial, draw=draw)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                session = turns.set_session(
                    plan=plan,
                    group=data["group"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    minutes=data["minutes"],
                    sign_by=data["sign_by"],
                    by=request.user,
                )
            except turns.TurnError as refusal:
                form.add_error(None, str(refusal))
            else:
                count = session.turns.count()
                messages.success(
                    request, f"选房场次已设置：{count} 人，选房通知短信已加入发送队列。"
                )
                return redirect("admin:plans_plan_allocation", plan.pk)
        return page(self, request, "session.html", "设置选房场次", plan=plan, form=form)


# 选房结果 and 签约 ---------------------------------------------------------------------------


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "position",
        "home_label",
        "state",
        "chosen_at",
        "on_behalf",
        "sign_by",
        "slot",
    )
    list_filter = ("recheck__plan", "state", "on_behalf")
    list_select_related = ("recheck", "home", "slot")
    search_fields = ("number", "recheck__registration__number")
    actions = ["sign_selected", "release_selected"]
    readonly_fields = [f.name for f in Choice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="顺序号", ordering="recheck__position")
    def position(self, obj: Choice) -> int:
        return obj.recheck.position

    @admin.display(description="房源")
    def home_label(self, obj: Choice) -> str:
        return obj.home.label

    def _each(self, request, queryset, step, done: str) -> None:
        require(request, SIGN)
        count = 0
        for choice in queryset:
            try:
                step(choice=choice, by=request.user)
                count += 1
            except signing.SigningError as refusal:
                self.message_user(request, str(refusal), messages.WARNING)
        self.message_user(request, done.format(count=count), messages.SUCCESS)

    @admin.action(description="记录所选为已签约")
    def sign_selected(self, request: HttpRequest, queryset) -> None:
        self._each(request, queryset, signing.sign, "已记录 {count} 套房源签约。")

    @admin.action(description="释放所选的逾期未签约房源")
    def release_selected(self, request: HttpRequest, queryset) -> None:
        self._each(
            request,
            queryset,
            signing.release,
            "已释放 {count} 套逾期未签约的房源，房源已回到选房大厅，通知短信已加入发送队列。",
        )


class SigningSlotForm(forms.ModelForm):
    class Meta:
        model = SigningSlot
        fields = ("plan", "starts_at", "ends_at", "place", "capacity")

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "结束时间必须晚于开始时间。")
        capacity = data.get("capacity")
        if capacity is not None and self.instance.pk and capacity < self.instance.booked:
            self.add_error(
                "capacity", f"已有 {self.instance.booked} 人预约，可预约人数不能少于此数。"
            )
        return data


@admin.register(SigningSlot)
class SigningSlotAdmin(LabelledDateTimes, admin.ModelAdmin):
    form = SigningSlotForm
    list_display = ("plan", "starts_at", "ends_at", "place", "capacity", "booked")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    autocomplete_fields = ("plan",)
    readonly_fields = ("booked",)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.booked == 0)


@admin.register(AllocationEvent)
class AllocationEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "plan", "kind", "registration", "home", "detail", "actor")
    list_filter = ("plan", "kind")
    list_select_related = ("plan", "registration", "home", "actor")
    search_fields = ("registration__number",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
