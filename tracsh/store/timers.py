"""The timers table: internal events that fall due later, in the order they fall due.

Journey steps with a delay and ``emit event … in/at`` become timers. The engine
writes new timers and deletes fired ones in the same transaction as the events
that set and fired them, so a restart neither loses nor repeats one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from tracsh.store.documents import encode_doc, utc_now

_ADD_TIMER = (
    "INSERT INTO timers (key, due, profile_id, kind, event, created) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
)


def _timer(row: tuple) -> dict:
    key, due, profile_id, kind, event, created = row
    return {
        "key": key,
        "due": due,
        "profile_id": profile_id,
        "kind": kind,
        "event": json.loads(event),
        "created": created,
    }


_COLUMNS = "key, due, profile_id, kind, event, created"


class TimersMixin:
    """Timers: add, delete, and read the ones due."""

    # Provided by Store, along with its _run, _run_many and _writable.
    conn: sqlite3.Connection

    def add_timers(self, rows: Iterable[dict]) -> None:
        """Store timers (``key``, ``due``, ``profile_id``, ``kind``, ``event``);
        a key already stored is left as it is."""
        self._writable()
        params = [
            (
                row["key"],
                row["due"],
                row.get("profile_id"),
                row["kind"],
                encode_doc(row["event"], f"timer {row['key']}"),
                row.get("created") or utc_now(),
            )
            for row in rows
        ]
        self._run_many(_ADD_TIMER, params)

    def delete_timers(self, keys: Iterable[str]) -> int:
        """Remove timers by key; returns how many were stored."""
        self._writable()
        removed = 0
        for key in keys:
            removed += self._run("DELETE FROM timers WHERE key = ?", (key,)).rowcount
        return removed

    def first_timer(self, skip: Iterable[str] = ()) -> dict | None:
        """The timer that falls due first (ties by key), leaving out ``skip``."""
        skip = list(skip)
        marks = ", ".join("?" for _ in skip)
        where = f"WHERE key NOT IN ({marks}) " if skip else ""
        row = self._run(
            f"SELECT {_COLUMNS} FROM timers {where}ORDER BY due, key LIMIT 1", skip
        ).fetchone()
        return _timer(row) if row else None

    def timers(self, profile_id: str | None = None, limit: int = 1000) -> list[dict]:
        """Stored timers in the order they fall due, optionally of one profile."""
        rows = self._run(
            f"SELECT {_COLUMNS} FROM timers WHERE (?1 IS NULL OR profile_id = ?1) "
            "ORDER BY due, key LIMIT ?2",
            (profile_id, limit),
        )
        return [_timer(row) for row in rows]

    def count_timers(self) -> int:
        """How many timers are waiting."""
        return self._run("SELECT count(*) FROM timers").fetchone()[0]
