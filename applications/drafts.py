"""The 信息填报 draft: loading it (prefilled), keeping what was typed, and submitting it.

A draft is only written on POST. Until then the form shows what the applicant would start
from: their draft for this plan if any, else their latest submission for this plan (修改),
else their latest submission for any plan (自动带出, manual 4.1 note), documents included.
"""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from accounts.models import User
from applications import documents
from applications.forms import InfoForm, resolve_id_number
from applications.models import (
    ApplicationDraft,
    ApplicationInfo,
    Document,
    DocumentKind,
    FamilyMember,
    Registration,
    new_reference,
)
from plans.models import Plan
from rentcenter import crypto

INFO_FIELDS = InfoForm.Meta.fields
MEMBERS_PREFIX = "members"
MAX_FILES_PER_KIND = 5


class EditLocked(Exception):
    """The plan has an active registration: 取消登记 first (manual 6.2 note)."""


def has_active_registration(applicant: User, plan: Plan) -> bool:
    return Registration.objects.of(applicant).active().filter(plan=plan).exists()


def load(applicant: User, plan: Plan) -> ApplicationDraft:
    """The draft to show: saved, or unsaved and prefilled from the latest submission."""
    draft = ApplicationDraft.objects.filter(applicant=applicant, plan=plan).first()
    if draft:
        return draft
    source = (
        ApplicationInfo.objects.latest_for(applicant, plan)
        or ApplicationInfo.objects.of(applicant).order_by("-submitted_at", "-id").first()
    )
    draft = ApplicationDraft(applicant=applicant, plan=plan, prefilled_from=source)
    if source:
        draft.data = {"fields": _fields_of(source), "members": _members_of(source)}
    return draft


def attached_documents(draft: ApplicationDraft) -> list[Document]:
    if draft.pk:
        return list(draft.documents.all())
    if draft.prefilled_from_id:
        # Files past their retention are not offered again: the applicant uploads anew.
        return list(draft.prefilled_from.documents.with_files())
    return []


def keep_typed(draft: ApplicationDraft, post: QueryDict) -> ApplicationDraft:
    """Save what the form holds, as typed, so a failed submit or a new visit loses nothing.
    Blank family member rows are left out (删除此成员 on one needs no confirmation)."""
    members = [_member_row(row) for _, row in _posted_members(post) if _is_filled(row)]
    draft.data = {
        "fields": {name: _typed(post.get(name, "")) for name in INFO_FIELDS},
        "members": members,
    }
    _save(draft)
    return draft


def kept_position(post: QueryDict, index: int) -> int | None:
    """Where the posted member row `index` stands among the rows keep_typed saves (blank rows
    are not saved, so later rows move up); None when that row is blank."""
    position = 0
    for posted, row in _posted_members(post):
        if not _is_filled(row):
            continue
        if posted == index:
            return position
        position += 1
    return None


def remove_member(draft: ApplicationDraft, position: int) -> dict[str, str] | None:
    """删除此成员, once confirmed: the row at `position` of the saved draft leaves it."""
    members = draft.data.get("members", [])
    if not 0 <= position < len(members):
        return None
    removed = members.pop(position)
    _save(draft)
    return removed


def _posted_members(post: QueryDict):
    total = _int(post.get(f"{MEMBERS_PREFIX}-TOTAL_FORMS"), 0)
    for index in range(min(total, 20)):
        yield (
            index,
            {
                key: _typed(post.get(f"{MEMBERS_PREFIX}-{index}-{key}", ""))
                for key in ("name", "relation", "id_number", "id_token")
            },
        )


def _is_filled(row: dict[str, str]) -> bool:
    return any(row[key] for key in ("name", "relation", "id_number"))


def _typed(value: str) -> str:
    """A value as typed, for the draft: without NUL characters, which no keyboard types and
    PostgreSQL's JSON refuses (the form's own validation still sees and refuses them)."""
    return value.replace("\x00", "").strip()


def add_uploads(draft: ApplicationDraft, files: MultiValueDict) -> dict[str, list[str]]:
    """Store every acceptable uploaded file and attach it; the refusals, per kind."""
    errors: dict[str, list[str]] = {}
    uploads = [
        (kind, upload) for kind in DocumentKind.values for upload in files.getlist(f"upload_{kind}")
    ]
    if not uploads:
        return errors
    _save(draft)
    current = list(draft.documents.all())
    for kind, upload in uploads:
        if sum(document.kind == kind for document in current) >= MAX_FILES_PER_KIND:
            errors.setdefault(kind, []).append(
                f"{upload.name}：每项材料最多上传 {MAX_FILES_PER_KIND} 个文件。"
            )
            continue
        try:
            document = documents.store(
                owner_id=draft.applicant_id,
                kind=kind,
                upload=upload,
                budget_used=sum(document.size for document in current),
            )
        except documents.ValidationError as error:
            errors.setdefault(kind, []).extend(
                f"{upload.name}：{message}" for message in error.messages
            )
            continue
        draft.documents.add(document)
        current.append(document)
    return errors


