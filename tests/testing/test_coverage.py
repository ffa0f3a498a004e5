"""Rule-test coverage: rules that fired, and sub-conditions seen both true and false."""

from __future__ import annotations

from tracsh.engine.rulebook import build_rulebook
from tracsh.lang.loader import load_sources
from tracsh.testing.coverage import measure
from tracsh.testing.report import coverage_text
from tracsh.testing.runner import run_tests

RULES = """\
rule "big"
  when event.type == "purchase" and event.properties.total > 100
  then
    add segment "big"
end

rule "never"
  when event.type == "refund" and profile.visits > 1
  then
    stop
end

rule "off"
  disabled
  when event.type == "purchase"
  then
    stop
end
"""


def measured(tests: str):
    ruleset = load_sources([("c.rules", RULES), ("c_test.rules", tests)])
    assert ruleset.ok, [d.render() for d in ruleset.diagnostics]
    book = build_rulebook(ruleset)
    return measure(ruleset, book, run_tests(ruleset, book=book))


def by_rule(report):
    return {rule.rule_id: rule for rule in report.rules}


def test_a_rule_that_fired_once_and_not_once_is_covered():
    report = measured(
        'test "t"\n  event "purchase" with {"total": 200}\n'
        '  event "purchase" with {"total": 50}\nend\n'
    )
    big = by_rule(report)["big"]
    assert big.fired
    assert [(c.text, c.covered) for c in big.conditions] == [
        ('event.type == "purchase"', False),
        ("event.properties.total > 100", True),
    ]
    assert big.conditions[0].missing() == "never false"


def test_the_type_index_skipping_a_rule_counts_as_its_type_test_false():
    report = measured(
        'test "t"\n  event "purchase" with {"total": 200}\n  event "page-view"\n'
        '  event "purchase" with {"total": 5}\nend\n'
    )
    assert all(c.covered for c in by_rule(report)["big"].conditions)
    never = by_rule(report)["never"]
    assert not never.fired
    assert never.conditions[0].missing() == "never true"
    assert never.conditions[1].missing() == "never evaluated"


def test_disabled_rules_are_listed_but_not_counted():
    report = measured('test "t"\n  event "purchase" with {"total": 200}\nend\n')
    assert by_rule(report)["off"].disabled
    assert report.items == 2 + 1 + 2 + 1  # two rules, four sub-conditions
    text = coverage_text(report)
    assert "not counted (disabled): off" in text
    assert "rules that no test made fire:\n  never" in text


def test_percent_of_full_coverage():
    report = measured(
        'test "t"\n  event "purchase" with {"total": 200}\n'
        '  event "purchase" with {"total": 5}\n  event "page-view"\n'
        '  event "refund"\nend\n'
        'test "r"\n  profile {"visits": 5}\n  event "refund"\n'
        "end\n"
    )
    assert report.never_fired() == []
    assert report.percent == 100.0
