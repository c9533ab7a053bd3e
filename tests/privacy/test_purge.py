"""Retention (privacy/retention.py, `manage.py purge_expired`): with the clock pinned, for every
kind of data one item a minute past its period and one a minute short of it; the purge removes
exactly the first of each pair, the dry run only counts them, and the 处理规则 states the same
periods."""

import io
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from accounts import access_log, otp
from accounts.models import AccessEvent, Consent, SmsCode
from applications import drafts
from applications.models import ApplicationDraft, Document
from messaging.models import OutboxMessage
from messaging.personal_data import CLEARED_TEXT
from privacy import retention
from privacy.export import build
from privacy.models import DataExport, PurgeRun
from tests.clock import beijing
from tests.factories import (
    give_consents,
    make_applicant,
    make_document,
    make_info,
    make_plan,
    make_user,
)
from tests.lottery.factories import make_drawn_draw, make_ended_plan, make_frozen_draw

pytestmark = pytest.mark.django_db

NOW = beijing(2027, 6, 1, 12)
MINUTE = timedelta(minutes=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def pair(period: timedelta):
    """The instants a minute past the period and a minute short of it, before NOW."""
    return NOW - period - MINUTE, NOW - period + MINUTE


def days(n: int) -> timedelta:
    return timedelta(days=n)


def build_world():
    """For each rule: (an item past its period, one not yet), as callables saying whether the
    item is still there (or still has what the rule removes)."""
    world = {}
    person = make_applicant()

    old, young = pair(days(1))
    codes = [
        SmsCode.objects.create(
            phone=person.phone, purpose=otp.Purpose.LOGIN, code_hash="x", expires_at=moment
        )
        for moment in (old, young)
    ]
    world["sms_codes"] = [lambda c=c: SmsCode.objects.filter(pk=c.pk).exists() for c in codes]

    sessions = [
        Session.objects.create(session_key=f"s{i}" * 8, session_data="", expire_date=moment)
        for i, moment in enumerate((NOW - MINUTE, NOW + MINUTE))
    ]
    world["sessions"] = [lambda s=s: Session.objects.filter(pk=s.pk).exists() for s in sessions]

    for key, model in (
        ("staff_login_failures", AccessFailureLog),
        ("staff_login_lockouts", AccessAttempt),
    ):
        rows = []
        for moment in pair(days(183)):
            with at(moment):
                extra = {"failures_since_start": 5} if model is AccessAttempt else {}
                rows.append(model.objects.create(username="13800000001", **extra))
        world[key] = [lambda r=r, m=model: m.objects.filter(pk=r.pk).exists() for r in rows]

    staff = make_user(is_staff=True, staff_number="R0201")
    events = [
        AccessEvent.objects.create(
            subject=person,
            staff=staff,
            staff_number="R0201",
            action=access_log.Action.ACCOUNT,
            target="账号信息",
            at=moment,
        )
        for moment in pair(days(1095))
    ]
    world["access_events"] = [
        lambda e=e: AccessEvent.objects.filter(pk=e.pk).exists() for e in events
    ]

    entries = []
    for moment in pair(days(1095)):
        with at(moment):
            entries.append(
                LogEntry.objects.create(user=staff, object_repr="x", action_flag=ADDITION)
            )
    world["admin_history"] = [
        lambda e=e: LogEntry.objects.filter(pk=e.pk).exists() for e in entries
    ]

    closed = []
    for moment in pair(days(1095)):
        gone = make_user(consented=False)
        give_consents(gone)
        gone.phone, gone.closed_at, gone.is_active = None, moment, False
        gone.save()
        closed.append(gone)
    world["consents_of_closed_accounts"] = [
        lambda u=u: Consent.objects.filter(user=u).exists() for u in closed
    ]

    texts = []
    for moment in pair(days(30)):
        texts.append(
            OutboxMessage.objects.create(
                phone="+8613900000001",
                text="您的登记已审核通过。",
                kind="decision",
                status="sent",
                sent_at=moment,
                created_at=moment,
            )
        )
    world["text_bodies"] = [
        lambda t=t: OutboxMessage.objects.get(pk=t.pk).text != CLEARED_TEXT for t in texts
    ]
    records = [
        OutboxMessage.objects.create(
            phone="+8613900000001",
            text=CLEARED_TEXT,  # the words went long before the record
            kind="registration",
            status="failed",
            created_at=moment,
        )
        for moment in pair(days(180))
    ]
    world["text_records"] = [
        lambda t=t: OutboxMessage.objects.filter(pk=t.pk).exists() for t in records
    ]

    drafts = []
    for moment in pair(days(30)):
        plan = make_plan(starts=moment - days(7), ends=moment)
        drafts.append(ApplicationDraft.objects.create(applicant=person, plan=plan))
    world["drafts"] = [
        lambda d=d: ApplicationDraft.objects.filter(pk=d.pk).exists() for d in drafts
    ]

    world["document_files"] = documents_world(person)

    exports = []
    for moment in pair(days(7)):
        with at(moment):
            exports.append(build(DataExport.objects.create(user=person)))
    world["data_exports"] = [
        lambda e=e: bool(DataExport.objects.get(pk=e.pk).file) for e in exports
    ]
    return world


def documents_world(person):
    """Document files go 180 days after their plan's draw, or its registration end without a
    draw; a draft, a frozen list not drawn, a recent upload keep them."""
    long_ago = NOW - days(400)

    def in_version(plan):
        with at(long_ago):
            document = make_document(person)
        make_info(person, plan, documents=[document])
        return document

    old, young = pair(days(180))
    with at(old):
        drawn_old = make_drawn_draw(make_ended_plan()).plan
    with at(young):
        drawn_young = make_drawn_draw(make_ended_plan()).plan
    with at(old):
        frozen = make_frozen_draw(make_ended_plan()).plan
    after_draw = in_version(drawn_old)
    before_draw = in_version(drawn_young)
    not_drawn = in_version(frozen)

    ended_old = in_version(make_plan(starts=old - days(7), ends=old))
    ended_young = in_version(make_plan(starts=young - days(7), ends=young))

    with at(long_ago):
        in_draft = make_document(person)
        removed = make_document(person)  # uploaded, then taken off the form
    ApplicationDraft.objects.create(applicant=person, plan=make_plan()).documents.add(in_draft)
    with at(NOW - days(10)):
        recent = make_document(person)

    def has_files(document):
        return lambda: Document.objects.get(pk=document.pk).has_files

    # (past, not yet) pairs, then the ones a room keeps whatever their age.
    return [
        has_files(after_draw),
        has_files(before_draw),
        has_files(ended_old),
        has_files(ended_young),
        has_files(removed),
        has_files(not_drawn),
        has_files(in_draft),
        has_files(recent),
    ]


EXPIRED_DOCUMENTS = 3  # after_draw, ended_old, removed


@pytest.fixture
def world():
    with at(NOW):  # what is made "now" (an open plan, a recent upload) is made at NOW
        return build_world()


def test_the_purge_removes_exactly_what_is_past_its_period(world):
    with at(NOW):
        counts = retention.counts(now=NOW)
    # Both consents (the rules, the separate one) of the account closed too long ago.
    expected = dict.fromkeys(world, 1) | {
        "document_files": EXPIRED_DOCUMENTS,
        "consents_of_closed_accounts": 2,
    }
    assert counts == expected
    assert set(counts) == {rule.key for rule in retention.RULES}  # every rule is tested here

    with at(NOW):
        run = retention.purge(now=NOW)
    assert run.counts == expected
    for key, checks in world.items():
        if key == "document_files":
            assert [check() for check in checks] == [
                False,
                True,
                False,
                True,
                False,
                True,
                True,
                True,
            ]
        else:
            old, young = checks
            assert not old(), key
            assert young(), key
    # A second run finds nothing.
    with at(NOW):
        assert set(retention.counts(now=NOW).values()) == {0}


def test_the_command_is_a_dry_run_unless_told_to_commit(world):
    out = io.StringIO()
    with at(NOW):
        call_command("purge_expired", stdout=out)
    assert "dry run" in out.getvalue()
    assert "document_files" in out.getvalue()
    assert not PurgeRun.objects.exists()
    assert all(check() for checks in world.values() for check in checks[:1])
    out = io.StringIO()
    with at(NOW):
        call_command("purge_expired", "--commit", stdout=out)
    assert "removed" in out.getvalue()
    run = PurgeRun.objects.get()
    assert run.finished_at == NOW
    assert run.counts["sms_codes"] == 1


def test_a_deleted_document_is_no_longer_served_nor_offered_again(client):
    person = make_applicant()
    gone, kept = make_document(person, "id_front"), make_document(person, "id_back")
    make_info(person, make_plan(), documents=[gone, kept])
    stored = gone.file.name
    gone.delete_files(now=NOW)
    assert not gone.file.storage.exists(stored)
    assert gone.original_name == "已删除"
    client.force_login(person)
    assert client.get(f"/documents/{gone.pk}/").status_code == 404
    assert client.get(f"/documents/{gone.pk}/thumbnail/").status_code == 404
    # The next plan's form starts from the last version, without the deleted file.
    draft = drafts.load(person, make_plan())
    assert drafts.attached_documents(draft) == [kept]


def test_the_rules_page_states_the_periods_the_purge_applies(settings):
    settings.RETENTION_DOCUMENT_DAYS = 91
    settings.RETENTION_TEXT_BODY_DAYS = 12
    page = Client().get("/privacy/rules/").content.decode()
    for rule in retention.RULES:
        assert rule.label in page
        assert rule.text in page
    assert "摇号（未摇号的计划为登记结束）91天后删除文件" in page
    assert "发送失败）12天后删除内容" in page
    assert "183天后删除" in page  # security logs: six months
    assert "1095天（三年）后删除" in page
