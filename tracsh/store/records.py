"""The store's bookkeeping tables: the outbox, rejects, rule statistics and firings.

Mixed into :class:`tracsh.store.Store`; the engine writes these in the same
transaction as the event they came from, the delivery worker reads and updates
the outbox, and ``tracsh stats`` / ``tracsh outbox`` read them back.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from tracsh.store.documents import decode_doc, encode_doc, utc_now
from tracsh.store.errors import StoreError

OUTBOX_STATUSES = ("pending", "sending", "sent", "retry", "failed", "dead", "skipped")
"""Every outbox status (docs/architecture.md "Outbox rows" says what each means)."""

DUE_STATUSES = ("pending", "retry")
"""The statuses whose rows are due for an attempt at their ``next_attempt``."""

OUTBOX_COLUMNS = (
    "key",
    "kind",
    "target",
    "recipient",
    "args",
    "event_id",
    "rule_id",
    "profile_id",
    "status",
    "reason",
    "attempts",
    "next_attempt",
    "last_status",
    "created",
    "updated",
    "rendered",
)
"""The outbox columns a caller may set (``id`` is assigned by the store)."""

_JSON_COLUMNS = ("args", "rendered")
_STAT_FIELDS = ("evaluations", "matches", "errors", "type_warnings", "time_ns")

_ADD_RULE_STATS = (
    "INSERT INTO rule_stats (rule_id, evaluations, matches, errors, type_warnings, "
    "time_ns, last_fired, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (rule_id) DO UPDATE "
    "SET evaluations = evaluations + excluded.evaluations, "
    "matches = matches + excluded.matches, errors = errors + excluded.errors, "
    "type_warnings = type_warnings + excluded.type_warnings, "
    "time_ns = time_ns + excluded.time_ns, "
    "last_fired = coalesce(max(last_fired, excluded.last_fired), last_fired, "
    "excluded.last_fired), "
    "last_error = coalesce(excluded.last_error, last_error)"
)
_SET_FIRED = (
    "INSERT INTO rule_fired (rule_id, scope, scope_id, time) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (rule_id, scope, scope_id) DO UPDATE SET time = excluded.time"
)


def _outbox_values(row: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Check an outbox row's column names and turn its JSON columns into text."""
    unknown = sorted(set(row) - set(OUTBOX_COLUMNS))
    if unknown:
        raise StoreError(f"{what}: unknown outbox column(s) {', '.join(unknown)}")
    values = dict(row)
    for column in _JSON_COLUMNS:
        if column in values and values[column] is not None:
            values[column] = encode_doc(values[column], f"{what} {column}")
    status = values.get("status")
    if status is not None and status not in OUTBOX_STATUSES:
        raise StoreError(f"{what}: unknown outbox status {status!r}")
    return values


def _outbox_row(row: dict) -> dict:
    """An outbox row as read back, with its JSON columns decoded."""
    for column in _JSON_COLUMNS:
        row[column] = decode_doc(row[column])
    return row


