"""One rule firing: everything an action handler may read or change for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracsh.engine.outcome import Outcome
from tracsh.engine.rulebook import CompiledAction, CompiledRule
from tracsh.engine.working import WorkingSet
from tracsh.lang.scope import MISSING, Scope
from tracsh.lang.values import MAX_NESTING, nests_past


@dataclass
class Firing:
    """Everything an action handler may read or change for one rule firing."""

    rule: CompiledRule
    scope: Scope
    event: dict
    profile: dict
    session: dict
    work: WorkingSet
    outcome: Outcome
    emitted: list[dict] = field(default_factory=list)
    stop: bool = False
    renderer: Any = None
    journeys: Any = None
    """The engine's JourneyBook, for ``start journey`` and ``exit journey``."""

    def value(self, action: CompiledAction, name: str, default: Any = MISSING) -> Any:
        """Evaluate one of the action's compiled expressions.

        A value nested past MAX_NESTING is an error on the rule and missing,
        so that no write, message or internal event carries it further.
        """
        expr = action.exprs.get(name)
        if expr is None:
            return default
        result = expr(self.scope)
        if isinstance(result, (list, tuple, dict)) and nests_past(result):
            self.scope.report.error(
                f"the value nests more than {MAX_NESTING} levels deep; not used"
            )
            return MISSING
        return result

    def now_text(self) -> str:
        """The evaluation's current time as stored text."""
        return self.scope.now.isoformat()

    def problem(self, message: str) -> str:
        """Count an action failure on the rule and return the trace line."""
        self.work.stats[self.rule.id]["errors"] += 1
        self.work.stats[self.rule.id]["last_error"] = message
        self.outcome.errors.append(f"{self.rule.id}: {message}")
        return f"error: {message}"

    def count_report(self) -> None:
        """Count what evaluating the action's values reported, as for a condition."""
        report = self.scope.report
        stats = self.work.stats[self.rule.id]
        stats["errors"] += report.errors
        stats["type_warnings"] += report.type_warnings
        if report.messages:
            stats["last_error"] = report.messages[-1]
        if report.errors:
            self.outcome.errors.extend(f"{self.rule.id}: {m}" for m in report.messages)
        report.errors = report.type_warnings = 0
        report.messages.clear()
