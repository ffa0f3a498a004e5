"""The store's delivery bookkeeping: claiming outbox rows, attempts, endpoints, cache.

Mixed into :class:`tracsh.store.Store`. The delivery worker claims due rows in
one short write transaction (so two workers never send the same row at once),
records every attempt, and keeps which endpoints are disabled and what HTTP
enrichers answered. ``tracsh outbox retry`` and ``tracsh webhook`` use it too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from tracsh.store.documents import encode_doc
from tracsh.store.records import _outbox_row

ROUTED_BY_TARGET = ("webhook", "enrich")
"""Kinds whose endpoint is the row's target; messages go by their kind alone."""

_DUE = (
    "((status IN ('pending', 'retry') AND next_attempt <= :now) "
    "OR (status = 'sending' AND next_attempt <= :now))"
)
_ENDPOINT = "CASE WHEN kind IN ('webhook', 'enrich') THEN target END"
_NOT_SKIPPED = "id NOT IN (SELECT value FROM json_each(:skip))"


class DeliveryMixin:
    """Outbox claims, attempt records, disabled endpoints and the enricher cache."""

    db: sqlite_utils.Database

    def due_endpoints(
        self, now: str, skip: Sequence[int] = ()
    ) -> dict[tuple[str, str | None], int]:
        """How many rows are due at ``now`` per endpoint: (kind, target or None).

        A row left ``sending`` by a worker that stopped is due again once its
        lease (kept in ``next_attempt``) has run out. Rows whose ids are in
        ``skip`` (attempted already in this drain) are not counted.
        """
        rows = self._run(
            f"SELECT kind, {_ENDPOINT}, count(*) FROM outbox WHERE {_DUE} "
            f"AND {_NOT_SKIPPED} GROUP BY 1, 2",
            {"now": now, "skip": json.dumps(list(skip))},
        )
        return {(kind, target): count for kind, target, count in rows}

    def next_due(self) -> str | None:
        """The earliest ``next_attempt`` of any row still to be sent."""
        row = self._run(
            "SELECT min(next_attempt) FROM outbox "
            "WHERE status IN ('pending', 'retry', 'sending')"
        ).fetchone()
        return row[0]

    def claim_outbox(
        self,
        endpoint: tuple[str, str | None],
        now: str,
        lease: str,
        limit: int,
        skip: Sequence[int] = (),
    ) -> list[dict]:
        """Mark up to ``limit`` due rows of one endpoint ``sending`` and return them.

        Each claimed row's ``next_attempt`` becomes ``lease``: if the worker dies,
        the row is due again then. ``attempts`` is not touched: an attempt is
        counted when it is recorded (:meth:`finish_attempt`), so an attempt that
        never ended is not counted, and a row never goes past the configured
        number. Rows whose ids are in ``skip`` are left alone.
        """
        kind, target = endpoint
        with self.transaction():
            rows = [
                _outbox_row(row)
                for row in self.db.query(
                    f"SELECT * FROM outbox WHERE kind = :kind AND {_DUE} "
                    "AND (:target IS NULL OR target = :target) "
                    f"AND {_NOT_SKIPPED} ORDER BY next_attempt, id LIMIT :limit",
                    {
                        "kind": kind,
                        "target": target,
                        "now": now,
                        "limit": limit,
                        "skip": json.dumps(list(skip)),
                    },
                )
            ]
            for row in rows:
                row.update(status="sending", next_attempt=lease)
                self._run(
                    "UPDATE outbox SET status = 'sending', next_attempt = ?, "
                    "updated = ? WHERE id = ?",
                    (lease, now, row["id"]),
                )
        return rows

    def finish_attempt(
        self, row_id: int, changes: Mapping[str, Any], attempt: Mapping[str, Any]
    ) -> bool:
        """Record one attempt and the row's new state in one transaction.

        ``attempt`` holds attempt, started, finished, outcome, status and error.
        Only a row still ``sending`` changes: a row deleted meanwhile, or finished
        by another worker after this one's lease ran out, gets no record. True
        when the row was recorded.
        """
        with self.transaction():
            if not self.is_claimed(row_id):
                return False
            self.update_outbox(row_id, changes)
            self._record_attempt(row_id, attempt)
        return True

    def is_claimed(self, row_id: int) -> bool:
        """Whether the row is still there and ``sending`` (claimed by a worker)."""
        found = self._run(
            "SELECT 1 FROM outbox WHERE id = ? AND status = 'sending'", (row_id,)
        ).fetchone()
        return found is not None

    def release_outbox(
        self, ids: Sequence[int], now: str, attempt: Mapping[str, Any] | None = None
    ) -> int:
        """Make claimed rows due again at ``now`` without counting an attempt.

        For attempts cut short when the worker is stopped (Ctrl-C): each row goes
        back to ``retry`` (``pending`` when it was never attempted), and
        ``attempt``, when given, is recorded for each. Returns the rows released.
        """
        released = 0
        with self.transaction():
            for row_id in ids:
                cursor = self._run(
                    "UPDATE outbox SET status = CASE WHEN attempts > 0 THEN 'retry' "
                    "ELSE 'pending' END, next_attempt = ?, updated = ? "
                    "WHERE id = ? AND status = 'sending'",
                    (now, now, row_id),
                )
                if cursor.rowcount and attempt is not None:
                    self._record_attempt(row_id, attempt)
                released += cursor.rowcount
        return released

    def _record_attempt(self, row_id: int, attempt: Mapping[str, Any]) -> None:
        self._run(
            "INSERT INTO delivery_attempts (outbox_id, attempt, started, "
            "finished, outcome, status, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row_id,
                attempt["attempt"],
                attempt["started"],
                attempt["finished"],
                attempt["outcome"],
                attempt.get("status"),
                attempt.get("error"),
            ),
        )

    def delivery_attempts(self, row_id: int) -> list[dict]:
        """Every recorded attempt of one outbox row, oldest first."""
        return list(
            self.db.query(
                "SELECT attempt, started, finished, outcome, status, error "
                "FROM delivery_attempts WHERE outbox_id = ? ORDER BY id",
                [row_id],
            )
        )

    def requeue_outbox(
        self, now: str, ids: list[int] | None = None, status: str | None = None
    ) -> list[int]:
        """Make rows due again with a fresh count of attempts; their ids.

        Rows are chosen by ``ids`` or by ``status``; only dead, failed and retry
        rows move: sent and skipped rows are done.
        """
        where, params = "status IN ('dead', 'failed', 'retry')", []
        if ids is not None:
            where += f" AND id IN ({', '.join('?' for _ in ids)})"
            params += ids
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        with self.transaction():
            found = [
                i for (i,) in self._run(f"SELECT id FROM outbox WHERE {where}", params)
            ]
            self._run(
                f"UPDATE outbox SET status = 'pending', attempts = 0, "
                f"next_attempt = ?, updated = ? WHERE {where}",
                [now, now, *params],
            )
        return found

    # Endpoints a receiver has told us to stop calling (HTTP 410).

    def set_endpoint(self, kind: str, name: str, disabled: bool, reason: str, now: str):
        """Disable (or enable) an endpoint, with the reason shown to people."""
        self._run(
            "INSERT INTO endpoints (kind, name, disabled, reason, updated) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET "
            "disabled = excluded.disabled, reason = excluded.reason, "
            "updated = excluded.updated",
            (kind, name, int(disabled), reason, now),
        )

    def disabled_endpoints(self) -> dict[tuple[str, str], str]:
        """Disabled endpoints and why: ``{(kind, name): reason}``."""
        rows = self._run("SELECT kind, name, reason FROM endpoints WHERE disabled")
        return {(kind, name): reason for kind, name, reason in rows}

    def endpoint_states(self) -> list[dict]:
        """Every endpoint with a recorded state."""
        return list(self.db.query("SELECT * FROM endpoints ORDER BY kind, name"))

    # What HTTP enrichers answered, for their time to live.

    def cached_answer(self, enricher: str, key: str, now: str) -> Any:
        """The cached answer for ``key`` if it has not expired, else None."""
        row = self._run(
            "SELECT value FROM enricher_cache WHERE enricher = ? AND key = ? "
            "AND expires > ?",
            (enricher, key, now),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def cache_answer(
        self, enricher: str, key: str, value: Any, expires: str, now: str
    ) -> None:
        """Keep an enricher's answer until ``expires``; drop answers expired at ``now``.

        Answers are about people (the key is a URL rendered from a profile), so
        none is kept past its time to live. ``tracsh profile forget`` finds a
        person's answers through the URLs of their enrich rows.
        """
        text = encode_doc(value, f"enricher {enricher} answer")
        self._run("DELETE FROM enricher_cache WHERE expires <= ?", (now,))
        self._run(
            "INSERT OR REPLACE INTO enricher_cache (enricher, key, value, expires) "
            "VALUES (?, ?, ?, ?)",
            (enricher, key, text, expires),
        )
