"""Keywords are words of their own: one written against a name or a number is refused.

Each row is a rule text where ``|`` marks the end of a keyword. Written as it
is, without the ``|``, the text loads; with a letter or a digit in its place
the keyword is glued to it and the load error says to put a space there, at
that column. A few keywords glued to letters make a name (``nowx``, ``countx``),
which is then refused for being an unknown name instead. Names that begin with
a keyword (``whenever``, ``endpoint``, ``order_id``) stay names.
"""

from __future__ import annotations

import pytest

from tracsh.lang.errors import RuleError
from tracsh.lang.format import format_source
from tracsh.lang.loader import load_sources
from tracsh.lang.parser import keyword_phrases

RULE_R = '\nrule "r"\n  when true\n  then stop\nend'

SAMPLES = {
    "when": "when| true then stop",
    "then": "when true then| stop",
    "rule": 'rule| "a"\n  when true\n  then stop\nend',
    "priority": 'rule "a"\n  priority| 1\n  when true\n  then stop\nend',
    "once": 'rule "a"\n  once| per profile\n  when true\n  then stop\nend',
    "per": 'rule "a"\n  once per| profile\n  when true\n  then stop\nend',
    "profile": 'rule "a"\n  once per profile| every 1d\n  when true\n  then stop\nend',
    "session": 'rule "a"\n  once per session| every 1d\n  when true\n  then stop\nend',
    "every": 'rule "a"\n  once per profile every| 1 day\n  when true\n  then stop\nend',
    "source": 'rule "a"\n  source| "w"\n  when true\n  then stop\nend',
    "disabled": 'rule "a"\n  disabled|\n  when true\n  then stop\nend',
    "description": 'rule "a"\n  description| "d"\n  when true\n  then stop\nend',
    "tags": 'rule "a"\n  tags| ["d"]\n  when true\n  then stop\nend',
    "end": 'rule "a"\n  when true\n  then stop\nend|',
    "segment": 'segment| "s" when true',
    "journey": 'journey| "j"\n  enter when true\nend',
    "enter when": 'journey "j"\n  enter when| true\nend',
    "exit when": 'journey "j"\n  enter when true\n  exit when| true\nend',
    "step": 'journey "j"\n  enter when true\n  step| "a" after 1 day\n    stop\nend',
    "after": 'journey "j"\n  enter when true\n  step "a" after| 1 day\n    stop\nend',
    "test": 'test| "t"\n  event "x"\nend',
    "event": 'test "t"\n  event| "x"\nend',
    "expect": 'test "t"\n  event "x"\n  expect| true\nend',
    "no": 'test "t"\n  event "x"\n  expect no| send email\nend',
    "skipped": 'test "t"\n  event "x"\n  expect send email skipped|\nend',
    "fired": 'test "t"\n  expect rule "r" fired| 2 times\nend' + RULE_R,
    "times": 'test "t"\n  expect rule "r" fired 2 times|\nend' + RULE_R,
    "time": 'test "t"\n  expect rule "r" fired 1 time|\nend' + RULE_R,
    "send": 'when true then send| email "x"',
    "email": 'when true then send email| "x" to profile.x',
    "sms": 'when true then send sms| "x"',
    "push": 'when true then send push| "x"',
    "to": 'when true then send email "x" to| profile.x',
    "show": 'when true then show| message "x"',
    "message": 'when true then show message| "x"',
    "widget": 'when true then show widget| "x"',
    "with": 'when true then show widget "x" with| {a: 1}',
    "respond": "when true then respond| with {}",
    "set": "when true then set| profile.x = 1",
    "if missing": "when true then set profile.x = 1 if missing|",
    "unset": "when true then unset| profile.x",
    "increment": "when true then increment| profile.x",
    "by": "when true then increment profile.x by| 2",
    "decrement": "when true then decrement| profile.x",
    "append": "when true then append| 1 to profile.x",
    "remove": "when true then remove| 1 from profile.x",
    "from": "when true then remove 1 from| profile.x",
    "add": 'when true then add| segment "x"',
    "interest": 'when true then add interest| "x"',
    "grant": 'when true then grant| consent "x"',
    "consent": 'when true then grant consent| "x"',
    "for": 'when true then grant consent "x" for| 2 days',
    "revoke": 'when true then revoke| consent "x"',
    "call": 'when true then call| webhook "x"',
    "webhook": 'when true then call webhook| "x"',
    "enrich": 'when true then enrich| profile.x from "e"',
    "merge": "when true then merge| profile on profile.x",
    "on": "when true then merge profile on| profile.x",
    "emit": 'when true then emit| event "x"',
    "in": 'when true then emit event "x" in| 2 days',
    "at": 'when true then emit event "x" at| now',
    "start": 'when true then start| journey "j"\njourney "j"\n  enter when true\nend',
    "exit": 'when true then exit| journey "j"\njourney "j"\n  enter when true\nend',
    "log": 'when true then log| "x"',
    "stop": "when true then stop|",
    "and": "when true and| profile.x then stop",
    "or": "when true or| profile.x then stop",
    "not": "when not| profile.x then stop",
    "between": "when profile.x between| 1 and 2 then stop",
    "contains": "when profile.x contains| profile.y then stop",
    "starts with": "when profile.x starts with| profile.y then stop",
    "ends with": "when profile.x ends with| profile.y then stop",
    "matches": 'when profile.x matches| "a" then stop',
    "exists": "when profile.x exists| then stop",
    "is missing": "when profile.x is missing| then stop",
    "is null": "when profile.x is null| then stop",
    "is not null": "when profile.x is not null| then stop",
    "is empty": "when profile.x is empty| then stop",
    "now": "when now| > profile.x then stop",
    "true": "when true| then stop",
    "false": "when false| then stop",
    "null": "when profile.x == null| then stop",
    "count": 'when count| ("x") > 1 then stop',
    "within": 'when count("x" within| 2 days) > 1 then stop',
    "sum": "when sum| (event.x) > 1 then stop",
    "last": "when last| (event.x) > 1 then stop",
    "where": "when sum(event.x where| event.y) > 1 then stop",
    "tql": 'when tql| "profile@x == 1" then stop',
    "days": "when event.time > now - 2 days| then stop",
}
"""A text for every keyword of the grammar, with ``|`` right after the keyword."""

