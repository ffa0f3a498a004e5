"""Explain traces: golden traces for the cases people ask about, and their shape.

The differential test (test_differential.py) shows the trace decides as the
compiled form does; here the words are checked: which operand is missing, the
values compared, items an ``and`` never evaluated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracsh.lang.explain import explain_condition, explain_expr, render
from tracsh.lang.loader import load_condition, load_expr
from tracsh.lang.scope import MISSING, Scope

SNAPSHOTS = Path(__file__).parent / "snapshots" / "explain"
NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)

EVENT = {
    "type": "purchase",
    "time": "2024-05-01T10:00:00+00:00",
    "properties": {"total": 120.5, "items": [{"sku": "X1"}], "code": "abc"},
}
PROFILE = {"id": "p1", "visits": 2, "segments": ["new"], "pii": {"email": "A@X.test"},
           "traits": {"tier": "gold", "score": "7", "nothing": None}}  # fmt: skip

CASES = {
    "missing_operand": "profile.age != 10",
    "and_false_skips_the_rest": 'event.type == "refund" and profile.visits > 1',
    "and_unknown": 'event.type == "purchase" and profile.age > 18',
    "or_true": 'profile.traits.tier == "gold" or profile.visits > 10',
    "nested": (
        'event.type == "purchase" and (profile.age != 10 or profile.visits > 3) '
        'and lower(profile.pii.email) ends with "@x.test" '
        'and not (profile in segment "vip")'
    ),
    "type_warning": "profile.traits.score > 5",
    "null_operand": "profile.traits.nothing == 1",
    "between": "event.properties.total between 100 and 200",
    "presence": "profile.traits.tier exists and profile.pii.phone is missing",
    "membership": 'event.properties.items[0].sku in ["X1", "Y2"]',
    "arithmetic": "event.properties.total / (profile.visits - 2) > 1",
    "missing_step": 'session.context.page.url contains "/shop"',
    "history": 'count("purchase" within 30 days) >= 3',
    "times": "date(event.time) > now - 30 days",
    "regex": 'event.properties.code matches "[a-z]+"',
    "bare_value": "profile.traits.vip",
}


def scope() -> Scope:
    return Scope(event=EVENT, profile=PROFILE, session=MISSING, now=NOW)


@pytest.mark.parametrize("name", sorted(CASES))
def test_trace(name, snapshot):
    snapshot.snapshot_dir = SNAPSHOTS
    trace = explain_condition(load_condition(CASES[name]), scope())
    snapshot.assert_match(render(trace) + "\n", f"{name}.txt")


def test_items_after_the_deciding_one_are_marked_skipped():
    trace = explain_condition(
        load_condition(CASES["and_false_skips_the_rest"]), scope()
    )
    assert [child.verdict for child in trace.children] == ["false", "skipped"]


def test_the_first_line_is_the_fully_parenthesised_condition():
    trace = explain_condition(
        load_condition("a_b == 1 or event.x > 2 * 3 + 1".replace("a_b", "event.y")),
        scope(),
    )
    assert render(trace).split("\n")[0] == "(event.y == 1) or (event.x > ((2 * 3) + 1))"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("event.properties.total * 2", 241.0),
        ("len(event.properties.items)", 1),
        ("profile.nope + 1", MISSING),
        ('coalesce(profile.nope, "x")', "x"),
    ],
)
def test_values(text, value):
    assert explain_expr(load_expr(text), scope()).value == value


def test_the_scope_report_counts_what_the_trace_shows():
    evaluated = scope()
    trace = explain_condition(load_condition("profile.traits.score > 5"), evaluated)
    assert evaluated.report.type_warnings == 1
    assert trace.why == "cannot order a text against a number"
