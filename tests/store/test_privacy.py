"""Forgetting a person leaves nothing of them in any table, delivery tables included.

Each delivery table is filled the way the outbox worker fills it: the outbox
row's recipient, arguments, rendered message and reason; the error text of
each attempt; the enricher cache keyed by a URL made from the profile. After
``forget_profile`` the whole database, dumped as SQL, must not hold the
person's e-mail address, phone number, name or ids, while another person's
delivery records stay as they were.
"""

from __future__ import annotations

import hashlib

import pytest

from tracsh.store import Store

ANN = {"id": "p-ann-7", "email": "ann.k@mail.test", "phone": "+4915550001"}
BOB = {"id": "p-bob-9", "email": "bob.q@mail.test", "phone": "+4915550002"}
NOW = "2024-11-04T12:00:00+00:00"
LATER = "2024-11-04T13:00:00+00:00"


def lookup(person: dict) -> str:
    return f"https://lookup.test/company/{person['email'].replace('@', '%40')}"


def fill(store: Store, person: dict) -> dict[str, int]:
    """A person with every kind of delivery record; the outbox ids by name."""
    pid, email, phone = person["id"], person["email"], person["phone"]
    store.put_profile({"id": pid, "pii": {"email": email, "phone": phone}})
    store.put_session({"id": f"s-{pid}", "profile": {"id": pid}})
    store.append_event(
        {
            "id": f"e-{pid}",
            "type": "sign-up",
            "time": NOW,
            "profile": {"id": pid},
            "session": {"id": f"s-{pid}"},
            "properties": {"email": email},
        }
    )
    ids = {
        "sent": row(store, pid, "email", "dead", recipient=email),
        "failed": row(store, pid, "email", "failed", recipient=f"{email}, x"),
        "waiting": row(store, pid, "sms", "retry", recipient=phone),
        "sending": row(store, pid, "webhook", "sending", target="crm"),
        "enrich": row(store, pid, "enrich", "sent", target="company"),
    }
    attempt(store, ids["sent"], f"SMTP 550: 5.1.1 <{email}>: no such user")
    attempt(store, ids["failed"], f"not a single e-mail address: '{email}, x'")
    attempt(store, ids["waiting"], f'HTTP 422: {{"error": "{phone} is blocked"}}')
    store.cache_answer("company", lookup(person), {"owner": email}, LATER, NOW)
    return ids


def row(store: Store, pid: str, kind: str, status: str, **columns) -> int:
    email = columns.pop("recipient", None)
    key = hashlib.sha256(f"{pid}-{kind}-{status}".encode()).hexdigest()
    values = {
        "key": key,
        "kind": kind,
        "target": columns.pop("target", "welcome"),
        "recipient": email,
        "args": {"email": email or pid, "profile": pid},
        "rendered": {"subject": f"Hi {pid}", "text": f"for {email}"},
        "event_id": f"e-{pid}",
        "rule_id": "welcome",
        "profile_id": pid,
        "status": status,
        "reason": f"the recipient {email} refused",
    }
    if kind == "enrich":
        person = ANN if pid == ANN["id"] else BOB
        values["rendered"] = {"url": lookup(person), "method": "GET"}
    return store.add_outbox(values)


def attempt(store: Store, outbox_id: int, error: str) -> None:
    store.db.execute(
        "INSERT INTO delivery_attempts (outbox_id, attempt, started, finished, "
        "outcome, status, error) VALUES (?, 1, ?, ?, 'retry', '5xx', ?)",
        [outbox_id, NOW, NOW, error],
    )


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tracsh.db") as opened:
        with opened.transaction():
            opened.ann = fill(opened, ANN)
            opened.bob = fill(opened, BOB)
        yield opened


def dump(store: Store) -> str:
    return "\n".join(store.conn.iterdump())


def test_forget_removes_the_person_from_every_table(store):
    with store.transaction():
        # A rule's last error quoting a value of Ann's profile.
        message = f"text {ANN['email']!r} is not an ISO-8601 time"
        store.add_rule_stats({"r": {"errors": 1, "last_error": message}})
    before = dump(store)
    assert ANN["email"] in before and ANN["phone"] in before

    with store.transaction():
        counts = store.forget_profile(ANN["id"])

    assert counts == {
        "profile": ANN["id"],
        "firings": 0,
        "enricher_cache": 1,
        "delivery_attempts": 1,
        "attempts_scrubbed": 2,
        "events": 1,
        "sessions": 1,
        "outbox": 2,
        "outbox_scrubbed": 3,
        "timers": 0,
        "aliases": 1,
        "profiles": 1,
        "rule_errors": 1,
    }
    after = dump(store)
    for trace in (ANN["email"], "ann.k%40mail.test", ANN["phone"], ANN["id"]):
        assert trace not in after, f"{trace} is still stored"


def test_forget_keeps_the_done_rows_as_bare_delivery_records(store):
    with store.transaction():
        store.forget_profile(ANN["id"])

    kept = [store.get_outbox(i) for i in store.ann.values()]
    kept = [found for found in kept if found is not None]
    assert sorted((r["kind"], r["status"]) for r in kept) == [
        ("email", "dead"),
        ("email", "failed"),
        ("enrich", "sent"),
    ]
    for found in kept:
        assert found["rule_id"] == "welcome"
        bare = ("recipient", "args", "rendered", "reason", "event_id", "profile_id")
        assert [found[column] for column in bare] == [None] * 6
        for attempt in store.delivery_attempts(found["id"]):
            assert (attempt["status"], attempt["error"]) == ("5xx", None)


def test_forget_leaves_everyone_else_as_they_were(store):
    before = store.export_profile(BOB["id"])

    with store.transaction():
        store.forget_profile(ANN["id"])

    assert store.export_profile(BOB["id"]) == before
    assert store.cached_answer("company", lookup(BOB), NOW) == {"owner": BOB["email"]}
    assert store.delivery_attempts(store.bob["sent"])[0]["error"] == (
        f"SMTP 550: 5.1.1 <{BOB['email']}>: no such user"
    )


def test_export_shows_each_row_s_attempts_and_cached_answer(store):
    found = store.export_profile(BOB["id"])

    rows = {r["id"]: r for r in found["outbox"]}
    assert [a["error"] for a in rows[store.bob["waiting"]]["delivery_attempts"]] == [
        f'HTTP 422: {{"error": "{BOB["phone"]} is blocked"}}'
    ]
    assert rows[store.bob["enrich"]]["enricher_cache"] == [
        {"key": lookup(BOB), "value": {"owner": BOB["email"]}, "expires": LATER}
    ]


def test_attempts_left_by_an_earlier_forget_go_too(store):
    orphan = store.bob["waiting"]
    with store.transaction():
        store.db.execute("DELETE FROM outbox WHERE id = ?", [orphan])

    with store.transaction():
        counts = store.forget_profile(ANN["id"])

    assert counts["delivery_attempts"] == 2, "Ann's unsent row's and the orphan's"
    assert store.delivery_attempts(orphan) == []


def test_the_cache_keeps_no_answer_past_its_time_to_live(store):
    with store.transaction():
        store.cache_answer("company", "https://lookup.test/x", {}, "2024-11-05", LATER)

    keys = [k for (k,) in store.conn.execute("SELECT key FROM enricher_cache")]
    assert keys == ["https://lookup.test/x"], "answers expired by then are gone"
