"""Read-only views of the database for the console's screens.

Screens call these from loader threads (never from the app's thread), so a
slow query never freezes the keyboard. One read-only connection is shared under
a lock; the engine's writer lives in the engine process. Every query is the
Store's own (tracsh/store/lookups.py holds those only the console needs).
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

from tracsh.store import Store
from tracsh.tui.search import Found, parse_query

TIMELINE = 200
"""How many of a profile's latest events its timeline shows."""

FOUND = 200
"""The most profiles one search returns."""

DELIVERIES = 200
"""The most outbox rows a profile's deliveries show."""


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

    def last_seq(self) -> int:
        """The highest ``seq`` in the event log, 0 when it is empty."""
        with self._lock:
            return self._open().last_seq()

    def segment_sizes(self) -> dict[str, int]:
        """Profiles per segment."""
        with self._lock:
            return self._open().segment_sizes()

    # Profiles.

    def search(self, text: str) -> Found:
        """The profiles ``text`` finds (SearchError when it cannot be run): by a
        condition, or by id prefix, then part of the e-mail, then the name."""
        query = parse_query(text)
        with self._lock:
            store = self._open()
            if query.kind == "condition":
                docs = store.profiles_where(query.sql.text, query.sql.params, FOUND)
                return Found(query, docs, ["condition"] * len(docs), FOUND)
            lookups = (
                ("id", store.profiles_by_id_prefix),
                ("e-mail", store.profiles_by_email),
                ("name", store.profiles_by_name),
            )
            found: dict[str, tuple[dict, str]] = {}
            for by, lookup in lookups:
                for doc in lookup(query.text, FOUND):
                    found.setdefault(doc["id"], (doc, by))
        picked = list(found.values())[:FOUND]
        return Found(query, [doc for doc, _ in picked], [by for _, by in picked], FOUND)

    def profile(self, profile_id: str) -> dict[str, Any] | None:
        """One profile with its latest events, sessions and deliveries."""
        with self._lock:
            store = self._open()
            doc = store.get_profile(profile_id)
            if doc is None:
                return None
            return {
                "profile": doc,
                "events": store.latest_events(doc["id"], TIMELINE),
                "sessions": store.profile_sessions(doc["id"]),
                "deliveries": store.newest_outbox("profile_id", doc["id"], DELIVERIES),
            }

    # The outbox.

    def outbox(self, status: str | None, limit: int) -> list[dict]:
        """The newest outbox rows, optionally of one status."""
        with self._lock:
            column = None if status is None else "status"
            return self._open().newest_outbox(column, status, limit)

    def event_outbox(self, event_id: str) -> list[dict]:
        """What one event queued."""
        with self._lock:
            return self._open().newest_outbox("event_id", event_id, 50)

    # Journeys.

    def journeys(self) -> dict[str, Counter]:
        """Profiles per journey and per the step (or status) ``profile.journeys``
        keeps for it."""
        with self._lock:
            states = self._open().journey_states()
        counts: dict[str, Counter] = {}
        for (name, status, step), number in states.items():
            state = str(step or status or "in journey")
            counts.setdefault(name, Counter())[state] += number
        return counts
