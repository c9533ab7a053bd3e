import uuid
from dataclasses import dataclass
from datetime import datetime

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from projects.models import District, Project


class PlanQuerySet(models.QuerySet["Plan"]):
    def public(self) -> "PlanQuerySet":
        """What visitors may see: published plans and closed ones (kept for the record)."""
        return self.filter(status__in=[Plan.Status.PUBLISHED, Plan.Status.CLOSED])

    def next_change(self, after: datetime) -> datetime | None:
        """The first instant after `after` at which what the public sees of these plans changes
        by itself: 信息填报 opens, registration starts or ends, an announcement is published.
        Cached public pages (rentcenter.pagecache) are kept no later than this."""
        public = self.public()
        found = public.aggregate(
            **{name: Min(name, filter=Q(**{f"{name}__gt": after})) for name in Plan.CHANGE_INSTANTS}
        )
        announced = Announcement.objects.filter(plan__in=public, published_at__gt=after)
        found["announcement"] = announced.aggregate(Min("published_at"))["published_at__min"]
        return min((instant for instant in found.values() if instant), default=None)

    def open_for_registration(self, now: datetime | None = None) -> "PlanQuerySet":
        now = now or timezone.now()
        return self.filter(
            status=Plan.Status.PUBLISHED,
            registration_starts_at__lte=now,
            registration_ends_at__gt=now,
        )


class HukouType(models.TextChoices):
    BEIJING = "beijing", "本市户籍"
    OTHER = "other", "外省市户籍"


class HukouRequirement(models.TextChoices):
    ANY = "any", "不限"
    BEIJING = "beijing", "仅限本市户籍"
    OTHER = "other", "仅限外省市户籍"


class Education(models.TextChoices):
    """学历, from lowest to highest: the order is what 最低学历 compares."""

    HIGH_SCHOOL = "high_school", "高中及以下"
    JUNIOR_COLLEGE = "junior_college", "大专"
    BACHELOR = "bachelor", "本科"
    MASTER = "master", "硕士研究生"
    DOCTOR = "doctor", "博士研究生"

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


