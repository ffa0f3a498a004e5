"""Times as the store keeps them: UTC ISO-8601 text, which sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from tracsh.lang.printer import value as shown
from tracsh.lang.values import parse_time


def utc_text(moment: datetime) -> str:
    """An aware time as stored text (``2019-10-01T00:00:00+00:00``).

    Every time tracsh stores or compares as text in SQL goes through here, so
    text order is time order.
    """
    return moment.astimezone(UTC).isoformat()


@lru_cache(maxsize=4096)
def stored_time(text: str) -> datetime:
    """Stored time text as an aware time; raises ValueError when it is not one."""
    found = parse_time(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{shown(text)} is not an ISO-8601 time")
    return found
