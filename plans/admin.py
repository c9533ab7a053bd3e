from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from plans.models import (
    Announcement,
    AnnouncementAttachment,
    Plan,
    PlanProject,
    render_announcement,
)
from projects.models import District
from rentcenter import pagecache, pdfs
from rentcenter.adminforms import LabelledDateTimes, LabelledTabularInline

# Announcements attach signed notices and forms; 20 MB covers a scanned multi-page notice.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PlanPanel:
    """A part of the plan's admin page that a higher app adds: the registrations' dashboard
    (applications) and the draw (lottery). Plans sits below them and imports neither; each
    adds its panel from its own admin module with `add_plan_panel`."""

    name: str
    title: str  # the fieldset's heading
    render: Callable[[Plan], str]  # the panel's HTML (format_html), for a saved or a new plan
    urls: Callable[[admin.ModelAdmin], list[URLPattern]] = lambda model_admin: []


PLAN_PANELS: dict[str, PlanPanel] = {}


def add_plan_panel(panel: PlanPanel) -> None:
    PLAN_PANELS[panel.name] = panel


# What a higher app finds in an announcement's text that its plan's rules contradict, as
# sentences for staff: applications reads the text with the screening's own rules
# (eligibility.contradictions) and adds its check from its admin module.
AnnouncementCheck = Callable[[Plan, str], list[str]]
ANNOUNCEMENT_CHECKS: dict[str, AnnouncementCheck] = {}


def add_announcement_check(name: str, check: AnnouncementCheck) -> None:
    ANNOUNCEMENT_CHECKS[name] = check


def announcement_contradictions(plan: Plan | None, text: str) -> list[str]:
    if plan is None:
        return []
    return [sentence for check in ANNOUNCEMENT_CHECKS.values() for sentence in check(plan, text)]


class PlanProjectFormSet(forms.BaseInlineFormSet):
    """A published plan offers at least one project (the home page would show an empty plan)."""

    def clean(self) -> None:
        super().clean()
        if self.instance.status == Plan.Status.DRAFT:
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("project")
        ]
        if not kept:
            raise ValidationError("已发布或已关闭的配租计划至少需要包含一个配租项目。")


class PlanProjectInline(LabelledTabularInline):
    model = PlanProject
    formset = PlanProjectFormSet
    fields = ("project", "homes", "position")
    autocomplete_fields = ("project",)
    extra = 0


class PlanForm(forms.ModelForm):
    employer_districts = forms.MultipleChoiceField(
        label="工作单位所在区",
        choices=District.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选表示不限。",
    )

    class Meta:
        model = Plan
        fields = ("employer_districts",)  # PlanAdmin.fieldsets name the rest


