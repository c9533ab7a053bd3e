"""信息填报 (manual 4.1) and 修改填报信息 (4.2).

Every POST from the form keeps what was typed and stores the files that came with it before
anything else happens, so a failed submit, an added family member row or a removed document
never loses the applicant's work. Buttons other than 提交 post the same form to their own URL
(formaction), then redirect back to the form.
"""

import secrets
from collections.abc import Sequence

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import real_name_required
from accounts.models import User
from applications import documents, drafts, eligibility
from applications.access import info_or_404, public_plan_or_404
from applications.forms import (
    CONDITIONAL_KINDS,
    FamilyFormSet,
    InfoForm,
    required_document_kinds,
    shown_id_number,
)
from applications.models import (
    ApplicationDraft,
    ApplicationInfo,
    DocumentCheck,
    DocumentKind,
    MaritalStatus,
    Progress,
    Registration,
    Relation,
)
from plans.models import Plan
from rentcenter.forms import summary_errors
from rentcenter.http import HtmxHttpRequest

EDIT_LOCKED = "您已登记该配租计划。如需修改填报信息，请先在配租记录中取消登记，修改后重新登记。"


def _fillable_plan(request: HttpRequest, plan_id: int) -> Plan | HttpResponse:
    """The plan, or the redirect that explains why its form cannot be filled now."""
    plan = public_plan_or_404(plan_id)
    if not plan.is_info_open:
        return _closed_for_filling(
            request, plan, ApplicationInfo.objects.latest_for(request.user, plan)
        )
    if drafts.has_active_registration(request.user, plan):
        # 查看填报信息 says EDIT_LOCKED itself while locked: no flash message to repeat it.
        return redirect("applications:info", plan.pk)
    return plan


def _closed_for_filling(
    request: HttpRequest, plan: Plan, submitted: ApplicationInfo | None
) -> HttpResponse:
    """Where to go when the plan's form cannot be filled now, with one notice, not two: the
    submitted info if there is some, else the 配租公告, whose buttons already say when filling
    opens (so a plan that has not opened yet adds no message of its own)."""
    if submitted is not None:
        messages.warning(request, "当前不在该计划的信息填报时间内，您可以查看已提交的填报信息。")
        return redirect("applications:info", plan.pk)
    if plan.state != Plan.RegistrationState.UPCOMING:
        messages.warning(request, "该计划的信息填报已结束，您没有填报该计划的信息。")
    return redirect("plans:announcement", plan.pk)


def _form_context(request: HttpRequest, plan: Plan, draft: ApplicationDraft, **bound) -> dict:
    user = request.user
    fields = draft.data.get("fields", {})
    members = [
        {
            "name": m["name"],
            "relation": m["relation"],
            "id_number": shown_id_number(m["id_token"]),
            "id_token": m["id_token"],
        }
        for m in draft.data.get("members", [])
    ]
    form = bound.get("form") or InfoForm(initial=fields, plan=plan)
    family = bound.get("family") or FamilyFormSet(initial=members, prefix=drafts.MEMBERS_PREFIX)
    rejected = last_rejection(user, plan)
    corrections = rejected.documents_to_correct() if rejected else []
    blocks = document_blocks(
        plan,
        drafts.attached_documents(draft),
        marital_status=bound.get("marital_status") or form["marital_status"].value(),
        upload_errors=bound.get("upload_errors", {}),
        missing=bound.get("missing", []),
        corrections=corrections,
    )
    errors = []
    if bound.get("form"):
        errors = summary_errors(form, family) + [
            (f"documents-{block['kind']}", f"{block['kind'].label}：{error}")
            for block in blocks
            for error in block["errors"]
        ]
    return {
        "plan": plan,
        # On the form's first screen: a rule the 实名 data decides (age) that the applicant
        # fails is said before they fill in anything (issue 16).
        "unmet": [
            (failure.sentence, failure.fixable)
            for failure in eligibility.real_name_failures(
                plan=plan, person=user, today=timezone.localdate()
            )
        ],
        "rejected": rejected,
        "corrections": corrections,
        "draft": draft,
        "form": form,
        "family": family,
        "document_kinds": blocks,
        "applicant": user,
        "error_summary": errors,
        "submission_key": request.POST.get("submission_key") or secrets.token_urlsafe(16),
    }


