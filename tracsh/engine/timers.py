"""Timers: internal events set to fall due later, and ``emit event … in/at``.

A journey step with a delay and a scheduled ``emit event`` both become an
internal event whose ``time`` is when it falls due, kept in the timers table
until then. A batch collects the timers it sets and fires in PendingTimers,
written with the batch's events in one transaction; the Scheduler
(scheduler.py) fires them.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracsh.engine.times import shifted, stored_time, utc_text
from tracsh.lang import values
from tracsh.lang.printer import value as shown
from tracsh.lang.scope import MISSING, Report

_UNREAD: Any = object()
"""PendingTimers.head before the store has been asked."""


def timer_row(event: dict, kind: str, created: datetime) -> dict:
    """The timers-table row that processes ``event`` when its time comes."""
    return {
        "key": event["id"],
        "due": event["time"],
        "profile_id": event["profile"]["id"],
        "kind": kind,
        "event": event,
        "created": utc_text(created),
    }


@dataclass
class PendingTimers:
    """The timers one batch set and fired, written at commit."""

    added: dict[str, dict] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    head: Any = _UNREAD
    """The stored timer due first and not fired yet (read once, kept current)."""
    soonest: list[tuple] = field(default_factory=list)
    """A heap of (due, key) over ``added``; keys no longer there are skipped."""

    def add(self, row: dict) -> None:
        """Set a timer."""
        self.added[row["key"]] = row
        heapq.heappush(self.soonest, (stored_time(row["due"]), row["key"]))

    def done(self, key: str) -> None:
        """A timer fired or was cancelled: it must not fire (again)."""
        self.added.pop(key, None)
        self.fired.add(key)
        if self.head is not _UNREAD and self.head is not None:
            if self.head["key"] == key:
                self.head = _UNREAD

    def next_due(self, store: Any, until: datetime) -> dict | None:
        """The timer that falls due first, if that is at or before ``until``."""
        if self.head is _UNREAD:
            self.head = store.first_timer(self.fired)
        while self.soonest and self.soonest[0][1] not in self.added:
            heapq.heappop(self.soonest)
        candidates = [self.added[self.soonest[0][1]]] if self.soonest else []
        if self.head is not None:
            candidates.append(self.head)
        if not candidates:
            return None
        first = min(candidates, key=lambda row: (stored_time(row["due"]), row["key"]))
        return first if stored_time(first["due"]) <= until else None

    def repoint(self, merged: set[str], survivor: str) -> None:
        """Timers of merged profiles now belong to the survivor."""
        for row in self.added.values():
            if row["profile_id"] in merged:
                row["profile_id"] = survivor

    def flush(self, store: Any) -> None:
        """Write the batch's timers (inside its transaction)."""
        if self.fired:
            store.delete_timers(sorted(self.fired))
        if self.added:
            store.add_timers(list(self.added.values()))


# --- emit event … in / at -------------------------------------------------------


def due_time(now: datetime, delay: Any, at: Any, report: Report) -> datetime | str:
    """When a scheduled ``emit`` falls due; a text saying why when it cannot.

    ``delay`` is the Duration node of ``in``; ``at`` the evaluated value of
    ``at`` (a time, or ISO-8601 text).
    """
    if delay is not None:
        return shifted(now, delay.seconds)
    if at is MISSING or at is None:
        return "the time after `at` is missing"
    moment = values.as_time(at, report, "emit … at")
    if moment is MISSING:
        return (
            f"the value after `at` is not a time: {shown(values.to_text(at, Report()))}"
        )
    return moment


def schedule(work: Any, event: dict, due: datetime, now: datetime, kind: str) -> bool:
    """Give ``event`` the time ``due``: a timer when later than ``now``.

    Returns True when it is due already, so the caller processes it at once.
    """
    if due <= now:
        return True
    event["time"] = utc_text(due)
    work.timers.add(timer_row(event, kind, now))
    return False