@admin.register(Plan)
class PlanAdmin(LabelledDateTimes, admin.ModelAdmin):
    form = PlanForm
    list_display = (
        "title",
        "status",
        "registration_state_badge",
        "registration_starts_at",
        "registration_ends_at",
        "project_count",
    )
    list_filter = ("status",)
    search_fields = ("title",)
    # Stated here because the project count makes the query GROUP BY, which drops Meta.ordering:
    # the plan picker of the announcement form would page through plans in no stable order.
    ordering = ("-registration_starts_at", "-id")
    date_hierarchy = "registration_starts_at"
    inlines = [PlanProjectInline]
    readonly_fields = ("announcement_links", "created_at", "updated_at")
    actions = ["publish", "close"]
    fieldsets = [
        (None, {"fields": ("title", "summary", "status")}),
        (
            "时间（北京时间）",
            {"fields": ("info_opens_at", "registration_starts_at", "registration_ends_at")},
        ),
        (
            "登记条件（粗筛选）",
            {
                "fields": (
                    ("min_age", "max_age"),
                    "hukou_requirement",
                    "requires_no_home",
                    "min_contribution_months",
                    "asks_education",
                    ("min_education", "max_years_since_graduation"),
                    "employer_districts",
                    "max_family_size",
                ),
                "description": "申请人登记时按以下条件粗筛选；留空表示不设该条件。"
                "请与《配租公告》中的申请条件保持一致。",
            },
        ),
        ("审核", {"fields": ("rejection_reasons", "allows_registering_again")}),
        ("配租公告", {"fields": ("announcement_links",)}),
        # The panels of higher apps come here (get_fieldsets).
        ("记录", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Plan | None = None) -> list:
        *fieldsets, record = super().get_fieldsets(request, obj)
        panels = [(p.title, {"fields": (f"panel_{p.name}",)}) for p in PLAN_PANELS.values()]
        return [*fieldsets, *panels, record]

    def get_readonly_fields(self, request: HttpRequest, obj: Plan | None = None) -> list:
        panels = [f"panel_{name}" for name in PLAN_PANELS]
        return [*super().get_readonly_fields(request, obj), *panels]

    def __getattr__(self, name: str) -> Callable[[Plan], str]:
        """`panel_<name>` is the readonly field showing that panel."""
        panel = PLAN_PANELS.get(name.removeprefix("panel_")) if name.startswith("panel_") else None
        if panel is None:
            raise AttributeError(name)
        return admin.display(description=panel.title)(panel.render)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).annotate(project_total=Count("plan_projects"))

    def save_model(self, request: HttpRequest, obj: Plan, form, change: bool) -> None:
        """Changed conditions can leave a 公告's text behind them: staff are told which."""
        super().save_model(request, obj, form, change)
        for announcement in obj.announcements.all() if change else ():
            for sentence in announcement_contradictions(obj, announcement.body):
                self.message_user(
                    request,
                    f"配租公告“{announcement.title}”的正文与登记条件不一致：{sentence}",
                    messages.WARNING,
                )

    @admin.display(description="登记状态")
    def registration_state_badge(self, obj: Plan) -> str:
        if obj.status == Plan.Status.DRAFT:
            return "—（草稿不可登记）"
        return obj.state.label

    @admin.display(description="项目数", ordering="project_total")
    def project_count(self, obj: Plan) -> int:
        return obj.project_total

    @admin.display(description="配租公告")
    def announcement_links(self, obj: Plan) -> str:
        add_url = reverse("admin:plans_announcement_add") + f"?plan={obj.pk}" if obj.pk else ""
        links = format_html_join(
            "",
            '<li><a href="{}">{}</a>（{}）</li>',
            (
                (
                    reverse("admin:plans_announcement_change", args=[a.pk]),
                    a.title,
                    timezone.localdate(a.published_at),
                )
                for a in obj.announcements.all()
            )
            if obj.pk
            else (),
        )
        add = (
            format_html('<a class="addlink" href="{}">添加配租公告</a>', add_url)
            if add_url
            else "保存计划后可添加公告。"
        )
        return format_html("<ul>{}</ul>{}", links, add)

    def get_urls(self) -> list[URLPattern]:
        panel_urls = [url for panel in PLAN_PANELS.values() for url in panel.urls(self)]
        return [*panel_urls, *super().get_urls()]

    @admin.action(description="发布所选的配租计划", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        """Publishes the selected drafts that offer projects; names the ones that offer none."""
        drafts = queryset.filter(status=Plan.Status.DRAFT)
        offers_projects = Exists(PlanProject.objects.filter(plan=OuterRef("pk")))
        empty = list(drafts.filter(~offers_projects).values_list("title", flat=True))
        if empty:
            names = "、".join(empty)
            self.message_user(request, f"以下计划没有配租项目，不能发布：{names}", messages.ERROR)
        updated = drafts.filter(offers_projects).update(status=Plan.Status.PUBLISHED)
        pagecache.catalogue_changed()  # update() sends no post_save
        if updated or not empty:
            self.message_user(request, f"已发布 {updated} 个配租计划。", messages.SUCCESS)

    @admin.action(description="关闭所选的配租计划", permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        updated = queryset.filter(status=Plan.Status.PUBLISHED).update(status=Plan.Status.CLOSED)
        pagecache.catalogue_changed()
        self.message_user(request, f"已关闭 {updated} 个配租计划。", messages.SUCCESS)


class AttachmentForm(forms.ModelForm):
    def clean_file(self) -> object:
        """Keep the PDF as rentcenter.pdfs rewrites it, never the uploaded bytes or name."""
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):
            return upload
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError("附件不能超过 20 MB。")
        upload.seek(0)
        content = upload.read(MAX_ATTACHMENT_BYTES + 1)
        if not content.startswith(b"%PDF-"):
            raise ValidationError("附件必须是 PDF 文件。")
        cleaned = pdfs.clean(content)
        self.instance.size = len(cleaned)
        return ContentFile(cleaned, name="attachment.pdf")


class AttachmentInline(LabelledTabularInline):
    model = AnnouncementAttachment
    form = AttachmentForm
    fields = ("title", "file", "position")
    extra = 0


class AnnouncementForm(forms.ModelForm):
    """添加配租公告 from a plan's page (?plan=) shows that plan's conditions beside the text at
    once: the panel reads the plan from the instance, which the initial choice fills here."""

    class Meta:
        model = Announcement
        fields = ("plan", "title", "body", "published_at")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        chosen = self.initial.get("plan")
        if chosen is None or self.instance.plan_id is not None:
            return
        plan = Plan.objects.filter(pk=chosen).first() if str(chosen).isdigit() else None
        if plan is None:  # ?plan=abc made the plan picker's query fail (a 500)
            del self.initial["plan"]
        else:
            self.instance.plan = plan


def announcement_check(plan: Plan | None, body: str, announcement_id: int | None) -> SafeString:
    """The panel beside the text: the conditions the 公告 page prints for the plan (from the
    screening, as the page does), the text's contradictions, and 预览公开页面."""
    preview_url = reverse("admin:plans_announcement_preview")
    context = {
        "plan": plan,
        "contradictions": announcement_contradictions(plan, body),
        "preview_url": f"{preview_url}?announcement={announcement_id}"
        if announcement_id
        else preview_url,
    }
    return render_to_string("admin/plans/announcement/check.html", context)


@dataclass(frozen=True)
class AnnouncementPreview:
    """An announcement not saved yet, as plans/announcement.html reads one."""

    pk: int
    title: str
    published_at: datetime
    body: str
    attachments: object  # what `.all` gives the page: the saved announcement's, or none

    @property
    def body_html(self) -> SafeString:
        return render_announcement(self.body)


@admin.register(Announcement)
class AnnouncementAdmin(LabelledDateTimes, admin.ModelAdmin):
    """配租公告. Beside the text staff write, the conditions the page will print under it
    and a warning where the text says otherwise (issue 16: "年满18周岁" above a generated
    "18 至 35 周岁"); saving is never refused for it. With JavaScript the panel follows the
    typing (static/js/announcement_admin.js); 预览公开页面 shows the unsaved 公告 as the public
    page will, in a new tab, with or without JavaScript."""

    class Media:
        js = ["js/announcement_admin.js"]

    form = AnnouncementForm
    list_display = ("title", "plan", "published_at")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    search_fields = ("title", "body", "plan__title")
    date_hierarchy = "published_at"
    autocomplete_fields = ("plan",)
    inlines = [AttachmentInline]
    fieldsets = [(None, {"fields": ("plan", "title", ("body", "rules_check"), "published_at")})]
    readonly_fields = ("rules_check",)

    @admin.display(description="公告页的登记条件")
    def rules_check(self, obj: Announcement) -> SafeString:
        return announcement_check(obj.plan if obj.plan_id else None, obj.body or "", obj.pk)

    def save_model(self, request: HttpRequest, obj: Announcement, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for sentence in announcement_contradictions(obj.plan, obj.body):
            self.message_user(request, f"公告正文与登记条件不一致：{sentence}", messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "check/",
                self.admin_site.admin_view(self.check_view),
                name="plans_announcement_check",
            ),
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="plans_announcement_preview",
            ),
        ]
        return [*urls, *super().get_urls()]

    def _posted(self, request: HttpRequest) -> tuple[Plan | None, str]:
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        plan_id = request.POST.get("plan", "")
        plan = Plan.objects.filter(pk=plan_id).first() if plan_id.isdigit() else None
        return plan, request.POST.get("body", "")

    def _editing(self, request: HttpRequest) -> Announcement | None:
        """The saved announcement the form edits (?announcement=), if the user may see it."""
        announcement_id = request.GET.get("announcement", "")
        if not announcement_id.isdigit():
            return None
        return self.get_queryset(request).filter(pk=announcement_id).first()

    @method_decorator(require_POST)
    def check_view(self, request: HttpRequest) -> HttpResponse:
        """The panel for what is in the form now (the script posts the plan and the text)."""
        plan, body = self._posted(request)
        editing = self._editing(request)
        return HttpResponse(announcement_check(plan, body, editing.pk if editing else None))

    @method_decorator(require_POST)
    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The 公告 page as the public will see it, with the form's unsaved text."""
        plan, body = self._posted(request)
        if plan is None:
            context = {**self.admin_site.each_context(request), "title": "预览公开页面"}
            return TemplateResponse(request, "admin/plans/announcement/no_plan.html", context)
        editing = self._editing(request)
        preview = AnnouncementPreview(
            pk=editing.pk if editing else 0,
            title=request.POST.get("title", "").strip() or "（未填写公告标题）",
            published_at=timezone.now(),
            body=body,
            attachments=editing.attachments if editing else AnnouncementAttachment.objects.none(),
        )
        context = {
            "plan": plan,
            "announcements": [preview],
            "offerings": plan.plan_projects.select_related("project"),
            "preview": True,
            "contradictions": announcement_contradictions(plan, body),
        }
        return TemplateResponse(request, "plans/announcement.html", context)
