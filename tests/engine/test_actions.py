"""Pipeline step 3, second half: what every action that changes state does.

Most tables run one rule named "r" over one "go" event against a stored
profile, and compare the committed profile, session, outcome and rule
statistics with exact values.
"""

from __future__ import annotations

import pytest
from engine_harness import (
    act,
    at,
    errors,
    event,
    fired,
    key_of,
    rule_errors,
    rule_text,
)

from tracsh.lang.loader import load_sources

DEEP = [[[]]]
for _ in range(62):
    DEEP = [DEEP]
"""A list 65 levels deep, just past what an action value may hold."""

# --- set, unset ----------------------------------------------------------------

SET_ROWS = [
    # actions, traits before, event properties, traits after
    ('set profile.traits.tier = "gold"', {}, {}, {"tier": "gold"}),
    ("set profile.traits.a.b.c = 1", {}, {}, {"a": {"b": {"c": 1}}}),
    ("set profile.traits.a.b = 2", {"a": {"x": 1}}, {}, {"a": {"x": 1, "b": 2}}),
    ("set profile.traits.a.b = 2", {"a": None}, {}, {"a": {"b": 2}}),
    (
        'set profile.traits.tier = "new" if missing',
        {"tier": "old"},
        {},
        {"tier": "old"},
    ),
    ('set profile.traits.tier = "new" if missing', {}, {}, {"tier": "new"}),
    # null is a stored value, so it is not missing.
    ('set profile.traits.tier = "new" if missing', {"tier": None}, {}, {"tier": None}),
    ("set profile.traits.n = event.properties.n * 2", {}, {"n": 21}, {"n": 42}),
    ("set profile.traits.t = event.time + 1 hour", {}, {}, {"t": at(60)}),
    ("set profile.traits.d = 2 hours", {}, {}, {"d": 7200}),
    ("set profile.traits.x = null", {"x": 1}, {}, {"x": None}),
    # A missing value writes nothing (and is no error).
    ("set profile.traits.x = event.properties.nothing", {"x": 1}, {}, {"x": 1}),
    ('set profile.traits.list[1] = "b"', {"list": ["a"]}, {}, {"list": ["a", "b"]}),
    ('set profile.traits.list[0] = "z"', {"list": ["a"]}, {}, {"list": ["z"]}),
    ('set profile.traits["odd key"] = 1', {}, {}, {"odd key": 1}),
    (
        "set profile.traits.items = event.properties.items",
        {},
        {"items": [{"sku": "A"}]},
        {"items": [{"sku": "A"}]},
    ),
    (
        "set profile.traits.email = lower(trim(event.properties.email))",
        {},
        {"email": "  Ana@Example.TEST "},
        {"email": "ana@example.test"},
    ),
    (
        "set profile.traits.a = 1; set profile.traits.b = profile.traits.a + 1",
        {},
        {},
        {
            "a": 1,
            "b": 2,
        },
    ),
    ("unset profile.traits.tier", {"tier": "gold", "n": 1}, {}, {"n": 1}),
    ("unset profile.traits.tier", {"n": 1}, {}, {"n": 1}),
    ("unset profile.traits.a.b", {"a": {"b": 1, "c": 2}}, {}, {"a": {"c": 2}}),
    ("unset profile.traits.list[0]", {"list": ["a", "b"]}, {}, {"list": ["b"]}),
]


@pytest.mark.parametrize(("actions", "before", "properties", "after"), SET_ROWS)
def test_set_and_unset(engine, actions, before, properties, after):
    h, outcome = act(engine, actions, properties, traits=before)
    assert h.profile()["traits"] == after
    assert rule_errors(h) == 0
    assert outcome.errors == []


def test_set_writes_to_the_session(engine):
    h, _ = act(
        engine,
        'set session.context.campaign = "spring"; set session.context.n = 1; '
        "unset session.context.n",
    )
    assert h.session("s1")["context"] == {"campaign": "spring"}
    assert "campaign" not in h.profile()["traits"]


# --- increment, decrement ---------------------------------------------------------

