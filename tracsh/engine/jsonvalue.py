"""Turning evaluated rule values into JSON that the store can keep.

Expressions can produce values JSON has no word for: times, durations and the
MISSING marker. Writes to profiles, outbox arguments and widget data all pass
through ``to_json`` so the store only ever sees plain JSON.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tracsh.lang.scope import MISSING


def to_json(value: Any) -> Any:
    """A JSON-shaped copy of ``value``: times as ISO text, durations as seconds.

    MISSING inside objects and lists is dropped; MISSING at the top stays
    MISSING so the caller can tell that nothing was produced.
    """
    if value is MISSING or value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items() if v is not MISSING}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value if v is not MISSING]
    return str(value)