class RecordsMixin:
    """Outbox, rejects, rule statistics and ``once per`` firings."""

    # Provided by Store, along with its _run (traced execute) and _writable.
    db: sqlite_utils.Database
    conn: sqlite3.Connection
    _trace: Any

    # The outbox.

    def add_outbox(self, row: Mapping[str, Any]) -> int | None:
        """Queue an external effect; its id, or None when its ``key`` is queued.

        ``key`` and ``kind`` are required; ``status`` defaults to pending,
        ``created``/``updated``/``next_attempt`` to now, ``attempts`` to 0.
        ``args`` and ``rendered`` are stored as JSON.
        """
        self._writable()
        if not row.get("key") or not row.get("kind"):
            raise StoreError("outbox row needs a key and a kind")
        values = _outbox_values(row, f"outbox row {row['key']}")
        now = utc_now()
        values.setdefault("created", now)
        values.setdefault("updated", values["created"])
        values.setdefault("next_attempt", values["created"])
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self._run(
            f"INSERT INTO outbox ({columns}) VALUES ({marks}) "
            "ON CONFLICT (key) DO NOTHING",
            tuple(values.values()),
        )
        return cursor.lastrowid if cursor.rowcount > 0 else None

    def update_outbox(self, outbox_id: int, changes: Mapping[str, Any]) -> bool:
        """Change columns of one outbox row (``updated`` defaults to now)."""
        self._writable()
        values = _outbox_values(changes, f"outbox row {outbox_id}")
        values.pop("key", None)
        values.setdefault("updated", utc_now())
        assignments = ", ".join(f"{column} = ?" for column in values)
        cursor = self._run(
            f"UPDATE outbox SET {assignments} WHERE id = ?",
            (*values.values(), outbox_id),
        )
        return cursor.rowcount > 0

    def get_outbox(self, outbox_id: int) -> dict | None:
        """One outbox row by id, or None."""
        rows = list(self.db.query("SELECT * FROM outbox WHERE id = ?", [outbox_id]))
        return _outbox_row(rows[0]) if rows else None

    def outbox_rows(self, status: str | None = None, limit: int = 100) -> list[dict]:
        """Outbox rows in the order they were queued, optionally of one status."""
        if status is None:
            query = self.db.query("SELECT * FROM outbox ORDER BY id LIMIT ?", [limit])
        else:
            query = self.db.query(
                "SELECT * FROM outbox WHERE status = ? ORDER BY id LIMIT ?",
                [status, limit],
            )
        return [_outbox_row(row) for row in query]

    def due_outbox(self, now: str, limit: int = 100) -> list[dict]:
        """Pending or retry rows whose ``next_attempt`` is at or before ``now``."""
        query = self.db.query(
            "SELECT * FROM outbox WHERE status IN ('pending', 'retry') "
            "AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
            [now, limit],
        )
        return [_outbox_row(row) for row in query]

    def count_outbox_by(
        self, kind: str | None = None, status: str | None = None
    ) -> dict[tuple[str, str], int]:
        """Outbox row counts by (kind, status), optionally for one kind or status."""
        rows = self._run(
            "SELECT kind, status, count(*) FROM outbox "
            "WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR status = ?2) "
            "GROUP BY kind, status ORDER BY kind, status",
            (kind, status),
        )
        return {(k, s): n for k, s, n in rows}

    # Rejected input.

    def add_reject(
        self,
        source: str,
        line: int | None,
        reason: str,
        raw: str,
        received: str | None = None,
    ) -> int | None:
        """Record input that was refused: where it came from, why, and its text.

        The same refusal (source, line and text) is recorded once, so replaying
        a file again adds no rejects; returns None when it was already there.
        """
        self._writable()
        key = hashlib.sha256(f"{source}\x1f{line}\x1f{raw}".encode()).hexdigest()
        cursor = self._run(
            "INSERT INTO rejects (source, line, reason, raw, received, key) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (source, line, reason, raw, received or utc_now(), key),
        )
        return cursor.lastrowid if cursor.rowcount > 0 else None

    def rejects(
        self, source: str | None = None, limit: int | None = None
    ) -> list[dict]:
        """Stored rejects in the order they arrived, optionally from one source."""
        query = self.db.query(
            "SELECT * FROM rejects WHERE (?1 IS NULL OR source = ?1) ORDER BY id "
            "LIMIT coalesce(?2, -1)",
            [source, limit],
        )
        return list(query)

    def count_rejects(self) -> int:
        """How many rejects are stored."""
        return self._run("SELECT count(*) FROM rejects").fetchone()[0]

    # Rule statistics and once-per firings.

    def add_rule_stats(self, stats: Mapping[str, Mapping[str, Any]]) -> None:
        """Add counters to each rule's stored totals: ``{rule_id: {field: n}}``.

        Fields are evaluations, matches, errors, type_warnings and time_ns (a
        missing one adds 0); ``last_fired`` keeps the later of stored and given;
        ``last_error`` (text) replaces the stored one when given.
        """
        self._writable()
        params = [
            self._stat_params(rule_id, counters) for rule_id, counters in stats.items()
        ]
        if self._trace is not None:
            self._trace(_ADD_RULE_STATS, params)
        self.conn.executemany(_ADD_RULE_STATS, params)

    @staticmethod
    def _stat_params(rule_id: str, counters: Mapping[str, Any]) -> tuple:
        """One rule's counters as the upsert's parameters, refusing unknown names."""
        unknown = sorted(set(counters) - {*_STAT_FIELDS, "last_fired", "last_error"})
        if unknown:
            raise StoreError(
                f"rule {rule_id}: unknown statistic(s) {', '.join(unknown)}"
            )
        numbers = tuple(int(counters.get(name, 0)) for name in _STAT_FIELDS)
        return (
            rule_id,
            *numbers,
            counters.get("last_fired"),
            counters.get("last_error"),
        )

    def rule_stats(self) -> list[dict]:
        """Every rule's stored statistics, by rule id."""
        return list(self.db.query("SELECT * FROM rule_stats ORDER BY rule_id"))

    def get_fired(self, rule_id: str, scope: str, scope_id: str) -> str | None:
        """When the rule last fired for this profile or session, or None."""
        found = self._run(
            "SELECT time FROM rule_fired "
            "WHERE rule_id = ? AND scope = ? AND scope_id = ?",
            (rule_id, scope, scope_id),
        ).fetchone()
        return found[0] if found else None

    def fired_times(
        self, scope: str, scope_id: str, rule_ids: tuple[str, ...]
    ) -> dict[str, str]:
        """When each of ``rule_ids`` last fired for one profile or session."""
        found: dict[str, str] = {}
        for start in range(0, len(rule_ids), 500):
            chunk = rule_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._run(
                f"SELECT rule_id, time FROM rule_fired WHERE rule_id IN ({marks}) "
                "AND scope = ? AND scope_id = ?",
                (*chunk, scope, scope_id),
            )
            found.update(rows)
        return found

    def set_fired(self, rule_id: str, scope: str, scope_id: str, time: str) -> None:
        """Record that the rule fired for this profile or session at ``time``."""
        self._writable()
        self._run(_SET_FIRED, (rule_id, scope, scope_id, time))
