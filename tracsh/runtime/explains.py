"""Explain traces of the rules that fire, captured as they fire, within a time budget.

The console's engine process sets :meth:`ExplainCapture.watch` as the engine's
watch hook (``Engine.watch``). When a rule's condition comes out true, the
condition is explained (tracsh.lang.explain) against the very documents the
engine is deciding with, so the trace says why it was true then, not after the
rule's own actions changed the profile; the text is kept until the batch's
report takes it.

Explaining walks the condition again and prints every sub-expression: on the
sample shop about 90 µs per fired rule, some 60% of the engine's own time per
event. So it has a budget, BUDGET seconds of explaining in every second of
the clock; firings past it carry a note instead of a trace.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from tracsh.lang.explain import explain_condition, render
from tracsh.lang.scope import Report, Scope

log = logging.getLogger(__name__)

BUDGET = 0.25
"""Seconds of explaining allowed per second of the clock (a quarter of a core)."""

MOST_LINES = 60
"""Lines of one trace kept; the rest is cut with a line saying how many."""

MOST_KEPT = 20_000
"""Traces waiting for a report; past this the oldest go (a report was dropped)."""

OVER_BUDGET = (
    "not captured: explaining used its budget of {:.0f} ms per second "
    "while events came this fast"
)


class ExplainCapture:
    """Explains fired rules as the engine decides them, and hands the texts out."""

    def __init__(
        self, budget: float = BUDGET, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.budget = budget
        self.clock = clock
        self.kept: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self.explained = 0
        """Traces captured so far."""
        self.skipped = 0
        """Firings left without a trace because the budget was spent."""
        self.seconds = 0.0
        """Time spent explaining so far."""
        self._window = clock()
        self._spent = 0.0

    def watch(self, rule: Any, scope: Scope, truth: Any, held: str | None) -> None:
        """The engine's watch hook: explain ``rule`` if it is about to fire."""
        if truth is not True:
            return
        key = (scope.event["id"], rule.id)
        started = self.clock()
        if started - self._window >= 1.0:
            self._window, self._spent = started, 0.0
        if self._spent >= self.budget:
            self.skipped += 1
            self._keep(key, None, OVER_BUDGET.format(self.budget * 1000))
            return
        self._keep(key, *self._explain(rule, scope))
        spent = self.clock() - started
        self._spent += spent
        self.seconds += spent

    def _explain(self, rule: Any, scope: Scope) -> tuple[str | None, str | None]:
        # The trace counts what it meets in a report of its own: the engine's
        # report goes on to count the rule's actions.
        own = dataclasses.replace(scope, report=Report())
        try:
            trace = explain_condition(rule.node.condition, own)
        except Exception as error:  # a bug in explaining must not stop the engine
            log.warning("explaining rule %s failed: %s", rule.id, error)
            return None, f"could not be explained: {type(error).__name__}: {error}"
        self.explained += 1
        return cut(render(trace, heading=False)), None

    def _keep(self, key: tuple[str, str], text: str | None, note: str | None) -> None:
        if len(self.kept) >= MOST_KEPT:
            del self.kept[next(iter(self.kept))]
        self.kept[key] = (text, note)

    def take(self, event_id: str, rule_id: str) -> tuple[str | None, str | None]:
        """The trace of one firing and a note (either may be None), handed out once."""
        return self.kept.pop((event_id, rule_id), (None, None))

    def figures(self) -> dict[str, Any]:
        """Counters for the console's figures."""
        return {
            "explained": self.explained,
            "explain_skipped": self.skipped,
            "explain_ms": round(self.seconds * 1000, 1),
        }


def cut(text: str, most: int = MOST_LINES) -> str:
    """``text`` with at most ``most`` lines, saying how many more there were."""
    lines = text.split("\n")
    if len(lines) <= most:
        return text
    return "\n".join(lines[:most] + [f"… {len(lines) - most} more lines"])
