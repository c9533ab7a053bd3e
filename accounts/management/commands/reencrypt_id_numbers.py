"""Key rotation (rentcenter.crypto): put the new key first in ID_NUMBER_KEYS, run this, then
remove the old keys. Everything encrypted with them is encrypted again with the first: users'
ID numbers, every 信息填报 version and 家庭成员, drafts, staff authenticator secrets. Digests are
computed again too (users' and households'), so the HMAC key can be changed in the same run
(keep the old encryption keys readable until it is done)."""

from django.core.management.base import BaseCommand

from rentcenter import crypto


class Command(BaseCommand):
    help = "Encrypt every stored ID number and staff secret again with the first ID_NUMBER_KEYS."

    def handle(self, *args: object, **options: object) -> None:
        for holder in crypto.holders():
            done = holder.reencrypt()
            self.stdout.write(f"Re-encrypted {done} {holder.name}.")
        problems = crypto.key_problems()
        for problem in problems:
            self.stderr.write(problem)
        if not problems:
            self.stdout.write("Every kind decrypts with the keys as they are.")
