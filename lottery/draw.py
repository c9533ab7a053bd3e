"""冻结名单 and 摇号: the two steps staff take, each once, each in one transaction.

1. freeze(): after registration has ended (server time), the eligible registrations become
   entries with random public codes, and the SHA-256 of the list (entries.txt) is stored to be
   published before the draw, together with the seed's sources: public numbers, each source
   with the instant its numbers become known, which must come after the freeze.
2. draw(): staff enter each source's numbers, once they are known; the seed is computed from
   them (RFC 3797's canonical string, then SHA-256: lottery/verify.py), never typed, so no one
   can try seeds until one favours somebody. The order is computed by the published algorithm,
   every entry gets its 顺序号, and each entrant's SMS is written to the outbox in the same
   transaction, to be sent in batches by background tasks once it commits. A
   Draw row lock makes a second draw, even a concurrent one, fail instead of overwriting the
   first.
   draw_with_typed_seed() draws a list frozen before seeds came from public numbers (seed rule
   "typed"), with the seed staff type, as such lists were announced.

Priority groups (PRODUCT.md, issue "a publicly verifiable draw": "priority groups the plan
defines are drawn separately, in order"): a plan may define an ordered list of PriorityGroups,
each a set of the plan's projects. An entry belongs to the group of the project it registered
for; entries are ordered within their group, and group 1's entries come before group 2's.
Without groups the plan draws one group, "全部". When a plan has groups, every project that has
entries must be in one, or the list cannot be frozen: no entry is silently left out or put
last. The groups are copied into the Draw when the list is frozen, and their numbers are part
of entries.txt, so the grouping is published (and hashed) before the seed is known.
"""

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from applications.models import Registration
from lottery import verify
from lottery.models import MAX_NUMBERS, Draw, Eligibility, Entry, SeedRule, SeedSource
from lottery.verify import (
    ALGORITHM,
    CODE_ALPHABET,
    Placement,
    check_seed,
    draw_order,
    entry_line,
    list_hash,
    order,
)
from messaging import outbox
from plans.models import Plan
from rentcenter.dates import format_when

__all__ = ["draw", "draw_with_typed_seed", "freeze", "list_hash", "new_entry_codes", "order"]

# Rows fetched at a time when writing the entrants' texts.
BATCH_SIZE = 2000
SINGLE_GROUP = "全部"


class LotteryError(Exception):
    """A step the draw's current state does not allow; the message is for staff."""


class Announcement(NamedTuple):
    """A seed source as staff announce it when freezing the list."""

    name: str
    known_at: datetime  # when its numbers become known: after the freeze
    count: int  # how many numbers it gives
    ordered: bool = False  # its numbers count in the order drawn, not sorted


def new_entry_codes(count: int) -> list[str]:
    """`count` distinct random codes of 10 Crockford base32 characters (50 random bits each).

    They say nothing about the applicant; with 50 bits, a repeat is rare (about 1 in 200,000
    lists of 100,000) and is simply drawn again."""
    codes: set[str] = set()
    while len(codes) < count:
        missing = count - len(codes)
        raw = secrets.token_bytes(8 * missing)
        for start in range(0, len(raw), 8):
            number = int.from_bytes(raw[start : start + 8], "big") >> 14  # 64 - 14 = 50 bits
            code = "".join(CODE_ALPHABET[(number >> shift) & 31] for shift in range(45, -1, -5))
            codes.add(code)
    return sorted(codes)


def eligible_registrations(plan: Plan, eligibility: Eligibility) -> QuerySet[Registration]:
    return Registration.objects.filter(plan=plan, progress__in=eligibility.progresses())


def groups_of(plan: Plan) -> tuple[list[dict], dict[int, int]]:
    """The plan's groups as stored in the Draw, and each project's (offering's) group number."""
    priority_groups = list(plan.priority_groups.prefetch_related("memberships__offering__project"))
    if not priority_groups:
        offerings = list(plan.plan_projects.select_related("project"))
        groups = [{"name": SINGLE_GROUP, "projects": [o.project.name for o in offerings]}]
        return groups, {offering.pk: 1 for offering in offerings}
    groups, group_of = [], {}
    for number, group in enumerate(priority_groups, start=1):
        memberships = list(group.memberships.all())
        groups.append(
            {"name": group.name, "projects": [m.offering.project.name for m in memberships]}
        )
        group_of.update({membership.offering_id: number for membership in memberships})
    return groups, group_of


