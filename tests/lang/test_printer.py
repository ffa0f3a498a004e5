"""Nodes back to text: literals as tables, and generated conditions printed and read
back, minimal or fully parenthesised, deciding exactly as the originals do."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from strategies import conditions, expressions, outcome, pooled_worlds
from untidy import writable

from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.compile import compile_condition, compile_expr
from tracsh.lang.parser import parse_condition, parse_expr
from tracsh.lang.scope import Scope
from tracsh.lang.transform import unescape

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", '"plain"'),
        ('say "hi"', "'say \"hi\"'"),
        ('it\'s "x"', '"it\'s \\"x\\""'),
        ("\\d+\\.\\d", '"\\d+\\.\\d"'),
        ("ends with \\", '"ends with \\\\"'),
        ("\\n is not a newline", '"\\\\n is not a newline"'),
        ("tab\there\nline", '"tab\\there\\nline"'),
        ("\x01", '"\\x01"'),
        ("caf\u00e9 \u2603", '"caf\u00e9 \u2603"'),
        ("\\x4 stays", '"\\x4 stays"'),
    ],
)
def test_strings(value, text):
    assert printer.string(value) == text
    assert unescape(text) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [(3, "3"), (-3, "-3"), (2.5, "2.5"), (1e-7, "0.0000001"),
     (1e16, "10000000000000000.0"), (100.0, "100.0"),
     (2**63 - 1, "9223372036854775807")],
)  # fmt: skip
def test_numbers(value, text):
    assert printer.number(value) == text
    assert parse_expr(text) == n.Literal(value)


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (n.Duration(7, "day"), "7 days"),
        (n.Duration(1, "hour"), "1 hour"),
        (n.Duration(1.5, "minute"), "1.5 minutes"),
        (n.Duration(730, "day"), "2 years"),
        (n.Duration(14, "day"), "14 days"),
    ],
)
def test_durations(node, text):
    assert printer.duration(node) == text
    assert parse_expr(text) == node


@pytest.mark.parametrize(
    ("source", "minimal", "full"),
    [
        ("a.x + b.y * 2", "a.x + b.y * 2", "a.x + (b.y * 2)"),
        ("(event.a + 1) * 2 > 3", "(event.a + 1) * 2 > 3", "((event.a + 1) * 2) > 3"),
        ("event.a - (event.b - 1)", "event.a - (event.b - 1)",
         "event.a - (event.b - 1)"),
        ("not event.a == 1", "not (event.a == 1)", "not (event.a == 1)"),
        ("event.a or event.b and event.c", "event.a or (event.b and event.c)",
         "event.a or (event.b and event.c)"),
        ('event["order id"].items[0]', 'event["order id"].items[0]',
         'event["order id"].items[0]'),
        ("-(event.a)", "-event.a", "-event.a"),
        ("- -event.a", "-(-event.a)", "-(-event.a)"),
    ],
)  # fmt: skip
def test_grouping(source, minimal, full):
    node = parse_condition(source.replace("a.x", "event.x").replace("b.y", "event.y"))
    assert printer.text(node) == minimal.replace("a.x", "event.x").replace(
        "b.y", "event.y"
    )
    assert printer.parenthesised(node) == full.replace("a.x", "event.x").replace(
        "b.y", "event.y"
    )


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@_settings(200)
@given(condition=conditions, pooled=pooled_worlds(6))
def test_printed_conditions_read_back_to_the_same_decisions(condition, pooled):
    assume(writable(condition))
    for shown in (printer.text(condition), printer.parenthesised(condition)):
        again = parse_condition(shown)
        assert printer.text(again) == printer.text(parse_condition(printer.text(again)))
        original, reread = compile_condition(condition), compile_condition(again)
        for world in pooled:
            a, b = Scope(**copy.deepcopy(world)), Scope(**copy.deepcopy(world))
            assert outcome(reread(b), b.report) == outcome(original(a), a.report), shown


@_settings(200)
@given(expression=expressions, pooled=pooled_worlds(4))
def test_printed_values_read_back_to_the_same_values(expression, pooled):
    assume(writable(expression))
    again = parse_expr(printer.text(expression))
    original, reread = compile_expr(expression), compile_expr(again)
    for world in pooled:
        a, b = Scope(**copy.deepcopy(world)), Scope(**copy.deepcopy(world))
        assert repr(reread(b)) == repr(original(a))
