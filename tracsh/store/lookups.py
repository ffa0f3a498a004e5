"""Queries for the operator console: finding people, their mail, a forget's reach.

Mixed into :class:`tracsh.store.Store`. The console's screens call the reads
on a read-only connection from loader threads: profiles by id prefix, part of
an e-mail address or of a name, a profile's latest events, outbox rows newest
first (by status, profile or event). Its engine process asks what
``forget_profile`` would delete before the operator confirms, on the writer.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from typing import Any

from tracsh.store.records import _outbox_row

_OUTBOX_FILTERS = ("status", "profile_id", "event_id")
"""Columns outbox rows can be picked by."""

NAME_FIELDS = ("first_name", "last_name", "name")
"""The fields that hold a person's name, under ``pii`` (where the shop's rules
keep them) or ``traits``."""

_NAME_PATHS = [f"{part}.{field}" for part in ("pii", "traits") for field in NAME_FIELDS]
_NAME = " || ' ' || ".join(
    f"coalesce(json_extract(doc, '$.{path}'), '')"
    for path in (*_NAME_PATHS, "pii.email")
)
"""A profile's name fields and e-mail address as one text, in SQL: a last name
often is only in the address (zoe.dubois@…)."""


def fold(text: str) -> str:
    """Text as a name search compares it: any case, accents dropped (Zoë, zoe)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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

    def profiles_by_name(self, text: str, limit: int) -> list[dict]:
        """Profiles whose name fields and e-mail address together hold every word
        of ``text`` (any case, with or without accents), in id order."""
        words = fold(text).split()
        if not words:
            return []
        self.conn.create_function("tracsh_fold", 1, fold, deterministic=True)
        tests = " AND ".join("name LIKE ? ESCAPE '\\'" for _ in words)
        rows = self._run(
            f"SELECT doc FROM (SELECT id, doc, tracsh_fold({_NAME}) AS name "
            f"FROM profiles) WHERE {tests} ORDER BY id LIMIT ?",
            (*(f"%{_like(word)}%" for word in words), limit),
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