INCREMENT_ROWS = [
    ("increment profile.traits.n", {}, {}, {"n": 1}),
    ("increment profile.traits.n", {"n": 4}, {}, {"n": 5}),
    ("increment profile.traits.n by 2.5", {}, {}, {"n": 2.5}),
    ("increment profile.traits.n by -2", {"n": 1}, {}, {"n": -1}),
    ("decrement profile.traits.n", {}, {}, {"n": -1}),
    (
        "decrement profile.traits.n by event.properties.amount",
        {"n": 10},
        {"amount": 3.5},
        {"n": 6.5},
    ),
    # A stored null counts as missing: it starts at 0.
    ("increment profile.traits.n", {"n": None}, {}, {"n": 1}),
    ("increment profile.traits.a.b", {}, {}, {"a": {"b": 1}}),
    ("increment profile.traits.n; increment profile.traits.n by 3", {}, {}, {"n": 4}),
]


@pytest.mark.parametrize(("actions", "before", "properties", "after"), INCREMENT_ROWS)
def test_increment_and_decrement(engine, actions, before, properties, after):
    h, _ = act(engine, actions, properties, traits=before)
    assert h.profile()["traits"] == after
    assert rule_errors(h) == 0


def test_increment_works_on_counters(engine):
    h, _ = act(engine, "increment profile.counters.purchases", counters={"x": 1})
    assert h.profile()["counters"] == {"x": 1, "purchases": 1}


# --- list updates ----------------------------------------------------------------

LIST_ROWS = [
    ('append "x" to profile.traits.tags', {}, {}, {"tags": ["x"]}),
    ('append "x" to profile.traits.tags', {"tags": ["x"]}, {}, {"tags": ["x"]}),
    ('append "y" to profile.traits.tags', {"tags": ["x"]}, {}, {"tags": ["x", "y"]}),
    ('append "x" to profile.traits.tags', {"tags": None}, {}, {"tags": ["x"]}),
    (
        'append "x" to profile.traits.tags; append "x" to profile.traits.tags',
        {},
        {},
        {"tags": ["x"]},
    ),
    (
        "append event.properties.item to profile.traits.tags",
        {"tags": [{"a": 1}]},
        {"item": {"a": 1}},
        {"tags": [{"a": 1}]},
    ),
    ("append event.properties.nothing to profile.traits.tags", {}, {}, {}),
    (
        'remove "x" from profile.traits.tags',
        {"tags": ["x", "y", "x"]},
        {},
        {"tags": ["y"]},
    ),
    ('remove "z" from profile.traits.tags', {"tags": ["x"]}, {}, {"tags": ["x"]}),
    ('remove "z" from profile.traits.tags', {}, {}, {}),
]


@pytest.mark.parametrize(("actions", "before", "properties", "after"), LIST_ROWS)
def test_append_and_remove(engine, actions, before, properties, after):
    h, _ = act(engine, actions, properties, traits=before)
    assert h.profile()["traits"] == after
    assert rule_errors(h) == 0


# --- segments, interests, consents -------------------------------------------------

PROFILE_ROWS = [
    # actions, profile fields before, profile fields after
    ('add segment "vip"', {}, {"segments": ["vip"]}),
    ('add segment "vip"; add segment "vip"', {}, {"segments": ["vip"]}),
    ('add segment "b"', {"segments": ["a"]}, {"segments": ["a", "b"]}),
    ('remove segment "a"', {"segments": ["a", "b"]}, {"segments": ["b"]}),
    ('remove segment "z"', {"segments": ["a"]}, {"segments": ["a"]}),
    ('add interest "coffee"', {}, {"interests": {"coffee": 1}}),
    (
        'add interest "coffee" by 5',
        {"interests": {"coffee": 2}},
        {"interests": {"coffee": 7}},
    ),
    (
        'add interest "tea" by 0.5',
        {"interests": {"coffee": 2}},
        {"interests": {"coffee": 2, "tea": 0.5}},
    ),
    ('add interest "coffee"; add interest "coffee"', {}, {"interests": {"coffee": 2}}),
    (
        'grant consent "newsletter" for 52 weeks',
        {},
        {
            "consents": {
                "newsletter": {"granted": True, "time": at(0), "expires": at(days=364)}
            }
        },
    ),
    (
        'grant consent "sms" for 2 hours',
        {},
        {"consents": {"sms": {"granted": True, "time": at(0), "expires": at(120)}}},
    ),
    (
        'grant consent "sms"',
        {},
        {"consents": {"sms": {"granted": True, "time": at(0), "expires": None}}},
    ),
    (
        'revoke consent "sms"',
        {"consents": {"sms": {"granted": True, "expires": None}, "push": {}}},
        {
            "consents": {
                "sms": {"granted": False, "time": at(0), "expires": None},
                "push": {},
            }
        },
    ),
]


