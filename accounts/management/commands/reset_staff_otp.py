"""A staff member lost the phone with their authenticator app (and their backup codes): after
checking who is asking, an administrator forgets the account's second factor, and the next
admin login enrols a new one. The log keeps who was reset and when."""

import logging
import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import staff_login, staff_otp
from accounts.models import User

logger = logging.getLogger("accounts.staff_otp")


class Command(BaseCommand):
    help = "Forget a staff account's authenticator app and backup codes (a lost phone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone", help="the staff account's phone, e.g. 13800000001")

    def handle(self, *args: object, phone: str, **options: object) -> None:
        name = staff_login.account_name(phone)
        user = User.objects.filter(phone=name).first()
        if user is None:
            raise CommandError(f"No account has the phone {phone}.")
        if not user.is_staff:
            raise CommandError(f"{user.masked_phone} is not a staff account.")
        removed = staff_otp.reset(user=user)
        logger.warning(
            "second factor of staff user %s reset from the shell by %s (%d devices removed)",
            user.pk,
            os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown",
            removed,
        )
        if removed:
            self.stdout.write(
                f"Reset the second factor of {user.masked_phone}: "
                "the next admin login enrols a new authenticator app."
            )
        else:
            self.stdout.write(f"{user.masked_phone} had no authenticator app; nothing to reset.")
