"""Every retention rule of the site, in one list: the 个人信息处理规则 prints it (privacy/views.py)
and `manage.py purge_expired` applies it, so what applicants are told is what happens.

Most rules live with their data (the rooms' personal_data modules); two are composed here,
where every room is in view:

- document files of applicants not housed go RETENTION_DOCUMENT_DAYS after their plan's draw
  (or its registration end, for a plan without a draw): a document is kept while a room still
  needs it (DOCUMENT_HOLDS: a draft; a version of a plan whose window closed less than the
  period ago; a plan frozen and not drawn, or drawn less than the period ago; an allocation
  under way, and the homes' tenants);
- a 我的个人信息 ZIP goes RETENTION_EXPORT_DAYS after it was made.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from allocation import personal_data as allocation_data
from applications import personal_data as applications_data
from applications.models import Document
from lottery import personal_data as lottery_data
from messaging import personal_data as texts_data
from privacy.models import DataExport, PurgeRun
from privacy.rooms import ROOMS
from rentcenter.retention import Rule, days

# Who still needs a document's files at a cutoff: each returns the ids to keep.
DOCUMENT_HOLDS = (
    applications_data.documents_held,
    lottery_data.documents_held,
    allocation_data.documents_held,
)


def _documents_past_period(now: datetime) -> QuerySet:
    cutoff = now - days("RETENTION_DOCUMENT_DAYS")()
    documents = Document.objects.with_files().filter(uploaded_at__lt=cutoff)
    for held in DOCUMENT_HOLDS:
        documents = documents.exclude(pk__in=held(cutoff))
    return documents


def _delete_document_files(documents: QuerySet, now: datetime) -> int:
    count = 0
    for document in documents.iterator(chunk_size=500):
        document.delete_files(now=now)
        count += 1
    return count


def _exports_past_period(now: datetime) -> QuerySet:
    """Ready ZIPs past their date, and requests that never made one (failed, or lost with a
    worker) once as old."""
    Status = DataExport.Status
    never_made = DataExport.objects.filter(
        status__in=[Status.PENDING, Status.FAILED],
        requested_at__lt=now - days("RETENTION_EXPORT_DAYS")(),
    )
    return DataExport.objects.filter(status=Status.READY, expires_at__lt=now) | never_made


def _delete_exports(exports: QuerySet, now: datetime) -> int:
    count = 0
    for export in exports.iterator(chunk_size=500):
        export.delete_file()
        count += 1
    return count


DOCUMENT_FILES = Rule(
    key="document_files",
    label="证件和证明材料照片",
    period=days("RETENTION_DOCUMENT_DAYS"),
    sentence="未获配租的，所属配租计划摇号（未摇号的计划为登记结束）{days}天后删除文件；"
    "填报草稿中仍在使用的不删除。",
    expired=_documents_past_period,
    purge=_delete_document_files,
)

EXPORTS = Rule(
    key="data_exports",
    label="“下载我的个人信息”生成的文件",
    period=days("RETENTION_EXPORT_DAYS"),
    sentence="生成{days}天后删除。",
    expired=_exports_past_period,
    purge=_delete_exports,
)

RULES: tuple[Rule, ...] = (
    *(rule for room in ROOMS for rule in room.RETENTION_RULES),
    *texts_data.RETENTION_RULES,
    DOCUMENT_FILES,
    EXPORTS,
)


def counts(*, now: datetime) -> dict[str, int]:
    """How many items of each kind are past their period at `now` (a dry run)."""
    return {rule.key: rule.count(now) for rule in RULES}


def purge(*, now: datetime | None = None) -> PurgeRun:
    """Remove what is past its period, rule by rule, and record how many of each."""
    now = now or timezone.now()
    run = PurgeRun.objects.create(started_at=now)
    for rule in RULES:
        run.counts[rule.key] = rule.apply(now)
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    return run


def purge_hour() -> int | None:
    """The Beijing hour from which the task workers start the day's purge, or None when
    RETENTION_PURGE leaves it to cron or to nobody (messaging/schedule.py asks every sweep)."""
    return settings.RETENTION_PURGE_HOUR if settings.RETENTION_PURGE == "worker" else None


def last_run() -> PurgeRun | None:
    return PurgeRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
