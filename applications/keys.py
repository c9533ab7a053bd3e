"""What applications keeps encrypted with the site's keys (rentcenter.crypto): the applicant's
number on every 信息填报 version, each 家庭成员's number, the numbers typed in drafts, and the
keyed digests of registrations' households. Registered with rentcenter.crypto by
ApplicationsConfig.ready, after accounts' (whose users' digests the households repeat)."""

import logging

from cryptography.fernet import InvalidToken
from django.db import transaction

from applications.models import ApplicationDraft, ApplicationInfo, FamilyMember, Registration
from applications.registration import household_digests
from rentcenter import crypto

logger = logging.getLogger(__name__)

BATCH = 500


def _reencrypt_tokens(model, field: str) -> int:
    done = 0
    rows = model.objects.order_by("pk").only("pk", field)
    for start in range(0, rows.count(), BATCH):
        with transaction.atomic():
            batch = list(rows.select_for_update()[start : start + BATCH])
            for row in batch:
                setattr(row, field, crypto.reencrypt(getattr(row, field)))
            model.objects.bulk_update(batch, [field])
        done += len(batch)
    return done


def _reencrypt_drafts() -> int:
    """A draft keeps family members' numbers as typed, each encrypted (id_token); one that no
    key reads was altered in the browser and means nothing (applications.forms)."""
    done = 0
    for draft in ApplicationDraft.objects.exclude(data__members=[]).iterator(chunk_size=BATCH):
        members = draft.data.get("members") or []
        for member in members:
            token = member.get("id_token")
            if token:
                try:
                    member["id_token"] = crypto.reencrypt(token)
                except InvalidToken:
                    member["id_token"] = ""
                done += 1
        ApplicationDraft.objects.filter(pk=draft.pk).update(data=draft.data)
    return done


def _recompute_households() -> int:
    """Each registration's household digests from the numbers of the version it was made with,
    in the order they were written (the applicant first, then each member once)."""
    done = 0
    registrations = Registration.objects.filter(household__isnull=False).distinct()
    registrations = registrations.select_related("applicant", "info").prefetch_related(
        "info__family_members", "household"
    )
    for registration in registrations.order_by("pk").iterator(chunk_size=BATCH):
        digests = list(household_digests(registration.applicant, registration.info))
        rows = sorted(registration.household.all(), key=lambda row: row.pk)
        if len(rows) != len(digests):
            logger.warning("household of %s not recomputed: rows differ", registration.number)
            continue
        for row, digest in zip(rows, digests, strict=True):
            if row.id_number_digest != digest:
                row.id_number_digest = digest
                row.save(update_fields=["id_number_digest"])
                done += 1
    return done


def reencrypt_forms() -> int:
    done = _reencrypt_tokens(ApplicationInfo, "id_number_encrypted")
    done += _reencrypt_tokens(FamilyMember, "id_number_encrypted")
    done += _reencrypt_drafts()
    _recompute_households()
    return done


def form_samples() -> list[tuple[str, str | None]]:
    tokens = set()
    for model in (ApplicationInfo, FamilyMember):
        values = model.objects.values_list("id_number_encrypted", flat=True)
        tokens |= {values.order_by(order).first() for order in ("pk", "-pk")}
    return [(token, None) for token in tokens if token]


HOLDERS = [crypto.Holder("信息填报 ID numbers", reencrypt_forms, form_samples)]
