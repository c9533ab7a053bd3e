"""SMS to applicants about their registration, sent after the transaction commits."""

from applications.models import Progress, Registration
from rentcenter.sms import send_sms


def notify_decision(registration: Registration) -> None:
    """Tell the applicant what a reviewer decided (manual 7.1, PRODUCT.md)."""
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
    if text:
        send_sms(
            phone=registration.applicant.phone.as_e164,
            text=text + "详情请登录配租平台查看配租记录。",
        )