def last_rejection(applicant: User, plan: Plan) -> Registration | None:
    """The applicant's latest registration for the plan, if it was rejected: 修改填报信息 opens
    with its reason and the reviewer's note beside each document to correct (issue 16). The
    form is only open without an active registration, so the latest one not cancelled is
    either this or none."""
    latest = (
        Registration.objects.of(applicant)
        .filter(plan=plan)
        .exclude(progress=Progress.CANCELLED)
        .order_by("-created_at", "-id")
        .first()
    )
    return latest if latest and latest.progress == Progress.REJECTED else None


def shown_kinds(required: list[str]) -> list[DocumentKind]:
    """The 上传材料 blocks of the form: the required kinds, every kind some answer may require
    (so that the form works the same without JavaScript), and 其他 (选填)."""
    return [
        kind
        for kind in DocumentKind
        if kind in required or kind in CONDITIONAL_KINDS or kind == DocumentKind.OTHER
    ]


def document_blocks(
    plan: Plan,
    attached: list,
    *,
    marital_status: str | None,
    upload_errors: dict[str, list[str]] | None = None,
    missing: list[str] | None = None,
    only_needed: bool = False,
    corrections: Sequence[DocumentCheck] = (),
) -> list[dict]:
    """The 上传材料 blocks for these answers. only_needed (the htmx swap after an answer
    changes) leaves out a conditional kind the answers do not call for, unless it holds files.
    corrections are a rejected registration's 不符 checks: each note goes beside its document,
    or, once that file is removed, at the top of its kind's block."""
    required = required_document_kinds(plan, marital_status=marital_status or "")
    upload_errors, missing = upload_errors or {}, missing or []
    notes = {check.document_id: check.note for check in corrections}
    blocks = []
    for kind in shown_kinds(required):
        files = [d for d in attached if d.kind == kind]
        if only_needed and kind in CONDITIONAL_KINDS and kind not in required and not files:
            continue
        for document in files:
            document.review_note = notes.get(document.pk, "")
        kept = {document.pk for document in files}
        blocks.append(
            {
                "kind": kind,
                "required": kind in required,
                "condition": CONDITIONAL_KINDS.get(kind, ""),
                "accepts_pdf": kind in documents.PDF_KINDS,
                "documents": files,
                "errors": upload_errors.get(kind, [])
                + (["请上传此项材料。"] if kind in missing else []),
                "removed_notes": [
                    check
                    for check in corrections
                    if check.document.kind == kind and check.document_id not in kept
                ],
            }
        )
    return blocks


@require_GET
@vary_on_headers("HX-Request")
@real_name_required
def document_blocks_view(request: HtmxHttpRequest, plan_id: int) -> HttpResponse:
    """The 上传材料 blocks for the answer just given (htmx, on change of 婚姻状况): nothing is
    saved; without htmx this is the form itself."""
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    if not request.htmx:
        return redirect(reverse("applications:fill", args=[plan.pk]) + "#documents")
    draft = drafts.load(request.user, plan)
    marital = request.GET.get("marital_status", "")
    rejected = last_rejection(request.user, plan)
    blocks = document_blocks(
        plan,
        drafts.attached_documents(draft),
        marital_status=marital,
        only_needed=True,
        corrections=rejected.documents_to_correct() if rejected else [],
    )
    context = {"plan": plan, "document_kinds": blocks}
    return render(request, "applications/includes/document_blocks.html", context)


def _keep(request: HttpRequest, plan: Plan) -> tuple[ApplicationDraft, dict[str, list[str]]]:
    draft = drafts.load(request.user, plan)
    drafts.keep_typed(draft, request.POST)
    return draft, drafts.add_uploads(draft, request.FILES)


def _report_upload_errors(request: HttpRequest, errors: dict[str, list[str]]) -> None:
    for kind, problems in errors.items():
        for problem in problems:
            messages.error(request, f"{DocumentKind(kind).label}：{problem}")


@require_GET
@real_name_required
def info(request: HttpRequest, plan_id: int) -> HttpResponse:
    """查看填报信息: the latest submitted version for the plan, with 修改."""
    plan = public_plan_or_404(plan_id)
    submitted = ApplicationInfo.objects.latest_for(request.user, plan)
    if submitted is None:
        if plan.is_info_open:
            return redirect("applications:fill", plan.pk)
        return _closed_for_filling(request, plan, submitted)
    context = {
        "plan": plan,
        "info": submitted,
        "locked": drafts.has_active_registration(request.user, plan),
        "locked_message": EDIT_LOCKED,
    }
    return render(request, "applications/info_detail.html", context)


