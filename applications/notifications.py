"""What the applicant is texted about their registration (manual 7.1, PRODUCT.md).

The model records what happened (Registration's transitions and their events); this module
decides what to tell, and writes the text to the SMS outbox in the same transaction
(messaging/outbox.py), to be sent by a task after commit.
"""

from applications.models import Progress, Registration
from messaging.outbox import Kind, queue_text
from rentcenter.dates import format_when


def decision_text(registration: Registration) -> str | None:
    """The text for the registration's current 目前进度, or None if that progress has none.

    A rejection says how many documents the reviewer found 不符 (their notes are on the record)
    and, while the plan lets a rejected applicant register again and its window is open, until
    when they can correct the form and register again: the window's end, date and time."""
    plan, project = registration.plan.title, registration.offering.project.name
    texts = {
        Progress.REVIEWING: f"您登记的“{plan}”{project}（{registration.number}）已进入资格审核。",
        Progress.APPROVED: f"您登记的“{plan}”{project}（{registration.number}）审核通过。",
        Progress.REJECTED: (
            f"您登记的“{plan}”{project}（{registration.number}）审核不通过，"
            f"原因：{registration.rejection_reason}。"
        ),
    }
    text = texts.get(registration.progress)
    if text is None:
        return None
    if registration.progress == Progress.REJECTED:
        corrections = len(registration.documents_to_correct())
        if corrections:
            text += f"其中 {corrections} 项材料需更正，审核意见见配租记录。"
        if registration.can_register_again():
            ends = format_when(registration.plan.registration_ends_at)
            return text + f"您可在 {ends} 前登录配租平台修改填报信息并重新登记。"
    return text + "详情请登录配租平台查看配租记录。"


def notify_decision(registration: Registration) -> None:
    """Queue the text telling the applicant what a reviewer decided; call it inside the
    decision's transaction."""
    text = decision_text(registration)
    if text:
        # 审核中 is filed as what it is: the start of the review, not its result.
        reviewing = registration.progress == Progress.REVIEWING
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=text,
            kind=Kind.REVIEWING if reviewing else Kind.DECISION,
            reference=registration.number,
        )
