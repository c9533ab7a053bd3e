from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from plans.models import Announcement, AnnouncementAttachment, Plan, PlanProject
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


@admin.register(Announcement)
class AnnouncementAdmin(LabelledDateTimes, admin.ModelAdmin):
    list_display = ("title", "plan", "published_at")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    search_fields = ("title", "body", "plan__title")
    date_hierarchy = "published_at"
    autocomplete_fields = ("plan",)
    inlines = [AttachmentInline]
