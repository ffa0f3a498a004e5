"""count(), sum() and last() against the event store, by the events' own time.

Each row replays events (each with its own ``time``; ``received`` is set far
off on purpose) and records a history value on the profile with a rule that
fires on the last event, so the table reads: events in, value out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from engine_harness import at, event


def ev(event_id, type="purchase", days=0.0, total=None, received_days=None, **props):
    """An event ``days`` after T0; ``received`` far from ``time`` unless given."""
    properties = dict(props)
    if total is not None:
        properties["total"] = total
    found = event(event_id, type, time=at(days=days), properties=properties)
    found["received"] = at(days=received_days if received_days is not None else 400)
    return found


def recorder(expr: str) -> str:
    return f'when event.type == "check" then set profile.traits.got = {expr}\n'


def got(h) -> object:
    return h.profile()["traits"].get("got", "missing")


CHECK = ev("chk", "check", days=30)
"""The event the recording rule fires on: day 30."""

COUNTS = [
    # (expression, events before the check, expected value)
    ('count("purchase")', [ev("a", days=1), ev("b", days=2)], 2),
    ('count("purchase" within 7 days)', [ev("a", days=1), ev("b", days=25)], 1),
    ('count("purchase" within 29 days)', [ev("a", days=0.99), ev("b", days=1)], 1),
    ('count("purchase" within 5 days)', [ev("a", days=25)], 1),  # exactly 5 days
    ('count("purchase" within 5 days)', [ev("a", days=24.99)], 0),
    ('count("check")', [], 1),  # the event being processed counts, once
    ('count("check" within 1 hour)', [ev("x", "check", days=29)], 1),
    ('count("view")', [ev("a"), ev("v", "view"), ev("w", "view", days=3)], 2),
    (
        'count(event.type == "purchase" and event.properties.total > 50)',
        [ev("a", total=10), ev("b", total=60), ev("c", total="90")],
        1,
    ),
    (
        'count(event.type == "purchase" within 10 days)',
        [ev("a", days=5), ev("b", days=21), ev("c", "view", days=22)],
        1,
    ),
    ("count(event.properties.total > profile.traits.limit)", [ev("a", total=5)], 0),
]
"""`within` compares each event's own time with now (the check's time): events
received long after (``received`` is day 400) still count by when they happened."""


@pytest.mark.parametrize(("expr", "before", "value"), COUNTS)
def test_count(engine, expr, before, value):
    h = engine(recorder(expr))
    h.run_each(*before, CHECK)
    assert got(h) == value


SUMS = [
    ("sum(event.properties.total)", [ev("a", total=10), ev("b", total=2.5)], 12.5),
    ("sum(event.properties.total)", [ev("a", total=10), ev("b", total=5)], 15),
    ("sum(event.properties.total)", [ev("a", total="10"), ev("b", total=5)], 5),
    ("sum(event.properties.total)", [ev("a"), ev("b", total=None)], 0),
    (
        'sum(event.properties.total where event.type == "purchase" within 10 days)',
        [ev("a", total=1, days=2), ev("b", total=2, days=25), ev("c", "x", total=4)],
        2,
    ),
    (
        "sum(event.properties.total where event.properties.total > 3)",
        [ev("a", total=2), ev("b", total=4), ev("c", total=8)],
        12,
    ),
]


@pytest.mark.parametrize(("expr", "before", "value"), SUMS)
def test_sum(engine, expr, before, value):
    h = engine(recorder(expr))
    h.run_each(*before, CHECK)
    assert got(h) == value


def test_sum_counts_a_type_warning_for_each_value_that_is_not_a_number(engine):
    h = engine(recorder("sum(event.properties.total)"))
    h.run_each(ev("a", total="10"), ev("b", total=[1]), ev("c", total=3), CHECK)
    assert got(h) == 3
    assert h.stats()["t:1"]["type_warnings"] == 2


LASTS = [
    (
        'last(event.properties.total where event.type == "purchase")',
        [ev("a", total=1, days=1), ev("b", total=2, days=3), ev("c", total=3, days=2)],
        2,  # latest by event time, whatever the order they arrived in
    ),
    (
        'last(event.time where event.type == "purchase")',
        [ev("a", days=1), ev("b", days=3)],
        at(days=3),
    ),
    ('last(event.properties.total where event.type == "refund")', [ev("a")], "missing"),
    (
        'last(event.properties.total where event.type == "purchase" within 2 days)',
        [ev("a", total=1, days=1)],
        "missing",
    ),
    (
        'last(event.properties.total where event.type == "purchase")',
        [ev("a", total=1, days=1), ev("b", days=2)],
        "missing",  # the latest match has no total
    ),
]


@pytest.mark.parametrize(("expr", "before", "value"), LASTS)
def test_last(engine, expr, before, value):
    h = engine(recorder(expr))
    h.run_each(*before, CHECK)
    assert got(h) == value


@pytest.mark.parametrize("batches", ["one batch", "one batch each"])
def test_events_not_yet_committed_in_the_batch_count(engine, batches):
    h = engine(recorder('count("purchase" within 30 days)'))
    events = [ev("a", days=1), ev("b", days=2), ev("c", days=3), CHECK]
    if batches == "one batch":
        h.run(*events)
    else:
        h.run_each(*events)
    assert got(h) == 3


def test_a_redelivered_event_never_counts_twice(engine):
    h = engine(
        'when event.type == "purchase" then set profile.traits.got = '
        'count("purchase")\n'
    )
    h.run(ev("a", days=1), ev("a", days=1))
    assert got(h) == 1
    h.run(ev("a", days=1), ev("b", days=2))
    assert got(h) == 2
    h.run(ev("b", days=2))
    assert got(h) == 2


def test_the_event_being_processed_counts_once_in_each_rule(engine):
    h = engine(
        'rule "first"\n  priority 2\n  when event.type == "purchase"\n'
        '  then set profile.traits.first = count("purchase")\nend\n'
        'rule "second"\n  priority 1\n  when event.type == "purchase"\n'
        '  then set profile.traits.second = count("purchase")\nend\n'
    )
    h.run(ev("a"), ev("b", days=1))
    assert h.profile()["traits"] == {"first": 2, "second": 2}


def test_a_condition_with_history_decides_the_rule(engine):
    h = engine(
        'when event.type == "purchase" and count("purchase" within 30 days) >= 3 '
        'then add segment "frequent"\n'
    )
    h.run_each(ev("a", days=0), ev("b", days=10), ev("c", days=45))
    assert "frequent" not in h.profile()["segments"]
    h.run_each(ev("d", days=46))
    assert "frequent" not in h.profile()["segments"]
    h.run_each(ev("e", days=47))
    assert "frequent" in h.profile()["segments"]


def test_the_wall_clock_counts_by_event_time_too(engine):
    """Under the wall clock ``now`` is today; events of 2024 are long gone."""
    h = engine(recorder('count("purchase" within 7 days)'), clock=_wall)
    h.run_each(ev("a", days=1), CHECK)
    assert got(h) == 0
    h2 = engine(recorder('count("purchase")'), clock=_wall)
    h2.run_each(ev("a", days=1), CHECK)
    assert got(h2) == 1


def _wall(event: dict) -> datetime:
    """A wall clock stopped in 2099, whatever the event says."""
    return datetime(2099, 1, 1, tzinfo=UTC)
