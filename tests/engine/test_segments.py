"""Pipeline step 4: live segments, and the segment-entered/left events they emit."""

from __future__ import annotations

import pytest
from engine_harness import errors, event, fired

from tracsh.engine.identify import derived_id

SPENDERS = (
    'segment "big" when profile.traits.ltv >= 100\n'
    'when event.type == "buy" then '
    "increment profile.traits.ltv by event.properties.total\n"
    'when event.type == "refund" then '
    "decrement profile.traits.ltv by event.properties.total\n"
    'when event.type == "forget" then unset profile.traits.ltv\n'
    'when event.type == "segment-entered" then '
    "append event.properties.segment to profile.traits.entered\n"
    'when event.type == "segment-left" then '
    "append event.properties.segment to profile.traits.left\n"
)


def buy(event_id, total, minutes, type="buy"):
    return event(event_id, type, minutes=minutes, properties={"total": total})


@pytest.mark.parametrize(
    ("steps", "members"),
    [
        # (type, total) per event; whether the profile is in "big" after each
        ([("buy", 50), ("buy", 50), ("buy", 1)], [False, True, True]),
        ([("buy", 150), ("refund", 100), ("buy", 60)], [True, False, True]),
        ([("buy", 150), ("forget", 0), ("buy", 10)], [True, False, False]),
        ([("buy", 99.99), ("buy", 0.01)], [False, True]),
    ],
)
def test_membership_follows_the_profile_after_each_event(engine, steps, members):
    h = engine(SPENDERS)
    for index, ((type, total), member) in enumerate(zip(steps, members, strict=True)):
        h.run(buy(f"e{index}", total, index, type))
        assert ("big" in h.profile()["segments"]) is member, index


def test_entering_and_leaving_emit_events_that_rules_react_to(engine):
    h = engine(SPENDERS)
    outcomes = h.run(buy("e1", 150, 0), buy("e2", 5, 1), buy("e3", 100, 2, "refund"))
    assert [(o.segments_entered, o.segments_left) for o in outcomes] == [
        (["big"], []),
        ([], []),
        ([], ["big"]),
    ]
    assert [child.event_type for o in outcomes for child in o.internal] == [
        "segment-entered",
        "segment-left",
    ]
    traits = h.profile()["traits"]
    assert (traits["entered"], traits["left"]) == (["big"], ["big"])
    stored = [e for e in h.events() if e["type"].startswith("segment-")]
    assert [
        (e["id"], e["type"], e["properties"], e["source"], e["context"]) for e in stored
    ] == [
        (
            derived_id("segment-entered", "big", "e1"),
            "segment-entered",
            {"segment": "big"},
            {"id": "internal"},
            {"parent": "e1"},
        ),
        (
            derived_id("segment-left", "big", "e3"),
            "segment-left",
            {"segment": "big"},
            {"id": "internal"},
            {"parent": "e3"},
        ),
    ]


@pytest.mark.parametrize(
    ("condition", "traits", "member"),
    [
        ("profile.traits.age != 10", {}, False),
        ("profile.traits.age != 10", {"age": 11}, True),
        ("not (profile.traits.age == 10)", {}, False),
        ("profile.traits.age is missing or profile.traits.age != 10", {}, True),
        ('profile.traits.tier == "gold"', {"tier": None}, False),
        ("profile.traits.n > 9", {"n": "10"}, False),
        ("profile.traits.n > 9 or true", {"n": "10"}, True),
    ],
)
def test_an_unknown_condition_keeps_a_profile_out(engine, condition, traits, member):
    h = engine(f'segment "s" when {condition}\n')
    h.put_profile(traits=traits)
    [outcome] = h.run(event("e1"))
    assert ("s" in h.profile()["segments"]) is member
    assert outcome.segments_entered == (["s"] if member else [])


def test_an_unknown_condition_takes_a_member_out(engine):
    h = engine('segment "s" when profile.traits.age != 10\n')
    h.put_profile(traits={}, segments=["s", "manual"])
    [outcome] = h.run(event("e1"))
    assert outcome.segments_left == ["s"]
    assert h.profile()["segments"] == ["manual"]