class Plan(models.Model):
    """配租计划: one allocation round offering homes in one or more projects.

    The 粗筛选 rules (PRODUCT.md, "Eligibility rules a plan can set") are fields of the plan;
    a blank rule sets no condition. applications/eligibility.py applies them.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        CLOSED = "closed", "已关闭"

    class RegistrationState(models.TextChoices):
        UPCOMING = "upcoming", "未开始"
        OPEN = "open", "登记中"
        ENDED = "ended", "已结束"

    title = models.CharField("计划名称", max_length=150)
    summary = models.TextField("计划简介", blank=True)
    status = models.CharField(
        "状态",
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="草稿对公众不可见；已关闭的计划仍然展示，并标记为已结束。",
    )
    info_opens_at = models.DateTimeField(
        "信息填报开始时间", help_text="从此时起可以填报信息，早于登记开始时间。"
    )
    registration_starts_at = models.DateTimeField("登记开始时间")
    registration_ends_at = models.DateTimeField("登记结束时间")
    projects = models.ManyToManyField(
        Project, through="PlanProject", related_name="plans", verbose_name="配租项目"
    )
    min_age = models.PositiveSmallIntegerField("最低年龄（周岁）", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("最高年龄（周岁）", null=True, blank=True)
    hukou_requirement = models.CharField(
        "户籍要求", max_length=20, choices=HukouRequirement.choices, default=HukouRequirement.ANY
    )
    requires_no_home = models.BooleanField("要求本市名下无住房", default=False)
    min_contribution_months = models.PositiveSmallIntegerField(
        "本市社保或个税最少连续缴纳月数", null=True, blank=True
    )
    asks_education = models.BooleanField(
        "需要填报学历",
        default=False,
        help_text="面向毕业生的计划：信息填报中要求填写学历、毕业时间并上传学历证明。",
    )
    min_education = models.CharField(
        "最低学历", max_length=20, choices=Education.choices, blank=True
    )
    max_years_since_graduation = models.PositiveSmallIntegerField(
        "毕业年限（年以内）", null=True, blank=True
    )
    employer_districts = models.JSONField(
        "工作单位所在区",
        default=list,
        blank=True,
        help_text="不选表示不限。",
    )
    max_family_size = models.PositiveSmallIntegerField(
        "家庭人数上限（含申请人）", null=True, blank=True
    )
    rejection_reasons = models.TextField(
        "预设不通过原因",
        blank=True,
        help_text="每行一条，审核人员审核不通过时可直接选用。",
    )
    allows_registering_again = models.BooleanField(
        "审核不通过后允许重新登记",
        default=True,
        help_text="登记期间内，审核不通过的申请人可修改填报信息后重新登记（原登记保留）。",
    )
    duplicates_prevented = models.PositiveIntegerField(
        "拦截的重复登记",
        default=0,
        editable=False,
        help_text="同一申请人重复提交登记（双击、多个窗口、重试）而未产生新登记的次数。",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = "配租计划"
        verbose_name_plural = "配租计划"
        ordering = ["-registration_starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_ends_at__gt=F("registration_starts_at")),
                name="plan_registration_ends_after_start",
                violation_error_message="登记结束时间必须晚于登记开始时间。",
            ),
            models.CheckConstraint(
                condition=Q(info_opens_at__lte=F("registration_starts_at")),
                name="plan_info_opens_before_registration",
                violation_error_message="信息填报开始时间不能晚于登记开始时间。",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=F("max_age")),
                name="plan_age_range_ordered",
                violation_error_message="最低年龄不能高于最高年龄。",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:announcement", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        starts, ends = self.registration_starts_at, self.registration_ends_at
        if starts and ends and ends <= starts:
            errors["registration_ends_at"] = "登记结束时间必须晚于登记开始时间。"
        if self.info_opens_at and starts and self.info_opens_at > starts:
            errors["info_opens_at"] = "信息填报开始时间不能晚于登记开始时间。"
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["max_age"] = "最低年龄不能高于最高年龄。"
        if (self.min_education or self.max_years_since_graduation) and not self.asks_education:
            errors["asks_education"] = "设置了学历或毕业年限条件时，需要勾选“需要填报学历”。"
        unknown = set(self.employer_districts or []) - set(District.values)
        if unknown:
            errors["employer_districts"] = "请选择北京市的区。"
        if errors:
            raise ValidationError(errors)

    def registration_state(self, now: datetime | None = None) -> "Plan.RegistrationState":
        """未开始 / 登记中 / 已结束, by server time; a closed plan has ended whatever the dates."""
        now = now or timezone.now()
        if self.status == self.Status.CLOSED or now >= self.registration_ends_at:
            return self.RegistrationState.ENDED
        if now < self.registration_starts_at:
            return self.RegistrationState.UPCOMING
        return self.RegistrationState.OPEN

    @property
    def state(self) -> "Plan.RegistrationState":
        return self.registration_state()

    @property
    def is_registration_open(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.state == self.RegistrationState.OPEN

    @property
    def is_info_open(self) -> bool:
        """信息填报 is possible from info_opens_at until registration ends."""
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.info_opens_at <= now < self.registration_ends_at
        )

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def preset_rejection_reasons(self) -> list[str]:
        return [line.strip() for line in self.rejection_reasons.splitlines() if line.strip()]

    # The instants at which the plan's state, its buttons and its countdown change by themselves.
    CHANGE_INSTANTS = ("info_opens_at", "registration_starts_at", "registration_ends_at")

    def next_change(self, after: datetime) -> datetime | None:
        return min(
            (at for name in self.CHANGE_INSTANTS if (at := getattr(self, name)) > after),
            default=None,
        )

    @property
    def countdown(self) -> "Countdown | None":
        """What the project page counts down to: the start, then the end of registration."""
        state = self.state
        if state == self.RegistrationState.UPCOMING:
            return Countdown("距登记开始", self.registration_starts_at)
        if state == self.RegistrationState.OPEN:
            return Countdown("距登记结束", self.registration_ends_at)
        return None


@dataclass(frozen=True)
class Countdown:
    label: str
    target: datetime


class PlanProjectQuerySet(models.QuerySet["PlanProject"]):
    def public(self) -> "PlanProjectQuerySet":
        return self.filter(plan__status__in=[Plan.Status.PUBLISHED, Plan.Status.CLOSED])


class PlanProject(models.Model):
    """A project offered by a plan, with how many homes.

    Its 已登记人数 is counted from the registrations themselves
    (applications.registration.registered_counts), not kept in a counter here: a counter row
    would make every registration for the project wait for the one before it to commit.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="plan_projects", verbose_name="配租计划"
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="plan_projects", verbose_name="项目小区"
    )
    homes = models.PositiveIntegerField("配租房源套数")
    position = models.PositiveSmallIntegerField("顺序", default=0)

    objects = PlanProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "配租项目"
        verbose_name_plural = "配租项目"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "project"], name="plan_project_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.project}"


