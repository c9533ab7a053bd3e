"""资格审核: a reviewer's decision and the text that tells the applicant, in one transaction.

Admin's decision page and its bulk actions call decide(); the Registration methods it runs
lock the row, check the transition and record the event, and notifications.py writes the
text to the outbox before the transaction commits, so a decision is never without its text
and a refused one texts nobody.
"""

from django.db import transaction

from accounts.models import User
from applications.models import Registration
from applications.notifications import notify_decision

DECISIONS = ("start_review", "approve", "reject")


def decide(registration: Registration, *, decision: str, by: User, reason: str = "") -> None:
    """开始审核 / 审核通过 / 审核不通过 (with `reason`); raises InvalidTransition when the
    registration's progress does not allow it."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    with transaction.atomic():
        if decision == "reject":
            registration.reject(by=by, reason=reason)
        else:
            getattr(registration, decision)(by=by)
        notify_decision(registration)