@require_http_methods(["GET", "POST"])
@real_name_required
def fill(request: HttpRequest, plan_id: int) -> HttpResponse:
    """填报信息 / 修改: the form; POST is 提交."""
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    if request.method == "GET":
        draft = drafts.load(request.user, plan)
        return render(request, "applications/info_form.html", _form_context(request, plan, draft))

    key = request.POST.get("submission_key", "")
    if done := drafts.already_submitted(request.user, plan, key):
        messages.info(request, "该信息已提交，无需重复提交。")
        return redirect("applications:submitted", plan.pk, done.reference)
    draft, upload_errors = _keep(request, plan)
    form = InfoForm(request.POST, plan=plan, applicant_phone=request.user.phone.as_e164[3:])
    family = FamilyFormSet(
        request.POST,
        prefix=drafts.MEMBERS_PREFIX,
        applicant_id_number=request.user.id_number,
        married=request.POST.get("marital_status") == MaritalStatus.MARRIED,
    )
    required = required_document_kinds(plan, marital_status=request.POST.get("marital_status", ""))
    missing = drafts.missing_kinds(required, drafts.attached_documents(draft))
    if form.is_valid() and family.is_valid() and not upload_errors and not missing:
        try:
            result = drafts.submit(
                draft=draft, form=form, members=family.members, submission_key=key
            )
        except drafts.EditLocked:
            return redirect("applications:info", plan.pk)  # which says why
        return redirect("applications:submitted", plan.pk, result.info.reference)
    context = _form_context(
        request, plan, draft, form=form, family=family, upload_errors=upload_errors, missing=missing
    )
    return render(request, "applications/info_form.html", context)


@require_POST
@vary_on_headers("HX-Request")
@real_name_required
def save_draft(request: HtmxHttpRequest, plan_id: int) -> HttpResponse:
    """暂存: keep what is typed without submitting. The form's script posts here as the
    applicant types (htmx request: the 已暂存 line is the answer); without JavaScript the 暂存
    button and the Enter key post here, and the form comes back with the same line."""
    if request.htmx or request.POST.get("via") == "beacon":
        # A beacon (the page closing with edits unsaved) carries no header, and no one reads
        # its answer: no flash message either.
        return _autosave(request, plan_id)
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    _, upload_errors = _keep(request, plan)
    _report_upload_errors(request, upload_errors)
    if request.POST.get("via") == "enter":
        messages.success(
            request, "已暂存。在填报页按回车键只会暂存您的填写，不会提交或删除任何内容。"
        )
    else:
        messages.success(request, "已暂存，您可以稍后继续填写。暂存的信息尚未提交。")
    return redirect("applications:fill", plan.pk)


def _autosave(request: HtmxHttpRequest, plan_id: int) -> HttpResponse:
    """自动暂存: the fields as typed (files travel on their own, as soon as they are chosen).
    A form that cannot be saved now answers 409 with the reason, shown where 已暂存 was."""
    plan = public_plan_or_404(plan_id)
    refusal = ""
    if not plan.is_info_open:
        refusal = "信息填报已结束，未能暂存。"
    elif drafts.already_submitted(request.user, plan, request.POST.get("submission_key", "")):
        refusal = "该信息已提交。"  # a save that left before 提交 and arrived after it
    elif drafts.has_active_registration(request.user, plan):
        refusal = "您已登记该配租计划，未能暂存。"
    if refusal:
        return HttpResponse(refusal, status=409, content_type="text/plain; charset=utf-8")
    draft = drafts.load(request.user, plan)
    drafts.keep_typed(draft, request.POST)
    return render(request, "applications/includes/autosave_status.html", {"draft": draft})


