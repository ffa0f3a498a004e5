"""Fixtures for the language tests: run a condition the compiled or reference way.

The implementation is imported inside the fixtures, not at module level, so a
missing or broken ``tracsh.lang`` module fails the language tests that use it
instead of stopping pytest from loading this directory at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from strategies import outcome

EVALUATORS = ("compiled", "reference")
"""Every semantic row runs through both of these; they must give the same answer."""


def _compiled(node: Any, scope: Any) -> Any:
    from tracsh.lang.compile import compile_condition

    return compile_condition(node)(scope)


def _reference(node: Any, scope: Any) -> Any:
    from tracsh.lang.reference import evaluate_condition

    return evaluate_condition(node, scope)


@pytest.fixture(params=EVALUATORS)
def evaluator(request: pytest.FixtureRequest) -> Callable[[Any, Any], Any]:
    """A function ``(condition node, scope) -> Truth``, once per evaluator."""
    return {"compiled": _compiled, "reference": _reference}[request.param]


@pytest.fixture
def run_condition(
    evaluator: Callable[[Any, Any], Any],
) -> Callable[[str, Any], tuple[str, int, int]]:
    """A function ``(condition text, scope) -> (truth, type warnings, errors)``.

    Loading goes through ``load_condition``, so the load-time checks run too; a
    row whose text does not load fails with the RuleError's rendering. The truth
    comes back as ``"true"``, ``"false"`` or ``"unknown"`` (see ``outcome``).
    """
    from tracsh.lang.loader import load_condition

    def run(text: str, scope: Any) -> tuple[str, int, int]:
        return outcome(evaluator(load_condition(text), scope), scope.report)

    return run
