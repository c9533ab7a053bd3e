"""Key rotation for ID numbers (rentcenter.crypto): put the new key first in ID_NUMBER_KEYS,
run this, then remove the old keys. Digests are computed again too, so the HMAC key can be
changed in the same run (keep the old encryption keys readable until it is done)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from rentcenter import crypto

BATCH = 500


class Command(BaseCommand):
    help = "Encrypt every stored ID number again with the first key of ID_NUMBER_KEYS."

    def handle(self, *args: object, **options: object) -> None:
        users = User.objects.exclude(id_number_encrypted="").order_by("pk")
        done = 0
        for start in range(0, users.count(), BATCH):
            with transaction.atomic():
                batch = list(users.select_for_update()[start : start + BATCH])
                for user in batch:
                    number = crypto.decrypt(user.id_number_encrypted)
                    user.id_number_encrypted = crypto.encrypt(number)
                    user.id_number_digest = crypto.digest(number)
                User.objects.bulk_update(batch, ["id_number_encrypted", "id_number_digest"])
            done += len(batch)
        self.stdout.write(f"Re-encrypted {done} ID numbers.")