@pytest.mark.parametrize(("actions", "before", "after"), PROFILE_ROWS)
def test_segments_interests_and_consents(engine, actions, before, after):
    h, _ = act(engine, actions, **before)
    profile = h.profile()
    assert {name: profile[name] for name in after} == after
    assert rule_errors(h) == 0


# --- action errors are counted on the rule and change nothing -------------------------

ERROR_ROWS = [
    # actions, traits before, event properties, error message (part)
    ("increment profile.traits.n", {"n": "5"}, {}, "the stored value is not a number"),
    (
        "increment profile.traits.n by event.properties.by",
        {"n": 1},
        {"by": "2"},
        "the amount is not a number",
    ),
    (
        "increment profile.traits.n by event.properties.by",
        {"n": 1},
        {"by": True},
        "the amount is not a number",
    ),
    (
        "increment profile.traits.n by event.properties.nothing",
        {"n": 1},
        {},
        "the amount is not a number",
    ),
    (
        "increment profile.traits.n by event.properties.big",
        {"n": 1e308},
        {"big": 1e308},
        "not a finite number",
    ),
    ("increment profile.traits.tags", {"tags": ["a"]}, {}, "not a number"),
    (
        'add interest "coffee" by event.properties.by',
        {},
        {"by": "lots"},
        "the amount is not a number",
    ),
    ('append "x" to profile.traits.n', {"n": 1}, {}, "profile.traits.n is not a list"),
    (
        "set profile.traits.tier.level = 1",
        {"tier": "gold"},
        {},
        'set profile.traits.tier.level: "tier" holds text, not an object or list',
    ),
    (
        "set profile.traits.list.name = 1",
        {"list": [1]},
        {},
        'cannot write "name" into list',
    ),
    (
        "set profile.traits.list[5] = 1",
        {"list": []},
        {},
        "index 5 is past the end of a list of 0",
    ),
    ("set profile.traits.x = 1 / event.properties.n", {}, {"n": 0}, "division by zero"),
    (
        "set profile.traits.x = [profile.traits.deep]",
        {"deep": DEEP},
        {},
        "the value nests more than 64 levels deep; not used",
    ),
    (
        "append profile.traits.deep to profile.traits.list",
        {"deep": DEEP, "list": [[1]]},
        {},
        "the value nests more than 64 levels deep; not used",
    ),
]


@pytest.mark.parametrize(("actions", "before", "properties", "message"), ERROR_ROWS)
def test_action_errors_are_counted_and_change_nothing(
    engine, actions, before, properties, message
):
    h, outcome = act(
        engine, actions + "; set profile.traits.after = 1", properties, traits=before
    )
    assert h.profile()["traits"] == {**before, "after": 1}
    assert rule_errors(h) == 1
    [error] = outcome.errors
    assert error.startswith("r: ") and message in error


def test_an_interest_score_that_is_not_a_number_is_an_error(engine):
    h, outcome = act(engine, 'add interest "coffee"', interests={"coffee": "x"})
    assert h.profile()["interests"] == {"coffee": "x"}
    assert outcome.errors == [
        'r: add interest "coffee": the stored score is not a number'
    ]


def test_type_warnings_in_action_values_are_counted_on_the_rule(engine):
    h, outcome = act(
        engine, "set profile.traits.x = event.properties.s + 1", {"s": "a"}
    )
    assert h.stats()["r"] == {
        "evaluations": 1,
        "matches": 1,
        "errors": 0,
        "type_warnings": 1,
    }
    assert (outcome.errors, h.profile()["traits"]) == ([], {})


def test_a_condition_can_be_the_value_of_set(engine):
    h, _ = act(engine, "set profile.traits.vip = profile.visits > 1 and true")
    assert h.profile()["traits"] == {"vip": True}