def test_manual_segments_are_left_alone(engine):
    h = engine(
        'segment "live" when profile.traits.x == 1\n'
        'when event.type == "go" then add segment "manual"\n'
    )
    [outcome] = h.run(event("e1", "go"))
    assert h.profile()["segments"] == ["manual"]
    assert (outcome.segments_entered, outcome.internal) == ([], [])


def test_segments_see_the_profile_after_every_rule_of_the_event(engine):
    h = engine(
        'segment "both" when profile.traits.a == 1 and profile.traits.b == 1\n'
        'rule "first"\n  priority 5\n  when event.type == "go"\n'
        "  then set profile.traits.a = 1\nend\n"
        'when event.type == "go" then set profile.traits.b = 1\n'
        'when event.type == "go" and profile in segment "both" then log "too early"\n'
    )
    [outcome] = h.run(event("e1", "go"))
    assert outcome.segments_entered == ["both"]
    assert fired([outcome]) == ["first", "t:7"]


def test_segment_events_can_cascade_through_other_segments(engine):
    h = engine(
        'segment "a" when profile.traits.x == 1\n'
        'segment "b" when profile.traits.y == 1\n'
        'when event.type == "go" then set profile.traits.x = 1\n'
        'when event.type == "segment-entered" and event.properties.segment == "a" '
        "then set profile.traits.y = 1\n"
        'when event.type == "segment-entered" and event.properties.segment == "b" '
        "then increment profile.counters.b_entered\n"
    )
    [outcome] = h.run(event("e1", "go"))
    assert fired([outcome]) == ["t:3", "t:4", "t:5"]
    assert outcome.internal[0].segments_entered == ["b"]
    assert h.profile()["segments"] == ["a", "b"]
    assert h.profile()["counters"] == {"b_entered": 1}


def test_segments_use_the_events_time_as_now(engine):
    h = engine(
        'segment "fresh" when profile.traits.since > now - 1 day\n'
        'when event.type == "go" then '
        "set profile.traits.since = event.time if missing\n"
    )
    inside = h.run(event("e1", "go", minutes=0), event("e2", minutes=23 * 60))
    [after] = h.run(event("e3", minutes=25 * 60))
    assert [o.segments_entered for o in inside] == [["fresh"], []]
    assert after.segments_left == ["fresh"]


def test_segment_events_of_a_replayed_batch_are_not_repeated(engine):
    h = engine(SPENDERS)
    batch = [buy("e1", 150, 0), buy("e2", 100, 1, "refund")]
    h.run(*batch)
    before = (h.profile(), h.store.count_events())
    again = h.run(*batch)
    assert [o.duplicate for o in again] == [True, True]
    assert (h.profile(), h.store.count_events()) == before


@pytest.mark.parametrize(
    ("actions", "traits", "segments"),
    [
        ('remove segment "big"', {"ltv": 150}, ["big"]),  # the condition still holds
        ('add segment "big"', {"ltv": 5}, []),  # the condition does not hold
    ],
)
def test_a_manual_change_to_a_live_segment_is_undone_without_events(
    engine, actions, traits, segments
):
    h = engine(SPENDERS + f'when event.type == "go" then {actions}\n')
    h.put_profile(traits=traits, segments=segments)
    [outcome] = h.run(event("e1", "go"))
    assert h.profile()["segments"] == segments
    assert (outcome.segments_entered, outcome.segments_left) == ([], [])
    assert outcome.internal == []


def test_rules_that_flip_a_segment_back_and_forth_stop_at_the_depth_limit(engine):
    h = engine(
        'segment "flip" when profile.traits.x == 1\n'
        'when event.type == "go" then set profile.traits.x = 1\n'
        'when event.type == "segment-entered" then set profile.traits.x = 0\n'
        'when event.type == "segment-left" then set profile.traits.x = 1\n',
        max_depth=4,
    )
    [outcome] = h.run(event("e1", "go"))
    kinds = [e["type"] for e in h.events()]
    assert kinds == ["go"] + ["segment-entered", "segment-left"] * 2
    assert errors([outcome]) == [
        'internal event "segment-entered" dropped: internal events nest deeper than 4'
    ]