def check_announcements(sources: Sequence[Announcement], *, frozen_at: datetime) -> None:
    """The sources may be frozen with the list: named, counted, known only after the freeze."""
    if not sources:
        raise LotteryError("请至少预告一个种子来源。")
    max_name = SeedSource._meta.get_field("name").max_length
    for number, source in enumerate(sources, start=1):
        try:
            verify.check_source_name(source.name)
        except ValueError:
            raise LotteryError(f"种子来源 {number} 的名称必须是一行文字。") from None
        if len(source.name) > max_name:
            raise LotteryError(f"种子来源 {number} 的名称不能超过 {max_name} 个字符。")
        if not 1 <= source.count <= MAX_NUMBERS:
            raise LotteryError(f"种子来源 {number} 的号码个数必须在 1 到 {MAX_NUMBERS} 之间。")
        if source.known_at <= frozen_at:
            raise LotteryError(
                f"种子来源“{source.name}”的号码公布时间必须晚于冻结名单的时间：名单冻结后才能"
                "知道的号码，才能证明种子不是事先挑选的。"
            )


def freeze(*, plan: Plan, mode: str, by: User, sources: Sequence[Announcement]) -> Draw:
    """冻结名单: fix the entries of the plan's draw, the hash of their list and the seed's
    sources, once."""
    eligibility = Eligibility(mode)
    with transaction.atomic():
        # The plan's row lock makes two freezes of one plan wait for each other.
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.registration_state() != Plan.RegistrationState.ENDED:
            raise LotteryError("登记尚未结束，不能冻结名单。")
        if Draw.objects.filter(plan=plan).exists():
            raise LotteryError("该计划的名单已经冻结，不能再次冻结。")
        frozen_at = timezone.now()
        check_announcements(sources, frozen_at=frozen_at)
        groups, group_of = groups_of(plan)
        registrations = list(
            eligible_registrations(plan, eligibility)
            .order_by("pk")
            .values_list("pk", "offering_id", "offering__project__name")
        )
        if not registrations:
            raise LotteryError("没有符合条件的登记，无法冻结名单。")
        ungrouped = sorted({name for _pk, o, name in registrations if o not in group_of})
        if ungrouped:
            raise LotteryError(f"以下项目小区不在任何摇号分组中：{'、'.join(ungrouped)}。")
        codes = new_entry_codes(len(registrations))
        # Codes are handed out in a random order, so nothing ties a code to the registration's
        # number or time.
        secrets.SystemRandom().shuffle(codes)
        rows = [
            (pk, code, group_of[offering_id])
            for (pk, offering_id, _name), code in zip(registrations, codes, strict=True)
        ]
        grouped = len(groups) > 1
        draw = Draw.objects.create(
            plan=plan,
            eligibility=eligibility,
            groups=groups,
            entry_count=len(rows),
            list_sha256=list_hash([entry_line(c, g, grouped=grouped) for _pk, c, g in rows]),
            algorithm=ALGORITHM,
            seed_rule=SeedRule.RFC3797,
            frozen_at=frozen_at,
            frozen_by=by,
        )
        SeedSource.objects.bulk_create(
            SeedSource(draw=draw, position=position, **source._asdict())
            for position, source in enumerate(sources, start=1)
        )
        insert_entries(draw, rows)
    return draw


def draw(*, plan: Plan, numbers: Sequence[Sequence[int]], by: User) -> Draw:
    """录入号码并摇号: the sources' numbers, in their announced order, give the seed; order the
    frozen entries by it, once, and tell each entrant."""
    with transaction.atomic():
        lottery = locked_draw(plan)
        if not lottery.seeded_by_sources:
            raise LotteryError("该计划的名单冻结时预告的是文字种子来源，请录入种子。")
        sources = list(lottery.seed_sources.order_by("position"))
        if len(numbers) != len(sources):
            raise LotteryError(f"请录入全部 {len(sources)} 个种子来源的号码。")
        now = timezone.now()
        for source, given in zip(sources, numbers, strict=True):
            if now < source.known_at:
                known_at = format_when(source.known_at)
                raise LotteryError(f"“{source.name}”的号码 {known_at} 才公布，现在不能录入。")
            if len(given) != source.count:
                raise LotteryError(
                    f"“{source.name}”应有 {source.count} 个号码，录入了 {len(given)} 个。"
                )
            try:
                source.numbers = " ".join(verify.canonical_number(number) for number in given)
            except ValueError:
                raise LotteryError(f"“{source.name}”的号码必须是不超过 18 位的整数。") from None
        seed = verify.seed_from([source.as_source() for source in sources])
        for source in sources:
            source.save(update_fields=["numbers"])
        return order_entries(lottery, seed=seed, seed_source="", by=by)


def draw_with_typed_seed(*, plan: Plan, seed: str, seed_source: str, by: User) -> Draw:
    """录入种子并摇号 for a list frozen with a source announced in words (seed rule "typed")."""
    try:
        check_seed(seed)
    except ValueError:
        raise LotteryError("种子必须是一行文字，前后不能有空格。") from None
    if len(seed) > Draw._meta.get_field("seed").max_length:
        raise LotteryError("种子不能超过 200 个字符。")
    if not seed_source.strip():
        raise LotteryError("请填写种子来源。")
    with transaction.atomic():
        lottery = locked_draw(plan)
        if lottery.seeded_by_sources:
            raise LotteryError("该计划的种子由预告来源的号码计算，不能直接录入种子。")
        return order_entries(lottery, seed=seed, seed_source=seed_source.strip(), by=by)


