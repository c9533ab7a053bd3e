"""注销账号: closing an account at the applicant's request (个人信息保护法 art. 47: 删除;
GB/T 35273-2020 §8.5: 注销账户).

After a fresh SMS code (purpose CLOSE_ACCOUNT) and a page stating what happens, `close_account`
runs in one transaction:

1. Each room may refuse, saying why (`closure_blockers`): a registration still in the running
   while its window is open, or under review; a staff account; later, a home being allocated.
2. Otherwise each room erases or anonymises its part at once (`erase`, higher rooms first):
   drafts, document files, record PDFs and our ZIPs go; names, ID numbers, addresses, contacts,
   the household digests and the texts' words and numbers go; what a decision or the lottery
   relies on stays without a name (registrations and their events, the versions' categories,
   the published entry codes and 顺序号), as state changes, not deleted rows. The account row
   stays, closed, with no phone: the phone can sign up again and the ID number can verify
   again on a new account. Consents and 查看记录 stay, as evidence, for their periods.
3. A last text to the phone says the account was closed (through the outbox, in the same
   transaction), and the applicant is signed out everywhere (the session hash changes).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User
from messaging import personal_data as texts_data
from messaging.outbox import Kind, queue_text
from privacy.models import DataExport
from privacy.rooms import ROOMS, texts_of
from rentcenter.dates import format_when

CLOSED_TEXT = (
    "您的保障性租赁住房专项配租平台账号已于{time}注销，个人信息已删除或匿名化。"
    "如非本人操作，请立即联系客服：{support_phone}。"
)


class ClosureRefused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.reasons = reasons


def blockers(user: User, *, now: datetime) -> list[str]:
    """Why the account cannot be closed now; empty when it can."""
    return [reason for room in ROOMS for reason in room.closure_blockers(user, now=now)]


def close_account(*, user: User, now: datetime) -> User:
    """Close the account, or raise ClosureRefused with the reasons."""
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=user.pk)
        if account.is_closed:
            raise ClosureRefused(["该账号已注销。"])
        reasons = blockers(account, now=now)
        if reasons:
            raise ClosureRefused(reasons)
        phone = account.phone.as_e164
        texts_data.erase(texts_of(account))
        # Ready ZIPs go; one still being made is never made (privacy/tasks.py).
        for export in DataExport.objects.filter(user=account).exclude(
            status=DataExport.Status.EXPIRED
        ):
            export.delete_file()
        for room in reversed(ROOMS):
            room.erase(account, now=now)
        text = CLOSED_TEXT.format(time=format_when(now), support_phone=settings.SUPPORT_PHONE)
        queue_text(phone=phone, text=text, kind=Kind.OTHER)
    account.refresh_from_db()
    return account
