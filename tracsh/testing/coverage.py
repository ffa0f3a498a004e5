"""Rule-test coverage: which rules fired in some test, and which of their
sub-conditions the tests saw both true and false.

Every decision the engine made during the tests is explained again from the
copies the sandbox kept, so each sub-condition's verdicts are known. Rules the
event-type index skipped for an event are explained against the event and the
profile as it was before the event: their type test comes out false there, as
it would if the engine had evaluated it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracsh.engine.pipeline import event_clock
from tracsh.engine.rulebook import RuleBook
from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.explain import explain_condition
from tracsh.lang.loader import RuleSet
from tracsh.lang.scope import Scope, Truth
from tracsh.testing.runner import TestResult

CONDITIONS = (
    n.Compare, n.InList, n.TextTest, n.Between, n.Presence, n.InSegment, n.Truthy,
)  # fmt: skip
"""The sub-conditions coverage counts: the tests that ``not``, ``and`` and ``or``
combine (their own truth follows from these)."""


@dataclass
class ConditionCoverage:
    """One sub-condition of a rule and the verdicts the tests saw for it."""

    node: Any
    text: str
    line: int
    column: int
    seen: set[Truth] = field(default_factory=set)

    @property
    def covered(self) -> bool:
        """Seen both true and false."""
        return True in self.seen and False in self.seen

    def missing(self) -> str:
        """What the tests never saw: ``never true``, ``never false``, …"""
        if not self.seen - {None}:
            return "never decided" if None in self.seen else "never evaluated"
        return "never false" if True in self.seen else "never true"


@dataclass
class RuleCoverage:
    """One rule: whether it fired, and its sub-conditions."""

    rule_id: str
    path: str
    line: int
    fired: bool = False
    disabled: bool = False
    conditions: list[ConditionCoverage] = field(default_factory=list)


@dataclass
class CoverageReport:
    """Coverage of every rule of a rule set."""

    rules: list[RuleCoverage]

    def counted(self) -> list[RuleCoverage]:
        """The rules that count (disabled rules never run, so they do not)."""
        return [rule for rule in self.rules if not rule.disabled]

    @property
    def items(self) -> int:
        """Rules plus sub-conditions."""
        return sum(1 + len(rule.conditions) for rule in self.counted())

    @property
    def covered(self) -> int:
        """Rules that fired plus sub-conditions seen both true and false."""
        return sum(
            rule.fired + sum(c.covered for c in rule.conditions)
            for rule in self.counted()
        )

    @property
    def percent(self) -> float:
        """Covered items as a percentage (100 when there is nothing to cover)."""
        return 100.0 if not self.items else 100.0 * self.covered / self.items

    def never_fired(self) -> list[RuleCoverage]:
        """Enabled rules no test made fire."""
        return [rule for rule in self.counted() if not rule.fired]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for ``tracsh test --json``."""
        return {
            "percent": round(self.percent, 1),
            "covered": self.covered,
            "items": self.items,
            "rules": [
                {
                    "rule": rule.rule_id,
                    "path": rule.path,
                    "line": rule.line,
                    "fired": rule.fired,
                    "disabled": rule.disabled,
                    "conditions_not_covered": [
                        {
                            "condition": c.text,
                            "line": c.line,
                            "column": c.column,
                            "missing": c.missing(),
                        }
                        for c in rule.conditions
                        if not c.covered
                    ],
                }
                for rule in self.rules
            ],
        }


def measure(
    ruleset: RuleSet, book: RuleBook, results: list[TestResult]
) -> CoverageReport:
    """The coverage of ``ruleset``'s rules by the test ``results``."""
    report = CoverageReport([_rule_coverage(loaded) for loaded in ruleset.rules])
    by_id = {rule.rule_id: rule for rule in report.rules}
    by_node = {id(c.node): c for rule in report.rules for c in rule.conditions}
    for result in results:
        for rule_id in result.fired:
            if rule_id in by_id:
                by_id[rule_id].fired = True
        for check in result.checks:
            if check.held is None:
                _record(check.explain(), by_node)
        for visit in result.visits:
            _record_skipped(book, visit, by_node)
    return report


def _rule_coverage(loaded: Any) -> RuleCoverage:
    rule = RuleCoverage(
        loaded.id, loaded.path, loaded.line, disabled=loaded.node.disabled
    )
    for node, _depth in n.walk(loaded.node.condition):
        if isinstance(node, CONDITIONS):
            rule.conditions.append(
                ConditionCoverage(
                    node, printer.text(node), node.span.line, node.span.column
                )
            )
    return rule


def _record(trace: Any, by_node: dict[int, ConditionCoverage]) -> None:
    for step in trace.walk():
        if step.condition and not step.skipped:
            found = by_node.get(id(step.node))
            if found is not None:
                found.seen.add(step.value)


def _record_skipped(book: RuleBook, visit: Any, by_node: dict) -> None:
    """Rules the type index never offered this event: explained as the engine would."""
    event = visit.event
    for rule in book.rules:
        if rule.id in visit.candidates:
            continue
        scope = Scope(
            event=event,
            profile=visit.profile,
            session=visit.session,
            source=event.get("source") or {},
            now=event_clock(event),
        )
        _record(explain_condition(rule.node.condition, scope), by_node)
