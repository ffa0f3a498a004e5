"""The canonical layout (tracsh fmt): golden outputs, comments, and its two promises.

Formatting twice gives the same text as formatting once, and the formatted
text parses to the same nodes; both are checked over every rule file in the
repository and over generated rules written in a deliberately untidy way.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import conditions, expressions
from untidy import untidy_condition, untidy_value, writable

from tracsh.lang.errors import RuleError
from tracsh.lang.format import WIDTH, FormatError, format_source, scan_comments
from tracsh.lang.loader import rule_files
from tracsh.lang.parser import parse_file

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
"""Hypothesis warns that the strategies' own reprs are long; they are meant to be."""

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots" / "fmt"

CASES = {
    "line_rule": (
        "when event.type=='purchase'  and profile.visits>3 then send email 'thanks'\n"
    ),
    "line_rule_long": (
        'when event.type == "sign-up" and '
        'event.properties.phone matches "\\\\+[0-9]{8,15}" '
        "then set profile.pii.phone = event.properties.phone\n"
    ),
    "line_rule_broken": (
        'when event.type in ["product-view", "add-to-cart"] and '
        'event.properties.category starts with "coffee/" and profile.visits > 1 '
        'then add interest "coffee"; add interest "beans" by 2\n'
    ),
    "named_rule": (
        'rule "thanks"\n'
        '    tags ["a","b"]\n'
        "    once per profile every 7d\n"
        "    priority 10\n"
        '    description "why"\n'
        "    disabled\n"
        '    source "web-shop"\n'
        "  when event.type == 'purchase'\n"
        "  then send email 'thanks'; add segment 'x'\n"
        "end\n"
    ),
    "object_broken": (
        'rule "crm"\n  when event.type == "sign-up"\n  then\n'
        '    call webhook "crm" with {kind: "sign-up", "profile": profile.id, '
        '"email": profile.pii.email, "name": coalesce(profile.pii.first_name, "")}\n'
        "end\n"
    ),
    "segment": (
        "segment 'subscriber' when profile.consents.newsletter.granted == true and "
        "(profile.consents.newsletter.expires is null or "
        "profile.consents.newsletter.expires > now)\n"
    ),
    "journey": (
        'journey "onboarding"\n  exit when event.type == "purchase"\n'
        '  enter when event.type == "sign-up"\n  step "welcome"\n'
        '    send email "welcome"\n  step "nudge" after 2d\n'
        '    send email "nudge"\n'
        '  step "last call" after 5 days when profile.visits < 2\n'
        '    send email "last-call"\nend\n'
    ),
    "rule_test": (
        'test "thanks"\n  source "web-shop"\n'
        '  profile {"visits": 3, pii: {"email": "a@example.test"}}\n'
        '  event "purchase" with {"total": 30} after 8d\n'
        '  expect send email "thanks" to "a@example.test"\n'
        "  expect no send sms\n"
        '  expect rule "x" fired 1 times\n'
        '  expect rule "x" fired >= 1\n'
        '  expect rule "x" errors == 0\n'
        "  expect profile.visits > 3\n"
        "end\n"
    ),
    "comments": (
        "# header\n\n\n# about a\n"
        'rule "a"   # on the name\n'
        "  # before an option\n"
        '  tags ["x"]  # tag note\n'
        "  priority 3\n"
        "  when event.type == 'x'   # condition note\n"
        "    and profile.visits > 1\n"
        "  then   # then note\n"
        "    # before the action\n"
        "    set profile.traits.a = 1  # action note\n"
        "    # before end\n"
        "end  # end note\n"
        "when event.type == 'y' then stop # one-liner\n"
        "# at the end\n"
    ),
    "values": (
        'when event.a == -3 and event.b == 2.50 and event.c == "it\'s" '
        'and event.d == \'say "hi"\' and event.e == "tab\\there" '
        'and event["order id"] == 1 and event.f matches "\\\\d+\\.\\d" '
        "and now - 365 days < event.time and not (event.g is empty) "
        "and (event.h or event.i) then stop\n"
    ),
    "tql": "when tql 'profile@stats.visits > 10' then stop\n",
    # `exit when` moves before the steps; every comment stays with its code.
    "journey_comments": (
        'journey "onboarding"\n'
        "  # about entering\n"
        '  enter when event.type == "sign-up"\n'
        "  # about the welcome step\n"
        '  step "welcome"\n'
        "    # about the welcome message\n"
        '    send email "welcome"\n'
        "  # about the nudge\n"
        '  step "nudge" after 2 days\n'
        '    send email "nudge"  # after the nudge\n'
        "  # about leaving\n"
        '  exit when event.type == "purchase"  # after leaving\n'
        "  # before the end\n"
        "end\n"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layout(name, snapshot):
    snapshot.snapshot_dir = SNAPSHOTS
    formatted = format_source(CASES[name], "example.rules")
    snapshot.assert_match(formatted, f"{name}.rules")
    assert format_source(formatted, "example.rules") == formatted


def test_lines_stay_within_the_width_where_they_can_break():
    formatted = format_source(CASES["line_rule_broken"], "x.rules")
    assert all(len(line) <= WIDTH for line in formatted.splitlines())


REPOSITORY_FILES = sorted(
    str(p.relative_to(ROOT)) for p in rule_files([ROOT / "rules", ROOT / "samples"])
)


@pytest.mark.parametrize("path", REPOSITORY_FILES)
def test_repository_rule_files_are_formatted(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    formatted = format_source(text, path)
    assert formatted == text, f"run: tracsh fmt --write {path}"
    assert parse_file(formatted, path).forms == parse_file(text, path).forms


def test_every_comment_is_kept():
    text = CASES["comments"]
    formatted = format_source(text, "c.rules")
    assert sorted(c.text for c in scan_comments(text)) == sorted(
        c.text for c in scan_comments(formatted)
    )


def test_a_hash_inside_a_string_is_no_comment():
    text = 'when event.tag == "#1" then log "a # b"  # real\n'
    assert [c.text for c in scan_comments(text)] == ["# real"]


def test_a_file_that_does_not_parse_is_an_error():
    with pytest.raises(RuleError) as caught:
        format_source('when event.type = "x" then stop\n', "bad.rules")
    assert "bad.rules:1:17" in caught.value.render()


@pytest.mark.parametrize(
    "text",
    [
        "when 1" + " + 1" * 3000 + " > 0 then stop\n",
        'rule "r"\n  when true\n  then\n    set profile.x = 1'
        + " * 2" * 3000
        + "\nend\n",
    ],
)
def test_a_chain_nested_past_the_limit_is_an_error_not_a_recursion(text):
    with pytest.raises(RuleError) as caught:
        format_source(text, "deep.rules")
    assert "nests more than 64 levels deep" in caught.value.render()


def test_a_layout_that_takes_a_form_over_the_size_limit_is_refused_as_such():
    condition = " or ".join(f'event.type == "t{i}"' for i in range(2500))
    text = f"when {condition} then stop\n"
    parse_file(text, "long.rules")
    with pytest.raises(FormatError) as caught:
        format_source(text, "long.rules")
    assert str(caught.value).startswith(
        "long.rules: the formatted text would not load: this rule is 66401 characters"
    )


def test_empty_and_comment_only_files():
    assert format_source("", "e.rules") == ""
    assert format_source("\n\n# only\n\n\n# this\n", "e.rules") == "# only\n\n# this\n"


# --- generated rules, written untidily ----------------------------------------------


def _rules_text(data) -> str:
    """A few forms around generated conditions and values, laid out at random."""
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    forms = []
    for index in range(data.draw(st.integers(1, 3))):
        condition, value = data.draw(conditions), data.draw(expressions)
        assume(writable(condition) and writable(value))
        condition, value = untidy_condition(condition, rng), untidy_value(value, rng)
        comment = rng.choice(["", "  # note", "\n# between"])
        if rng.random() < 0.5:
            forms.append(f"when {condition} then set profile.x = {value}{comment}")
        else:
            options = rng.choice(["", "\n priority 2", "\n  once per session"])
            forms.append(
                f'rule "r{index}"{options}\n   when {condition}\n then  '
                f"set profile.y = {value} ; stop\nend{comment}"
            )
    return rng.choice(["\n", "\n\n", "\n\n\n"]).join(forms) + "\n"


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_generated_rules_format_stably_and_keep_their_meaning(data):
    text = _rules_text(data)
    formatted = format_source(text, "g.rules")
    assert parse_file(formatted, "g.rules").forms == parse_file(text, "g.rules").forms
    assert format_source(formatted, "g.rules") == formatted