@require_POST
@real_name_required
def add_member(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    draft, upload_errors = _keep(request, plan)
    _report_upload_errors(request, upload_errors)
    members = draft.data["members"]
    members.append({"name": "", "relation": "", "id_token": ""})
    draft.save(update_fields=["data", "updated_at"])
    return redirect(reverse("applications:fill", args=[plan.pk]) + f"#member-{len(members) - 1}")


@require_POST
@real_name_required
def remove_member(request: HttpRequest, plan_id: int, index: int) -> HttpResponse:
    """删除此成员, the member's own button: what is typed is kept first, then the applicant
    confirms on a page of its own (a blank row, holding nothing, simply goes)."""
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    _, upload_errors = _keep(request, plan)
    _report_upload_errors(request, upload_errors)
    position = drafts.kept_position(request.POST, index)
    if position is None:
        return redirect(reverse("applications:fill", args=[plan.pk]) + "#family")
    return redirect("applications:confirm_remove_member", plan.pk, position)


@require_http_methods(["GET", "POST"])
@real_name_required
def confirm_remove_member(request: HttpRequest, plan_id: int, position: int) -> HttpResponse:
    """确认删除家庭成员: the member as saved, 确认删除 or 返回填报."""
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    back = reverse("applications:fill", args=[plan.pk]) + "#family"
    draft = drafts.load(request.user, plan)
    members = draft.data.get("members", [])
    member = members[position] if position < len(members) else None
    # The name the page showed: another tab may have changed the rows since.
    if member is None or (request.method == "POST" and request.POST.get("name") != member["name"]):
        messages.warning(request, "家庭成员已有变化，未删除任何人，请在填报页重新操作。")
        return redirect(back)
    shown = {
        "name": member["name"],
        "relation": Relation(member["relation"]).label
        if member["relation"] in Relation.values
        else member["relation"],
        "id_number": shown_id_number(member["id_token"]),
        "number": position + 1,
    }
    if request.method == "POST":
        drafts.remove_member(draft, position)
        messages.success(request, f"已删除家庭成员 {member['name'] or shown['number']}。")
        return redirect(back)
    context = {"plan": plan, "member": shown, "position": position, "back": back}
    return render(request, "applications/confirm_remove_member.html", context)


@require_POST
@vary_on_headers("HX-Request")
@real_name_required
def upload(request: HtmxHttpRequest, plan_id: int) -> HttpResponse:
    """An upload sent on its own (htmx, as soon as a file is chosen)."""
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    draft = drafts.load(request.user, plan)
    if not request.htmx:
        _report_upload_errors(request, drafts.add_uploads(draft, request.FILES))
        return redirect("applications:fill", plan.pk)
    kind = request.POST.get("kind", "")
    # The answer on the screen, saved or not: the block comes back marked as that answer makes
    # it (婚姻证明 stays required with its * once 已婚 is chosen).
    marital = request.POST.get("marital_status") or draft.data.get("fields", {}).get(
        "marital_status", ""
    )
    if kind not in shown_kinds(required_document_kinds(plan, marital_status=marital)):
        return HttpResponse(status=400)  # no such block on the form: store nothing
    errors = drafts.add_uploads(
        draft, MultiValueDict({f"upload_{kind}": request.FILES.getlist(f"upload_{kind}")})
    )
    context = _form_context(request, plan, draft, upload_errors=errors, marital_status=marital)
    block = next(b for b in context["document_kinds"] if b["kind"] == kind)
    return render(request, "applications/includes/document_kind.html", {**context, "block": block})


@require_POST
@real_name_required
def remove_document(request: HttpRequest, plan_id: int, document_id: int) -> HttpResponse:
    plan = _fillable_plan(request, plan_id)
    if isinstance(plan, HttpResponse):
        return plan
    draft, upload_errors = _keep(request, plan)
    _report_upload_errors(request, upload_errors)
    document = get_object_or_404(draft.documents.all(), pk=document_id)
    drafts.remove_document(draft, document)
    messages.success(request, f"已移除 {document.original_name}。")
    return redirect(reverse("applications:fill", args=[plan.pk]) + f"#documents-{document.kind}")


@require_GET
@real_name_required
def submitted(request: HttpRequest, plan_id: int, reference: str) -> HttpResponse:
    """The confirmation after 提交, with the reference number."""
    plan = public_plan_or_404(plan_id)
    submission = info_or_404(request, plan, reference)
    # What is met and what is not, per condition, before anyone presses 立即登记 (issue 16).
    assessments = eligibility.assess(plan=plan, info=submission, today=timezone.localdate())
    context = {
        "plan": plan,
        "info": submission,
        "met": [a for a in assessments if a.met],
        "unmet": [a.failure for a in assessments if not a.met],
        "fixable": any(a.failure.fixable for a in assessments if not a.met),
    }
    return render(request, "applications/info_submitted.html", context)
