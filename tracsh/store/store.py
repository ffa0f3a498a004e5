"""The Store: one SQLite file holding profiles, sessions, the event log and the outbox.

The engine calls it once per event inside a shared transaction (group commit), so
the hot paths (profiles, sessions, events) run prepared SQL straight on the
connection; schema work and the less frequent reads go through sqlite-utils. The
CLI and the console open the same file read-only to watch a running daemon.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from tracsh.lang.sql.functions import install_functions
from tracsh.store import schema
from tracsh.store.deliveries import DeliveryMixin
from tracsh.store.documents import encode_doc
from tracsh.store.errors import ReadOnlyError, StoreError
from tracsh.store.journeys import JourneysMixin
from tracsh.store.lookups import LookupsMixin
from tracsh.store.people import PeopleMixin
from tracsh.store.records import OUTBOX_STATUSES, RecordsMixin
from tracsh.store.timers import TimersMixin

Tracer = Callable[[str, Any], None]
"""Called with each SQL statement and its parameters before it runs."""

_PUT_PROFILE = (
    "INSERT INTO profiles (id, doc, created, updated) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, "
    "created = excluded.created, updated = excluded.updated"
)
_SELF_ALIAS = "INSERT OR IGNORE INTO aliases (alias, profile_id) VALUES (?, ?)"
_GET_PROFILE = (
    "SELECT p.doc FROM aliases AS a JOIN profiles AS p ON p.id = a.profile_id "
    "WHERE a.alias = ?"
)
_PUT_SESSION = (
    "INSERT INTO sessions (id, profile_id, doc, started, last_seen) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "profile_id = excluded.profile_id, doc = excluded.doc, "
    "started = excluded.started, last_seen = excluded.last_seen"
)
_APPEND_EVENT = (
    "INSERT INTO events "
    "(id, type, time, received, profile_id, session_id, source_id, doc) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
_PROFILE_EVENTS = (
    "SELECT seq, doc FROM events WHERE seq > ? AND profile_id IN "
    "(SELECT alias FROM aliases WHERE profile_id = ? UNION SELECT ?) "
    "ORDER BY seq LIMIT ?"
)
_ALL_EVENTS = "SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
_PAGE = 1000


def _ref_id(ref: Any) -> Any:
    """The id inside an event's ``{"id": …}`` reference (or a bare id, or None)."""
    if isinstance(ref, dict):
        return ref.get("id")
    return ref


def _connect(path: str | Path, readonly: bool) -> sqlite3.Connection:
    """Open the connection in autocommit mode; transactions are ours to begin."""
    options = {"isolation_level": None, "check_same_thread": False, "timeout": 5.0}
    if str(path) == ":memory:":
        if readonly:
            raise StoreError("a :memory: store cannot be opened read-only")
        return sqlite3.connect(":memory:", **options)
    file = Path(path)
    if readonly and not file.exists():
        raise StoreError(f"{path}: no such database to open read-only")
    try:
        if readonly:
            uri = f"{file.resolve().as_uri()}?{_read_only_mode(file)}"
            return sqlite3.connect(uri, uri=True, **options)
        return sqlite3.connect(file, **options)
    except sqlite3.Error as err:
        raise StoreError(f"{path}: cannot open the database: {err}") from err


def _is_locked(err: sqlite3.Error) -> bool:
    """Whether another process held the database past the connection's wait."""
    return isinstance(err, sqlite3.OperationalError) and "locked" in str(err)


def _locked(path: object) -> StoreError:
    return StoreError(
        f"{path}: the database is locked: another process is writing to it (a "
        "daemon, a console or a replay); wait for it to finish or stop it"
    )


