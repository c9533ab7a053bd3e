"""Migration 0004 keeps the draws made before seeds came from public numbers valid: they get
the seed rule "typed", keep their published files byte for byte, verify with their typed seed,
a frozen one can still be drawn, and the database still refuses to change them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from lottery import draw as lottery
from lottery import publication, verify
from lottery.models import Draw, SeedSource
from tests.factories import make_user
from tests.lottery.factories import (
    SEED_SOURCE,
    TYPED_SEED,
    make_ended_plan,
    make_frozen_draw,
    make_registrations,
)

BEFORE = [("lottery", "0003_staff_permissions")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def latest() -> list:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def freeze_as_0003_did(apps, plan, user, *, seed: str | None) -> int:
    """A draw written with the models of migration 0003: the list, the source in words, and,
    with `seed`, the typed seed and the order."""
    Draw = apps.get_model("lottery", "Draw")
    Entry = apps.get_model("lottery", "Entry")
    registrations = list(plan.registrations.order_by("pk"))
    codes = lottery.new_entry_codes(len(registrations))
    now = timezone.now()
    draw = Draw.objects.create(
        plan_id=plan.pk,
        eligibility="active",
        groups=[{"name": "全部", "projects": ["测试家园"]}],
        entry_count=len(codes),
        list_sha256=verify.list_hash(codes),
        algorithm=verify.ALGORITHM,
        announced_seed_source=SEED_SOURCE,
        frozen_at=now,
        frozen_by_id=user.pk,
    )
    placements = {}
    if seed is not None:
        placements = {
            p.code: p for p in verify.draw_order(seed=seed, entries=[(c, 1) for c in codes])
        }
        Draw.objects.filter(pk=draw.pk).update(
            state="drawn", seed=seed, seed_source=SEED_SOURCE, drawn_at=now, drawn_by_id=user.pk
        )
    Entry.objects.bulk_create(
        Entry(
            draw_id=draw.pk,
            registration_id=registration.pk,
            code=code,
            group=1,
            position=placements[code].position if placements else None,
            overall_position=placements[code].overall if placements else None,
        )
        for registration, code in zip(registrations, codes, strict=True)
    )
    return draw.pk


@pytest.mark.django_db(transaction=True)
def test_draws_made_before_keep_their_typed_seed_their_files_and_their_protection():
    staff = make_user()
    frozen_plan, drawn_plan = make_ended_plan(), make_ended_plan()
    make_registrations(frozen_plan, 4)
    make_registrations(drawn_plan, 7)
    migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        frozen_id = freeze_as_0003_did(apps, frozen_plan, staff, seed=None)
        drawn_id = freeze_as_0003_did(apps, drawn_plan, staff, seed=TYPED_SEED)
    finally:
        migrate(latest())

    drawn, frozen = Draw.objects.get(pk=drawn_id), Draw.objects.get(pk=frozen_id)
    assert (drawn.seed_rule, frozen.seed_rule) == ("typed", "typed")
    entries = publication.entries_text(drawn)
    assert publication.result_text(drawn) == verify.result_text(
        seed=TYPED_SEED, entries_text=entries
    )
    out = StringIO()
    call_command("verify_lottery", str(drawn_plan.pk), stdout=out)
    assert f"顺序一致：7 条，种子 {TYPED_SEED}" in out.getvalue()

    # The database still refuses to change them, with the seed rule now guarded too.
    for change in ({"seed": "another seed"}, {"seed_rule": "rfc3797-sha256/1"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Draw.objects.filter(pk=drawn_id).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.filter(pk=frozen_id).update(announced_seed_source="另一个来源")

    # The list frozen before is drawn as it was announced: with a typed seed.
    lottery.draw_with_typed_seed(
        plan=frozen_plan, seed=TYPED_SEED, seed_source=SEED_SOURCE, by=staff
    )
    out = StringIO()
    call_command("verify_lottery", str(frozen_plan.pk), stdout=out)
    assert "顺序一致：4 条" in out.getvalue()

    # New draws announce sources, which the recreated triggers guard.
    source = make_frozen_draw(count=2).seed_sources.filter(position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        source.update(count=9)
    assert SeedSource.objects.count() == 2
