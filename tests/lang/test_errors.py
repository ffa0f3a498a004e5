"""Every curated load error of language.md §7, rendered, against golden files."""

from pathlib import Path

import pytest

from tracsh.lang.loader import load_sources

SNAPSHOTS = Path(__file__).parent / "snapshots" / "errors"

CASES = {
    "missing_then": 'when event.type == "purchase" send email "thanks"\n',
    "missing_then_named": (
        'rule "thanks"\n  when event.type == "purchase"\n  send email "thanks"\nend\n'
    ),
    "missing_end_next_rule": (
        'rule "a"\n  when event.type == "x"\n  then\n    stop\n\n'
        'rule "b"\n  when event.type == "y"\n  then\n    stop\nend\n'
    ),
    "missing_end_at_eof": 'rule "a"\n  when event.type == "x"\n  then\n    stop\n',
    "unknown_action": 'when event.type == "x" then sned email "thanks"\n',
    "unknown_function": 'when lowr(event.type) == "x" then stop\n',
    "wrong_arity": "when round() == 1 then stop\n",
    "unknown_root": "when person.age > 3 then stop\n",
    "unclosed_string": 'when event.type == "purchase then stop\n',
    "write_to_event": 'when event.type == "x" then set event.properties.seen = true\n',
    "duplicate_rule_id": (
        'rule "a"\n  when event.type == "x"\n  then stop\nend\n'
        'rule "a"\n  when event.type == "y"\n  then stop\nend\n'
    ),
    "assign_for_equals": 'when event.type = "purchase" then stop\n',
    "invalid_regex": 'when event.properties.sku matches "[A-Z" then stop\n',
    "too_deep": "when " + "not " * 70 + 'event.type == "x" then stop\n',
    "two_actions_one_line": 'when event.type == "x" then stop stop\n',
    "condition_as_value": "when (event.a > 1) + 2 > 3 then stop\n",
    "option_twice": (
        'rule "a"\n  priority 1\n  priority 2\n  when true\n  then stop\nend\n'
    ),
    "not_a_list": 'when event.type in "abc" then stop\n',
    "keyword_for_a_value": (
        'rule "x"\n  when event.type ==\n  then add segment "a"\nend\n'
    ),
    "keyword_for_a_value_at_end": (
        'rule "a"\n  when true\n  then\n    set profile.x =\nend\n'
    ),
    "keyword_for_a_value_in_a_line": "when profile.visits > 1 and then stop\n",
    "keyword_for_a_value_parsed": "when true then set profile.x = 1 +\n  and\n",
    "unknown_journey": 'when event.type == "x" then start journey "nope"\n',
    "unknown_segment_warning": 'when profile in segment "nobody" then stop\n',
    "bad_character": 'when event.type == "x" && true then stop\n',
    "nul_character": 'when event.type == "x"\0 then stop\n',
    "integer_too_large": "when event.n > " + "9" * 5000 + " then stop\n",
    "decimal_too_large": "when event.n > 1" + "0" * 400 + ".5 then stop\n",
    "duration_too_long": "when event.time > now - " + "9" * 40 + " days then stop\n",
    "long_line_window": "when "
    + "event.a == 1 and " * 200
    + "lowr(event.b) == 1 then stop\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_message(name, snapshot):
    ruleset = load_sources([("rules/example.rules", CASES[name])])
    assert ruleset.diagnostics, f"{name}: no diagnostic"
    if name.endswith("_warning"):
        assert ruleset.ok
    else:
        assert not ruleset.ok
    snapshot.snapshot_dir = SNAPSHOTS
    rendered = "\n".join(d.render() for d in ruleset.diagnostics) + "\n"
    snapshot.assert_match(rendered, f"{name}.txt")


def test_errors_in_several_files_are_all_reported():
    ruleset = load_sources(
        [
            ("a.rules", 'when event.type = "x" then stop\n'),
            ("b.rules", 'when lowr(event.type) == "x" then stop\n'),
        ]
    )
    assert [d.path for d in ruleset.errors] == ["a.rules", "b.rules"]


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        # Wide (CJK) characters take two cells, combining marks none.
        ('when event.type == "日本" and = 1 then stop\n', 30),
        ('when event.type == "e\u0301" and lowr(event.x) == 1 then stop\n', 27),
    ],
)
def test_the_caret_stays_under_the_fault_past_wide_characters(text, cells):
    [error] = load_sources([("w.rules", text)]).errors
    caret_line = error.render().split("\n")[2]
    assert caret_line[: 2 + cells + 1] == " " * (2 + cells) + "^"
