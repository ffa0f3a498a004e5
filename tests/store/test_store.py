"""The Store against real SQLite files: round trips, idempotency, transactions."""

import sqlite3

import pytest

from tracsh.store import SCHEMA_VERSION, ReadOnlyError, Store, StoreError


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tracsh.db") as opened:
        yield opened


def profile(profile_id, **fields):
    doc = {
        "id": profile_id,
        "ids": [profile_id],
        "created": "2019-10-01T00:00:00+00:00",
    }
    doc["updated"] = "2019-10-01T00:05:00+00:00"
    doc.update(fields)
    return doc


def event(event_id, event_type="view", profile_id="p1", **fields):
    doc = {"id": event_id, "type": event_type, "time": "2019-10-01T00:00:00+00:00"}
    doc.update(profile={"id": profile_id}, session={"id": "s1"}, source={"id": "web"})
    doc.update(fields)
    return doc


def test_a_new_file_is_in_wal_mode_at_the_latest_schema(tmp_path, store):
    assert store.schema_version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_profile_round_trip_keeps_columns_in_sync(store):
    store.put_profile(profile("p1", traits={"name": "Ana"}))
    assert store.get_profile("p1")["traits"] == {"name": "Ana"}
    store.put_profile(profile("p1", updated="2020-01-01T00:00:00+00:00"))
    row = store.conn.execute("SELECT created, updated FROM profiles").fetchone()
    assert row == ("2019-10-01T00:00:00+00:00", "2020-01-01T00:00:00+00:00")
    assert store.count_profiles() == 1
    assert store.get_profile("nobody") is None


def test_documents_are_compact_json_text(store):
    store.put_profile({"id": "p1", "traits": {"city": "Kraków", "n": [1, 2]}})
    text = store.conn.execute("SELECT doc FROM profiles").fetchone()[0]
    assert text == '{"id":"p1","traits":{"city":"Kraków","n":[1,2]}}'


def test_big_integers_round_trip_exactly(store):
    big = 2053013555069845885123456789
    store.put_profile(profile("p1", traits={"category": big, "small": -(2**70)}))
    store.append_event(event("e1", properties={"category_id": big}))
    assert store.get_profile("p1")["traits"] == {"category": big, "small": -(2**70)}
    assert next(store.iter_events())["properties"]["category_id"] == big


def test_values_json_cannot_hold_are_refused_with_the_document_named(store):
    with pytest.raises(StoreError, match="profile p1: cannot be stored as JSON"):
        store.put_profile(profile("p1", traits={"score": float("nan")}))
    with pytest.raises(StoreError, match="event e1: cannot be stored as JSON"):
        store.append_event(event("e1", properties={"when": object()}))
    assert store.count_profiles() == 0 and store.count_events() == 0


def test_aliases_resolve_to_the_profile(store):
    store.put_profile(profile("p1"))
    store.add_alias("ana@example.test", "p1")
    assert store.resolve_profile_id("p1") == "p1"
    assert store.resolve_profile_id("ana@example.test") == "p1"
    assert store.get_profile("ana@example.test")["id"] == "p1"
    assert store.resolve_profile_id("unknown") is None
    assert store.aliases_of("p1") == ["ana@example.test", "p1"]


def test_a_merged_profile_keeps_answering_through_its_aliases(store):
    store.put_profile(profile("p1"))
    store.put_profile(profile("p2"))
    store.append_event(event("e1", profile_id="p2"))
    store.append_event(event("e2", profile_id="p1"))
    store.add_alias("p2", "p1")
    assert store.delete_profile("p2")
    assert store.get_profile("p2")["id"] == "p1"
    assert [e["id"] for e in store.iter_events(profile_id="p1")] == ["e1", "e2"]


def test_profiles_export_in_id_order_across_pages(store):
    with store.transaction():
        for number in range(2500):
            store.put_profile(profile(f"p{number:05d}"))
    ids = [doc["id"] for doc in store.iter_profiles()]
    assert ids == store.profile_ids() == [f"p{n:05d}" for n in range(2500)]


def test_sessions_round_trip_and_index_their_profile(store):
    store.put_session(
        {"id": "s1", "profile": {"id": "p1"}, "started": "a", "last_seen": "b"}
    )
    store.put_session(
        {"id": "s2", "profile": {"id": "p1"}, "started": "a", "last_seen": "c"}
    )
    assert store.get_session("s1")["profile"] == {"id": "p1"}
    assert [s["id"] for s in store.profile_sessions("p1")] == ["s2", "s1"]
    assert store.count_sessions() == 2 and store.get_session("s9") is None


def test_a_duplicate_event_id_is_not_stored_twice(store):
    first = store.append_event(event("e1"))
    assert store.append_event(event("e1", "purchase")) is None
    assert store.append_event(event("e2")) > first
    assert store.has_event("e1") and not store.has_event("e3")
    assert store.count_events() == 2
    assert [e["type"] for e in store.iter_events()] == ["view", "view"]


def test_an_event_without_a_type_is_an_error_not_a_duplicate(store):
    with pytest.raises(StoreError, match="needs an id and a text type"):
        store.append_event({"id": "e1"})


