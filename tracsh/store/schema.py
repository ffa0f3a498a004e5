"""The store's tables and the ordered migrations that bring any database up to date.

``Store.open`` calls :func:`migrate`; a migration is a function over a
``sqlite_utils.Database`` that runs inside the transaction that also records the
new ``schema_version`` in ``meta``, so a failed step leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from tracsh.store.errors import StoreError

TABLES = (
    "meta",
    "profiles",
    "aliases",
    "sessions",
    "events",
    "outbox",
    "rejects",
    "rule_stats",
    "rule_fired",
    "delivery_attempts",
    "endpoints",
    "enricher_cache",
    "timers",
)
"""Every table the store owns, in creation order."""

_V1_TABLES = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE profiles (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    created TEXT,
    updated TEXT
);
CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    profile_id TEXT,
    doc TEXT NOT NULL,
    started TEXT,
    last_seen TEXT
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    time TEXT,
    received TEXT,
    profile_id TEXT,
    session_id TEXT,
    source_id TEXT,
    doc TEXT NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    target TEXT,
    recipient TEXT,
    args TEXT,
    event_id TEXT,
    rule_id TEXT,
    profile_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT,
    last_status TEXT,
    created TEXT,
    updated TEXT,
    rendered TEXT
);
CREATE TABLE rejects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT,
    line INTEGER,
    reason TEXT NOT NULL,
    raw TEXT,
    received TEXT
);
CREATE TABLE rule_stats (
    rule_id TEXT PRIMARY KEY,
    evaluations INTEGER NOT NULL DEFAULT 0,
    matches INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    type_warnings INTEGER NOT NULL DEFAULT 0,
    time_ns INTEGER NOT NULL DEFAULT 0,
    last_fired TEXT
);
CREATE TABLE rule_fired (
    rule_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    scope_id TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (rule_id, scope, scope_id)
) WITHOUT ROWID;
"""


def _create_tables(db: sqlite_utils.Database) -> None:
    """v1: the tables of docs/architecture.md, with their keys and nothing more."""
    for statement in _V1_TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


_V2_INDEXES = (
    ("events", ["profile_id", "time"], "events_profile_time"),
    ("events", ["type", "time"], "events_type_time"),
    ("outbox", ["status", "next_attempt"], "outbox_status_next_attempt"),
    ("outbox", ["event_id"], "outbox_event"),
    ("sessions", ["profile_id", "last_seen"], "sessions_profile_last_seen"),
    ("aliases", ["profile_id"], "aliases_profile"),
)


def _create_indexes(db: sqlite_utils.Database) -> None:
    """v2: the indexes the engine's reads need (history, workers, merges)."""
    for table, columns, name in _V2_INDEXES:
        db[table].create_index(columns, index_name=name, if_not_exists=True)


_V3_DELIVERY = """
CREATE TABLE IF NOT EXISTS delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS delivery_attempts_outbox
    ON delivery_attempts (outbox_id, attempt);
CREATE TABLE IF NOT EXISTS endpoints (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    updated TEXT,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS enricher_cache (
    enricher TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires TEXT NOT NULL,
    PRIMARY KEY (enricher, key)
) WITHOUT ROWID;
"""


def _create_delivery_tables(db: sqlite_utils.Database) -> None:
    """v4: delivery bookkeeping (self-contained: it only creates new tables)."""
    for statement in _V3_DELIVERY.split(";"):
        if statement.strip():
            db.execute(statement)


_V5_TIMERS = """
CREATE TABLE IF NOT EXISTS timers (
    key TEXT PRIMARY KEY,
    due TEXT NOT NULL,
    profile_id TEXT,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    created TEXT
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due, key);
CREATE INDEX IF NOT EXISTS timers_profile ON timers (profile_id);
"""


def _create_timers(db: sqlite_utils.Database) -> None:
    """v5: timers, the internal events that fall due later (journey steps and
    ``emit … in/at``). Self-contained: it only adds the table and its indexes."""
    for statement in _V5_TIMERS.split(";"):
        if statement.strip():
            db.execute(statement)


@dataclass(frozen=True)
class Migration:
    """One step: the version it produces, what it does, and the function."""

    version: int
    summary: str
    apply: Callable[[sqlite_utils.Database], None]


def _errors_and_reject_keys(db: sqlite_utils.Database) -> None:
    """v3: each rule's last error text; rejects keyed so a replay adds none twice.

    Self-contained: it only adds a column to rule_stats and a keyed column with
    its unique index to rejects (existing rejects keep a null key).
    """
    db.execute("ALTER TABLE rule_stats ADD COLUMN last_error TEXT")
    db.execute("ALTER TABLE rejects ADD COLUMN key TEXT")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS rejects_key ON rejects (key)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create the tables", _create_tables),
    Migration(2, "index events, outbox, sessions and aliases", _create_indexes),
    Migration(3, "keep rules' last errors; key rejects", _errors_and_reject_keys),
    Migration(
        4,
        "delivery attempts, disabled endpoints and the enricher cache "
        "(new tables only; safe to renumber)",
        _create_delivery_tables,
    ),
    Migration(
        5,
        "timers for journey steps and scheduled events "
        "(a new table only; safe to renumber)",
        _create_timers,
    ),
)
"""Every migration in order; the last one's version is the code's schema version."""

LATEST = MIGRATIONS[-1].version


def current_version(db: sqlite_utils.Database) -> int:
    """The database's schema version: 0 for an empty file; refuses foreign files."""
    tables = set(db.table_names())
    if "meta" not in tables:
        foreign = sorted(tables - {"sqlite_sequence"})
        if foreign:
            raise StoreError(
                f"not a tracsh database (it has tables {', '.join(foreign)} "
                "but no meta table); point store.path at another file"
            )
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise StoreError("the meta table has no schema_version; not a tracsh database")
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise StoreError(
            f"the schema_version in meta is {row[0]!r}, not a number; "
            "the file is damaged or not a tracsh database"
        ) from None


def pending(version: int) -> list[Migration]:
    """The migrations still to run on a database at ``version``; refuses newer."""
    if version > LATEST:
        raise StoreError(
            f"the database has schema v{version}, newer than this tracsh knows "
            f"(v{LATEST}); upgrade tracsh to open it"
        )
    return [step for step in MIGRATIONS if step.version > version]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the database up to LATEST, one transaction per step; return it.

    The version is read again inside each write transaction, so two processes
    opening a new file at once do not both run the same step.
    """
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = current_version(db)
            steps = pending(version)
            if steps:
                steps[0].apply(db)
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) "
                    "VALUES ('schema_version', ?)",
                    [str(steps[0].version)],
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if not steps:
            return version
