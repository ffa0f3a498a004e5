"""Pipeline step 3: which rules run for an event, and in which order.

Each rule in these tables appends its own name to ``profile.traits.ran``, so
the profile records the order the rules ran in.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime

import pytest
from engine_harness import at, book_of, event, fired

from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import RuleBook
from tracsh.lang.compile import compile_condition
from tracsh.lang.loader import load_rules
from tracsh.lang.scope import Scope


def rule(name: str, *options: str, when: str = 'event.type == "go"') -> str:
    """A named rule that records that it ran."""
    lines = [f'rule "{name}"', *options, f"  when {when}"]
    return "\n".join([*lines, f'  then append "{name}" to profile.traits.ran', "end\n"])


def ran(harness) -> list[str]:
    return harness.profile()["traits"].get("ran", [])


@pytest.mark.parametrize(
    ("priorities", "order"),
    [
        ([0, 0, 0], ["r0", "r1", "r2"]),
        ([0, 10, -5], ["r1", "r0", "r2"]),
        ([10, 0, 10], ["r0", "r2", "r1"]),
        ([-1, -2, -3], ["r0", "r1", "r2"]),
        ([1, 2, 3], ["r2", "r1", "r0"]),
    ],
)
def test_rules_run_in_descending_priority_ties_in_position(engine, priorities, order):
    text = "".join(rule(f"r{i}", f"  priority {p}") for i, p in enumerate(priorities))
    h = engine(text)
    outcomes = h.run(event("e1", "go"))
    assert fired(outcomes) == order
    assert ran(h) == order


def test_ties_run_in_the_order_the_files_were_given_then_position(engine):
    sources = [
        ("b.rules", rule("b1") + rule("b2", "  priority 5")),
        ("a.rules", rule("a1") + rule("a2", "  priority 5")),
        ("c.rules", 'when event.type == "go" then append "c:1" to profile.traits.ran'),
    ]
    h = engine(sources)
    h.run(event("e1", "go"))
    assert ran(h) == ["b2", "a2", "b1", "a1", "c:1"]


def test_load_rules_sorts_files_by_path(engine, tmp_path):
    folder = tmp_path / "rules"
    (folder / "sub").mkdir(parents=True)
    (folder / "z.rules").write_text(rule("z"))
    (folder / "a.rules").write_text(rule("a1") + rule("a2"))
    (folder / "sub" / "m.rules").write_text(rule("m", "  priority 1"))
    (folder / "b.rules").write_text(rule("b"))
    ruleset = load_rules([folder])
    assert [r.id for r in ruleset.rules] == ["m", "a1", "a2", "b", "z"]
    sources = [(path, ruleset.files[path]) for path in ruleset.files]
    h = engine(sources)
    h.run(event("e1", "go"))
    assert ran(h) == ["m", "a1", "a2", "b", "z"]


STOPPING = (
    rule("first", "  priority 20")
    + 'rule "stopper"\n  priority 10\n  when event.type == "go"\n'
    + '  then\n    append "stopper" to profile.traits.ran\n    stop\n'
    + "    set profile.traits.after_stop = true\nend\n"
    + rule("same priority", "  priority 10")
    + rule("lower")
    + rule("other type", when='event.type == "other"')
    + 'segment "stopped" when profile.traits.after_stop == true\n'
)


def test_stop_ends_the_rules_for_that_event_only(engine):
    h = engine(STOPPING)
    outcomes = h.run(event("e1", "go"), event("e2", "other", minutes=1))
    assert fired(outcomes[:1]) == ["first", "stopper"]
    # The stopping rule finishes its own actions, and segments still refresh.
    assert h.profile()["traits"]["after_stop"] is True
    assert outcomes[0].segments_entered == ["stopped"]
    # The next event runs its rules as usual.
    assert fired(outcomes[1:]) == ["other type"]
    assert ran(h) == ["first", "stopper", "other type"]
    assert "lower" not in h.stats()  # never evaluated


def test_stop_holds_back_nothing_in_the_internal_events_it_caused(engine):
    h = engine(
        'rule "stopper"\n  priority 10\n  when event.type == "go"\n'
        '  then\n    emit event "child"\n    stop\nend\n'
        'when event.type == "go" then log "never"\n'
        'when event.type == "child" then append "child" to profile.traits.ran\n'
    )
    outcomes = h.run(event("e1", "go"))
    assert fired(outcomes) == ["stopper", "t:9"]


ONCE = {
    "profile": rule("r", "  once per profile"),
    "session": rule("r", "  once per session"),
    "weekly": rule("r", "  once per profile every 7 days"),
}


@pytest.mark.parametrize(
    ("once", "events", "fires"),
    [
        ("profile", [("p1", "s1", 0), ("p1", "s1", 1), ("p1", "s2", 2)], 1),
        ("profile", [("p1", "s1", 0), ("p2", "s2", 1), ("p1", "s3", 2)], 2),
        ("session", [("p1", "s1", 0), ("p1", "s1", 1), ("p1", "s2", 2)], 2),
        ("session", [("p1", "s1", 0), ("p2", "s2", 1), ("p2", "s2", 2)], 2),
        # A session idle past the timeout has ended: the next visit is a new one.
        ("session", [("p1", "s1", 0), ("p1", "s1", 10), ("p1", "s1", 45)], 2),
        ("session", [("p1", None, 0), ("p1", None, 10), ("p1", None, 45)], 2),
    ],
)
def test_once_per_profile_and_session(engine, once, events, fires):
    h = engine(ONCE[once])
    batch = [
        event(f"e{i}", "go", profile=p, session=s, minutes=m)
        for i, (p, s, m) in enumerate(events)
    ]
    outcomes = h.run(*batch[:1]) + h.run(*batch[1:])  # across batches too
    assert fired(outcomes).count("r") == fires


@pytest.mark.parametrize(
    ("days", "fires_on"),
    [
        ([0, 1, 6.9], [0]),
        ([0, 7, 8, 13.9, 14], [0, 7, 14]),  # exactly 7 days later: allowed again
        ([0, 3, 10, 16], [0, 10]),  # the cooldown runs from the last firing
        ([5, 0, 12], [5, 12]),  # an earlier event inside the cooldown stays held
    ],
)
def test_once_per_profile_every_duration_uses_the_events_own_time(
    engine, days, fires_on
):
    h = engine(ONCE["weekly"])
    batch = [
        event(f"e{i}", "go", session=f"s{i}", time=at(days=d))
        for i, d in enumerate(days)
    ]
    outcomes = h.run_each(*batch)
    assert [d for d, o in zip(days, outcomes, strict=True) if o.fired] == fires_on
    stored = h.store.get_fired("r", "profile", "p1")
    assert stored == at(days=fires_on[-1])


def test_a_clock_setting_replaces_the_events_time(engine):
    fixed = datetime(2030, 1, 1, tzinfo=UTC)
    h = engine(
        'when event.type == "go" then set profile.traits.now = now',
        clock=lambda event: fixed,
    )
    h.run(event("e1", "go"))
    assert h.profile()["traits"]["now"] == fixed.isoformat()


def test_source_limits_a_rule_to_events_from_that_source(engine):
    h = engine(
        rule("shop only", '  source "web-shop"', when="true")
        + rule("any source", when="true")
    )
    outcomes = h.run(
        event("e1", "go", source="web-shop"),
        event("e2", "go", source="app", minutes=1),
    )
    assert [fired([o]) for o in outcomes] == [
        ["shop only", "any source"],
        ["any source"],
    ]
    assert h.stats()["shop only"]["evaluations"] == 1


def test_source_rules_do_not_run_for_internal_events(engine):
    h = engine(
        'when event.type == "go" then emit event "child"\n'
        + rule("shop child", '  source "web-shop"', when='event.type == "child"')
        + rule("internal child", '  source "internal"', when='event.type == "child"')
    )
    assert fired(h.run(event("e1", "go"))) == ["t:1", "internal child"]


def test_a_disabled_rule_never_runs(engine):
    h = engine(rule("off", "  disabled", when="true") + rule("on", when="true"))
    outcomes = h.run(event("e1", "go"), event("e2", "other", minutes=1))
    assert fired(outcomes) == ["on", "on"]
    assert "off" not in h.stats()
    assert [r.id for r in h.book.rules] == ["on"]


# --- the event-type index gives the same results as running every rule ----------

INDEX_CONDITIONS = [
    'event.type == "a"',
    '"b" == event.type',
    'event.type == "b" or event.type == "c"',
    'event.type in ["a", "d"]',
    'event.type not in ["a", "b"]',
    'event.type != "a"',
    'not (event.type == "a")',
    'lower(event.type) == "a"',
    'event.type == "A"',
    'event.type == "a" and event.type == "b"',
    'event.type == "a" or profile.visits > 1',
    'event.type == "c" and event.properties.n > 1',
    'event.type == "d" and profile.visits >= 1 and event.properties.n <= 2',
    'event.type in ["b", "c"] and (event.type == "c" or event.properties.n == 0)',
    'event.type starts with "se"',
    'event.type == "segment-entered" and event.properties.segment == "many"',
    "event.properties.n == 3",
    "true",
    "event.type exists and profile.counters.i0 > 0",
    'event.type == "b" and not (event.properties.n > 2)',
]
INDEX_TYPES = ["a", "b", "c", "d", "e", "A", "segment-entered", "segment-left"]


def index_rules() -> str:
    return (
        "".join(
            f'rule "i{i}"\n  priority {i % 3}\n  when {cond}\n'
            f"  then\n    increment profile.counters.i{i}\n"
            f'    append "i{i}" to profile.traits.ran\nend\n'
            for i, cond in enumerate(INDEX_CONDITIONS)
        )
        + 'segment "many" when profile.visits >= 2\n'
    )


def without_index(book: RuleBook) -> RuleBook:
    """The same rules, each open to every event type, and checked as one whole."""
    rules = [
        dataclasses.replace(
            r, event_types=None, pre=None, main=compile_condition(r.node.condition)
        )
        for r in book.rules
    ]
    return RuleBook(rules, book.segments, book.revision, book.journeys)


def index_events(seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [
        event(
            f"e{i}",
            rng.choice(INDEX_TYPES),
            profile=rng.choice(["p1", "p2", "p3"]),
            session=rng.choice(["s1", "s2", "s3", "s4"]),
            minutes=i * rng.choice([1, 40]),
            properties={"n": rng.randint(0, 4)},
        )
        for i in range(150)
    ]


def test_candidates_include_every_rule_that_can_match_in_run_order():
    book = book_of(index_rules())
    checks = {r.id: compile_condition(r.node.condition) for r in book.rules}
    profiles = [{"visits": v, "counters": {"i0": v}} for v in (0, 1, 3)]
    for event_type in INDEX_TYPES + ["never-seen"]:
        candidates = [r.id for r in book.candidates(event_type)]
        assert candidates == [r.id for r in book.rules if r.id in candidates]
        for rule_ in book.rules:
            can_match = any(
                checks[rule_.id](
                    Scope(
                        event={
                            "type": event_type,
                            "properties": {"n": n, "segment": "many"},
                        },
                        profile=profile,
                    )
                )
                is True
                for n in range(5)
                for profile in profiles
            )
            if can_match:
                assert rule_.id in candidates, (rule_.id, event_type)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_gives_the_same_results_as_running_every_rule(tmp_path, seed):
    from tracsh.store import Store

    book = book_of(index_rules())
    results = []
    for name, variant in (("indexed", book), ("every", without_index(book))):
        with Store.open(tmp_path / f"{name}.db") as store:
            engine = Engine(store, variant)
            outcomes = engine.process_batch(index_events(seed))
            profiles = list(store.iter_profiles())
            matches = {
                r["rule_id"]: r["matches"] for r in store.rule_stats() if r["matches"]
            }
            results.append((fired(outcomes), profiles, matches))
    assert results[0] == results[1]
    assert sum(results[0][2].values()) > 100
