"""Segment refresh in SQL agrees with evaluating each profile in Python.

Profiles with generated traits (missing fields, nulls, mixed types, times) are
stored with segment lists that are partly stale; after a refresh each profile
is in a segment exactly when the compiled condition is true for it, the other
segments it holds are kept in order, and the entered and left lists name
exactly the profiles that changed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from engine_harness import event

from tracsh.engine.identify import new_profile
from tracsh.engine.refresh import refresh_segment, refresh_segments
from tracsh.lang.compile import compile_condition
from tracsh.lang.loader import load_sources
from tracsh.lang.scope import Scope
from tracsh.lang.sql import SqlRefused

NOW = datetime(2024, 6, 1, tzinfo=UTC)

SEGMENTS = """
segment "big" when profile.traits.ltv >= 100
segment "gold" when profile.traits.tier in ["gold", "platinum"]
segment "dormant" when profile.last_seen < now - 30 days
segment "reachable" when profile.pii.email ends with ".test"
  and not (profile.consents.email.granted == false)
segment "odd" when profile.traits.ltv % 2 == 1 or lower(profile.traits.tier) == "gold"
segment "empty" when profile.traits.tags is empty
"""

VALUES = {
    "ltv": [0, 1, 99, 100, 100.5, 101, "150", None, True, -3],
    "tier": ["gold", "Gold", "platinum", "silver", "", None, 3, ["gold"]],
    "tags": [[], ["a"], "", None, {}, 0],
}
SEEN = ["2024-04-01T00:00:00+00:00", "2024-05-20T10:00:00Z", "2024-05-02", "soon", 7]
EMAILS = ["a@b.test", "a@b.example", None, "", 42]


def profiles(count: int, seed: int = 7) -> list[dict]:
    """Generated profiles; some hold segment names they should not."""
    rng = random.Random(seed)
    found = []
    for index in range(count):
        doc = new_profile(f"p{index:04d}", "2024-01-01T00:00:00+00:00")
        doc["traits"] = {
            k: rng.choice(v) for k, v in VALUES.items() if rng.random() < 0.8
        }
        doc["last_seen"] = rng.choice(SEEN)
        if rng.random() < 0.8:
            doc["pii"] = {"email": rng.choice(EMAILS)}
        if rng.random() < 0.3:
            doc["consents"] = {"email": {"granted": rng.random() < 0.5}}
        names = ["manual", "big", "gold", "dormant", "reachable", "odd", "empty"]
        doc["segments"] = rng.sample(names, rng.randint(0, 3))
        found.append(doc)
    return found


@pytest.fixture
def stored(engine):
    h = engine(SEGMENTS)
    docs = profiles(600)
    with h.store.transaction():
        h.store.put_profiles(docs)
    return h, {doc["id"]: doc for doc in docs}


def test_refresh_agrees_with_the_compiled_condition_for_every_profile(stored):
    h, before = stored
    segments = load_sources([("s.rules", SEGMENTS)]).segments
    changes = {}
    with h.store.transaction():
        for segment in segments:
            changes[segment.name] = refresh_segment(h.store, segment, NOW)
    after = {doc["id"]: doc for doc in h.store.iter_profiles()}
    for segment in segments:
        check = compile_condition(segment.node.condition)
        entered, left = [], []
        for pid, doc in before.items():
            member = check(Scope(profile=doc, now=NOW)) is True
            assert (segment.name in after[pid]["segments"]) is member, (
                pid,
                segment.name,
            )
            was = segment.name in doc["segments"]
            if member and not was:
                entered.append(pid)
            if was and not member:
                left.append(pid)
        assert sorted(changes[segment.name].entered) == entered
        assert sorted(changes[segment.name].left) == left
        assert changes[segment.name].members == sum(
            segment.name in doc["segments"] for doc in after.values()
        )
    for pid, doc in before.items():
        kept = [s for s in doc["segments"] if s not in {s.name for s in segments}]
        assert [s for s in after[pid]["segments"] if s in kept] == kept
        assert {k: v for k, v in after[pid].items() if k != "segments"} == {
            k: v for k, v in doc.items() if k != "segments"
        }


def test_a_second_refresh_changes_nothing(stored):
    h, _before = stored
    segments = h.book.segments
    refresh_segments(h.engine, segments, NOW, events=False)
    again, _ = refresh_segments(h.engine, segments, NOW, events=False)
    assert [(c.entered, c.left) for c in again] == [([], [])] * len(segments)


def test_after_a_replay_refresh_agrees_with_the_per_event_evaluation(engine):
    h = engine(
        'segment "spender" when profile.traits.spent >= 50\n'
        'segment "regular" when profile.visits >= 2 and profile.traits.spent > 0\n'
        'when event.type == "buy" then increment profile.traits.spent by '
        "event.properties.total\n"
    )
    rng = random.Random(3)
    events = [
        event(
            f"e{i}", rng.choice(["buy", "view"]), profile=f"p{rng.randint(1, 40)}",
            session=f"s{rng.randint(1, 60)}", minutes=i * 7,
            properties={"total": rng.choice([5, 20, 45.5])},
        )
        for i in range(400)
    ]  # fmt: skip
    h.run(*events)
    before = {doc["id"]: doc["segments"] for doc in h.store.iter_profiles()}
    changes, outcomes = refresh_segments(h.engine, h.book.segments, NOW)
    assert [(c.entered, c.left) for c in changes] == [([], []), ([], [])]
    assert outcomes == []
    assert {doc["id"]: doc["segments"] for doc in h.store.iter_profiles()} == before
    assert sum("spender" in s for s in before.values()) > 5


def test_changes_are_announced_through_the_rules(engine):
    h = engine(
        'segment "dormant" when profile.last_seen < now - 30 days\n'
        'when event.type == "segment-entered" then '
        "append event.properties.segment to profile.traits.entered\n"
    )
    h.run(event("e1", "view"))
    visits = h.profile()["visits"]
    changes, outcomes = refresh_segments(h.engine, h.book.segments, NOW)
    assert changes[0].entered == ["p1"]
    assert [o.event_type for o in outcomes] == ["segment-entered"]
    doc = h.profile()
    assert (doc["segments"], doc["traits"]["entered"]) == (["dormant"], ["dormant"])
    assert doc["visits"] == visits
    assert h.store.count_sessions() == 1


def test_a_condition_that_needs_an_event_is_refused_with_its_place(engine):
    h = engine('segment "buyer" when event.type == "purchase"\n')
    loaded = load_sources([("shop.rules", 'segment "buyer" when event.type == "x"')])
    for segments, where in (
        (h.book.segments, "<rules>"),
        (loaded.segments, "shop.rules"),
    ):
        with pytest.raises(SqlRefused) as caught:
            refresh_segments(h.engine, segments, NOW)
        assert str(caught.value).startswith(
            f"{where}:1:22: event.type cannot be read here in segment \"buyer\"; "
            "segment refresh evaluates conditions over stored profiles"
        )


ODD = r"""
segment "quoted" when profile.traits["a\"b"] == 1
segment "slashed" when profile.traits["a\\b"] >= 2 and profile.visits > 0
segment "broken" when "x" in profile.traits["line\nbreak"]
segment "plain" when profile.traits.ltv >= 100
"""


def test_keys_no_json_path_can_name_do_not_stop_the_other_segments(engine):
    """A regression: `profile.traits["a\"b"]` made the whole refresh fail, and
    keys holding a backslash or a newline were read as missing."""
    h = engine(ODD)
    docs = []
    for index, traits in enumerate(
        [
            {'a"b': 1, "a\\b": 2, "line\nbreak": ["x"], "ltv": 100},
            {'a"b': 2, "a\\b": 1, "line\nbreak": "x", "ltv": 5},
            {"a": {"b": 1}, "line": 1},
            {},
        ]
    ):
        doc = new_profile(f"q{index}", "2024-01-01T00:00:00+00:00")
        doc["traits"], doc["visits"], doc["segments"] = traits, 1, ["quoted"]
        docs.append(doc)
    with h.store.transaction():
        h.store.put_profiles(docs)
    changes, _ = refresh_segments(h.engine, h.book.segments, NOW, events=False)
    assert [(c.segment, c.members) for c in changes] == [
        ("quoted", 1), ("slashed", 1), ("broken", 1), ("plain", 1),
    ]  # fmt: skip
    after = {doc["id"]: doc["segments"] for doc in h.store.iter_profiles()}
    assert after == {
        "q0": ["quoted", "slashed", "broken", "plain"], "q1": [], "q2": [], "q3": [],
    }  # fmt: skip
    for segment in h.book.segments:
        check = compile_condition(segment.node.condition)
        for doc in docs:
            member = check(Scope(profile=doc, now=NOW)) is True
            assert (segment.name in after[doc["id"]]) is member