# Markdown may carry links, lists and tables; anything else (scripts, styles, event handlers,
# iframes) is removed by nh3 before the text reaches a page.
ANNOUNCEMENT_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "code", "pre",
}  # fmt: skip

MARKDOWN_CONFIG = {
    # The page already has the plan as h1 and the announcement title as h2: "# 标题" in the
    # body is a heading inside the announcement, so it starts at h3.
    "toc": {"baselevel": 3},
    # Column alignment as an align attribute; nh3 removes style attributes.
    "tables": {"use_align_attribute": True},
}


def render_announcement(text: str) -> SafeString:
    html = markdown.markdown(
        text, extensions=["tables", "sane_lists", "toc"], extension_configs=MARKDOWN_CONFIG
    )
    clean = nh3.clean(
        html,
        tags=ANNOUNCEMENT_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


class AnnouncementQuerySet(models.QuerySet["Announcement"]):
    def published(self, now: datetime | None = None) -> "AnnouncementQuerySet":
        return self.filter(published_at__lte=now or timezone.now())


class Announcement(models.Model):
    """配租公告: the official notice of a plan (conditions, dates, how to apply)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="announcements", verbose_name="配租计划"
    )
    title = models.CharField("公告标题", max_length=150)
    body = models.TextField(
        "公告正文",
        help_text="支持 Markdown：# 标题、**加粗**、- 列表、| 表格 |、[链接](https://…)。",
    )
    published_at = models.DateTimeField(
        "发布时间", default=timezone.now, help_text="到发布时间后公告才对公众可见。"
    )

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = "配租公告"
        verbose_name_plural = "配租公告"
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:announcement", args=[self.plan_id])

    @property
    def body_html(self) -> SafeString:
        return render_announcement(self.body)


def attachment_upload_to(instance: models.Model, filename: str) -> str:
    """A random name ending .pdf, whatever name was uploaded: the content is a rewritten PDF,
    and /media/ serves a file with the type its extension gives (rentcenter/media.py)."""
    return f"announcements/{uuid.uuid4().hex}.pdf"


class AnnouncementAttachment(models.Model):
    """A PDF attached to an announcement (the signed notice, application forms).

    Stored as rentcenter.pdfs rewrote it (plans/admin.py), under a random name ending .pdf.
    """

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="attachments", verbose_name="配租公告"
    )
    title = models.CharField("附件名称", max_length=150)
    file = models.FileField("PDF 文件", upload_to=attachment_upload_to)
    size = models.PositiveIntegerField("大小（字节）", default=0, editable=False)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "公告附件"
        verbose_name_plural = "公告附件"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
