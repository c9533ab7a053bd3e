"""Rate limits shared by every worker, kept in the default cache (Redis in production).

`hit("sms:phone:+86138…", limit=5, window=3600)` counts one attempt and says whether it is
allowed: at most `limit` allowed hits in any `window` seconds (a sliding window). The window is
cut into 60 slots, each a cache counter named after its place on the clock; a hit adds one to
the current slot with `cache.add` + `cache.incr` (atomic on Redis, and on the local-memory
cache within one process) and sums the other 59, and the next one, where a request that read
the clock a moment later may already have counted. So the window is exact to one slot (1 s for a
minute, 1 min for an hour), a refused attempt is taken back and does not prolong the wait, and
`Limit.retry_at` says when the next attempt will be allowed.
"""

import ipaddress
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

SLOTS = 60


@dataclass(frozen=True)
class Limit:
    allowed: bool
    count: int  # allowed hits in the window, this one included when allowed
    limit: int
    retry_at: datetime | None  # when a refused attempt would next be allowed
    slot: str = field(default="", repr=False)  # the counter this hit went to

    @property
    def retry_after(self) -> int:
        """Whole seconds until the next attempt is allowed; 0 when this one was."""
        if self.retry_at is None:
            return 0
        return max(0, math.ceil((self.retry_at - timezone.now()).total_seconds()))


def hit(key: str, *, limit: int, window: int) -> Limit:
    now = time.time()
    slot_seconds = window / SLOTS
    current = int(now // slot_seconds)
    slots = [f"ratelimit:{key}:{window}:{slot}" for slot in range(current - SLOTS + 1, current + 1)]
    # A slot must outlive the window it belongs to, then the cache may forget it.
    timeout = window + math.ceil(slot_seconds)
    cache.add(slots[-1], 0, timeout=timeout)
    try:
        mine = cache.incr(slots[-1])
    except ValueError:  # evicted between add and incr
        cache.set(slots[-1], 1, timeout=timeout)
        mine = 1
    # The next slot too: a request that read the clock a moment after this one may already
    # have counted its hit there (two requests at a slot boundary), and must not be missed.
    following = f"ratelimit:{key}:{window}:{current + 1}"
    others = cache.get_many([*slots[:-1], following])
    counts = [int(others.get(slot, 0)) for slot in slots[:-1]] + [mine]
    ahead = int(others.get(following, 0))
    if sum(counts) + ahead <= limit:
        return Limit(
            allowed=True, count=sum(counts) + ahead, limit=limit, retry_at=None, slot=slots[-1]
        )
    cache.decr(slots[-1])
    counts[-1] -= 1
    counts.append(ahead)
    # Slot i leaves the window when the clock reaches slot (current + i + 1); wait until enough
    # old hits have left that one more fits.
    dropped = next(i for i in range(1, SLOTS + 2) if sum(counts[i:]) <= limit - 1)
    retry_at = datetime.fromtimestamp((current + dropped) * slot_seconds, tz=UTC)
    return Limit(allowed=False, count=sum(counts), limit=limit, retry_at=retry_at)


def hit_all(rules: Iterable[tuple[str, int, int]]) -> Limit:
    """Hit several limits (key, limit, window) as one attempt: the first refusal is returned
    and the hits already counted for this attempt are taken back, so that an attempt refused
    by one limit does not use up the others."""
    counted: list[Limit] = []
    for key, limit, window in rules:
        result = hit(key, limit=limit, window=window)
        if not result.allowed:
            for earlier in counted:
                cache.decr(earlier.slot)
            return result
        counted.append(result)
    return counted[-1]


def take_back(result: Limit) -> None:
    """Uncount an allowed hit (an attempt that turned out not to be one: a right captcha
    answer, a comparison service that did not answer)."""
    if result.allowed and result.slot:
        cache.decr(result.slot)


def client_ip(request: HttpRequest) -> str:
    """The address a request came from, for limits per address.

    Behind our nginx (TRUST_X_FORWARDED_FOR), the last entry of X-Forwarded-For is the one
    nginx appended; entries before it are whatever the client sent and are not believed.
    """
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-1]
    return request.META.get("REMOTE_ADDR", "")


def client_address(request: HttpRequest) -> str | None:
    """client_ip as a valid IP address to store (consents, 查看记录), or None."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None