def test_events_columns_come_from_the_document(store):
    store.append_event(event("e1", received="2019-10-01T00:00:01+00:00"))
    row = store.conn.execute(
        "SELECT id, type, time, received, profile_id, session_id, source_id FROM events"
    ).fetchone()
    assert row == (
        "e1",
        "view",
        "2019-10-01T00:00:00+00:00",
        "2019-10-01T00:00:01+00:00",
        "p1",
        "s1",
        "web",
    )


def test_iter_events_reads_after_a_position_across_pages(store):
    with store.transaction():
        for number in range(2100):
            store.append_event(event(f"e{number}"))
    assert store.last_seq() == 2100
    seqs = [e["seq"] for e in store.iter_events(after_seq=1500)]
    assert seqs == list(range(1501, 2101))
    store.set_position("engine", 1500)
    assert store.get_position("engine") == 1500 and store.get_position("other") == 0


def test_a_transaction_commits_all_or_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put_profile(profile("p1"))
            store.append_event(event("e1"))
            store.add_outbox({"key": "k1", "kind": "email"})
            raise RuntimeError("engine failed mid-batch")
    assert store.totals()["profiles"] == 0
    assert store.count_events() == 0 and store.outbox_rows() == []
    assert store.resolve_profile_id("p1") is None


def test_nested_transactions_commit_once_at_the_outer_end(tmp_path, store):
    with store.transaction():
        with store.transaction():
            store.append_event(event("e1"))
        assert store.conn.in_transaction
        with Store.open(tmp_path / "tracsh.db", readonly=True) as watcher:
            assert watcher.count_events() == 0
    assert not store.conn.in_transaction
    with Store.open(tmp_path / "tracsh.db", readonly=True) as watcher:
        assert watcher.count_events() == 1


def test_an_error_in_a_nested_block_rolls_back_the_whole_transaction(store):
    with pytest.raises(ValueError):
        with store.transaction():
            store.append_event(event("e1"))
            with store.transaction():
                store.append_event(event("e2"))
                raise ValueError("bad rule")
    assert store.count_events() == 0
    with store.transaction():
        store.append_event(event("e3"))
    assert store.count_events() == 1


def test_read_only_open_sees_data_and_refuses_writes(tmp_path, store):
    store.put_profile(profile("p1"))
    with Store.open(tmp_path / "tracsh.db", readonly=True) as watcher:
        assert watcher.get_profile("p1")["id"] == "p1"
        with pytest.raises(ReadOnlyError, match="open read-only"):
            watcher.put_profile(profile("p2"))
        with pytest.raises(ReadOnlyError):
            with watcher.transaction():
                pass
        with pytest.raises(sqlite3.OperationalError):
            watcher.conn.execute("DELETE FROM profiles")
    assert store.count_profiles() == 1


def test_read_only_open_of_a_missing_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.db"
    with pytest.raises(StoreError, match="no such database to open read-only"):
        Store.open(missing, readonly=True)
    assert not missing.exists()


def test_a_memory_store_works(tmp_path):
    with Store.open(":memory:") as memory:
        memory.append_event(event("e1"))
        assert memory.count_events() == 1


def test_outbox_rows_are_idempotent_by_key(store):
    row = {"key": "k1", "kind": "email", "target": "welcome", "args": {"n": 2**65}}
    first = store.add_outbox({**row, "recipient": "a@example.test", "event_id": "e1"})
    assert first == 1
    assert store.add_outbox(row) is None
    store.add_outbox({"key": "k2", "kind": "webhook", "status": "sent"})
    stored = store.outbox_rows()
    assert [r["key"] for r in stored] == ["k1", "k2"]
    assert stored[0]["args"] == {"n": 2**65} and stored[0]["status"] == "pending"
    assert (
        stored[0]["attempts"] == 0 and stored[0]["next_attempt"] == stored[0]["created"]
    )
    assert [r["key"] for r in store.outbox_rows(status="sent")] == ["k2"]
    assert store.count_outbox_by() == {("email", "pending"): 1, ("webhook", "sent"): 1}
    assert store.count_outbox_by("email", "sent") == {}


def test_outbox_updates_and_due_rows(store):
    store.add_outbox(
        {"key": "k1", "kind": "sms", "next_attempt": "2020-01-01T00:00:00Z"}
    )
    store.add_outbox(
        {"key": "k2", "kind": "sms", "next_attempt": "2030-01-01T00:00:00Z"}
    )
    due = store.due_outbox("2025-01-01T00:00:00Z")
    assert [r["key"] for r in due] == ["k1"]
    changes = {"status": "sent", "attempts": 1, "rendered": {"body": "hi"}}
    assert store.update_outbox(due[0]["id"], changes)
    assert store.get_outbox(due[0]["id"])["rendered"] == {"body": "hi"}
    assert store.due_outbox("2025-01-01T00:00:00Z") == []
    with pytest.raises(StoreError, match="unknown outbox status 'lost'"):
        store.update_outbox(1, {"status": "lost"})
    with pytest.raises(StoreError, match="unknown outbox column"):
        store.add_outbox({"key": "k3", "kind": "sms", "colour": "red"})


