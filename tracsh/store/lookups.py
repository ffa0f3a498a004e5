"""Queries for the operator console: finding people, their mail, a forget's reach.

Mixed into :class:`tracsh.store.Store`. The console's screens call the reads
on a read-only connection from loader threads: profiles by e-mail or id
prefix, a profile's latest events, outbox rows newest first (by status,
profile or event). Its engine process asks what ``forget_profile`` would
delete before the operator confirms, on the writer.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from tracsh.store.records import _outbox_row

_OUTBOX_FILTERS = ("status", "profile_id", "event_id")
"""Columns outbox rows can be picked by."""


def _like(text: str) -> str:
    """``text`` with LIKE's wildcards escaped (the queries say ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class LookupsMixin:
    """Finding profiles, a profile's latest events and mail, and a forget's reach."""

    # Provided by Store, along with its _run and resolve_profile_id.
    conn: sqlite3.Connection

    def profiles_by_email(self, text: str, limit: int) -> list[dict]:
        """Profiles whose ``pii.email`` holds ``text`` (any case), in id order."""
        rows = self._run(
            "SELECT doc FROM profiles WHERE lower(json_extract(doc, '$.pii.email')) "
            "LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
            (f"%{_like(text.lower())}%", limit),
        )
        return [json.loads(doc) for (doc,) in rows]

    def profiles_by_id_prefix(self, text: str, limit: int) -> list[dict]:
        """Profiles answering to ``text`` exactly, else to ids starting with it."""
        exact = self.get_profile(text)
        if exact is not None:
            return [exact]
        rows = self._run(
            "SELECT DISTINCT p.doc FROM aliases AS a JOIN profiles AS p "
            "ON p.id = a.profile_id WHERE a.alias LIKE ? ESCAPE '\\' "
            "ORDER BY p.id LIMIT ?",
            (f"{_like(text)}%", limit),
        )
        return [json.loads(doc) for (doc,) in rows]

    def latest_events(self, profile_id: str, limit: int) -> list[dict]:
        """A profile's newest ``limit`` events (merged ids included), oldest first."""
        rows = self._run(
            "SELECT seq, doc FROM events WHERE profile_id IN "
            "(SELECT alias FROM aliases WHERE profile_id = ?1 UNION SELECT ?1) "
            "ORDER BY seq DESC LIMIT ?2",
            (profile_id, limit),
        ).fetchall()
        found = []
        for seq, doc in reversed(rows):
            event = json.loads(doc)
            event["seq"] = seq
            found.append(event)
        return found

    def newest_outbox(
        self, column: str | None = None, value: Any = None, limit: int = 200
    ) -> list[dict]:
        """Outbox rows newest first, all of them or those whose ``column`` is
        ``value`` (``status``, ``profile_id`` or ``event_id``)."""
        if column is None:
            cursor = self._run(
                "SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,)
            )
        elif column in _OUTBOX_FILTERS:
            cursor = self._run(
                f"SELECT * FROM outbox WHERE {column} = ? ORDER BY id DESC LIMIT ?",
                (value, limit),
            )
        else:
            raise ValueError(f"outbox rows are picked by {', '.join(_OUTBOX_FILTERS)}")
        names = [d[0] for d in cursor.description]
        return [_outbox_row(dict(zip(names, row, strict=True))) for row in cursor]

    def forget_preview(self, any_id: str) -> dict[str, Any] | None:
        """What ``forget_profile(any_id)`` would delete, counted as it counts, with
        nothing changed; None when no profile answers to ``any_id``.

        It forgets inside a savepoint and rolls back to it, so the counts are
        exactly forget's own. That takes the write lock for a moment: call it
        where the store may be written (the engine's writer).
        """
        with self.transaction():
            self._run("SAVEPOINT forget_preview")
            try:
                return self.forget_profile(any_id)
            finally:
                self._run("ROLLBACK TO forget_preview")
                self._run("RELEASE forget_preview")
