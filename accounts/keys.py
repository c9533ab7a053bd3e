"""What accounts keeps encrypted with the site's keys (rentcenter.crypto): users' ID numbers,
each with its keyed digest, and staff authenticator secrets. Registered with rentcenter.crypto
by AccountsConfig.ready, for `manage.py reencrypt_id_numbers` and the key canary."""

from django.db import transaction

from accounts import usercache
from accounts.models import StaffTOTPDevice, User
from rentcenter import crypto

BATCH = 500


def reencrypt_users() -> int:
    """Every verified user's number with the first key, and its digest with the HMAC key."""
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
            # A new HMAC key changes the digests the cached users hold (accounts/usercache.py).
            usercache.people_changed(user.pk for user in batch)
        done += len(batch)
    return done


def user_samples() -> list[tuple[str, str | None]]:
    """The first and the latest verified user's number and digest."""
    verified = User.objects.exclude(id_number_encrypted="").exclude(id_number_digest=None)
    rows = [
        verified.order_by(order).values_list("id_number_encrypted", "id_number_digest").first()
        for order in ("pk", "-pk")
    ]
    return [row for row in rows if row]


def reencrypt_authenticators() -> int:
    with transaction.atomic():
        devices = list(StaffTOTPDevice.objects.select_for_update().order_by("pk"))
        for device in devices:
            device.key_encrypted = crypto.reencrypt(device.key_encrypted)
        StaffTOTPDevice.objects.bulk_update(devices, ["key_encrypted"], batch_size=BATCH)
    return len(devices)


def authenticator_samples() -> list[tuple[str, str | None]]:
    devices = StaffTOTPDevice.objects.values_list("key_encrypted", flat=True)
    tokens = {devices.order_by(order).first() for order in ("pk", "-pk")}
    return [(token, None) for token in tokens if token]


HOLDERS = [
    crypto.Holder("users' ID numbers", reencrypt_users, user_samples),
    crypto.Holder("staff authenticator secrets", reencrypt_authenticators, authenticator_samples),
]
