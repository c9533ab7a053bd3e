"""我的个人信息: a copy of everything the site holds about the applicant, as one ZIP
(个人信息保护法 art. 45: 查阅、复制; GB/T 35273-2020 §8.6: a copy of one's basic data).

1. On 基本信息 → 下载我的个人信息 the applicant proves again that they hold the phone (a fresh SMS
   code, purpose EXPORT_DATA, within the texts' rate limits), and `request_export` records the
   request, at most EXPORTS_PER_DAY in any 24 hours (counted in the database, the account's row
   locked so that two clicks cannot both pass the last one).
2. After commit a background task (privacy/tasks.py) runs `build`: each room that holds
   personal data gives its part (privacy/rooms.py), together with the texts sent to the person;
   the ZIP holds 个人信息.json (Chinese keys), a README in Chinese and the document files, and
   is saved to private storage under a random name.
3. The page shows it once ready (htmx looks every few seconds; a 刷新 link without JavaScript);
   only its owner can download it, until RETENTION_EXPORT_DAYS after it was made, when
   `manage.py purge_expired` deletes the file.

Nothing of another person is in it: every part is read through the account (tests prove it
with two applicants). Family members' ID numbers are theirs and stay masked.
"""

import json
import logging
import tempfile
import zipfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import consent
from accounts.models import User
from applications import personal_data as applications_data
from messaging import personal_data as texts_data
from privacy.models import DataExport
from privacy.rooms import ROOMS, texts_of
from rentcenter.dates import format_when

logger = logging.getLogger(__name__)

EXPORTS_PER_DAY = 3
WINDOW = timedelta(hours=24)


class ExportRefused(Exception):
    """Too many exports asked for; the message says when the next one is possible."""


def request_export(*, user: User, address: str | None, now: datetime) -> DataExport:
    """Record a request and have a worker build it after commit, or raise ExportRefused."""
    from privacy.tasks import build_data_export

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        recent = requested_within(user, now=now)
        if len(recent) >= EXPORTS_PER_DAY:
            again = format_when(recent[-EXPORTS_PER_DAY] + WINDOW)
            raise ExportRefused(
                f"每个账号24小时内最多申请{EXPORTS_PER_DAY}次下载，请于 {again} 后再试。"
            )
        export = DataExport.objects.create(user=user, requested_at=now, address=address)
        transaction.on_commit(lambda: build_data_export.enqueue(export.pk), robust=True)
    return export


def requested_within(user: User, *, now: datetime) -> list[datetime]:
    """When the account asked for its exports of the last 24 hours, oldest first."""
    return list(
        DataExport.objects.filter(user=user, requested_at__gt=now - WINDOW)
        .order_by("requested_at")
        .values_list("requested_at", flat=True)
    )


def personal_data(user: User) -> dict[str, object]:
    """Every room's part, and the texts, in one document."""
    data: dict[str, object] = {}
    for room in ROOMS:
        data.update(room.collect(user))
    data["短信"] = texts_data.collect(texts_of(user))
    return data


def build(export: DataExport, *, now: datetime | None = None) -> DataExport:
    """Write the ZIP of `export` to private storage and mark it ready (or failed)."""
    now = now or timezone.now()
    user = export.user
    try:
        with tempfile.TemporaryFile() as archive:
            _write_zip(archive, user=user, now=now)
            archive.seek(0, 2)
            size = archive.tell()
            archive.seek(0)
            export.file.save("export.zip", File(archive), save=False)
    except Exception:
        logger.exception("Data export %s for user %s failed", export.pk, user.pk)
        export.status = DataExport.Status.FAILED
        export.save(update_fields=["status"])
        return export
    export.status = DataExport.Status.READY
    export.ready_at = now
    export.expires_at = now + timedelta(days=settings.RETENTION_EXPORT_DAYS)
    export.size = size
    export.save(update_fields=["file", "status", "ready_at", "expires_at", "size"])
    return export


def _write_zip(archive, *, user: User, now: datetime) -> None:
    data = personal_data(user)
    readme = render_to_string(
        "privacy/export_readme.txt",
        {
            "generated_at": format_when(now),
            "expires_days": settings.RETENTION_EXPORT_DAYS,
            "sections": list(data),
            "rules": consent.current(),
            "support_phone": settings.SUPPORT_PHONE,
        },
    )
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("README.txt", readme)
        document = json.dumps(
            {"生成时间": now.astimezone(timezone.get_current_timezone()).isoformat(), **data},
            ensure_ascii=False,
            indent=2,
        )
        zipped.writestr("个人信息.json", document)
        for name, stored in applications_data.files(user):
            # Photos and PDFs are compressed already: stored as they are.
            entry = zipfile.ZipInfo(name, date_time=timezone.localtime(now).timetuple()[:6])
            entry.compress_type = zipfile.ZIP_STORED
            try:
                with (
                    stored.storage.open(stored.name, "rb") as source,
                    zipped.open(entry, "w") as target,
                ):
                    for chunk in iter(lambda: source.read(1 << 16), b""):
                        target.write(chunk)
            except FileNotFoundError:
                logger.error("Document file %s is missing from storage", stored.name)
