"""What the applications room holds about a person (信息填报 versions and drafts, documents,
registrations and their events), for the applicant's rights; the same four parts as
accounts/personal_data.py, plus the document files the export packs and which documents are
still in use.

At closure the records a reviewer or the lottery relies on stay, without the person: every
registration and its decisions, the 信息填报 versions they were made with (categories kept,
names, numbers, addresses, employer and contacts gone, the birth date cut to its year), the
household rows (their ID digests replaced, so the person can register again on a new account).
Drafts go, document files go (the rows say when), record PDFs go.
"""

from collections.abc import Iterator
from datetime import date, datetime

from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast, Concat, TruncYear

from accounts.models import User
from applications.forms import shown_id_number
from applications.models import (
    ApplicationDraft,
    ApplicationInfo,
    Document,
    FamilyMember,
    HouseholdMember,
    Progress,
    Registration,
)
from plans.models import Plan
from rentcenter.retention import Rule, days, delete_rows
from rentcenter.storage import private_storage

ERASED = "（已注销）"


def _iso(moment: datetime | date | None) -> str | None:
    from accounts.personal_data import iso

    if isinstance(moment, datetime):
        return iso(moment)
    return moment.isoformat() if moment else None


def document_path(document: Document) -> str:
    """Where a document's file is inside the export ZIP."""
    extension = document.file.name.rsplit(".", 1)[-1] if "." in document.file.name else "bin"
    return f"材料/{document.pk}-{document.get_kind_display()}.{extension}"


def _document(document: Document) -> dict[str, object]:
    return {
        "材料编号": document.pk,
        "材料类型": document.get_kind_display(),
        "原文件名": document.original_name,
        "上传时间": _iso(document.uploaded_at),
        "大小（字节）": document.size,
        "文件": document_path(document) if document.has_files else None,
        "文件删除时间": _iso(document.files_deleted_at),
    }


def _info(info: ApplicationInfo) -> dict[str, object]:
    return {
        "配租计划": info.plan.title,
        "填报编号": info.reference,
        "版本": info.version,
        "提交时间": _iso(info.submitted_at),
        "姓名": info.real_name,
        "证件号码": info.id_number,
        "性别": info.get_sex_display(),
        "出生日期": _iso(info.birth_date),
        "婚姻状况": info.get_marital_status_display(),
        "户籍性质": info.get_hukou_type_display(),
        "户籍所在地": info.hukou_location,
        "现居住地址": info.current_address,
        "工作单位": info.employer,
        "单位所在区": info.get_employer_district_display(),
        "统一社会信用代码": info.employer_credit_code,
        "本市连续缴纳社保或个税月数": info.contribution_months,
        "本市名下住房情况": info.get_housing_status_display(),
        "学历": info.get_education_display(),
        "毕业时间": _iso(info.graduation_date),
        "紧急联系人": info.emergency_contact_name,
        "紧急联系人电话": info.emergency_contact_phone,
        "意向户型": info.get_preferred_room_display(),
        # Family members' numbers are theirs: shown masked, as on the site.
        "家庭成员": [
            {
                "姓名": m.name,
                "与申请人关系": m.get_relation_display(),
                "证件号码": m.masked_id_number,
            }
            for m in info.family_members.all()
        ],
        "上传材料": [document.pk for document in info.documents_in_order],
    }


def _draft(draft: ApplicationDraft) -> dict[str, object]:
    data = draft.data or {}
    members = [
        {
            "姓名": member.get("name", ""),
            "与申请人关系": member.get("relation", ""),
            "证件号码": shown_id_number(member.get("id_token", "")),
        }
        for member in data.get("members", [])
    ]
    return {
        "配租计划": draft.plan.title,
        "最近保存时间": _iso(draft.updated_at),
        "已填内容": data.get("fields", {}),
        "家庭成员": members,
        "上传材料": [document.pk for document in draft.documents.all()],
    }


def _registration(registration: Registration) -> dict[str, object]:
    applicant = registration.applicant_id
    return {
        "登记编号": registration.number,
        "配租计划": registration.plan.title,
        "项目小区": registration.offering.project.name,
        "登记时间": _iso(registration.created_at),
        "目前进度": registration.get_progress_display(),
        "不通过原因": registration.rejection_reason,
        "填报编号": f"{registration.info.reference}（第 {registration.info.version} 版）",
        "核验码": registration.verification_code,
        "进度记录": [
            {
                "时间": _iso(event.created_at),
                "原进度": event.get_from_progress_display(),
                "新进度": event.get_to_progress_display(),
                "原因": event.reason,
                "操作人": "申请人"
                if event.actor_id == applicant
                else ("工作人员" if event.actor_id else "系统"),
            }
            for event in registration.events.all()
        ],
        "材料核验": [
            {
                "材料编号": check.document_id,
                "核验结果": check.get_verdict_display(),
                "说明": check.note,
                "核验时间": _iso(check.checked_at),
            }
            for check in registration.document_checks.all()
        ],
    }


