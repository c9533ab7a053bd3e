"""更改手机号码 (manual 3.4): moving an account to a new phone its owner has just proved."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from messaging.outbox import Kind, queue_text
from rentcenter.dates import format_when

NOTICE = (
    "您的保障性租赁住房专项配租平台账号已于{time}改为绑定手机号{new_phone}，"
    "此号码不再用于登录。如非本人操作，请立即联系客服：{support_phone}。"
)


class PhoneTaken(Exception):
    """The new phone already belongs to another account."""


def taken_message() -> str:
    return f"该手机号码已注册其他账号，不能绑定。如需更换，请联系客服：{settings.SUPPORT_PHONE}。"


def change_phone(*, user: User, new_phone: PhoneNumber) -> User:
    """Bind `user` to `new_phone` and tell the old phone. The caller has verified a code sent
    to the new phone. Sessions elsewhere end by themselves: the session hash includes the phone
    (User.get_session_auth_hash); the caller keeps its own with update_session_auth_hash."""
    try:
        with transaction.atomic():
            account = User.objects.select_for_update().get(pk=user.pk)
            if User.objects.filter(phone=new_phone).exclude(pk=account.pk).exists():
                raise PhoneTaken
            old_phone = account.phone
            account.phone = new_phone
            account.save(update_fields=["phone"])
            text = NOTICE.format(
                time=format_when(timezone.now()),
                new_phone=account.masked_phone,
                support_phone=settings.SUPPORT_PHONE,
            )
            queue_text(phone=old_phone.as_e164, text=text, kind=Kind.PHONE_CHANGE)
    except IntegrityError:
        # Someone registered the number between the check and the write.
        raise PhoneTaken from None
    return account
