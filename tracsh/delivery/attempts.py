"""What one delivery attempt came to, and when the next one is due.

Senders (SMTP, HTTP) report a :class:`Result`; :func:`next_state` turns it,
with the attempt count and the schedule, into the outbox row's new status. The
schedule is exponential backoff with jitter, capped, and a server's
``Retry-After`` wins over it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

SENT = "sent"
TRANSIENT = "transient"
"""Worth another attempt later: timeouts, refused connections, 5xx, 429."""
PERMANENT = "permanent"
"""The receiver will never take it (an SMTP 5xx): a dead letter at once."""
BROKEN = "broken"
"""It cannot go as configured (a refused address, a missing secret): failed."""
GONE = "gone"
"""HTTP 410 from a webhook: the receiver asks us to stop calling; the webhook is
disabled and its rows wait. Not counted as one of the row's attempts."""


@dataclass(frozen=True)
class Result:
    """The outcome of one attempt."""

    kind: str
    """SENT, TRANSIENT, PERMANENT, BROKEN or GONE."""
    status: str | None = None
    """What the other side said, e.g. "200", "250", "timeout"."""
    error: str | None = None
    """Why it failed, in words."""
    retry_after: float | None = None
    """Seconds the server asked us to wait (429/503 with Retry-After)."""
    answer: Any = None
    """The parsed answer, for enrichers."""


@dataclass(frozen=True)
class Schedule:
    """The retry schedule: attempts, first wait, cap, and the jitter source."""

    attempts: int = 8
    backoff: float = 30.0
    max_backoff: float = 6 * 3600.0
    rng: random.Random | None = None

    def wait(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (from 1).

        The wait doubles each time from ``backoff`` up to ``max_backoff``; the
        second half of it is random ("equal jitter"), so endpoints that failed
        together do not retry in step.
        """
        full = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        rng = self.rng or random
        return full / 2 + rng.uniform(0, full / 2)


def next_state(
    result: Result, attempt: int, schedule: Schedule, now: datetime
) -> dict[str, Any]:
    """The outbox columns after attempt number ``attempt`` ended with ``result``.

    ``attempts`` becomes ``attempt``: the count goes up when an attempt ends,
    never when a row is claimed, so it cannot pass ``schedule.attempts``. A 410
    (GONE) is not counted: the row waits for its webhook to be enabled again.
    """
    if result.kind == SENT:
        return {
            "status": "sent",
            "reason": None,
            "last_status": result.status,
            "attempts": attempt,
        }
    changes = {
        "last_status": result.status,
        "reason": result.error,
        "attempts": attempt,
    }
    if result.kind == BROKEN:
        return changes | {"status": "failed"}
    if result.kind == GONE:
        # The webhook is disabled, not this row: it waits, with the attempts it
        # had left, for `tracsh webhook enable`, whatever attempt this was.
        uncounted = {"attempts": attempt - 1, "next_attempt": now.isoformat()}
        return changes | uncounted | {"status": "retry"}
    if result.kind == PERMANENT or attempt >= schedule.attempts:
        return changes | {"status": "dead"}
    wait = schedule.wait(attempt)
    if result.retry_after is not None:
        wait = min(max(result.retry_after, 0.0), schedule.max_backoff)
    due = now + timedelta(seconds=wait)
    return changes | {"status": "retry", "next_attempt": due.isoformat()}


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for: a number, or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