BECOME_NAMES = frozenset(
    {"not", "now", "true", "false", "null", "count", "sum", "last", "tql", "no",
     "fired"}
)  # fmt: skip
"""Keywords that, glued to a letter or digit, read as a name the rule can't use."""


def _load(text: str):
    return load_sources([("a.rules", text + "\n")])


def _place(text: str) -> tuple[int, int]:
    """Line and column of the ``|`` in ``text``."""
    before = text[: text.index("|")]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def test_every_keyword_has_a_row():
    covered = set(SAMPLES)
    missing = [
        terminal
        for terminal, phrases in keyword_phrases().items()
        if not covered & set(phrases)
    ]
    assert missing == []


@pytest.mark.parametrize("keyword", sorted(SAMPLES))
def test_the_row_loads_as_written(keyword):
    assert _load(SAMPLES[keyword].replace("|", "")).diagnostics == []


@pytest.mark.parametrize("glue", ["x", "9"])
@pytest.mark.parametrize("keyword", sorted(SAMPLES))
def test_a_keyword_glued_to_a_name_or_number_is_refused(keyword, glue):
    text = SAMPLES[keyword]
    ruleset = _load(text.replace("|", glue))
    assert not ruleset.ok
    if keyword in BECOME_NAMES:
        return
    first = ruleset.errors[0]
    assert first.message == f"put a space after `{keyword}`"
    assert (first.line, first.column) == _place(text)


NUMBER_THEN_KEYWORD = [
    ("when profile.x > 3then stop", 19, "put a space before `then`"),
    ("when profile.x > 3and profile.y then stop", 19, "put a space before `and`"),
    ("when profile.x > 2.5or profile.y then stop", 21, "put a space before `or`"),
    ("when profile.x between 1and 2 then stop", 25, "put a space before `and`"),
    ("when profile.x in [1]then stop", 22, None),
]


@pytest.mark.parametrize(("text", "column", "message"), NUMBER_THEN_KEYWORD)
def test_a_number_glued_to_a_keyword(text, column, message):
    ruleset = _load(text)
    if message is None:
        assert ruleset.ok
        return
    assert [(d.column, d.message) for d in ruleset.errors] == [(column, message)]


A_LINE_BREAK_IS_A_SPACE = [
    ('rule "r"\n  when true\nend\n', (3, 1), "expected `then` after the condition"),
    ('rule "r"\n  when profile.x > 3\nend\n', (3, 1), "expected `then` after"),
    ('rule "r"\n  when profile.x exists\nend\n', (3, 1), "expected `then` after"),
    (
        'rule "r"\n  when true\n  then\nend\n',
        (4, 1),
        "expected an action after `then`, found `end`; a rule needs one",
    ),
    (
        'rule "r"\n  when true\n  then\n\nend\n',
        (5, 1),
        "expected an action after `then`, found `end`; a rule needs one",
    ),
]


@pytest.mark.parametrize(("text", "place", "message"), A_LINE_BREAK_IS_A_SPACE)
def test_a_keyword_on_the_next_line_is_not_glued(text, place, message):
    [error] = _load(text).errors
    assert (error.line, error.column) == place
    assert error.message.startswith(message)


NAMES = [
    "when event.whenever == 1 then set profile.endpoint = event.order_id",
    "when event.properties.when == 1 and profile.then.end > 2 then stop",
    "when profile.ordering == 1 then set profile.andrew = {endpoint: 1, when: 2}",
    'when profile.isnull == 1 or event.properties["then"] == 1 then stop',
    'rule "whenever"\n  when event.type == "a"\n  then\n    set profile.end = 1\nend',
    # A number and a time unit together are a duration, as `7d` is.
    "when event.time > now - 7days then set profile.in = 2",
]


@pytest.mark.parametrize("text", NAMES)
def test_names_that_begin_with_a_keyword_stay_names(text):
    assert _load(text).diagnostics == []


def test_fmt_leaves_a_glued_keyword_to_its_author():
    with pytest.raises(RuleError, match="put a space after `send`"):
        format_source('when true then sendemail"thanks"\n')
