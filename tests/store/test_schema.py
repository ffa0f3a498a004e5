"""Schema versions: migrating an older file, refusing a newer or foreign one."""

import sqlite3

import pytest

from tracsh.store import SCHEMA_VERSION, Store, StoreError
from tracsh.store.schema import LATEST, MIGRATIONS

V1_BY_HAND = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE profiles (id TEXT PRIMARY KEY, doc TEXT NOT NULL, created TEXT,
    updated TEXT);
CREATE TABLE aliases (alias TEXT PRIMARY KEY, profile_id TEXT NOT NULL);
CREATE TABLE sessions (id TEXT PRIMARY KEY, profile_id TEXT, doc TEXT NOT NULL,
    started TEXT, last_seen TEXT);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, time TEXT, received TEXT, profile_id TEXT, session_id TEXT,
    source_id TEXT, doc TEXT NOT NULL);
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, target TEXT, recipient TEXT, args TEXT, event_id TEXT,
    rule_id TEXT, profile_id TEXT, status TEXT NOT NULL DEFAULT 'pending', reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT, last_status TEXT,
    created TEXT, updated TEXT, rendered TEXT);
CREATE TABLE rejects (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT, line INTEGER,
    reason TEXT NOT NULL, raw TEXT, received TEXT);
CREATE TABLE rule_stats (rule_id TEXT PRIMARY KEY,
    evaluations INTEGER NOT NULL DEFAULT 0, matches INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0, type_warnings INTEGER NOT NULL DEFAULT 0,
    time_ns INTEGER NOT NULL DEFAULT 0, last_fired TEXT);
CREATE TABLE rule_fired (rule_id TEXT NOT NULL, scope TEXT NOT NULL,
    scope_id TEXT NOT NULL, time TEXT NOT NULL,
    PRIMARY KEY (rule_id, scope, scope_id)) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO profiles VALUES ('p1', '{"id":"p1","visits":1}', 'c', 'u');
INSERT INTO aliases VALUES ('p1', 'p1');
INSERT INTO events (id, type, profile_id, doc)
    VALUES ('e1', 'view', 'p1', '{"id":"e1","type":"view"}');
"""


def write_v1(path):
    conn = sqlite3.connect(path)
    conn.executescript(V1_BY_HAND)
    conn.close()


def index_names(path):
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    names = {name for (name,) in rows if not name.startswith("sqlite_autoindex")}
    conn.close()
    return names


def test_the_migrations_are_numbered_in_order():
    assert [step.version for step in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_a_v1_database_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    write_v1(path)
    assert index_names(path) == set()
    with Store.open(path) as store:
        assert store.schema_version == LATEST
        assert store.get_profile("p1") == {"id": "p1", "visits": 1}
        assert store.append_event({"id": "e1", "type": "view"}) is None
        assert store.append_event({"id": "e2", "type": "view"}) > 1
    assert {
        "events_profile_time",
        "events_type_time",
        "outbox_status_next_attempt",
        "sessions_profile_last_seen",
    } <= index_names(path)


def test_the_engine_reads_use_the_indexes(tmp_path):
    with Store.open(tmp_path / "t.db") as store:
        plan = store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT seq FROM events WHERE profile_id = ? "
            "AND time > ?",
            ("p1", "2019"),
        ).fetchall()
    assert "events_profile_time" in " ".join(row[-1] for row in plan)


def test_a_read_only_open_of_an_old_database_asks_for_a_migration(tmp_path):
    path = tmp_path / "old.db"
    write_v1(path)
    with pytest.raises(
        StoreError,
        match=f"schema v1, older than v{LATEST}; a read-only command cannot migrate",
    ):
        Store.open(path, readonly=True)


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    message = f"schema v99, newer than this tracsh knows .v{LATEST}.; upgrade tracsh"
    with pytest.raises(StoreError, match=message):
        Store.open(path)
    with pytest.raises(StoreError, match=message):
        Store.open(path, readonly=True)


def test_a_foreign_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.close()
    with pytest.raises(StoreError, match="not a tracsh database .it has tables orders"):
        Store.open(path)
    conn = sqlite3.connect(path)
    tables = conn.execute("SELECT name FROM sqlite_master").fetchall()
    conn.close()
    assert tables == [("orders",)]


def test_opening_twice_does_not_migrate_twice(tmp_path):
    path = tmp_path / "t.db"
    Store.open(path).close()
    with Store.open(path) as again:
        assert again.schema_version == SCHEMA_VERSION