def collect(user: User) -> dict[str, object]:
    infos = (
        ApplicationInfo.objects.of(user)
        .select_related("plan")
        .prefetch_related("family_members", "documents")
        .order_by("submitted_at", "id")
    )
    drafts = (
        ApplicationDraft.objects.filter(applicant=user)
        .select_related("plan")
        .prefetch_related("documents")
    )
    registrations = (
        Registration.objects.of(user)
        .select_related("plan", "offering__project", "info")
        .prefetch_related("events", "document_checks")
        .order_by("created_at", "id")
    )
    return {
        "信息填报": [_info(info) for info in infos],
        "填报草稿": [_draft(draft) for draft in drafts],
        "上传材料": [_document(d) for d in Document.objects.owned_by(user).order_by("pk")],
        "配租登记": [_registration(registration) for registration in registrations],
    }


def files(user: User) -> Iterator[tuple[str, FieldFile]]:
    """The stored files of the person's documents, with their place in the export ZIP."""
    for document in Document.objects.owned_by(user).with_files().order_by("pk"):
        yield document_path(document), document.file


def text_references(user: User) -> list[str]:
    """The references texts about the person's records carry (their 登记编号)."""
    return list(Registration.objects.of(user).values_list("number", flat=True))


# 注销账号 ---------------------------------------------------------------------------------------


def closure_blockers(user: User, *, now: datetime) -> list[str]:
    """A registration still in the running while its window is open (it may yet be reviewed
    or drawn, and the applicant may still cancel it), or one a reviewer is looking at."""
    reasons = []
    for registration in Registration.objects.of(user).active().select_related("plan"):
        title = f"“{registration.plan.title}”的登记（{registration.number}）"
        if registration.progress == Progress.REVIEWING:
            reasons.append(f"{title}正在审核中，审核结束后才能注销账号。")
        elif registration.plan.registration_state(now) == Plan.RegistrationState.OPEN:
            if registration.can_cancel(now):
                reasons.append(
                    f"{title}仍在登记期内。请先在配租记录中取消登记，或等登记结束后再注销账号。"
                )
            else:
                reasons.append(f"{title}仍在登记期内，登记结束后才能注销账号。")
    return reasons


def erase(user: User, *, now: datetime) -> None:
    registrations = list(Registration.objects.of(user).select_related("plan"))
    for registration in registrations:
        if registration.progress == Progress.REGISTERED:
            registration.withdraw(by=user, reason="申请人注销账号")
    infos = ApplicationInfo.objects.of(user)
    FamilyMember.objects.filter(info__in=infos).update(name=ERASED, id_number_encrypted="")
    infos.update(
        real_name=ERASED,
        id_number_encrypted="",
        birth_date=TruncYear("birth_date"),
        hukou_location="",
        current_address="",
        employer="",
        employer_credit_code="",
        emergency_contact_name="",
        emergency_contact_phone="",
        submission_key="",
    )
    # A digest no ID number has: the one-family check no longer finds the person here.
    HouseholdMember.objects.filter(registration__applicant=user).update(
        id_number_digest=Concat(Value("erased-"), Cast(F("pk"), CharField())), active=False
    )
    ApplicationDraft.objects.filter(applicant=user).delete()
    for document in Document.objects.owned_by(user).with_files():
        document.delete_files(now=now)
    _delete_record_pdfs([registration.number for registration in registrations])


def _delete_record_pdfs(numbers: list[str]) -> None:
    """The rendered 导出 PDF of each record (applications/pdf.py keeps one per content)."""
    from applications.pdf import STORE  # WeasyPrint is loaded only where PDFs are made

    storage = private_storage()
    for number in numbers:
        folder = f"{STORE}/{number}"
        if not storage.exists(folder):
            continue
        for name in storage.listdir(folder)[1]:
            storage.delete(f"{folder}/{name}")


# Retention -------------------------------------------------------------------------------------


def documents_held(cutoff: datetime) -> QuerySet:
    """Documents this room still needs at `cutoff`: in a draft, or in a version of a plan whose
    registration ended after `cutoff` (the lottery room keeps those of plans not yet drawn)."""
    recent_plans = Plan.objects.filter(registration_ends_at__gte=cutoff)
    return Document.objects.filter(
        Q(drafts__isnull=False) | Q(application_infos__plan__in=recent_plans)
    ).values("pk")


def _stale_drafts(now: datetime) -> QuerySet:
    cutoff = now - days("RETENTION_DRAFT_DAYS")()
    return ApplicationDraft.objects.filter(plan__registration_ends_at__lt=cutoff)


RETENTION_RULES = [
    Rule(
        key="drafts",
        label="未提交的填报草稿",
        period=days("RETENTION_DRAFT_DAYS"),
        sentence="所属配租计划登记结束{days}天后删除。",
        expired=_stale_drafts,
        purge=delete_rows,
    ),
]
