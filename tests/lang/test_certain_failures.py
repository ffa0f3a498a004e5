"""Mistakes certain to fail whenever a rule runs are load errors, found by ``check``.

Each row is a rule-file text and the one error it must give (line:column and
words), or None when it must load: the checker refuses only what would fail
every time, never what depends on the event, the profile or the clock.
"""

from __future__ import annotations

import pytest

from tracsh.lang.loader import load_condition, load_sources

R = 'when event.type == "a" then '

ROWS = [
    # Writes the engine refuses, whatever the verb.
    (
        R + "unset profile.id",
        "1:35",
        "profile.id is kept by tracsh and cannot be written",
    ),
    (R + 'set profile.id = "x"', "1:33", "profile.id is kept by tracsh"),
    (R + "increment profile.created", "1:39", "profile.created is kept by tracsh"),
    (R + "decrement session.events.x", "1:39", "session.events is always a number"),
    (R + 'append "x" to profile.ids', "1:43", "profile.ids is kept by tracsh"),
    (R + 'remove "x" from session.profile', "1:45", "session.profile is kept"),
    (R + 'enrich profile.journeys from "email"', "1:36", "profile.journeys is kept"),
    (R + "unset profile.visits", "1:35", "profile.visits must stay a number, so it"),
    (R + 'set profile.visits = "3"', "1:33", "must stay a number, and this is text"),
    (R + "set profile.traits = null", "1:33", "must stay an object, and this is null"),
    (R + "increment profile.traits", "1:39", "profile.traits is always an object"),
    (R + "append 1 to profile.pii", "1:41", "profile.pii is always an object, not a"),
    (R + "set profile.visits.x = 1", "1:33", "profile.visits is always a number"),
    (R + 'set profile.segments.x = "a"', "1:33", "which has no names to write"),
    (
        R + 'increment profile.traits.n by "2"',
        "1:59",
        "the amount is text, not a number",
    ),
    (R + 'add interest "x" by null', "1:49", "the amount is null, not a number"),
    # Values that read nothing and fail every time.
    (R + 'set profile.x = date("2024-13-45")', "1:45", "'2024-13-45' is not an ISO"),
    (R + "set profile.x = 1 / 0", "1:45", "fails whenever it runs: division by zero"),
    (R + 'set profile.x = number("ten") + 1', "1:45", "'ten' is not a number"),
    ("when len(5) > 1 then stop", "1:6", "len() needs text, a list or an object"),
    (R + "set profile.x = round(2.5, 99)", "1:45", "round() to 99 places is out"),
    # Log lines are templates.
    (
        R + 'log "{{ profile.id "',
        "1:29",
        "not a valid template: line 1: unexpected end",
    ),
    (R + 'log "{{ x | nosuch }}"', "1:29", "No filter named 'nosuch'"),
    # Numbers in rule options, and durations that must be longer than zero.
    (
        'rule "r"\n  priority 99999999999999999999\n  when true\n  then stop\nend\n',
        "2:12",
        "this number is larger than 9223372036854775807",
    ),
    (
        'rule "r"\n  priority -99999999999999999999\n  when true\n  then stop\nend\n',
        "2:13",
        "this number is larger than 9223372036854775807",
    ),
    (
        'test "t"\n  event "a"\n'
        '  expect rule "r" fired 99999999999999999999 times\nend\n',
        "3:25",
        "this number is larger than",
    ),
    (
        'rule "r"\n  once per profile every 0 days\n  when true\n  then stop\nend\n',
        "2:26",
        "a cooldown (`every`) must be longer than zero",
    ),
    (R + 'grant consent "sms" for 0 hours', "1:53", "a consent's length (`for`)"),
    ('when count("a" within 0d) > 1 then stop', "1:23", "a history window (`within`)"),
    ('test "t"\n  profile {"a": 1 / 0}\nend\n', "2:17", "division by zero"),
    # What may work, or depends on the documents, the clock or the configuration.
    (R + "set profile.visits = 3; increment profile.visits", None, None),
    (R + 'append "vip" to profile.segments; set profile.segments[0] = "a"', None, None),
    (R + "unset profile.traits.x; set profile.traits = {}", None, None),
    (R + "set profile.visits = event.properties.n", None, None),
    (R + "set profile.x = 1 / event.properties.n", None, None),
    (R + 'set profile.x = date("2024-05-01") + 1 day', None, None),
    (R + "set profile.x = days_since(now) / 0", None, None),
    (R + 'set profile.x = coalesce(null, number("1"))', None, None),
    (R + 'log "{{ profile.id }} bought {{ event.properties.n }}"', None, None),
    (R + 'log "a { b } }}"', None, None),
    (R + 'emit event "x" in 0 seconds', None, None),
    (
        'rule "r"\n  priority -9223372036854775807\n  once per session every 1s\n'
        "  when true\n  then stop\nend\n",
        None,
        None,
    ),
    (
        'journey "j"\n  enter when event.type == "a"\n  step "s" after 0 days\n'
        "    stop\nend\n",
        None,
        None,
    ),
]


@pytest.mark.parametrize(("text", "where", "words"), ROWS)
def test_certain_failures_are_load_errors(text, where, words):
    ruleset = load_sources([("a.rules", text if text.endswith("\n") else text + "\n")])
    if where is None:
        assert ruleset.diagnostics == []
        return
    [error] = ruleset.errors
    assert f"{error.line}:{error.column}" == where, error.render()
    assert words in error.message


@pytest.mark.parametrize(
    "condition", ['number("ten") is missing', "1 / 0 == 1", 'date("x") exists']
)
def test_a_typed_condition_may_fail_on_purpose(condition):
    """``tracsh eval`` and the REPL evaluate what they are given, to look."""
    assert load_condition(condition) is not None