def test_rejects_are_recorded_in_order(store):
    store.add_reject("a.csv", 7, "expected 9 fields, got 8", "x,y", received="t1")
    store.add_reject("/track", None, "no type", "{}")
    rows = store.rejects()
    assert [(r["source"], r["line"], r["reason"]) for r in rows] == [
        ("a.csv", 7, "expected 9 fields, got 8"),
        ("/track", None, "no type"),
    ]
    assert rows[0]["received"] == "t1" and rows[1]["received"]
    assert [r["line"] for r in store.rejects(source="a.csv")] == [7]
    assert store.count_rejects() == 2
    assert store.add_reject("a.csv", 7, "again", "x,y") is None
    assert store.count_rejects() == 2


def test_rule_stats_add_up(store):
    store.add_rule_stats({"r1": {"evaluations": 3, "matches": 1, "time_ns": 500}})
    store.add_rule_stats(
        {
            "r1": {
                "evaluations": 2,
                "errors": 1,
                "last_fired": "2019-10-01T00:00:00Z",
                "last_error": "division by zero",
            },
            "r2": {"evaluations": 1, "type_warnings": 4},
        }
    )
    store.add_rule_stats(
        {"r1": {"evaluations": 1, "last_fired": "2019-09-01T00:00:00Z"}}
    )
    stats = {row["rule_id"]: row for row in store.rule_stats()}
    assert stats["r1"] == {
        "rule_id": "r1",
        "evaluations": 6,
        "matches": 1,
        "errors": 1,
        "type_warnings": 0,
        "time_ns": 500,
        "last_fired": "2019-10-01T00:00:00Z",
        "last_error": "division by zero",
    }
    assert stats["r2"]["type_warnings"] == 4 and stats["r2"]["last_fired"] is None
    with pytest.raises(StoreError, match="unknown statistic"):
        store.add_rule_stats({"r1": {"matchs": 1}})


def test_once_per_firings(store):
    assert store.get_fired("r1", "profile", "p1") is None
    store.set_fired("r1", "profile", "p1", "2019-10-01T00:00:00+00:00")
    store.set_fired("r1", "profile", "p1", "2019-10-02T00:00:00+00:00")
    store.set_fired("r1", "session", "p1", "2019-10-03T00:00:00+00:00")
    assert store.get_fired("r1", "profile", "p1") == "2019-10-02T00:00:00+00:00"
    assert store.get_fired("r1", "session", "p1") == "2019-10-03T00:00:00+00:00"


def test_segment_sizes_and_totals(store):
    store.put_profile(profile("p1", segments=["vip", "buyer"]))
    store.put_profile(profile("p2", segments=["buyer"]))
    store.put_profile(profile("p3"))
    store.add_outbox({"key": "k1", "kind": "email", "status": "dead"})
    assert store.segment_sizes() == {"buyer": 2, "vip": 1}
    totals = store.totals()
    assert totals["profiles"] == 3 and totals["aliases"] == 3
    assert totals["outbox"] == 1 and totals["outbox_dead"] == 1
    assert totals["outbox_pending"] == 0 and totals["events"] == 0


def test_the_tracer_sees_hot_path_and_sqlite_utils_statements(tmp_path):
    seen = []
    with Store.open(
        tmp_path / "t.db", tracer=lambda sql, params: seen.append(sql)
    ) as db:
        seen.clear()
        db.append_event(event("e1"))
        db.rule_stats()
    assert seen[0].startswith("INSERT INTO events")
    assert any("FROM rule_stats" in sql for sql in seen)


def test_synchronous_full_is_available_and_others_refused(tmp_path):
    with Store.open(tmp_path / "f.db", synchronous="full") as db:
        assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(StoreError, match='expected "normal" or "full"'):
        Store.open(tmp_path / "g.db", synchronous="off")


def test_a_database_on_read_only_media_opens_read_only(tmp_path):
    import os
    import subprocess

    folder = tmp_path / "media"
    folder.mkdir()
    with Store.open(folder / "t.db") as writable:
        with writable.transaction():
            writable.put_profile(profile("p1"))
    assert (
        not (folder / "t.db-wal").exists() or not (folder / "t.db-wal").stat().st_size
    )
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here to make a read-only folder")
    try:
        assert not os.access(folder, os.W_OK) or os.geteuid() == 0
        with Store.open(folder / "t.db", readonly=True) as store:
            assert store.get_profile("p1")["id"] == "p1"
        assert sorted(p.name for p in folder.iterdir()) == ["t.db"]
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_database_another_process_writes_to_is_a_store_error(tmp_path, store):
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        store.conn.execute("PRAGMA busy_timeout = 20")
        with pytest.raises(StoreError) as caught:
            with store.transaction():
                pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert str(caught.value) == (
        f"{store.path}: the database is locked: another process is writing to it "
        "(a daemon, a console or a replay); wait for it to finish or stop it"
    )
    with store.transaction():
        pass