def locked_draw(plan: Plan) -> Draw:
    """The plan's frozen draw, locked until commit: a second draw waits here, then finds the
    state drawn. Call inside a transaction."""
    try:
        lottery = Draw.objects.select_for_update().get(plan=plan)
    except Draw.DoesNotExist:
        raise LotteryError("名单尚未冻结，不能摇号。") from None
    if lottery.is_drawn:
        raise LotteryError("该计划已经摇号，结果不能更改。")
    return lottery


def order_entries(lottery: Draw, *, seed: str, seed_source: str, by: User) -> Draw:
    """Order the locked draw's entries by the seed, store every 顺序号 and the seed, and
    write each entrant's text to the outbox, all in the caller's transaction."""
    rows = list(lottery.entries.values_list("pk", "code", "group"))
    lines = [entry_line(code, group, grouped=lottery.grouped) for _pk, code, group in rows]
    if list_hash(lines) != lottery.list_sha256:
        raise LotteryError("名单与冻结时公布的 SHA-256 不一致，已停止摇号。")
    placements = draw_order(seed=seed, entries=[(code, group) for _pk, code, group in rows])
    write_positions(placements, {code: pk for pk, code, _group in rows})
    lottery.state = Draw.State.DRAWN
    lottery.seed, lottery.seed_source = seed, seed_source
    lottery.drawn_at, lottery.drawn_by = timezone.now(), by
    lottery.save(update_fields=["state", "seed", "seed_source", "drawn_at", "drawn_by"])
    # The texts are rows of this transaction (none lost if a worker dies; none for a draw rolled
    # back); the outbox enqueues them after commit, BATCH_SIZE to a task.
    queue_entrant_texts(lottery)
    return lottery


# Entries are written with plain SQL: for 30,000 rows on PostgreSQL, bulk_create took 3.8 s
# against 1.2 s for one INSERT … SELECT FROM unnest(arrays), most of it preparing values in
# Python; bulk_update builds CASE expressions that grow with the batch. PostgreSQL takes the
# whole list as arrays in one statement; SQLite runs one prepared statement per row, in C.


def insert_entries(draw: Draw, rows: list[tuple[int, str, int]]) -> None:
    """Insert (registration id, code, group) rows as the draw's entries."""
    table, columns = _table(), _columns("draw_id", "registration_id", "code", "group")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            registration_ids, codes, groups = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 - quoted names, values as parameters
                "SELECT %s, * FROM unnest(%s::bigint[], %s::text[], %s::integer[])",
                [draw.pk, registration_ids, codes, groups],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [(draw.pk, *row) for row in rows],
            )


def write_positions(placements: list[Placement], entry_ids: dict[str, int]) -> None:
    """Set each entry's 顺序号 (in its group, and overall)."""
    table, quote = _table(), connection.ops.quote_name
    position, overall, pk = quote("position"), quote("overall_position"), quote("id")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {position} = v.position, {overall} = v.overall "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) "
                f"AS v(id, position, overall) WHERE {table}.{pk} = v.id",
                [[entry_ids[p.code] for p in placements], *_positions(placements)],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {position} = %s, {overall} = %s WHERE {pk} = %s",  # noqa: S608
                [(p.position, p.overall, entry_ids[p.code]) for p in placements],
            )


def _positions(placements: list[Placement]) -> tuple[list[int], list[int]]:
    return [p.position for p in placements], [p.overall for p in placements]


def _table() -> str:
    return connection.ops.quote_name(Entry._meta.db_table)


def _columns(*names: str) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def texts_reference(lottery: Draw) -> str:
    """What the outbox files a draw's texts under: its progress on the draw's admin page."""
    return f"draw:{lottery.pk}"


def queue_entrant_texts(lottery: Draw) -> int:
    """One SMS per entrant with the 顺序号 (manual 6.1: 配租记录), written to the outbox in the
    draw's transaction; the entrants are read in chunks rather than held in memory."""
    rows = lottery.entries.order_by("overall_position").values_list(
        "code",
        "group",
        "position",
        "registration__number",
        Cast("registration__applicant__phone", CharField()),  # E.164 as stored, not parsed
        "registration__offering__project__name",
    )

    def texts():
        for code, group, position, number, phone, project in rows.iterator(chunk_size=BATCH_SIZE):
            in_group = f"（{lottery.group_name(group)}）" if lottery.grouped else ""
            yield (
                phone,
                f"您登记的“{lottery.plan.title}”{project}（{number}）已摇号，摇号编码 {code}，"
                f"顺序号第 {position} 号{in_group}。详情请登录配租平台查看配租记录。",
            )

    return outbox.queue_texts(texts(), kind=outbox.Kind.DRAW, reference=texts_reference(lottery))