def _read_only_mode(file: Path) -> str:
    """The URI parameter for reading ``file`` without writing anything.

    ``mode=ro`` still creates the WAL's shared-memory file beside the database,
    which read-only media refuse. There, when no unfinished WAL holds changes,
    the file is the whole database and ``immutable=1`` reads it safely; with a
    WAL present the plain mode is kept (and fails clearly) rather than reading
    stale data.
    """
    wal = Path(f"{file}-wal")
    has_changes = wal.exists() and wal.stat().st_size > 0
    if not os.access(file.parent, os.W_OK) and not has_changes:
        return "immutable=1"
    return "mode=ro"


def _event_row(event: dict) -> tuple:
    """The events table's values for one event; refuses one without id or type."""
    event_id, event_type = event.get("id"), event.get("type")
    if not event_id or not isinstance(event_type, str):
        raise StoreError(f"event needs an id and a text type: {event_id!r}")
    return (
        event_id,
        event_type,
        event.get("time"),
        event.get("received"),
        _ref_id(event.get("profile")),
        _ref_id(event.get("session")),
        _ref_id(event.get("source")),
        encode_doc(event, f"event {event_id}"),
    )


class Store(
    RecordsMixin,
    DeliveryMixin,
    TimersMixin,
    PeopleMixin,
    JourneysMixin,
    LookupsMixin,
):
    """A tracsh database. Not safe for concurrent use from several threads at once.

    Open with :meth:`Store.open`; close with :meth:`close` or a ``with`` block.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: str | Path,
        *,
        readonly: bool = False,
        tracer: Tracer | None = None,
    ) -> None:
        self.path = path
        """Where the database lives, as given to open (``":memory:"`` in memory)."""
        self.readonly = readonly
        """True when opened with ``readonly=True``; writes raise ReadOnlyError."""
        self.conn = conn
        """The sqlite3 connection, in autocommit mode outside transaction()."""
        self.db = sqlite_utils.Database(conn, tracer=tracer, execute_plugins=False)
        """sqlite-utils over the same connection, for ad-hoc queries."""
        self._trace = tracer
        self._depth = 0

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        readonly: bool = False,
        tracer: Tracer | None = None,
        synchronous: str = "normal",
    ) -> Store:
        """Open (creating and migrating when writable) the database at ``path``.

        ``synchronous`` is ``"normal"`` (the default) or ``"full"``; see
        docs/config.md for the trade-off. ``tracer`` sees every SQL statement.
        """
        conn = _connect(path, readonly)
        try:
            store = cls(conn, path, readonly=readonly, tracer=tracer)
            store._prepare(synchronous)
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self, synchronous: str) -> None:
        """Set the pragmas and bring the schema up to date (or check it, read-only)."""
        if synchronous not in ("normal", "full"):
            raise StoreError(
                f'synchronous: expected "normal" or "full", got {synchronous!r}'
            )
        # Conditions written as SQL (tracsh.lang.sql) call these functions.
        install_functions(self.conn)
        if self.readonly:
            self._run("PRAGMA query_only = ON")
            self._check_readonly_schema()
            return
        try:
            # WAL lets a read-only watcher read while the engine writes; with
            # WAL, synchronous=NORMAL syncs only at checkpoints: a power cut may
            # lose the last commits but never corrupts the file, and a crash of
            # the process alone loses nothing. "full" syncs on every commit.
            self._run("PRAGMA journal_mode = WAL")
            self._run(f"PRAGMA synchronous = {synchronous.upper()}")
            schema.migrate(self.db)
        except StoreError:
            raise
        except sqlite3.DatabaseError as err:
            if _is_locked(err):
                raise _locked(self.path) from err
            raise StoreError(
                f"{self.path}: cannot use this file as a tracsh database: {err}"
            ) from err

    def _check_readonly_schema(self) -> None:
        """A read-only store cannot migrate, so it must already be current."""
        try:
            version = schema.current_version(self.db)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: cannot read the database: {err}") from err
        schema.pending(version)
        if version < schema.LATEST:
            raise StoreError(
                f"{self.path}: the database has schema v{version}, older than "
                f"v{schema.LATEST}; a read-only command cannot migrate it: run a "
                f"writing one once, e.g. `tracsh segment refresh --db {self.path}`"
            )

    def close(self) -> None:
        """Close the connection; an open transaction is rolled back."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Plumbing shared by every method.

    def _run(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Execute one statement on the connection, telling the tracer first."""
        if self._trace is not None:
            self._trace(sql, params)
        try:
            return self.conn.execute(sql, params)
        except sqlite3.OperationalError as err:
            if _is_locked(err):
                raise _locked(self.path) from err
            raise

    def _run_many(self, sql: str, rows: list[tuple]) -> None:
        """Execute one statement for many parameter rows, telling the tracer once."""
        if not rows:
            return
        if self._trace is not None:
            self._trace(sql, rows)
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.OperationalError as err:
            if _is_locked(err):
                raise _locked(self.path) from err
            raise

    def _writable(self) -> None:
        """Refuse a write on a read-only store with an error that says so."""
        if self.readonly:
            raise ReadOnlyError(f"{self.path}: the store is open read-only")

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group writes in one BEGIN IMMEDIATE … COMMIT; roll back on an exception.

        Nested use joins the outer transaction: only the outermost block commits,
        and an exception that leaves an inner block rolls back when it leaves the
        outer one (catching it in between keeps the inner block's writes).
        """
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._writable()
        self._run("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
            self._run("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self._run("ROLLBACK")
            raise
        finally:
            self._depth = 0

    @property
    def schema_version(self) -> int:
        """The schema version recorded in meta."""
        return schema.current_version(self.db)

    # Profiles and aliases.

    def resolve_profile_id(self, any_id: str) -> str | None:
        """The id of the profile that answers to ``any_id`` (own id or alias)."""
        row = self._run("SELECT profile_id FROM aliases WHERE alias = ?", (any_id,))
        found = row.fetchone()
        if found is not None:
            return found[0]
        row = self._run("SELECT id FROM profiles WHERE id = ?", (any_id,)).fetchone()
        return row[0] if row else None

    def get_profile(self, any_id: str) -> dict | None:
        """The profile document that answers to ``any_id``, or None."""
        found = self._run(_GET_PROFILE, (any_id,)).fetchone()
        if found is None:
            found = self._run(
                "SELECT doc FROM profiles WHERE id = ?", (any_id,)
            ).fetchone()
        return json.loads(found[0]) if found else None

    def put_profile(self, doc: dict) -> None:
        """Insert or replace a profile by ``doc["id"]``; its own id becomes an alias.

        The ``created`` and ``updated`` columns are copied from the document.
        """
        self._writable()
        profile_id = doc.get("id")
        if not isinstance(profile_id, str) or not profile_id:
            raise StoreError(f"profile has no text id: {profile_id!r}")
        text = encode_doc(doc, f"profile {profile_id}")
        self._run(
            _PUT_PROFILE, (profile_id, text, doc.get("created"), doc.get("updated"))
        )
        self._run(_SELF_ALIAS, (profile_id, profile_id))

    def put_profiles(self, docs: list[dict]) -> None:
        """Insert or replace many profiles in one statement (see put_profile)."""
        self._writable()
        rows, aliases = [], []
        for doc in docs:
            profile_id = doc.get("id")
            if not isinstance(profile_id, str) or not profile_id:
                raise StoreError(f"profile has no text id: {profile_id!r}")
            text = encode_doc(doc, f"profile {profile_id}")
            rows.append((profile_id, text, doc.get("created"), doc.get("updated")))
            aliases.append((profile_id, profile_id))
        self._run_many(_PUT_PROFILE, rows)
        self._run_many(_SELF_ALIAS, aliases)

    def add_alias(self, alias: str, profile_id: str) -> None:
        """Make ``alias`` resolve to ``profile_id`` (repointing it when it existed)."""
        self._writable()
        self._run(
            "INSERT INTO aliases (alias, profile_id) VALUES (?, ?) "
            "ON CONFLICT (alias) DO UPDATE SET profile_id = excluded.profile_id",
            (alias, profile_id),
        )

    def aliases_of(self, profile_id: str) -> list[str]:
        """Every id that resolves to ``profile_id``, its own included, sorted."""
        rows = self._run(
            "SELECT alias FROM aliases WHERE profile_id = ? ORDER BY alias",
            (profile_id,),
        )
        return [alias for (alias,) in rows]

    def delete_profile(self, profile_id: str) -> bool:
        """Remove a profile row (after a merge); its aliases and events stay."""
        self._writable()
        cursor = self._run("DELETE FROM profiles WHERE id = ?", (profile_id,))
        return cursor.rowcount > 0

    def profile_ids(self) -> list[str]:
        """Every profile id, sorted."""
        return [pid for (pid,) in self._run("SELECT id FROM profiles ORDER BY id")]

    def iter_profiles(self) -> Iterator[dict]:
        """Every profile document in id order, read a page at a time."""
        last = ""
        while True:
            rows = self._run(
                "SELECT id, doc FROM profiles WHERE id > ? ORDER BY id LIMIT ?",
                (last, _PAGE),
            ).fetchall()
            for _, doc in rows:
                yield json.loads(doc)
            if len(rows) < _PAGE:
                return
            last = rows[-1][0]

    def count_profiles(self) -> int:
        """How many profiles are stored."""
        return self._run("SELECT count(*) FROM profiles").fetchone()[0]

    # Sessions.

    def get_session(self, session_id: str) -> dict | None:
        """The session document, or None."""
        found = self._run("SELECT doc FROM sessions WHERE id = ?", (session_id,))
        row = found.fetchone()
        return json.loads(row[0]) if row else None

    def put_session(self, doc: dict) -> None:
        """Insert or replace a session by ``doc["id"]``; ``profile.id`` is indexed."""
        self._writable()
        session_id = doc.get("id")
        if not isinstance(session_id, str) or not session_id:
            raise StoreError(f"session has no text id: {session_id!r}")
        text = encode_doc(doc, f"session {session_id}")
        params = (
            session_id,
            _ref_id(doc.get("profile")),
            text,
            doc.get("started"),
            doc.get("last_seen"),
        )
        self._run(_PUT_SESSION, params)

    def put_sessions(self, docs: list[dict]) -> None:
        """Insert or replace many sessions in one statement (see put_session)."""
        self._writable()
        rows = []
        for doc in docs:
            session_id = doc.get("id")
            if not isinstance(session_id, str) or not session_id:
                raise StoreError(f"session has no text id: {session_id!r}")
            text = encode_doc(doc, f"session {session_id}")
            profile_id = _ref_id(doc.get("profile"))
            rows.append(
                (session_id, profile_id, text, doc.get("started"), doc.get("last_seen"))
            )
        self._run_many(_PUT_SESSION, rows)

    def profile_sessions(self, profile_id: str) -> list[dict]:
        """The sessions stored for ``profile_id``, most recently seen first."""
        rows = self._run(
            "SELECT doc FROM sessions WHERE profile_id = ? ORDER BY last_seen DESC",
            (profile_id,),
        )
        return [json.loads(doc) for (doc,) in rows]

    def count_sessions(self) -> int:
        """How many sessions are stored."""
        return self._run("SELECT count(*) FROM sessions").fetchone()[0]

    # The event log.

    def has_event(self, event_id: str) -> bool:
        """Whether an event with this id is already in the log."""
        found = self._run("SELECT 1 FROM events WHERE id = ?", (event_id,))
        return found.fetchone() is not None

    def stored_events(self, event_ids: list[str]) -> set[str]:
        """Which of ``event_ids`` are already in the log (one query per 500 ids)."""
        found: set[str] = set()
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._run(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
            found.update(event_id for (event_id,) in rows)
        return found

    def event_refs(self, event_id: str) -> tuple[str | None, str | None] | None:
        """The stored event's profile and session ids, or None when it is not stored.

        The profile id is the one it answers to now (merges move it); an event
        stored without ids gives None for them.
        """
        row = self._run(
            "SELECT e.profile_id, e.session_id, a.profile_id FROM events AS e "
            "LEFT JOIN aliases AS a ON a.alias = e.profile_id WHERE e.id = ?",
            (event_id,),
        ).fetchone()
        if row is None:
            return None
        stored_profile, session_id, current = row
        return current or stored_profile, session_id

    def append_events(self, events: list[dict]) -> None:
        """Append many events in one statement; ids already stored are skipped."""
        self._writable()
        self._run_many(_APPEND_EVENT, [_event_row(event) for event in events])

    def append_event(self, event: dict) -> int | None:
        """Append an event; its ``seq``, or None when its id is already stored.

        ``seq`` only grows, but a refused duplicate uses up a number, so the log
        has gaps; read positions must compare, not count.
        """
        self._writable()
        cursor = self._run(_APPEND_EVENT, _event_row(event))
        return cursor.lastrowid if cursor.rowcount > 0 else None

    def iter_events(
        self, profile_id: str | None = None, after_seq: int = 0
    ) -> Iterator[dict]:
        """Events in log order after ``after_seq``, each with its ``seq`` added.

        With ``profile_id``, only that profile's events, including those stored
        under any id that now resolves to it (ids merged into it). Rows are read
        a page at a time, so writes in between are safe.
        """
        last = after_seq
        while True:
            if profile_id is None:
                params: tuple = (last, _PAGE)
                rows = self._run(_ALL_EVENTS, params).fetchall()
            else:
                params = (last, profile_id, profile_id, _PAGE)
                rows = self._run(_PROFILE_EVENTS, params).fetchall()
            for last, doc in rows:
                event = json.loads(doc)
                event["seq"] = last
                yield event
            if len(rows) < _PAGE:
                return

    def count_events(self) -> int:
        """How many events are in the log."""
        return self._run("SELECT count(*) FROM events").fetchone()[0]

    def last_seq(self) -> int:
        """The highest ``seq`` in the log, 0 when it is empty."""
        return self._run("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]

    # Read positions in the log, kept in meta.

    def get_position(self, name: str) -> int:
        """The stored read position called ``name``; 0 when never set."""
        found = self._run("SELECT value FROM meta WHERE key = ?", (f"position:{name}",))
        row = found.fetchone()
        return int(row[0]) if row else 0

    def set_position(self, name: str, seq: int) -> None:
        """Store the read position ``name`` (commit it with the work it covers)."""
        self._writable()
        self._run(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (f"position:{name}", str(int(seq))),
        )

    # Figures for tracsh stats.

    def segment_sizes(self) -> dict[str, int]:
        """How many profiles are in each segment, by segment name."""
        rows = self._run(
            "SELECT s.value, count(*) FROM profiles AS p, "
            "json_each(p.doc, '$.segments') AS s GROUP BY s.value ORDER BY s.value"
        )
        return {name: size for name, size in rows}

    def totals(self) -> dict[str, int]:
        """Row counts for tracsh stats: each table, and the outbox by status."""
        figures = {
            "profiles": self.count_profiles(),
            "aliases": self._count("aliases"),
            "sessions": self.count_sessions(),
            "events": self.count_events(),
            "rejects": self._count("rejects"),
            "outbox": self._count("outbox"),
            "rules": self._count("rule_stats"),
            "timers": self._count("timers"),
        }
        for status in OUTBOX_STATUSES:
            figures[f"outbox_{status}"] = 0
        for status, count in self._run(
            "SELECT status, count(*) FROM outbox GROUP BY status"
        ):
            figures[f"outbox_{status}"] = count
        return figures

    def _count(self, table: str) -> int:
        """Rows in one of the store's own tables."""
        if table not in schema.TABLES:
            raise StoreError(f"no such table: {table}")
        return self._run(f"SELECT count(*) FROM {table}").fetchone()[0]