def remove_document(draft: ApplicationDraft, document: Document) -> None:
    """Unlink from the draft; the file stays (a submitted version may still use it)."""
    _save(draft)
    draft.documents.remove(document)


def already_submitted(applicant: User, plan: Plan, submission_key: str) -> ApplicationInfo | None:
    """The version a previous post of this same form created, if any."""
    if not submission_key:
        return None
    return (
        ApplicationInfo.objects.of(applicant)
        .filter(plan=plan, submission_key=submission_key)
        .first()
    )


def missing_kinds(required: list[str], attached: list[Document]) -> list[str]:
    present = {document.kind for document in attached}
    return [kind for kind in required if kind not in present]


@dataclass(frozen=True)
class Submitted:
    info: ApplicationInfo
    created: bool


def submit(
    *,
    draft: ApplicationDraft,
    form: InfoForm,
    members: list[dict[str, str]],
    submission_key: str = "",
) -> Submitted:
    """Turn the draft into the next ApplicationInfo version, in one transaction.

    The draft row is locked first, so a double click or two tabs create one version: the
    second request finds the draft gone and gets the version the first one made.
    """
    applicant, plan = draft.applicant, draft.plan
    with transaction.atomic():
        locked = ApplicationDraft.objects.select_for_update().filter(pk=draft.pk).first()
        if locked is None:
            return Submitted(ApplicationInfo.objects.latest_for(applicant, plan), created=False)
        if done := already_submitted(applicant, plan, submission_key):
            # The same form posted twice at once: the other post made the version while this
            # one re-saved the draft it had loaded. That copy goes; the version stands.
            locked.delete()
            return Submitted(done, created=False)
        if has_active_registration(applicant, plan):
            raise EditLocked
        previous = ApplicationInfo.objects.latest_for(applicant, plan)
        version = previous.version + 1 if previous else 1
        info: ApplicationInfo = form.save(commit=False)
        info.applicant, info.plan, info.version = applicant, plan, version
        info.submission_key = submission_key[:32]
        info.real_name = applicant.real_name
        info.id_number_encrypted = crypto.encrypt(applicant.id_number)
        info.sex, info.birth_date = applicant.sex, applicant.birth_date
        if previous:
            info.reference = previous.reference  # 填报编号 stays; 第 n 版 tells versions apart
            info.save()
        else:
            _save_with_unique_reference(info)
        info.documents.set(locked.documents.all())
        FamilyMember.objects.bulk_create(
            FamilyMember(
                info=info,
                name=member["name"],
                relation=member["relation"],
                id_number_encrypted=crypto.encrypt(member["id_number"]),
                position=position,
            )
            for position, member in enumerate(members)
        )
        locked.delete()
    return Submitted(info, created=True)


def _save_with_unique_reference(info: ApplicationInfo) -> None:
    for _ in range(5):
        info.reference = new_reference("TB")
        try:
            with transaction.atomic():
                info.save()
            return
        except IntegrityError:
            if ApplicationInfo.objects.filter(reference=info.reference, version=1).exists():
                continue
            raise
    raise RuntimeError("could not find a free reference number")


def _save(draft: ApplicationDraft) -> None:
    """Create the draft row on first write, linking the prefilled documents."""
    if draft.pk:
        draft.save()
        return
    with transaction.atomic():
        draft.save()
        if draft.prefilled_from_id:
            draft.documents.set(draft.prefilled_from.documents.with_files())


def _fields_of(info: ApplicationInfo) -> dict[str, str]:
    values = model_to_dict(info, fields=INFO_FIELDS)
    return {
        name: value.isoformat()
        if isinstance(value, date)
        else ("" if value is None else str(value))
        for name, value in values.items()
    }


def _members_of(info: ApplicationInfo) -> list[dict[str, str]]:
    return [
        {"name": m.name, "relation": m.relation, "id_token": m.id_number_encrypted}
        for m in info.family_members.all()
    ]


def _member_row(row: dict[str, str]) -> dict[str, str]:
    """A family member row as stored in the draft: the ID number only ever encrypted."""
    number = resolve_id_number(row["id_number"], row["id_token"])
    return {
        "name": row["name"],
        "relation": row["relation"],
        "id_token": crypto.encrypt(number) if number else "",
    }


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default
