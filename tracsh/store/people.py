"""What the store knows about one person: history reads, merges, forgetting, export.

Mixed into :class:`tracsh.store.Store`. The engine's history provider reads a
profile's events here; a profile merge re-points everything stored under the
merged ids to the survivor; ``tracsh profile forget`` and ``profile export``
delete or print everything stored about a person.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from tracsh.store.errors import StoreError

PENDING_OUTBOX = ("pending", "retry", "sending")
"""Outbox rows not yet sent: forgetting a profile deletes them (a row in flight
too: the worker then records nothing about it)."""


def _marks(items: Sequence[Any]) -> str:
    return ", ".join("?" for _ in items)


def _history_filter(
    profile_ids: Sequence[str], types: Sequence[str] | None, since: str | None
) -> tuple[str, list[Any]]:
    """The WHERE clause of a profile's events, by type and time from ``since``."""
    where = f"profile_id IN ({_marks(profile_ids)})"
    params: list[Any] = list(profile_ids)
    if types is not None:
        where += f" AND type IN ({_marks(types)})"
        params += list(types)
    if since is not None:
        where += " AND time >= ?"
        params.append(since)
    return where, params


class PeopleMixin:
    """History reads, merges, forgetting and export, per profile."""

    # Provided by Store, along with its _run, _run_many and _writable.
    conn: sqlite3.Connection

    # --- history ----------------------------------------------------------------

    def history_rows(
        self,
        profile_ids: Sequence[str],
        types: Sequence[str] | None = None,
        since: str | None = None,
    ) -> list[tuple[int, str, str]]:
        """``(seq, time, doc)`` of the profiles' events, in log order.

        ``types`` keeps only those event types; ``since`` (stored UTC text) keeps
        events whose time is at or after it. The events(profile_id, time) index
        serves the query.
        """
        where, params = _history_filter(profile_ids, types, since)
        rows = self._run(f"SELECT seq, time, doc FROM events WHERE {where}", params)
        return sorted(rows.fetchall())

    def count_history(
        self,
        profile_ids: Sequence[str],
        types: Sequence[str] | None = None,
        since: str | None = None,
    ) -> int:
        """How many of the profiles' events match (see history_rows)."""
        where, params = _history_filter(profile_ids, types, since)
        return self._run(
            f"SELECT count(*) FROM events WHERE {where}", params
        ).fetchone()[0]

    # --- lookups ----------------------------------------------------------------

    def sessions_of(self, profile_ids: Sequence[str]) -> list[dict]:
        """The stored sessions of any of these profiles."""
        rows = self._run(
            f"SELECT doc FROM sessions WHERE profile_id IN ({_marks(profile_ids)})",
            list(profile_ids),
        )
        return [json.loads(doc) for (doc,) in rows]

    def profiles_where(
        self, condition: str, params: Sequence[Any], limit: int | None = None
    ) -> list[dict]:
        """Profile documents for which the SQL ``condition`` over ``doc`` is true.

        ``condition`` comes from tracsh.lang.sql (never from user text), in id
        order, at most ``limit`` of them.
        """
        rows = self._run(
            f"SELECT doc FROM profiles WHERE {condition} ORDER BY id "
            f"LIMIT {-1 if limit is None else int(limit)}",
            list(params),
        )
        return [json.loads(doc) for (doc,) in rows]

    def count_profiles_where(self, condition: str, params: Sequence[Any]) -> int:
        """How many profiles the SQL ``condition`` (from tracsh.lang.sql) holds for."""
        found = self._run(
            f"SELECT count(*) FROM profiles WHERE {condition}", list(params)
        ).fetchone()
        return found[0]

    def ensure_json_index(self, table: str, path: str) -> str:
        """An expression index on ``json_extract(doc, path)``; returns its name.

        ``path`` is a JSON path as tracsh.lang.sql writes it, so queries over
        that field can use the index.
        """
        self._writable()
        if table not in ("profiles", "sessions", "events"):
            raise StoreError(f"no JSON index on table {table!r}")
        digest = hashlib.sha256(path.encode()).hexdigest()[:12]
        name = f"{table}_json_{digest}"
        literal = "'" + path.replace("'", "''") + "'"
        self._run(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"(json_extract(doc, {literal}))"
        )
        return name

    # --- merges -----------------------------------------------------------------

    def merge_into(self, survivor: str, merged: Sequence[str]) -> None:
        """Re-point everything stored under ``merged`` profile ids to ``survivor``.

        Aliases, sessions (their column and their document), events, outbox
        rows and timers move over; ``once per profile`` firings keep the latest
        time per rule; the merged profile rows are deleted. The survivor's own
        document is written by the caller.
        """
        self._writable()
        ids = list(merged)
        if not ids:
            return
        marks = _marks(ids)
        self._run(
            f"UPDATE aliases SET profile_id = ? WHERE profile_id IN ({marks})",
            [survivor, *ids],
        )
        self._run(
            "UPDATE sessions SET profile_id = ?, "
            "doc = json_set(doc, '$.profile', json_object('id', ?)) "
            f"WHERE profile_id IN ({marks})",
            [survivor, survivor, *ids],
        )
        for table in ("events", "outbox", "timers"):
            self._run(
                f"UPDATE {table} SET profile_id = ? WHERE profile_id IN ({marks})",
                [survivor, *ids],
            )
        self._merge_firings(survivor, ids)
        self._run(f"DELETE FROM profiles WHERE id IN ({marks})", ids)

    def _merge_firings(self, survivor: str, ids: list[str]) -> None:
        marks = _marks(ids)
        self._run(
            "INSERT INTO rule_fired (rule_id, scope, scope_id, time) "
            "SELECT rule_id, scope, ?, max(time) FROM rule_fired "
            f"WHERE scope = 'profile' AND scope_id IN ({marks}) GROUP BY rule_id "
            "ON CONFLICT (rule_id, scope, scope_id) DO UPDATE SET "
            "time = max(time, excluded.time)",
            [survivor, *ids],
        )
        self._run(
            f"DELETE FROM rule_fired WHERE scope = 'profile' AND scope_id IN ({marks})",
            ids,
        )

    # --- privacy ----------------------------------------------------------------

    def forget_profile(self, any_id: str) -> dict[str, Any] | None:
        """Delete a profile and everything stored about it; None when unknown.

        Returns the profile id and how many rows went from each table: the
        profile, its aliases, sessions, events, unsent outbox rows with their
        attempt records, the enricher answers cached for its lookups, timers and
        rule firings; and every rule's last error message (its counts stay).
        Outbox rows already done stay as delivery records with everything about
        the person removed: recipient, arguments, message, reason, profile and
        event ids, and the error text of their attempts.
        """
        self._writable()
        profile_id = self.resolve_profile_id(any_id)
        if profile_id is None:
            return None
        counts: dict[str, Any] = {"profile": profile_id}
        session_ids = [
            sid
            for (sid,) in self._run(
                "SELECT id FROM sessions WHERE profile_id = ?", (profile_id,)
            )
        ]
        counts["firings"] = self._forget_firings(profile_id, session_ids)
        for table, sql, params in self._forget_steps(profile_id):
            counts[table] = self._run(sql, params).rowcount
        # A rule's last error may quote a value of this person's documents, and
        # cannot be traced to them: every rule's last message goes, counts stay.
        counts["rule_errors"] = self._run(
            "UPDATE rule_stats SET last_error = NULL WHERE last_error IS NOT NULL"
        ).rowcount
        return counts

    def _forget_firings(self, profile_id: str, session_ids: list[str]) -> int:
        """``once per`` records of the profile and of each visit of its sessions."""
        removed = self._run(
            "DELETE FROM rule_fired WHERE scope = 'profile' AND scope_id = ?",
            (profile_id,),
        ).rowcount
        for session_id in session_ids:
            removed += self._run(
                "DELETE FROM rule_fired WHERE scope = 'session' AND (scope_id = ?1 "
                "OR substr(scope_id, 1, length(?1) + 1) = ?1 || '#')",
                (session_id,),
            ).rowcount
        return removed

    @staticmethod
    def _forget_steps(profile_id: str) -> list[tuple[str, str, list[Any]]]:
        """What forgetting does, in order: delivery records go before their rows.

        The enricher cache is keyed by the rendered URL, which only the
        person's enrich rows still hold, so it goes first. Attempt records of
        rows that no longer exist (forgotten before attempts were cleared too)
        go with the attempts of the person's unsent rows.
        """
        pending = _marks(PENDING_OUTBOX)
        unsent = f"profile_id = ? AND status IN ({pending})"
        return [
            (
                "enricher_cache",
                "DELETE FROM enricher_cache WHERE (enricher, key) IN (SELECT target, "
                "json_extract(rendered, '$.url') FROM outbox WHERE profile_id = ? "
                "AND kind = 'enrich' AND json_valid(rendered))",
                [profile_id],
            ),
            (
                "delivery_attempts",
                "DELETE FROM delivery_attempts WHERE outbox_id IN (SELECT id FROM "
                f"outbox WHERE {unsent}) OR outbox_id NOT IN (SELECT id FROM outbox)",
                [profile_id, *PENDING_OUTBOX],
            ),
            (
                "attempts_scrubbed",
                "UPDATE delivery_attempts SET error = NULL WHERE error IS NOT NULL "
                "AND outbox_id IN (SELECT id FROM outbox WHERE profile_id = ?)",
                [profile_id],
            ),
            ("events", "DELETE FROM events WHERE profile_id = ?", [profile_id]),
            ("sessions", "DELETE FROM sessions WHERE profile_id = ?", [profile_id]),
            (
                "outbox",
                f"DELETE FROM outbox WHERE {unsent}",
                [profile_id, *PENDING_OUTBOX],
            ),
            (
                "outbox_scrubbed",
                "UPDATE outbox SET recipient = NULL, args = NULL, rendered = NULL, "
                "reason = NULL, event_id = NULL, profile_id = NULL "
                "WHERE profile_id = ?",
                [profile_id],
            ),
            ("timers", "DELETE FROM timers WHERE profile_id = ?", [profile_id]),
            ("aliases", "DELETE FROM aliases WHERE profile_id = ?", [profile_id]),
            ("profiles", "DELETE FROM profiles WHERE id = ?", [profile_id]),
        ]

    def export_profile(self, any_id: str) -> dict[str, Any] | None:
        """Everything stored about the person ``any_id`` answers to, or None."""
        profile_id = self.resolve_profile_id(any_id)
        doc = self.get_profile(profile_id) if profile_id else None
        if doc is None:
            return None
        return {
            "profile": doc,
            "aliases": self.aliases_of(profile_id),
            "sessions": self.sessions_of([profile_id]),
            "events": [json.loads(d) for _, _, d in self.history_rows([profile_id])],
            "outbox": self._outbox_of(profile_id),
            "timers": self.timers(profile_id),
            "firings": self._rows("rule_fired", profile_id, "scope_id"),
        }

    def _outbox_of(self, profile_id: str) -> list[dict]:
        """The person's outbox rows, each with its attempts and cached answer."""
        rows = self._rows("outbox", profile_id)
        for row in rows:
            row["delivery_attempts"] = self.delivery_attempts(row["id"])
            rendered = row.get("rendered")
            url = rendered.get("url") if isinstance(rendered, dict) else None
            if row["kind"] == "enrich" and isinstance(url, str):
                row["enricher_cache"] = self._cached_for(row["target"], url)
        return rows

    def _cached_for(self, enricher: str, url: str) -> list[dict]:
        cursor = self._run(
            "SELECT key, value, expires FROM enricher_cache "
            "WHERE enricher = ? AND key = ?",
            (enricher, url),
        )
        return [
            {"key": key, "value": json.loads(value), "expires": expires}
            for key, value, expires in cursor
        ]

    def _rows(self, table: str, profile_id: str, column: str = "profile_id") -> list:
        cursor = self._run(
            f"SELECT * FROM {table} WHERE {column} = ? ORDER BY 1", (profile_id,)
        )
        names = [d[0] for d in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor]
        for row in found:
            for key in ("args", "rendered"):
                if isinstance(row.get(key), str):
                    row[key] = json.loads(row[key])
        return found
