"""Rule tests run against the real engine: each expectation kind passing and failing,
the test's clock and documents, and the failure report with its traces."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracsh.errors import UserError
from tracsh.lang.loader import load_sources
from tracsh.testing.report import text_report
from tracsh.testing.runner import run_tests, select

SNAPSHOTS = Path(__file__).parent / "snapshots"

RULES = """\
rule "thanks"
  priority 10
  when event.type == "purchase" and profile.visits > 3
  then
    send email "thanks"
    increment profile.counters.thanked
end

rule "count"
  when event.type == "purchase"
  then
    increment profile.counters.purchases
    set profile.traits.last = event.time
end

rule "weekly"
  once per profile every 7 days
  when event.type == "purchase"
  then
    add segment "weekly"
end

rule "bad"
  when event.type == "boom"
  then
    set profile.traits.x = 1 / (profile.visits - profile.visits)
end

rule "crm"
  source "web-shop"
  when event.type == "sign-up"
  then
    call webhook "crm" with {"id": profile.id}
    show widget "hello"
    show message "welcome"
    emit event "greeted"
end

segment "loyal" when profile.counters.purchases >= 2
"""


def run(test_text: str):
    ruleset = load_sources([("t.rules", RULES), ("t_test.rules", test_text)])
    assert ruleset.ok, "\n".join(d.render() for d in ruleset.diagnostics)
    return ruleset, run_tests(ruleset)


PASSING = {
    "effect to a recipient": """
        profile {"visits": 3, "pii": {"email": "a@example.test"}}
        event "purchase"
        expect send email "thanks" to "a@example.test"
        expect send email
        expect no send sms
    """,
    "skipped message": """
        profile {"visits": 3}
        event "purchase"
        expect send email "thanks" skipped
        expect no send email "thanks"
    """,
    "consent revoked": """
        profile {"visits": 3, "pii": {"email": "a@x.test"},
                 "consents": {"email": {"granted": false}}}
        event "purchase"
        expect no send email
        expect send email "thanks" skipped
    """,
    "rule counts": """
        event "purchase"
        event "purchase" after 1 day
        expect rule "count" fired 2 times
        expect rule "count" evaluations == 2
        expect rule "count" matches >= 2
        expect rule "thanks" not fired
        expect rule "weekly" fired 1 time
    """,
    "cooldown over": """
        event "purchase"
        event "purchase" after 7 days
        expect rule "weekly" fired 2 times
    """,
    "errors are counted": """
        event "boom"
        expect rule "bad" fired
        expect rule "bad" errors == 1
        expect profile.traits.x is missing
    """,
    "expectations between events": """
        expect profile.counters.purchases is missing
        event "purchase"
        expect profile.counters.purchases == 1
        expect profile not in segment "loyal"
        event "purchase"
        expect profile in segment "loyal"
    """,
    "the clock": """
        event "purchase"
        expect profile.traits.last == "2024-01-01T09:00:00+00:00"
        event "purchase"
        expect profile.traits.last == "2024-01-01T09:00:01+00:00"
        event "purchase" after 2 hours
        expect profile.traits.last == "2024-01-01T11:00:01+00:00"
        expect profile.visits == 2
    """,
    "an event document sets its own time": """
        event {"type": "purchase", "time": "2024-03-01T10:00:00+01:00"}
        expect profile.traits.last == "2024-03-01T09:00:00+00:00"
        event "purchase"
        expect profile.traits.last == "2024-03-01T09:00:01+00:00"
    """,
    "a seeded session is the same visit": """
        profile {"visits": 4}
        session {"id": "s-9"}
        event "purchase"
        expect profile.visits == 4
        expect session.id == "s-9"
        expect session.events == 1
    """,
    "source and every other effect": """
        source "web-shop"
        profile {"id": "p-7"}
        event "sign-up"
        expect call webhook "crm"
        expect show widget "hello"
        expect show message "welcome"
        expect emit event "greeted"
        expect no emit event "nope"
        expect profile.id == "p-7"
    """,
    "another source": """
        event "sign-up"
        expect no call webhook
        expect rule "crm" not fired
    """,
    "values computed at the test's clock": """
        profile {"traits": {"since": now - 2 days}}
        expect profile.traits.since == "2023-12-30T09:00:00+00:00"
    """,
}


@pytest.mark.parametrize("name", sorted(PASSING))
def test_passing(name):
    body = PASSING[name].strip("\n")
    _ruleset, results = run(f'test "{name}"\n{body}\nend\n')
    assert [r.error for r in results] == [None]
    failures = [(f.text, f.verdict.actual) for f in results[0].failures]
    assert failures == []


FAILING = {
    "no such effect": (
        'event "purchase"\nexpect send email "thanks"',
        'expect send email "thanks"',
    ),
    "an unwanted effect": (
        'profile {"visits": 5, "pii": {"email": "a@x.test"}}\nevent "purchase"\n'
        'expect no send email "thanks"',
        'expect no send email "thanks"',
    ),
    "a wrong count": ('event "purchase"\nexpect rule "count" fired 2 times', "fired"),
    "a false condition": (
        'event "purchase"\nexpect profile.counters.purchases == 2',
        "expect profile.counters.purchases == 2",
    ),
    "an unknown condition": ("expect profile.nope > 1", "expect profile.nope > 1"),
}


@pytest.mark.parametrize("name", sorted(FAILING))
def test_failing(name):
    body, text = FAILING[name]
    _ruleset, results = run(f'test "{name}"\n{body}\nend\n')
    assert not results[0].passed
    assert text in text_report(results)


def test_a_failure_shows_expected_actual_and_traces(snapshot):
    _ruleset, results = run(
        'test "thanks for a third visit"\n'
        '  profile {"visits": 2, "pii": {"email": "a@example.test"}}\n'
        '  event "purchase"\n'
        '  expect send email "thanks"\n'
        "  expect profile.counters.thanked == 1\n"
        "end\n"
    )
    snapshot.snapshot_dir = SNAPSHOTS
    snapshot.assert_match(text_report(results) + "\n", "failure.txt")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('event {"type": ""}', 'line 2: event 1: "type" is empty'),
        ('event {"type": "x", "time": "soon"}', "is not an ISO-8601 time"),
        ('profile {"a": days_since(now) / 0}', "line 2: profile: division by zero"),
        ('profile {"id": 5}', 'line 2: profile: "id" must be non-empty text, got 5'),
        ('profile {"id": ""}', 'line 2: profile: "id" must be non-empty text'),
        ('profile {"ids": "p"}', 'line 2: profile: "ids" must be a list, got "p"'),
        ('profile {"ids": [1]}', '"ids" must be a list of text, got [1]'),
        ('profile {"segments": [null]}', '"segments" must be a list of text'),
        ('profile {"visits": "3"}', '"visits" must be a whole number, got "3"'),
        ('profile {"visits": true}', '"visits" must be a whole number, got true'),
        ('profile {"traits": []}', 'line 2: profile: "traits" must be an object'),
        ('profile {"last_seen": 5}', '"last_seen" must be text, got 5'),
        ('session {"id": 7}', 'line 2: session: "id" must be non-empty text'),
        ('session {"events": "x"}', '"events" must be a whole number'),
        ('session {"context": 1}', 'line 2: session: "context" must be an object'),
    ],
)
def test_a_test_that_cannot_run_says_why(body, words):
    _ruleset, results = run(
        f'test "broken"\n  {body}\nend\n'
        'test "fine"\n  event "purchase"\n'
        "  expect profile.counters.purchases == 1\nend\n"
    )
    assert results[0].error is not None
    assert words in results[0].error
    assert "FAIL  broken" in text_report(results)
    assert results[1].passed


def test_a_test_that_breaks_the_engine_fails_alone(monkeypatch):
    from tracsh.testing.sandbox import Sandbox

    def broken(self, event):
        raise KeyError("boom")

    monkeypatch.setattr(Sandbox, "run", broken)
    _ruleset, results = run('test "one"\n  event "x"\nend\ntest "two"\nend\n')
    assert results[0].error == (
        "line 2: tracsh failed on this test's documents (KeyError: 'boom'); "
        "--debug shows where"
    )
    assert results[1].passed


def test_a_bad_regular_expression_is_a_user_error():
    ruleset, _ = run('test "alpha"\nend\n')
    with pytest.raises(UserError, match="'\\(' is not a regular expression"):
        select(ruleset, "(")


def test_select_by_regular_expression():
    ruleset, _ = run('test "alpha"\nend\ntest "beta"\nend\ntest "alphabet"\nend\n')
    assert [t.name for t in select(ruleset, "^alpha")] == ["alpha", "alphabet"]
    assert [t.name for t in select(ruleset, None)] == ["alpha", "beta", "alphabet"]


def test_each_test_starts_from_an_empty_store():
    _ruleset, results = run(
        'test "one"\n  event "purchase"\n'
        "  expect profile.counters.purchases == 1\nend\n"
        'test "two"\n  event "purchase"\n'
        "  expect profile.counters.purchases == 1\nend\n"
    )
    assert all(result.passed for result in results)


def test_tests_are_never_run_as_rules():
    ruleset, _ = run('test "t"\n  event "purchase"\nend\n')
    assert [t.name for t in ruleset.tests] == ["t"]
    assert "t" not in [r.id for r in ruleset.rules]


def test_a_test_clock_past_the_year_9999_fails_the_test_with_why():
    _ruleset, [result] = run(
        'test "far"\n  event "purchase"\n  event "purchase" after 9000 years\nend\n'
    )
    assert result.error == (
        "line 3: the test's clock would pass the year 9999, the last time tracsh "
        "can keep; wait less after the events"
    )
