"""Read-only views of the database for the console's screens.

Screens call these from loader threads (never from the app's thread), so a
slow query never freezes the keyboard. One read-only connection is shared under
a lock; the engine's writer lives on the feed's own thread. A few queries the
Store does not offer yet (outbox rows by profile or event, newest first, and
journey counts) are written here as parameterised SQL over the documented
tables, until the store grows them.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from pathlib import Path
from typing import Any

from tracsh.store import Store
from tracsh.tui.search import Query, matching, parse_query

TIMELINE = 200
"""How many of a profile's latest events its timeline shows."""

FOUND = 200
"""The most profiles one search returns."""


class Reader:
    """A lazily opened, lock-guarded read-only Store and the queries screens need."""

    def __init__(self, path: Path) -> None:
        self.path = path
        """The database file."""
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _open(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.path, readonly=True)
        return self._store

    def close(self) -> None:
        """Close the connection (it reopens on the next read)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _query(self, sql: str, params: list[Any]) -> list[dict]:
        return list(self._open().db.query(sql, params))

    # Figures.

    def figures(self) -> dict[str, Any]:
        """Totals, rule errors and segment sizes for the dashboard."""
        with self._lock:
            store = self._open()
            totals = store.totals()
            stats = store.rule_stats()
            segments = store.segment_sizes()
        totals["rule_errors"] = sum(row["errors"] for row in stats)
        totals["type_warnings"] = sum(row["type_warnings"] for row in stats)
        totals["evaluations"] = sum(row["evaluations"] for row in stats)
        totals["matches"] = sum(row["matches"] for row in stats)
        return {"totals": totals, "segments": segments}

    def rule_stats(self) -> dict[str, dict]:
        """Each rule's stored statistics by rule id."""
        with self._lock:
            return {row["rule_id"]: row for row in self._open().rule_stats()}

    def segment_sizes(self) -> dict[str, int]:
        """Profiles per segment."""
        with self._lock:
            return self._open().segment_sizes()

    # Profiles.

    def search(self, text: str) -> tuple[Query, list[dict]]:
        """The profiles ``text`` finds (SearchError when it cannot be run)."""
        query = parse_query(text)
        with self._lock:
            store = self._open()
            if query.kind == "condition":
                return query, matching(query, store.iter_profiles(), FOUND)
            if query.kind == "email":
                return query, self._by_email(query.text)
            return query, self._by_id(store, query.text)

    def _by_email(self, text: str) -> list[dict]:
        rows = self._query(
            "SELECT doc FROM profiles WHERE lower(json_extract(doc, '$.pii.email')) "
            "LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
            [f"%{_like(text)}%", FOUND],
        )
        return [json.loads(row["doc"]) for row in rows]

    def _by_id(self, store: Store, text: str) -> list[dict]:
        exact = store.get_profile(text)
        if exact is not None:
            return [exact]
        rows = self._query(
            "SELECT DISTINCT p.doc FROM aliases AS a JOIN profiles AS p "
            "ON p.id = a.profile_id WHERE a.alias LIKE ? ESCAPE '\\' "
            "ORDER BY p.id LIMIT ?",
            [f"{_like(text)}%", FOUND],
        )
        return [json.loads(row["doc"]) for row in rows]

    def profile(self, profile_id: str) -> dict[str, Any] | None:
        """One profile with its latest events, sessions and deliveries."""
        with self._lock:
            store = self._open()
            doc = store.get_profile(profile_id)
            if doc is None:
                return None
            events = deque(store.iter_events(profile_id=doc["id"]), maxlen=TIMELINE)
            sessions = store.profile_sessions(doc["id"])
            deliveries = self._outbox_where("profile_id", doc["id"], 200)
        return {
            "profile": doc,
            "events": list(events),
            "sessions": sessions,
            "deliveries": deliveries,
        }

    # The outbox.

    def outbox(self, status: str | None, limit: int) -> list[dict]:
        """The newest outbox rows, optionally of one status."""
        with self._lock:
            return self._outbox_where("status", status, limit)

    def event_outbox(self, event_id: str) -> list[dict]:
        """What one event queued."""
        with self._lock:
            return self._outbox_where("event_id", event_id, 50)

    def _outbox_where(self, column: str, value: Any, limit: int) -> list[dict]:
        if column not in ("status", "profile_id", "event_id"):
            raise ValueError(f"not an outbox filter: {column}")
        rows = self._query(
            f"SELECT * FROM outbox WHERE (?1 IS NULL OR {column} = ?1) "
            "ORDER BY id DESC LIMIT ?2",
            [value, limit],
        )
        for row in rows:
            for name in ("args", "rendered"):
                row[name] = json.loads(row[name]) if row[name] else None
        return rows

    # Journeys.

    def journeys(self) -> dict[str, Counter]:
        """Profiles per journey and per the state kept in ``profile.journeys``."""
        rows = []
        with self._lock:
            rows = self._query(
                "SELECT j.key AS journey, j.value AS state FROM profiles, "
                "json_each(profiles.doc, '$.journeys') AS j",
                [],
            )
        counts: dict[str, Counter] = {}
        for row in rows:
            counts.setdefault(row["journey"], Counter())[_state(row["state"])] += 1
        return counts


def _state(value: Any) -> str:
    """A journey's state as stored, in a word: its step when it names one."""
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        return str(value.get("step") or value.get("state") or "in journey")
    return "in journey" if value in (None, "") else str(value)


def _like(text: str) -> str:
    """``text`` with LIKE's wildcards escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
