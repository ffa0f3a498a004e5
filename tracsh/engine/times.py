"""Times as the store keeps them: UTC ISO-8601 text, which sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from tracsh.lang.printer import value as shown
from tracsh.lang.values import parse_time


def utc_text(moment: datetime) -> str:
    """An aware time as stored text (``2019-10-01T00:00:00+00:00``).

    Every time tracsh stores or compares as text in SQL goes through here, so
    text order is time order.
    """
    return moment.astimezone(UTC).isoformat()


FIRST = datetime.min.replace(tzinfo=UTC)
"""The earliest time Python can hold; a window reaching further starts here."""
LAST = datetime.max.replace(tzinfo=UTC)
"""The latest time Python can hold: a step, timer or expiry later than it (an
event near the year 9999, or a delay of thousands of years) is due here, which
in practice is never."""


def shifted(moment: datetime, seconds: float) -> datetime:
    """``moment`` moved by ``seconds`` (negative: back), kept within FIRST..LAST."""
    try:
        return moment + timedelta(seconds=seconds)
    except OverflowError:
        return LAST if seconds > 0 else FIRST


@lru_cache(maxsize=4096)
def stored_time(text: str) -> datetime:
    """Stored time text as an aware time; raises ValueError when it is not one."""
    found = parse_time(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{shown(text)} is not an ISO-8601 time")
    return found
