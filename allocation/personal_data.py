"""What allocation holds about a person, for the applicant's rights (the four parts of
accounts/personal_data.py, called by privacy/rooms.py).

Held per registration that reached the draw: 资格复核 (its result, reason, the reviewers'
document checks), the 选房 turns (queue position, how each ended), the home chosen with its
选房确认书 number, 签约 slot and dates, and the timeline of events. The applicant's name, ID
number and phone are not copied here; they stay with the account and the 信息填报 versions, so
closing an account erases nothing here: the records stay, naming no one.

Documents stay while an allocation still needs them: from 资格复核 until the home is signed for
(and for tenants, as long as they are housed), or while a chosen home waits (`documents_held`).
"""

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from allocation.models import AllocationEvent, Choice, Recheck, Turn
from applications.models import Document
from rentcenter.dates import format_when


def _when(value) -> str:
    return format_when(value) if value else ""


def collect(user: User) -> dict:
    """Everything allocation holds about `user`, as plain data, per registration."""
    rechecks = Recheck.objects.filter(registration__applicant=user).select_related(
        "registration", "plan", "entry"
    )
    result = []
    for recheck in rechecks.order_by("called_at", "pk"):
        registration = recheck.registration
        result.append(
            {
                "登记编号": registration.number,
                "配租计划": recheck.plan.title,
                "摇号编码": recheck.entry.code,
                "顺序号": recheck.position,
                "资格复核": recheck.get_state_display(),
                "不通过原因": recheck.reason,
                "材料核验": [
                    {
                        "材料": check.document.get_kind_display(),
                        "核验结果": check.get_verdict_display(),
                        "说明": check.note,
                        "核验时间": _when(check.checked_at),
                    }
                    for check in recheck.document_checks.select_related("document")
                ],
                "选房": [
                    {
                        "场次开始": _when(turn.session.starts_at),
                        "状态": turn.get_state_display(),
                        "结束时间": _when(turn.ended_at),
                    }
                    for turn in recheck.turns.select_related("session").order_by("pk")
                ],
                "选定房源": [
                    {
                        "确认书编号": choice.number,
                        "房源": f"{choice.home.offering.project.name} {choice.home.label}",
                        "月租金": choice.home.monthly_rent,
                        "状态": choice.get_state_display(),
                        "选房时间": _when(choice.chosen_at),
                        "代为选房": choice.on_behalf,
                        "签约截止时间": _when(choice.sign_by),
                        "签约时段": str(choice.slot) if choice.slot else "",
                        "签约时间": _when(choice.signed_at),
                        "释放时间": _when(choice.released_at),
                    }
                    for choice in recheck.choices.select_related(
                        "home__offering__project", "slot"
                    ).order_by("pk")
                ],
                "记录": [
                    {
                        "时间": _when(event.created_at),
                        "事项": event.get_kind_display(),
                        "说明": event.detail,
                    }
                    for event in AllocationEvent.objects.filter(registration=registration).order_by(
                        "created_at", "pk"
                    )
                ],
            }
        )
    return {"选房与签约": result}


def closure_blockers(user: User, *, now: datetime | None = None) -> list[str]:
    """Why `user`'s account cannot be closed now: an allocation in progress (资格复核 under
    way, a turn waiting, a chosen home not yet signed for) still needs them reachable."""
    reasons = []
    reviewing = Recheck.objects.filter(
        registration__applicant=user, state=Recheck.State.REVIEWING
    ).select_related("plan")
    for recheck in reviewing:
        reasons.append(f"“{recheck.plan.title}”的资格复核正在进行。")
    waiting = Turn.objects.filter(
        recheck__registration__applicant=user, state=Turn.State.WAITING
    ).select_related("session__plan")
    for turn in waiting:
        reasons.append(f"“{turn.session.plan.title}”的选房尚未完成。")
    holding = Choice.objects.filter(
        recheck__registration__applicant=user, state=Choice.State.CHOSEN
    ).select_related("recheck__plan")
    for choice in holding:
        reasons.append(f"“{choice.recheck.plan.title}”已选定的房源尚未签约（{choice.number}）。")
    return reasons


def erase(user: User, *, now: datetime) -> None:
    """Nothing to erase: what is here names no one once the account and its forms are closed."""


def documents_held(cutoff: datetime) -> QuerySet:
    """Documents an allocation still needs at any cutoff: of entrants called to 资格复核 whose
    allocation is not over (复核中 or passed and not yet housed or passed over), and of
    tenants: a home chosen or signed for."""
    open_rechecks = Recheck.objects.filter(
        Q(state=Recheck.State.REVIEWING)
        | Q(state=Recheck.State.PASSED, turns__state=Turn.State.WAITING)
        | Q(choices__state__in=[Choice.State.CHOSEN, Choice.State.SIGNED])
    )
    return Document.objects.filter(
        application_infos__registrations__in=open_rechecks.values("registration")
    ).values("pk")


RETENTION_RULES: list = []
