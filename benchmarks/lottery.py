"""The lottery at scale: the algorithm at 100,000 entries (lottery/verify.py, standard library
only), then freezing and drawing real rows when Django is set up with a scratch database (as
`python -m benchmarks` does). `run()` returns named figures; the algorithm's are the best of
three runs.
"""

import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from lottery import verify

ENTRIES = 100_000
DATABASE_ENTRIES = 20_000
NUMBERS = [8, 15, 23, 31, 47]
SEED = verify.seed_from([verify.Source("bench", False, tuple(NUMBERS))])


def codes(count: int) -> list[str]:
    """Distinct random entry codes, as lottery.draw.new_entry_codes makes them."""
    made: set[str] = set()
    while len(made) < count:
        made.add("".join(secrets.choice(verify.CODE_ALPHABET) for _ in range(verify.CODE_LENGTH)))
    return sorted(made)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def run() -> list[tuple[str, float]]:
    entry_codes = codes(ENTRIES)
    text = verify.entries_text([(code, 1) for code in entry_codes], grouped=False)
    grouped = [(code, 1 + n % 3) for n, code in enumerate(entry_codes)]
    order = best_of(3, lambda: verify.order(seed=SEED, entry_codes=entry_codes))
    return [*algorithm(entry_codes, text, grouped, order), *database()]


def algorithm(entry_codes, text, grouped, order) -> list[tuple[str, float]]:
    return [
        ("lottery: order 100,000 entry codes (s)", order),
        ("lottery: entries ordered per second", ENTRIES / order),
        (
            "lottery: list hash of 100,000 codes (s)",
            best_of(3, lambda: verify.list_hash(entry_codes)),
        ),
        (
            "lottery: draw 100,000 entries in 3 priority groups (s)",
            best_of(3, lambda: verify.draw_order(seed=SEED, entries=grouped)),
        ),
        (
            "lottery: verify.py on a 100,000-line entries.txt, parse to result.txt (s)",
            best_of(3, lambda: verify.result_text(seed=SEED, entries_text=text)),
        ),
    ]


def database() -> list[tuple[str, float]]:
    """冻结名单 and 摇号 of DATABASE_ENTRIES registrations, each step one transaction; the draw
    includes texting every entrant after commit (with the configured SMS backend)."""
    from django.apps import apps

    if not apps.ready:
        return []
    from django.utils import timezone

    from lottery import draw as lottery
    from rentcenter import sms
    from tests.factories import make_user
    from tests.lottery.factories import make_ended_plan, make_registrations

    plan = make_ended_plan()
    make_registrations(plan, DATABASE_ENTRIES)
    staff = make_user()
    # A source whose numbers are known a second after the freeze: the draw waits for it,
    # outside the timed steps.
    known_at = timezone.now() + timedelta(seconds=1)
    sources = [lottery.Announcement("bench", known_at, count=len(NUMBERS))]
    started = time.perf_counter()
    lottery.freeze(plan=plan, mode="active", by=staff, sources=sources)
    frozen = time.perf_counter()
    time.sleep(max(0.0, (known_at - timezone.now()).total_seconds()))
    waited = time.perf_counter()
    lottery.draw(plan=plan, numbers=[NUMBERS], by=staff)
    drawn = time.perf_counter()
    sms.outbox.clear()
    return [
        ("lottery: freeze 20,000 registrations (s)", frozen - started),
        ("lottery: draw 20,000 entries, texts written to the outbox (s)", drawn - waited),
        (
            "lottery: entries frozen and drawn per second",
            DATABASE_ENTRIES / (frozen - started + drawn - waited),
        ),
    ]
