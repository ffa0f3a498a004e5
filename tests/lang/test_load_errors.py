"""Mistakes that language.md §2 and §7 make load errors, never run-time results.

Each row asserts only that loading raises RuleError, where its first diagnostic
points (line and column, 1-based) and a word the message must contain; the exact
wording is snapshotted elsewhere. Writes to ``event.*`` belong to rule files and
are tested with them.
"""

from __future__ import annotations

import pytest

from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_condition, load_expr

# (condition text, line, columns the fault may start at, words: any one will do)
CONDITION_ERRORS = [
    # §2: an unknown function is a load error, not a run-time error.
    ('lowr(event.type) == "a"', 1, [1], ["lowr"]),
    ('event.type == "a" and frob(event.n) > 1', 1, [23], ["frob"]),
    ('lower(frob(event.n)) == "a"', 1, [7], ["frob"]),
    ('event.type == "a"\n  and frob(event.n) > 1', 2, [7], ["frob"]),
    ("not shout(event.n)", 1, [5], ["shout"]),
    # §7: unknown root.
    ('evnt.type == "purchase"', 1, [1], ["evnt"]),
    ("profile.visits > 3 and customer.id == 2", 1, [24], ["customer"]),
    ("event.type in [user.type]", 1, [16], ["user"]),
    # §7: an invalid regular expression after `matches`; the fault is the
    # pattern, so anywhere inside its quotes will do.
    ('event.type matches "(abc"', 1, range(20, 26), ["regular expression", "regex"]),
    ('event.n > 1 or event.s matches "a[b"', 1, range(32, 37), ["regular", "regex"]),
    # §7: `=` written for `==` in a condition.
    ('event.type = "purchase"', 1, [12], ["=="]),
    ('event.type == "purchase" and profile.tier = "gold"', 1, [43], ["=="]),
    # §7: an unclosed string.
    ('event.type == "purchase', 1, [15], ["string", "quote"]),
    # Negated presence tests the language spells another way.
    ("profile.x is not empty", 1, [11], ["write `not (x is empty)`"]),
    ("profile.x is not missing and true", 1, [11], ["write `x exists`"]),
    ("profile.x not exists", 1, [15], ["write `x is missing`"]),
    # A name with a letter outside ASCII: the way to write it is said.
    ("profile.traits.été == 1", 1, [16], ['write other keys in brackets: ["été"]']),
    ("profile.traits.naïve == 1", 1, [18], ['in brackets: ["naïve"]']),
]


def _ids(rows: list) -> list[str]:
    return [text.replace("\n", "\\n") for text, *_ in rows]


@pytest.mark.parametrize(
    ("text", "line", "columns", "words"), CONDITION_ERRORS, ids=_ids(CONDITION_ERRORS)
)
def test_condition_load_error(text, line, columns, words) -> None:
    with pytest.raises(RuleError) as raised:
        load_condition(text)
    first = raised.value.diagnostics[0]
    assert (first.line, first.column in columns) == (line, True), first.render()
    assert any(word in first.message for word in words), first.message


def test_unknown_function_in_an_expression() -> None:
    with pytest.raises(RuleError) as raised:
        load_expr("event.n + frob(1)")
    first = raised.value.diagnostics[0]
    assert (first.line, first.column) == (1, 11)
    assert "frob" in first.message


def test_every_unknown_function_is_reported() -> None:
    with pytest.raises(RuleError) as raised:
        load_condition("frob(event.a) == 1 and blah(event.b) == 2")
    messages = " ".join(d.message for d in raised.value.diagnostics)
    assert "frob" in messages and "blah" in messages


def test_the_listed_functions_load() -> None:
    """Every function §2 lists, with its documented arguments, loads cleanly."""
    load_condition(
        "lower(event.s) == upper(event.s) or trim(event.s) == text(event.n) or "
        "len(event.s) == number(event.s) or date(event.t) < now or "
        'datetime("2024-05-01T10:00:00+02:00") < now or days_since(event.t) > 1 '
        "or hours_since(event.t) > 1 or coalesce(event.a, event.b, 1) == 1 or "
        "round(event.n, 2) == 1"
    )


# §7: nesting deeper than a fixed limit is a clean error, never RecursionError.
DEEP = [
    "not " * 5000 + "event.a",
    "-" * 5000 + "event.a == 1",
    "lower(" * 2000 + "event.a" + ")" * 2000 + ' == "a"',
    "[" * 2000 + "]" * 2000 + " == event.a",
]


@pytest.mark.parametrize("text", DEEP, ids=lambda text: text[:12] + "…")
def test_deep_nesting_is_a_clean_error(text: str) -> None:
    with pytest.raises(RuleError) as raised:
        load_condition(text)
    assert raised.value.diagnostics[0].line == 1


# Deep in the text, shallow or absent in the tree: a long `+` chain nests its
# nodes, and parentheses leave none. Durations too long for any clock. Each may
# be a clean load error or may run; §7 and rule 6 rule out only an exception.
LOADS_OR_CLEAN_ERROR = [
    ("1" + " + 1" * 3000 + " == 3001", True),
    ("(" * 2000 + "1 == 1" + ")" * 2000, True),
    ("now - 1000000000 days < now", None),
    ("now + 1000000000 weeks > now", None),
    ("event.time + 2000000000 hours > now", None),
]


@pytest.mark.parametrize(
    ("text", "expected"), LOADS_OR_CLEAN_ERROR, ids=lambda v: str(v)[:24]
)
def test_loads_and_runs_or_is_a_clean_error(text: str, expected: bool | None) -> None:
    from tracsh.lang.compile import compile_condition
    from tracsh.lang.reference import evaluate_condition
    from tracsh.lang.scope import Scope

    try:
        condition = load_condition(text)
    except RuleError:
        return
    event = {"time": "2024-05-01T10:00:00+00:00"}
    assert compile_condition(condition)(Scope(event=event)) is expected
    assert evaluate_condition(condition, Scope(event=event)) is expected