def test_an_action_error_does_not_stop_later_rules_or_events(engine):
    h = engine(
        rule_text("increment profile.traits.n by event.properties.x", name="bad")
        + rule_text("increment profile.counters.ok", name="good")
    )
    outcomes = h.run(event("e1", "go"), event("e2", "go", minutes=1))
    assert fired(outcomes) == ["bad", "good", "bad", "good"]
    assert h.profile()["counters"] == {"ok": 2}
    assert h.stats()["bad"] == {
        "evaluations": 2,
        "matches": 2,
        "errors": 2,
        "type_warnings": 0,
    }


def test_a_value_rules_nest_deeper_event_by_event_stops_at_the_limit(engine):
    h = engine(rule_text("set profile.traits.x = [coalesce(profile.traits.x, 0)]"))
    outcomes = h.run(*(event(f"e{i}", "go", minutes=i) for i in range(600)))
    assert sum(map(len, (o.errors for o in outcomes))) == 600 - 64
    depth, value = 0, h.profile()["traits"]["x"]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert depth == 64


PROTECTED_ROWS = [
    ('set profile.id = "x"', "profile.id is kept by tracsh and cannot be written"),
    ("set profile.id.x = 1", "profile.id.x is kept by tracsh and cannot be written"),
    ('set profile.ids = ["x"]', "profile.ids is kept by tracsh and cannot be written"),
    (
        'append "x" to profile.ids',
        "profile.ids is kept by tracsh and cannot be written",
    ),
    (
        'remove "p1" from profile.ids',
        "profile.ids is kept by tracsh and cannot be written",
    ),
    ("unset profile.ids[0]", "profile.ids[0] is kept by tracsh and cannot be written"),
    (
        'set profile.created = "2000-01-01"',
        "profile.created is kept by tracsh and cannot be written",
    ),
    (
        "unset profile.created",
        "profile.created is kept by tracsh and cannot be written",
    ),
    (
        "increment profile.created",
        "profile.created is kept by tracsh and cannot be written",
    ),
    ('set session.id = "x"', "session.id is kept by tracsh and cannot be written"),
    (
        'set session.profile.id = "x"',
        "session.profile.id is kept by tracsh and cannot be written",
    ),
    (
        'set session.started = "x"',
        "session.started is kept by tracsh and cannot be written",
    ),
    (
        "set session.last_seen = 1",
        "session.last_seen is kept by tracsh and cannot be written",
    ),
    ('set profile.segments = "vip"', "profile.segments must stay a list"),
    ("set profile.consents = 5", "profile.consents must stay an object"),
    ('set profile.interests = "x"', "profile.interests must stay an object"),
    ("set profile.traits = null", "profile.traits must stay an object"),
    ('set profile.visits = "x"', "profile.visits must stay a number"),
    ("set profile.last_seen = 5", "profile.last_seen must stay text"),
    ("unset profile.updated", "profile.updated must stay text"),
    ("unset profile.traits", "profile.traits must stay an object"),
    ("set session.context = 1", "session.context must stay an object"),
    ("set session.events = true", "session.events must stay a number"),
]


@pytest.mark.parametrize(("actions", "message"), PROTECTED_ROWS)
def test_writes_that_would_break_the_profile_or_session_are_refused(
    engine, actions, message
):
    h = engine(
        rule_text(actions + "; set profile.traits.after = 1")
        + 'segment "any" when profile.visits >= 1\n'
        + 'when event.type == "go" then send email "t"; add interest "i"\n',
        checked=False,
    )
    h.put_profile(traits={"keep": 1})
    before = h.profile()
    outcomes = h.run(event("e1", "go"), event("e2", "go", session="s2", minutes=60))
    assert [o.errors for o in outcomes] == [[f"r: {message}"]] * 2
    profile = h.profile()
    for name in ("id", "ids", "created", "consents"):
        assert profile[name] == before[name]
    assert profile["interests"] == {"i": 2}
    assert profile["traits"] == {"keep": 1, "after": 1}
    assert (profile["visits"], profile["segments"]) == (3, ["any"])
    assert h.session("s1")["id"] == "s1"
    assert h.session("s1")["profile"] == {"id": "p1"}
    assert rule_errors(h) == 2


