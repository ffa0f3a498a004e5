"""Pipeline step 5 and the whole run: one transaction per batch, idempotency, stats."""

from __future__ import annotations

import hashlib

import pytest
from engine_harness import at, event, fired, rule_text

from tracsh.engine.summary import Summary
from tracsh.store import StoreError

SHOP = (
    'rule "count"\n  when event.type == "buy"\n  then\n'
    "    increment profile.counters.buys\n"
    '    send email "thanks"\n'
    '    call webhook "crm" with {"total": event.properties.total}\n'
    '    emit event "bought"\nend\n'
    'rule "welcome"\n  once per profile\n  when event.type == "page-view"\n'
    "  then increment profile.counters.welcomed\nend\n"
    'when event.type == "bought" then increment profile.counters.bought\n'
    'segment "buyer" when profile.counters.buys >= 1\n'
)


def shop_batch() -> list[dict]:
    return [
        event("e1", "page-view", minutes=0),
        event("e2", "buy", minutes=1, properties={"total": 10}),
        event("e3", "page-view", profile="p2", session="s2", minutes=2),
        event("e4", "buy", minutes=50, properties={"total": 5}),
    ]


def snapshot(h) -> dict:
    """Everything the engine commits, read back from the file."""
    store = h.store
    return {
        "profiles": list(store.iter_profiles()),
        "sessions": [store.get_session(s) for s in ("s1", "s2")],
        "aliases": store.aliases_of("p1") + store.aliases_of("p2"),
        "events": h.events(),
        "outbox": h.outbox(),
        "stats": h.stats(),
        "fired": store.get_fired("welcome", "profile", "p1"),
    }


def empty(h) -> bool:
    totals = h.store.totals()
    tables = ("profiles", "aliases", "sessions", "events", "outbox", "rules")
    return all(totals[name] == 0 for name in tables)


# --- one batch, one transaction -----------------------------------------------------


def test_a_failure_while_processing_leaves_nothing(engine):
    h = engine(SHOP)
    bad = event("e9", "buy", time="yesterday")
    with pytest.raises(ValueError, match='"yesterday" is not an ISO-8601 time'):
        h.run(*shop_batch()[:2], bad, *shop_batch()[2:])
    assert empty(h)


def test_a_failure_while_committing_leaves_nothing(engine):
    h = engine(SHOP)
    bad = event("e9", minutes=3)
    bad["type"] = 5  # the store refuses it after the profiles are written
    with pytest.raises(StoreError, match="text type"):
        h.run(*shop_batch()[:2], bad, *shop_batch()[2:])
    assert empty(h)
    assert not h.store.conn.in_transaction
    # Nothing was half-applied: the good events now give what a clean run gives.
    h.run(*shop_batch())
    clean = engine(SHOP)
    clean.run(*shop_batch())
    assert snapshot(h) == snapshot(clean)


# --- idempotency ----------------------------------------------------------------------


def test_a_duplicate_in_the_same_batch_changes_nothing(engine):
    h = engine(SHOP)
    buy = event("e2", "buy", properties={"total": 10})
    outcomes = h.run(buy, buy, buy)
    assert [o.duplicate for o in outcomes] == [False, True, True]
    assert (outcomes[1].fired, outcomes[1].internal) == ([], [])
    assert h.profile()["counters"] == {"buys": 1, "bought": 1}
    assert len(h.outbox()) == 2
    assert h.store.count_events() == 3  # e2, bought, segment-entered
    assert h.stats()["count"]["evaluations"] == 1


def test_replaying_a_batch_changes_nothing(engine):
    h = engine(SHOP)
    h.run(*shop_batch())
    before = snapshot(h)
    again = h.run(*shop_batch())
    assert all(o.duplicate for o in again)
    assert fired(again) == []
    assert snapshot(h) == before


def test_a_later_batch_skips_only_the_events_already_stored(engine):
    h = engine(SHOP)
    batch = shop_batch()
    h.run(*batch[:2])
    outcomes = h.run(*batch)
    assert [o.duplicate for o in outcomes] == [True, True, False, False]
    clean = engine(SHOP)
    clean.run(*batch)
    assert snapshot(h)["profiles"] == snapshot(clean)["profiles"]
    assert snapshot(h)["outbox"] == snapshot(clean)["outbox"]


def key_of(event_id: str, rule_id: str, index: int) -> str:
    return hashlib.sha256(f"{event_id}\x1f{rule_id}\x1f{index}".encode()).hexdigest()


def test_outbox_keys_are_the_same_for_the_same_event_rule_and_action(engine):
    first, second = engine(SHOP), engine(SHOP)
    first.run(*shop_batch())
    second.run_each(*shop_batch())
    rows = first.outbox("key", "event_id", "rule_id", "kind")
    assert rows == second.outbox("key", "event_id", "rule_id", "kind")
    assert rows == [
        {"key": key_of(e, "count", index), "event_id": e, "rule_id": "count", "kind": k}
        for e in ("e2", "e4")
        for index, k in ((1, "email"), (2, "webhook"))
    ]


# --- rule statistics ------------------------------------------------------------

