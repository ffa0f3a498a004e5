"""Forms and conditions over the size limit are refused before any parsing.

A huge paste must cost a scan of its text, not a parse: every entry point of
the parser checks the size first and answers with the curated message.
"""

from __future__ import annotations

import time

import pytest

from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_sources
from tracsh.lang.parser import parse_condition, parse_expr, unfinished
from tracsh.lang.transform import MAX_FORM_CHARS

LONG_RULE = (
    'rule "a"\n  when event.type == "x"\n'
    + "    and event.properties.total == 1\n" * 25_000
    + "  then\n    stop\nend\n"
)
"""A rule of about 900 KB: over the limit, and slow to parse if anything tried."""


def _quick(call, *args):
    started = time.perf_counter()
    result = call(*args)
    assert time.perf_counter() - started < 0.5
    return result


def test_a_huge_rule_is_refused_before_parsing():
    ruleset = _quick(load_sources, [("a.rules", LONG_RULE)])
    [error] = ruleset.errors
    assert (error.line, error.column) == (1, 1)
    assert error.message.startswith("this rule is ")
    assert f"over the limit of {MAX_FORM_CHARS}; split it" in error.message


def test_a_huge_form_after_small_ones_is_found_at_its_line():
    text = 'segment "s" when profile.visits > 1\n\n' + LONG_RULE
    [error] = _quick(load_sources, [("a.rules", text)]).errors
    assert error.line == 3


@pytest.mark.parametrize(
    ("parse", "text", "what"),
    [
        (parse_condition, "event.a == 1 and " * 5000 + "true", "condition"),
        (parse_expr, "1 + " * 20_000 + "1", "value"),
    ],
)
def test_huge_conditions_and_values_are_refused_before_parsing(parse, text, what):
    with pytest.raises(RuleError) as raised:
        _quick(parse, text)
    message = raised.value.diagnostics[0].message
    assert message.startswith(f"this {what} is {len(text)} characters long")


def test_a_huge_input_is_not_merely_unfinished():
    assert _quick(unfinished, LONG_RULE.removesuffix("end\n")) is False


def test_a_long_file_of_small_forms_and_long_comments_loads():
    form = (
        'rule "r{}"\n  when event.type == "x"\n'
        + "    and event.properties.total == 1\n" * 1000
        + "  then\n    stop\nend\n"
    )
    comment = "# " + "x" * 70_000 + "\n"
    text = "".join(form.format(number) + comment for number in range(3))
    ruleset = load_sources([("a.rules", text)])
    assert ruleset.diagnostics == [] and len(ruleset.rules) == 3