@pytest.mark.parametrize(
    ("actions", "field", "value"),
    [
        ('set profile.traits = {"a": 1}', "traits", {"a": 1}),
        ('set profile.segments = ["x"]', "segments", ["x"]),
        ("set profile.visits = 0", "visits", 0),
        ("set profile.counters = {}", "counters", {}),
        (
            'set profile.pii.email = "a@example.test"',
            "pii",
            {"email": "a@example.test"},
        ),
    ],
)
def test_whole_fields_may_be_replaced_by_a_value_of_their_kind(
    engine, actions, field, value
):
    h, outcome = act(engine, actions)
    assert h.profile()[field] == value
    assert outcome.errors == []


# --- emit event ----------------------------------------------------------------------


def test_emit_event_runs_an_internal_event_through_the_pipeline(engine):
    h, outcome = act(
        engine,
        'emit event "thanks-sent" with {"order": event.properties.order}; '
        "set profile.traits.parent_done = true",
        {"order": "A-1"},
        extra='when event.type == "thanks-sent" then '
        "set profile.traits.order = event.properties.order; "
        "set profile.traits.source = event.source.id; "
        "set profile.traits.seen_parent = profile.traits.parent_done\n",
    )
    assert fired([outcome]) == ["r", "t:7"]
    assert h.profile()["traits"] == {
        "parent_done": True,
        "order": "A-1",
        "source": "internal",
        "seen_parent": True,
    }
    [child] = outcome.internal
    stored = h.events()[1]
    assert (child.event_id, stored["id"]) == (key_of("e1", "r", 0),) * 2
    assert {k: stored[k] for k in ("type", "time", "source", "profile", "session")} == {
        "type": "thanks-sent",
        "time": at(0),
        "source": {"id": "internal"},
        "profile": {"id": "p1"},
        "session": {"id": "s1"},
    }
    assert stored["properties"] == {"order": "A-1"}
    assert stored["context"] == {"rule": "r", "parent": "e1"}


@pytest.mark.parametrize("max_depth", [0, 1, 3, 8])
def test_a_self_triggering_rule_stops_at_the_depth_limit_with_an_error(
    engine, max_depth
):
    h = engine(
        rule_text('increment profile.counters.pings; emit event "go"'),
        max_depth=max_depth,
    )
    outcomes = h.run(event("e1", "go"))
    assert h.profile()["counters"] == {"pings": max_depth + 1}
    assert h.store.count_events() == max_depth + 1
    assert errors(outcomes) == [
        f'r: internal event "go" dropped: internal events nest deeper than {max_depth}'
    ]
    assert h.stats()["r"]["errors"] == 1


def test_rules_that_trigger_each_other_stop_at_the_depth_limit(engine):
    h = engine(
        'when event.type == "ping" then increment profile.counters.ping; '
        'emit event "pong"\n'
        'when event.type == "pong" then increment profile.counters.pong; '
        'emit event "ping"\n',
        max_depth=5,
    )
    outcomes = h.run(event("e1", "ping"))
    assert h.profile()["counters"] == {"ping": 3, "pong": 3}
    assert len(errors(outcomes)) == 1
    assert h.stats()["t:2"]["errors"] == 1


@pytest.mark.parametrize(("fan_out", "limit"), [(4, 50), (3, 1000)])
def test_fan_out_is_capped_per_input_event_not_only_by_depth(engine, fan_out, limit):
    emits = "; ".join(['emit event "fan"'] * fan_out)
    h = engine(
        f'when event.type == "fan" then increment profile.counters.n; {emits}\n',
        max_internal=limit,
    )
    [outcome] = h.run(event("e1", "fan"))
    assert h.store.count_events() == limit + 1
    assert h.profile()["counters"] == {"n": limit + 1}
    dropped = [e for e in errors([outcome]) if "exceed" in e]
    assert dropped and dropped[0].endswith(f"from one event exceed {limit}")
    [next_outcome] = h.run(event("e2", "fan"))
    assert h.store.count_events() == 2 * limit + 2


@pytest.mark.parametrize(("actions", "message"), PROTECTED_ROWS)
def test_tracsh_check_refuses_those_writes_before_any_rule_runs(actions, message):
    ruleset = load_sources([("t.rules", rule_text(actions))])
    [error] = ruleset.errors
    assert error.message.startswith(message)
