"""Instants that tests name. Registration windows, codes and limits are read in Beijing time
(Asia/Shanghai, UTC+8 all year, no daylight saving), so the awkward instants are Beijing ones:
just before midnight, and just after it, when the UTC date is still the day before."""

from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    """An aware instant given in Beijing time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


# An ordinary weekday morning in a registration window, for tests that need "now" to be a
# known instant but not an awkward one.
MORNING = beijing(2026, 6, 1, 10)
# The first minutes of a Beijing day while UTC is still on the previous one.
AFTER_MIDNIGHT = beijing(2027, 3, 1, 0, 30)
