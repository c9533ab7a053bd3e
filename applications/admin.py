"""Review in admin (资格审核员): registrations, the declared info behind them, their documents.

Nothing here edits what an applicant declared. A reviewer works through a registration's page:
checks each uploaded copy (核验通过 / 不符), then moves 目前进度 along the allowed transitions
(applications/review.py: Registration.start_review / approve / reject), which lock the row,
record who did what, and queue the applicant's text in the same transaction. The decision
form carries the progress the reviewer saw, so a colleague's decision in between is reported
instead of silently overwritten.
"""

import csv
from collections.abc import Iterator

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import access_log, otp
from accounts.admin import FULL_ID, reveal_id_number
from applications import dashboard, eligibility, review
from applications.models import (
    ApplicationInfo,
    DocumentCheck,
    InvalidTransition,
    Progress,
    Registration,
)
from plans.admin import PlanPanel, add_announcement_check, add_plan_panel
from plans.models import Plan

REVIEW = "applications.review_registration"


def masked_name(name: str) -> str:
    """张*明: enough to tell people apart in a list, not to identify them."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


class DistrictFilter(admin.SimpleListFilter):
    title = "项目所在区"
    parameter_name = "district"

    def lookups(self, request, model_admin):
        from projects.models import District

        return District.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(offering__project__district=self.value())
        return queryset


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["css/admin.css"]}  # 目前进度 in colour

    list_display = (
        "number",
        "plan_title",
        "project_name",
        "applicant_column",
        "created_at",
        "progress_column",
    )
    list_filter = ("plan", "offering__project", "progress", DistrictFilter)
    list_select_related = ("plan", "offering__project", "applicant", "info")
    search_fields = ("number", "applicant__phone")
    search_help_text = "按登记编号或手机号搜索"
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ["start_review_selected", "approve_selected", "export_csv"]
    fields = (
        "number",
        "plan",
        "offering",
        "applicant_column",
        "created_at",
        "progress",
        "rejection_reason",
    )
    readonly_fields = fields
    view_on_site = False  # the record page is the applicant's own
    change_form_template = "admin/applications/registration/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cancelled and rejected registrations stay on record

    @admin.display(description="配租计划", ordering="plan__title")
    def plan_title(self, obj: Registration) -> str:
        return obj.plan.title

    @admin.display(description="项目小区", ordering="offering__project__name")
    def project_name(self, obj: Registration) -> str:
        return obj.offering.project.name

    @admin.display(description="申请人")
    def applicant_column(self, obj: Registration) -> str:
        return f"{masked_name(obj.info.real_name)} {obj.applicant.masked_phone}"

    @admin.display(description="目前进度", ordering="progress")
    def progress_column(self, obj: Registration) -> str:
        # Colours in static/css/admin.css: no inline style under the Content-Security-Policy.
        classes = {
            Progress.APPROVED: "progress-approved",
            Progress.REJECTED: "progress-rejected",
            Progress.CANCELLED: "progress-cancelled",
        }
        return format_html(
            '<strong class="{}">{}</strong>',
            classes.get(obj.progress, "progress-open"),
            obj.get_progress_display(),
        )

    # The review page ---------------------------------------------------------------------

    def get_urls(self):
        review = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/decide/",
                review(self.decide_view),
                name="applications_registration_decide",
            ),
            path(
                "<int:pk>/documents/<int:document_pk>/check/",
                review(self.check_document_view),
                name="applications_registration_check_document",
            ),
            path(
                "<int:pk>/id-number/",
                review(self.id_number_view),
                name="applications_registration_id_number",
            ),
            *super().get_urls(),
        ]

    def id_number_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The full ID number as declared in the registration's 信息填报, after a reason."""
        registration = get_object_or_404(Registration.objects.select_related("info"), pk=pk)
        return reveal_id_number(
            request,
            self,
            subject=registration.applicant,
            number=registration.info.id_number,
            target=f"配租登记 {registration.number} 的填报信息",
            back_url=reverse("admin:applications_registration_change", args=[pk]),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # get_object answers None for an id that is not a number, where the ORM would raise.
        registration = self.get_object(request, unquote(object_id))
        if registration is None:
            raise Http404
        info = registration.info
        if request.method == "GET" and self.has_view_permission(request, registration):
            access_log.record(
                request,
                subject_id=registration.applicant_id,
                action=access_log.Action.APPLICATION,
                target=f"配租登记 {registration.number}（填报信息和上传材料）",
            )
        checks = {
            check.document_id: check
            for check in registration.document_checks.select_related("checked_by")
        }
        extra = {
            "registration": registration,
            "info": info,
            "documents": [
                (document, checks.get(document.pk)) for document in info.documents_in_order
            ],
            "events": registration.events.select_related("actor"),
            "screening": eligibility.screen(
                plan=registration.plan, info=info, today=timezone.localdate(registration.created_at)
            ),
            "household_conflicts": list(registration.household_conflicts()),
            "can_review": request.user.has_perm(REVIEW),
            "can_see_full_id": request.user.has_perm(FULL_ID) and bool(info.id_number_encrypted),
            "reasons": registration.plan.preset_rejection_reasons,
            "verdicts": DocumentCheck.Verdict.choices,
            "Progress": Progress,
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _reviewable(self, request: HttpRequest, pk: int) -> Registration:
        if request.method != "POST":
            raise PermissionDenied
        if not request.user.has_perm(REVIEW):
            raise PermissionDenied
        return get_object_or_404(Registration, pk=pk)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        registration = self._reviewable(request, pk)
        back = HttpResponseRedirect(reverse("admin:applications_registration_change", args=[pk]))
        if request.POST.get("expected_progress") != registration.progress:
            messages.error(request, "该登记已被其他审核人员更新，请查看最新进度后再操作。")
            return back
        decision = request.POST.get("decision")
        reason = request.POST.get("custom_reason", "").strip() or request.POST.get(
            "preset_reason", ""
        )
        if decision not in review.DECISIONS:
            messages.error(request, "请选择审核操作。")
            return back
        try:
            review.decide(registration, decision=decision, by=request.user, reason=reason)
        except InvalidTransition as refusal:
            messages.error(request, str(refusal))
            return back
        messages.success(
            request,
            f"{registration.number} 已更新为“{registration.get_progress_display()}”，"
            "通知申请人的短信已加入发送队列。",
        )
        return back

    def check_document_view(self, request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
        registration = self._reviewable(request, pk)
        document = get_object_or_404(registration.info.documents, pk=document_pk)
        back = HttpResponseRedirect(
            reverse("admin:applications_registration_change", args=[pk])
            + f"#document-{document.pk}"
        )
        verdict, note = request.POST.get("verdict"), request.POST.get("note", "").strip()
        if verdict not in DocumentCheck.Verdict.values:
            messages.error(request, "请选择核验结果。")
            return back
        if verdict == DocumentCheck.Verdict.MISMATCH and not note:
            messages.error(request, f"{document.get_kind_display()}：选择“不符”时请填写说明。")
            return back
        DocumentCheck.objects.update_or_create(
            registration=registration,
            document=document,
            defaults={
                "verdict": verdict,
                "note": note,
                "checked_by": request.user,
                "checked_at": timezone.now(),
            },
        )
        messages.success(
            request, f"{document.get_kind_display()}：{DocumentCheck.Verdict(verdict).label}。"
        )
        return back

    # Bulk actions ------------------------------------------------------------------------

    def _bulk(self, request, queryset, *, title: str, method: str) -> TemplateResponse | None:
        if not request.user.has_perm(REVIEW):
            raise PermissionDenied
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "registrations": queryset.select_related("plan", "offering__project"),
                "action": request.POST.get("action"),
                "opts": self.model._meta,
                "select_across": request.POST.get("select_across", "0"),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            }
            return TemplateResponse(
                request, "admin/applications/registration/confirm_action.html", context
            )
        done, skipped = 0, []
        for registration in queryset:
            try:
                review.decide(registration, decision=method, by=request.user)
                done += 1
            except InvalidTransition as refusal:
                skipped.append(f"{registration.number}（{refusal}）")
        self.message_user(request, f"{title}：已处理 {done} 条。", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, "以下登记未处理：" + "；".join(skipped[:20]), messages.WARNING
            )
        return None

    @admin.action(description="开始审核所选登记")
    def start_review_selected(self, request, queryset):
        return self._bulk(request, queryset, title="开始审核", method="start_review")

    @admin.action(description="审核通过所选登记")
    def approve_selected(self, request, queryset):
        return self._bulk(request, queryset, title="审核通过", method="approve")

    @admin.action(description="导出所选登记为 CSV（证件号码已脱敏）")
    def export_csv(self, request, queryset) -> StreamingHttpResponse:
        access_log.record_export(
            request,
            subject_ids=queryset.order_by().values_list("applicant_id", flat=True),
            target="配租登记列表（CSV，证件号码已脱敏）",
        )
        rows = registration_rows(
            queryset.select_related("plan", "offering__project", "applicant", "info")
        )
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="registrations-{stamp}.csv"'
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "登记编号",
    "配租计划",
    "项目小区",
    "所在区",
    "姓名",
    "证件号码",
    "手机号",
    "登记时间",
    "目前进度",
    "不通过原因",
]


def registration_rows(registrations: QuerySet[Registration]) -> Iterator[str]:
    """CSV lines for reporting; the BOM makes Excel read the Chinese correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for registration in registrations.iterator(chunk_size=2000):
        info = registration.info
        yield writer.writerow(
            [
                registration.number,
                registration.plan.title,
                registration.offering.project.name,
                registration.offering.project.get_district_display(),
                info.real_name,
                info.masked_id_number,
                registration.applicant.masked_phone,
                timezone.localtime(registration.created_at).strftime("%Y-%m-%d %H:%M"),
                registration.get_progress_display(),
                registration.rejection_reason,
            ]
        )


@admin.register(ApplicationInfo)
class ApplicationInfoAdmin(admin.ModelAdmin):
    """Every submitted version stays readable to staff."""

    list_display = ("reference", "plan", "applicant_column", "version", "submitted_at")
    list_filter = ("plan",)
    list_select_related = ("plan", "applicant")
    search_fields = ("reference", "applicant__phone")
    date_hierarchy = "submitted_at"
    change_form_template = "admin/applications/applicationinfo/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        return ("reference", "plan", "version", "submitted_at")

    @admin.display(description="申请人")
    def applicant_column(self, obj: ApplicationInfo) -> str:
        return f"{masked_name(obj.real_name)} {obj.applicant.masked_phone}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        info = self.get_object(request, unquote(object_id))
        if info is None:
            raise Http404
        if request.method == "GET" and self.has_view_permission(request, info):
            access_log.record(
                request,
                subject_id=info.applicant_id,
                action=access_log.Action.APPLICATION,
                target=f"信息填报 {info.reference} 第 {info.version} 版",
            )
        versions = ApplicationInfo.objects.filter(
            applicant=info.applicant, plan=info.plan
        ).order_by("version")
        extra = {"info": info, "versions": versions}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


# The plan's dashboard (数据看板), a panel of the plan's admin page ---------------------------


def plan_dashboard_link(plan: Plan) -> str:
    if not plan.pk:
        return "—"
    url = reverse("admin:plans_plan_dashboard", args=[plan.pk])
    return format_html('<a href="{}">查看登记人数、审核进度与每日登记图</a>', url)


def plan_dashboard_urls(model_admin: admin.ModelAdmin) -> list:
    def dashboard_view(request: HttpRequest, pk: int) -> TemplateResponse:
        if not request.user.has_perm("applications.view_registration"):
            raise PermissionDenied
        plan = get_object_or_404(Plan, pk=pk)
        context = {
            **model_admin.admin_site.each_context(request),
            "title": f"{plan.title} · 数据看板",
            "plan": plan,
            "stats": dashboard.statistics(plan),
            "sms_surge": otp.surge_alert(),
            "opts": Plan._meta,
        }
        return TemplateResponse(request, "admin/plans/plan/dashboard.html", context)

    view = model_admin.admin_site.admin_view(dashboard_view)
    return [path("<int:pk>/dashboard/", view, name="plans_plan_dashboard")]


add_plan_panel(
    PlanPanel(
        name="dashboard",
        title="登记情况",
        render=plan_dashboard_link,
        urls=plan_dashboard_urls,
    )
)


def announcement_contradictions(plan: Plan, text: str) -> list[str]:
    """The 公告 admin's warning: where the text names a condition otherwise than the screening
    checks it (eligibility.contradictions)."""
    return [str(contradiction) for contradiction in eligibility.contradictions(plan, text)]


add_announcement_check("screening", announcement_contradictions)
