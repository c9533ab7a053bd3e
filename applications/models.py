"""What applicants declare (信息填报), the documents behind it, and their registrations (配租登记).

Versions, not edits: every 提交 creates a new ApplicationInfo version, and a registration points
at the version it was made with, so a reviewer always sees what the applicant declared at the
time. What the applicant is still typing lives in an ApplicationDraft, kept as typed (even when
invalid) so that nothing is lost between a failed submit and the next visit. Documents belong
to their owner and are linked to drafts and versions; prefilling a new plan links the same
stored files instead of copying them. Nothing here is deleted: registrations are cancelled,
drafts are replaced by versions, removed documents are only unlinked from the draft.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.idcard import Sex, mask_id_number
from accounts.models import User
from plans.models import Education, HukouType, Plan, PlanProject
from projects.models import District
from rentcenter import crypto
from rentcenter.dates import format_when
from rentcenter.images import random_name
from rentcenter.storage import private_storage

# Crockford's base32 without I, L, O, U: reference numbers read aloud on the phone to 客服.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(prefix: str, length: int = 6) -> str:
    """PZ20261126K7Q2XM: a prefix, the Beijing date and a random part."""
    random_part = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
    return f"{prefix}{timezone.localdate():%Y%m%d}{random_part}"


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", "未婚"
    MARRIED = "married", "已婚"
    DIVORCED = "divorced", "离异"
    WIDOWED = "widowed", "丧偶"


class HousingStatus(models.TextChoices):
    NONE = "none", "本市名下无住房"
    OWNS = "owns", "本市名下有住房"


class Relation(models.TextChoices):
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    OTHER = "other", "其他"


class RoomPreference(models.TextChoices):
    STUDIO = "studio", "开间"
    ONE = "one", "一居室"
    TWO = "two", "两居室"
    THREE = "three", "三居室"


class DocumentKind(models.TextChoices):
    """上传材料 (PRODUCT.md). Which kinds a submission needs depends on the plan and answers."""

    ID_FRONT = "id_front", "身份证人像面"
    ID_BACK = "id_back", "身份证国徽面"
    HUKOU = "hukou", "户口簿或居住证"
    EMPLOYMENT = "employment", "劳动合同或在职证明"
    CONTRIBUTIONS = "contributions", "社保或个税缴纳证明"
    MARRIAGE = "marriage", "婚姻证明"
    EDUCATION = "education", "学历证明"
    OTHER = "other", "其他材料"


def document_upload_to(instance: "Document", filename: str) -> str:
    return f"documents/{instance.owner_id}/{random_name(filename)}"


class DocumentQuerySet(models.QuerySet["Document"]):
    def owned_by(self, user: User) -> "DocumentQuerySet":
        return self.filter(owner=user)

    def in_review(self) -> "DocumentQuerySet":
        """Documents a reviewer needs (need-to-know, issue 17): those of a 信息填报 version a
        registration that is not cancelled was made with, the registrations reviewers work
        through. Not an applicant's uploads in a draft, an earlier version no registration
        names, or the form of a registration the applicant cancelled."""
        in_review = Registration.objects.exclude(progress=Progress.CANCELLED).filter(
            info__documents=models.OuterRef("pk")
        )
        return self.filter(models.Exists(in_review))

    def with_files(self) -> "DocumentQuerySet":
        """Documents whose files are still stored (not past their retention, not erased)."""
        return self.filter(files_deleted_at__isnull=True)


class Document(models.Model):
    """An uploaded proof (证件证明照片或 PDF), stored privately under a random name.

    Images are stored re-encoded (no metadata, bounded size); PDFs as rentcenter/pdfs.py rewrote
    them. The stored name's extension is what the content was, and decides the type the file is
    served with. The name the applicant's device gave the file is kept only to show it back.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name="上传人",
    )
    kind = models.CharField("材料类型", max_length=20, choices=DocumentKind.choices)
    file = models.FileField("文件", storage=private_storage, upload_to=document_upload_to)
    thumbnail = models.FileField(
        "缩略图", storage=private_storage, upload_to=document_upload_to, blank=True
    )
    original_name = models.CharField("原文件名", max_length=150)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    # When the stored files were deleted (保存期满 or 注销账号): the row stays, as the record of
    # what was submitted and checked, without the picture.
    files_deleted_at = models.DateTimeField("文件删除时间", null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = "上传材料"
        verbose_name_plural = "上传材料"
        ordering = ["kind", "uploaded_at", "id"]
        permissions = [("review_document", "可以查看申请人上传的材料")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("applications:document", args=[self.pk])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def has_files(self) -> bool:
        return self.files_deleted_at is None

    def delete_files(self, *, now: datetime) -> None:
        """Delete the stored file and thumbnail; the row says when and keeps no file name.
        Storage first: a file deleted whose row then failed to save is found by
        `manage.py check_documents`, and the next purge writes the row."""
        for field in (self.file, self.thumbnail):
            if field:
                field.storage.delete(field.name)
        self.file = ""
        self.thumbnail = ""
        self.original_name = "已删除"
        self.sha256 = ""
        self.files_deleted_at = now
        self.save(
            update_fields=["file", "thumbnail", "original_name", "sha256", "files_deleted_at"]
        )


class ApplicationDraft(models.Model):
    """The 信息填报 form of one applicant for one plan, as typed so far.

    `data` holds the raw field values (strings, even invalid ones) and the family member rows;
    `documents` the uploads attached so far. Submitting turns it into an ApplicationInfo.
    """

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="application_drafts"
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="application_drafts")
    data = models.JSONField(default=dict)
    documents = models.ManyToManyField(Document, blank=True, related_name="drafts")
    prefilled_from = models.ForeignKey(
        "ApplicationInfo",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The submission this draft started from (a previous plan's, or this plan's).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "填报草稿"
        verbose_name_plural = "填报草稿"
        constraints = [
            models.UniqueConstraint(fields=["applicant", "plan"], name="one_draft_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} · {self.plan} 草稿"


class ApplicationInfoQuerySet(models.QuerySet["ApplicationInfo"]):
    def of(self, user: User) -> "ApplicationInfoQuerySet":
        return self.filter(applicant=user)

    def latest_for(self, user: User, plan: Plan) -> "ApplicationInfo | None":
        return self.of(user).filter(plan=plan).order_by("-version").first()

    def latest_by_plan(self, user: User, plan_ids: list[int]) -> "dict[int, ApplicationInfo]":
        """The latest version for each of these plans, in one query, family size included."""
        versions = (
            self.of(user)
            .filter(plan_id__in=plan_ids)
            .annotate(member_count=models.Count("family_members"))
            .order_by("plan_id", "version")
        )
        return {info.plan_id: info for info in versions}  # later versions overwrite earlier


class ApplicationInfo(models.Model):
    """One submitted version of what an applicant declared for a plan (信息填报)."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="application_infos",
        verbose_name="申请人",
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="application_infos", verbose_name="配租计划"
    )
    version = models.PositiveIntegerField("版本")
    # The number an applicant writes down: the same for every version of the form for a plan
    # (TB…, 第 2 版), drawn when the first version is submitted.
    reference = models.CharField("填报编号", max_length=20)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    # A random key the form carries: the same form posted twice (a double click, a retried
    # request) finds the version its first post created instead of making another.
    submission_key = models.CharField(max_length=32, blank=True, editable=False)

    # 基本情况 — name, ID number, sex and birth date come from 实名认证 and are copied here so
    # that the version keeps what was true when it was submitted.
    real_name = models.CharField("姓名", max_length=50)
    id_number_encrypted = models.TextField("证件号码（加密）")
    sex = models.CharField("性别", max_length=10, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    marital_status = models.CharField("婚姻状况", max_length=20, choices=MaritalStatus.choices)

    # 户籍与居住
    hukou_type = models.CharField("户籍性质", max_length=20, choices=HukouType.choices)
    hukou_location = models.CharField("户籍所在地", max_length=200)
    current_address = models.CharField("现居住地址", max_length=200)

    # 工作与社保
    employer = models.CharField("工作单位", max_length=150)
    employer_district = models.CharField("单位所在区", max_length=20, choices=District.choices)
    employer_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contribution_months = models.PositiveSmallIntegerField("本市连续缴纳社保或个税月数")

    # 住房情况
    housing_status = models.CharField(
        "本市名下住房情况", max_length=20, choices=HousingStatus.choices
    )

    # 学历 (graduate plans only)
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    graduation_date = models.DateField("毕业时间", null=True, blank=True)

    # 紧急联系人
    emergency_contact_name = models.CharField("紧急联系人", max_length=50)
    emergency_contact_phone = models.CharField("紧急联系人电话", max_length=20)

    preferred_room = models.CharField(
        "意向户型", max_length=20, choices=RoomPreference.choices, blank=True
    )
    documents = models.ManyToManyField(
        Document, blank=True, related_name="application_infos", verbose_name="上传材料"
    )

    objects = ApplicationInfoQuerySet.as_manager()

    class Meta:
        verbose_name = "信息填报"
        verbose_name_plural = "信息填报"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "plan", "version"], name="one_info_per_version"
            ),
            # Every reference has its version 1, so this also keeps two applicants' numbers apart.
            models.UniqueConstraint(
                fields=["reference", "version"], name="one_version_per_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}（第 {self.version} 版）"

    @property
    def id_number(self) -> str:
        """ "" once erased (注销账号)."""
        return crypto.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number_encrypted else "（已注销）"

    @property
    def documents_in_order(self) -> list[Document]:
        """The documents in the order of the form (身份证人像面 first), not alphabetical."""
        order = list(DocumentKind.values)
        return sorted(
            self.documents.all(), key=lambda d: (order.index(d.kind), d.uploaded_at, d.pk)
        )

    @property
    def family_size(self) -> int:
        """The applicant plus declared family members; use with prefetch on lists (or the
        member_count that ApplicationInfoQuerySet.latest_by_plan annotates)."""
        if hasattr(self, "member_count"):
            return 1 + self.member_count
        return 1 + len(self.family_members.all())


class FamilyMember(models.Model):
    """家庭成员 of one info version; copied, not shared, between versions."""

    info = models.ForeignKey(
        ApplicationInfo, on_delete=models.CASCADE, related_name="family_members"
    )
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("与申请人关系", max_length=20, choices=Relation.choices)
    id_number_encrypted = models.TextField("证件号码（加密）")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}"

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number_encrypted else "（已注销）"


class Progress(models.TextChoices):
    """目前进度 of a registration (PRODUCT.md glossary)."""

    REGISTERED = "registered", "已登记"
    REVIEWING = "reviewing", "审核中"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"
    CANCELLED = "cancelled", "已取消"


class InvalidTransition(Exception):
    """A progress change the workflow does not allow from the registration's current state."""

    def __init__(self, current: str, wanted: str, message: str = "") -> None:
        self.current, self.wanted = current, wanted
        super().__init__(
            message
            or f"当前进度为“{Progress(current).label}”，不能改为“{Progress(wanted).label}”。"
        )


# 已登记 → 审核中 → 审核通过 / 审核不通过; 已取消 only by the applicant, before review starts.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Progress.REGISTERED: frozenset({Progress.REVIEWING, Progress.CANCELLED}),
    Progress.REVIEWING: frozenset({Progress.APPROVED, Progress.REJECTED}),
    Progress.APPROVED: frozenset(),
    Progress.REJECTED: frozenset(),
    Progress.CANCELLED: frozenset(),
}


# Registrations that no longer hold the applicant's place in a plan.
INACTIVE = (Progress.CANCELLED, Progress.REJECTED)


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def of(self, user: User) -> "RegistrationQuerySet":
        return self.filter(applicant=user)

    def active(self) -> "RegistrationQuerySet":
        """In the running: neither cancelled nor rejected (a rejected applicant may register
        again while the window is open; the rejected row stays in the history)."""
        return self.exclude(progress__in=INACTIVE)


class Registration(models.Model):
    """配租登记: an applicant's entry in a plan's lottery, for one project of the plan."""

    number = models.CharField("登记编号", max_length=20, unique=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name="申请人",
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="registrations", verbose_name="配租计划"
    )
    offering = models.ForeignKey(
        PlanProject,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name="项目小区",
    )
    info = models.ForeignKey(
        ApplicationInfo,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name="填报信息版本",
    )
    progress = models.CharField(
        "目前进度", max_length=20, choices=Progress.choices, default=Progress.REGISTERED
    )
    rejection_reason = models.CharField("不通过原因", max_length=300, blank=True)
    verification_code = models.CharField("核验码", max_length=16, unique=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = "配租登记"
        verbose_name_plural = "配租登记"
        ordering = ["-created_at", "-id"]
        permissions = [("review_registration", "可以审核配租登记（设置目前进度）")]
        constraints = [
            # One active registration per person per plan (PRODUCT.md); cancelled and rejected
            # ones stay in the history beside the new one.
            models.UniqueConstraint(
                fields=["applicant", "plan"],
                condition=~Q(progress__in=INACTIVE),
                name="one_active_registration_per_plan",
                violation_error_message="您已登记该配租计划。",
            ),
            models.CheckConstraint(
                condition=~Q(progress=Progress.REJECTED) | ~Q(rejection_reason=""),
                name="rejection_has_reason",
            ),
        ]
        indexes = [
            # 已登记人数 of a project counts its active registrations (registered_counts).
            models.Index(
                fields=["offering"],
                condition=~Q(progress__in=INACTIVE),
                name="active_registrations_offering",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("applications:record", args=[self.number])

    @property
    def project(self):
        return self.offering.project

    @property
    def is_active(self) -> bool:
        return self.progress not in INACTIVE

    def household_conflicts(self) -> "RegistrationQuerySet":
        """Other registrations of the plan, still in the running, that name someone of this
        registration's household (the reviewers' re-check of one family, one registration)."""
        digests = self.household.values("id_number_digest")
        others = HouseholdMember.objects.filter(plan=self.plan_id, id_number_digest__in=digests)
        return (
            Registration.objects.filter(pk__in=others.values("registration"))
            .exclude(pk=self.pk)
            .active()
        )

    def documents_to_correct(self) -> "list[DocumentCheck]":
        """The documents a reviewer found 不符, each with the reviewer's note, once this
        registration is rejected: what the applicant corrects before registering again (the
        record, its PDF and the top of 修改填报信息 show them). In the form's order."""
        if self.progress != Progress.REJECTED:
            return []
        order = list(DocumentKind.values)
        checks = self.document_checks.filter(verdict=DocumentCheck.Verdict.MISMATCH)
        return sorted(
            checks.select_related("document"),
            key=lambda check: (order.index(check.document.kind), check.document.uploaded_at),
        )

    def can_cancel(self, now: datetime | None = None) -> bool:
        """取消登记 only before review starts and while the plan's window is open."""
        return not self.cancel_refusal(now)

    def cancel_refusal(self, now: datetime | None = None) -> str:
        """Why 取消登记 is not offered, in the words the applicant reads ("" when it is).

        A reviewer who has started on a registration has it in hand: cancelling under them
        would waste the review and let an applicant step out of a rejection the plan may not
        let them come back from (Plan.allows_registering_again). So 审核中 is not cancelled;
        the applicant waits for the result (texted) and, if rejected, corrects and registers
        again while the window is open."""
        if self.progress == Progress.REVIEWING:
            return (
                "资格审核已开始，不能取消登记。审核结果会以短信通知您；"
                "如需更正填报信息，请拨打技术支持电话。"
            )
        if self.progress != Progress.REGISTERED:
            return f"当前进度为“{self.get_progress_display()}”，不能取消登记。"
        if self.plan.registration_state(now) != Plan.RegistrationState.OPEN:
            return "登记已结束，不能取消登记。"
        return ""

    def can_register_again(self, now: datetime | None = None) -> bool:
        """重新登记 after 审核不通过: while the window is open, unless the plan forbids it.
        Whether a newer registration already took its place is the caller's to know."""
        return (
            self.progress == Progress.REJECTED
            and self.plan.allows_registering_again
            and self.plan.registration_state(now) == Plan.RegistrationState.OPEN
        )

    def cancel(self, *, by: User) -> None:
        """取消登记 by the applicant."""
        if by.pk != self.applicant_id:
            raise InvalidTransition(
                self.progress, Progress.CANCELLED, "只有申请人本人可以取消登记。"
            )
        with transaction.atomic():
            locked = self._lock()
            if refusal := locked.cancel_refusal():
                raise InvalidTransition(locked.progress, Progress.CANCELLED, refusal)
            locked._move_to(Progress.CANCELLED, by=by)
        self.refresh_from_db()

    def withdraw(self, *, by: User, reason: str) -> None:
        """The applicant leaves the plan when closing their account (注销账号) after the window:
        已登记 → 已取消 with the reason, as 取消登记 would have done while it was open."""
        with transaction.atomic():
            locked = self._lock()
            if locked.progress != Progress.REGISTERED:
                raise InvalidTransition(locked.progress, Progress.CANCELLED)
            locked._move_to(Progress.CANCELLED, by=by, reason=reason)
        self.refresh_from_db()

    def start_review(self, *, by: User) -> None:
        """开始审核: 已登记 → 审核中."""
        self._decide(Progress.REVIEWING, by=by)

    def approve(self, *, by: User) -> None:
        """审核通过: 审核中 → 审核通过."""
        self._decide(Progress.APPROVED, by=by)

    def reject(self, *, by: User, reason: str) -> None:
        """审核不通过, always with the 不通过原因 the applicant will read."""
        reason = reason.strip()
        if not reason:
            raise InvalidTransition(
                self.progress, Progress.REJECTED, "审核不通过时必须填写不通过原因。"
            )
        self._decide(Progress.REJECTED, by=by, reason=reason)

    def _decide(self, progress: str, *, by: User, reason: str = "") -> None:
        # The text to the applicant is the caller's (applications/review.py): the model
        # records what happened, applications/notifications.py decides what to tell.
        with transaction.atomic():
            locked = self._lock()
            locked._move_to(progress, by=by, reason=reason)
        self.refresh_from_db()

    def _lock(self) -> "Registration":
        """This row, locked until the transaction ends, so that two people acting at once
        (a double click, two reviewers) are serialised and the second sees the first's change."""
        return Registration.objects.select_for_update().select_related("plan").get(pk=self.pk)

    def _move_to(self, progress: str, *, by: User | None, reason: str = "") -> None:
        if progress not in ALLOWED_TRANSITIONS[self.progress]:
            raise InvalidTransition(self.progress, progress)
        previous = self.progress
        self.progress = progress
        self.rejection_reason = reason if progress == Progress.REJECTED else ""
        self.save(update_fields=["progress", "rejection_reason", "updated_at"])
        if progress in INACTIVE:
            # The family's place in the plan is free again (a new registration may take it).
            HouseholdMember.objects.filter(registration=self).update(active=False)
        RegistrationEvent.objects.create(
            registration=self, from_progress=previous, to_progress=progress, reason=reason, actor=by
        )


class HouseholdMember(models.Model):
    """One person of a registration's household, the applicant or a declared 家庭成员, by the
    keyed digest of their ID number (never in clear).

    One family, one registration per plan (PRODUCT.md; Beijing's rule of one application per
    family): while the registration holds its place (`active`), no other registration of the
    plan may name the same person, as applicant or as member. The partial unique index makes
    that an indexed check and safe when two of a family register at the same moment; when the
    registration is cancelled or rejected its rows stop holding the place but stay.
    """

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="household", verbose_name="配租登记"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    id_number_digest = models.CharField("证件号码摘要", max_length=64)
    is_applicant = models.BooleanField("申请人本人", default=False)
    active = models.BooleanField("占用登记名额", default=True)

    class Meta:
        verbose_name = "登记家庭成员"
        verbose_name_plural = "登记家庭成员"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "id_number_digest"],
                condition=Q(active=True),
                name="one_family_registration_per_plan",
            ),
        ]
        indexes = [
            # Reviewers' re-check looks at every row of the plan with these digests.
            models.Index(fields=["plan", "id_number_digest"], name="household_plan_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.registration} · {'申请人' if self.is_applicant else '家庭成员'}"


class DocumentCheck(models.Model):
    """A reviewer's check of one uploaded copy for one registration (核验通过 / 不符)."""

    class Verdict(models.TextChoices):
        PASSED = "passed", "核验通过"
        MISMATCH = "mismatch", "不符"

    registration = models.ForeignKey(
        "Registration", on_delete=models.CASCADE, related_name="document_checks"
    )
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="checks")
    verdict = models.CharField("核验结果", max_length=20, choices=Verdict.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="核验人"
    )
    checked_at = models.DateTimeField("核验时间", default=timezone.now)

    class Meta:
        verbose_name = "材料核验"
        verbose_name_plural = "材料核验"
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "document"], name="one_check_per_document"
            ),
            models.CheckConstraint(
                condition=~Q(verdict="mismatch") | ~Q(note=""), name="mismatch_has_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} · {self.get_verdict_display()}"


class RegistrationEvent(models.Model):
    """One change of 目前进度: the timeline applicants and staff see."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="events", verbose_name="配租登记"
    )
    from_progress = models.CharField("原进度", max_length=20, choices=Progress.choices, blank=True)
    to_progress = models.CharField("新进度", max_length=20, choices=Progress.choices)
    reason = models.CharField("原因", max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "进度记录"
        verbose_name_plural = "进度记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_to_progress_display()} @ {format_when(self.created_at)}"