STATS_ROWS = [
    # condition, event properties one event each, expected statistics
    ('"10" > 9', [{}, {}, {}], (3, 0, 0, 3)),
    ('"10" > 9 or true', [{}, {}], (2, 2, 0, 2)),  # fired: counted once, not twice
    (
        'event.type == "go" and event.properties.n > 9',
        [{"n": "10"}, {"n": 11}, {}],
        (3, 1, 0, 1),
    ),
    (
        'event.type == "go" and profile.traits.missing > 9',
        [{}, {}],
        (2, 0, 0, 0),
    ),
    (
        'event.type == "go" and 1 / event.properties.n > 0',
        [{"n": 0}, {"n": 1}, {"n": 2}],
        (3, 2, 1, 0),
    ),
    (
        'event.type == "go" and event.properties.s < now',
        [{"s": "not a time"}, {"s": "2024-01-01"}],
        (2, 1, 0, 1),
    ),
    ('event.type == "go" and event.time < now + 1 hour', [{}, {}], (2, 2, 0, 0)),
]


@pytest.mark.parametrize(("condition", "properties", "expected"), STATS_ROWS)
def test_rule_statistics_count_what_happened(engine, condition, properties, expected):
    h = engine(rule_text("log 'x'", when=condition))
    h.run(*[event(f"e{i}", "go", properties=p) for i, p in enumerate(properties)])
    stats = h.stats()["r"]
    assert tuple(stats.values()) == expected


def test_statistics_add_up_across_batches(engine):
    h = engine(rule_text("log 'x'", when='"10" > 9 or event.properties.n == 1'))
    h.run_each(*[event(f"e{i}", "go", properties={"n": i}) for i in range(4)])
    assert h.stats()["r"] == {
        "evaluations": 4,
        "matches": 1,
        "errors": 0,
        "type_warnings": 4,
    }


def test_rules_held_back_are_not_evaluated(engine):
    h = engine(
        rule_text("log 'x'", name="other type", when='event.type == "other"')
        + 'rule "once"\n  once per profile\n  when true\n  then log "x"\nend\n'
        + 'rule "shop"\n  source "shop"\n  when true\n  then log "x"\nend\n'
    )
    h.run(*[event(f"e{i}", "go", minutes=i) for i in range(3)])
    assert h.stats() == {
        "once": {"evaluations": 1, "matches": 1, "errors": 0, "type_warnings": 0}
    }


def test_last_fired_is_the_time_of_the_latest_firing(engine):
    h = engine(rule_text("log 'x'", when="event.properties.fire == true"))
    h.run(
        event("e1", "go", minutes=0, properties={"fire": True}),
        event("e2", "go", minutes=5, properties={"fire": True}),
        event("e3", "go", minutes=9, properties={"fire": False}),
    )
    h.run(event("e4", "go", minutes=2, properties={"fire": True}))

    def last_fired() -> dict[str, str]:
        return {r["rule_id"]: r["last_fired"] for r in h.store.rule_stats()}

    assert last_fired() == {"r": at(5)}
    h.run(event("e5", "go", minutes=30, properties={"fire": True}))
    assert last_fired() == {"r": at(30)}


# --- the replay summary ---------------------------------------------------------


def test_the_summary_folds_outcomes_and_their_internal_events(engine):
    h = engine(
        SHOP
        + rule_text(
            "increment profile.traits.n by event.properties.nothing", when="true"
        )
    )
    summary = Summary()
    for outcome in h.run(*shop_batch()) + h.run(shop_batch()[0]):
        summary.add(outcome)
    summary.reject("events.ndjson", 7, "not JSON")
    data = summary.as_dict()
    assert data["events"] == {
        "read": 6,
        "accepted": 5,
        "rejected": 1,
        "duplicates": 1,
        "internal": 3,  # two "bought", one segment-entered
    }
    assert data["profiles"] == {"created": 2, "updated": 0}
    assert (data["sessions"], data["visits"]) == (2, 3)
    assert data["by_rule"] == {"r": 7, "welcome": 2, "count": 2, "t:14": 2}
    assert data["rules_fired"] == 13
    assert data["action_errors"] == 7
    assert data["outbox"] == {"email": {"skipped": 2}, "webhook": {"pending": 2}}
    assert data["first_rejects"] == [
        {"source": "events.ndjson", "line": 7, "reason": "not JSON"}
    ]


def test_a_duplicate_is_answered_with_the_ids_it_was_stored_under(engine):
    h = engine(SHOP)
    anonymous = event("e9", "view", profile=None, session=None)
    first = h.run(anonymous)[0]
    assert first.profile_id and first.session_id
    in_batch = h.run(anonymous, anonymous)
    later = h.run(anonymous)[0]
    for outcome in [*in_batch, later]:
        assert outcome.duplicate
        assert (outcome.profile_id, outcome.session_id) == (
            first.profile_id,
            first.session_id,
        )


def test_a_duplicate_in_its_own_batch_is_answered_with_the_first_ids(engine):
    h = engine(SHOP)
    anonymous = event("e9", "view", profile=None, session=None)
    outcomes = h.run(anonymous, anonymous)
    assert outcomes[1].duplicate
    assert outcomes[1].profile_id == outcomes[0].profile_id != ""
    assert outcomes[1].session_id == outcomes[0].session_id != ""


def test_a_duplicate_of_a_merged_profile_names_the_profile_it_answers_to_now(engine):
    h = engine(SHOP)
    h.run(event("e1", "view", profile="old", session="s1"))
    h.put_profile("new")
    with h.store.transaction():
        h.store.add_alias("old", "new")
        h.store.delete_profile("old")
    again = h.run(event("e1", "view", profile=None, session=None))[0]
    assert (again.duplicate, again.profile_id, again.session_id) == (True, "new", "s1")
