"""The compiled form and the reference evaluator agree on generated conditions.

Conditions are built as nodes (strategies.py), each run against one generated
world and a batch of pooled ones; both evaluators must give the same truth and
count the same type warnings and errors. Runs are derandomized and keep no
example database, so every run, local or CI, sees the same cases.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from strategies import conditions, expressions, outcome, pooled_worlds, worlds

from tracsh.lang.compile import compile_condition, compile_expr
from tracsh.lang.explain import explain_condition, explain_expr
from tracsh.lang.reference import evaluate_condition, evaluate_expr
from tracsh.lang.scope import MISSING, Scope

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
"""Hypothesis warns that the strategies' own reprs are long; they are meant to be."""

CONDITIONS = 900
POOLED_PER_CONDITION = 11
MIN_PAIRS = 10_000
"""900 conditions, each against 1 generated and 11 pooled worlds: 10,800 pairs."""

EXPRESSIONS = 300
POOLED_PER_EXPRESSION = 5


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _scope(world: dict[str, Any]) -> Scope:
    """A fresh scope over a private copy of ``world``, so no evaluator sees
    what another one may have changed."""
    return Scope(**copy.deepcopy(world))


def test_compiled_conditions_agree_with_the_reference():
    pairs = 0

    @_settings(CONDITIONS)
    @given(
        condition=conditions,
        generated=worlds(),
        pooled=pooled_worlds(POOLED_PER_CONDITION),
    )
    def agree(condition, generated, pooled):
        nonlocal pairs
        run = compile_condition(condition)
        for world in (generated, *pooled):
            compiled, reference = _scope(world), _scope(world)
            got = outcome(run(compiled), compiled.report)
            want = outcome(evaluate_condition(condition, reference), reference.report)
            if got != want:
                note(f"world: {world!r}")
                note(f"compiled messages: {compiled.report.messages}")
                note(f"reference messages: {reference.report.messages}")
            assert got == want
            pairs += 1

    agree()
    assert pairs >= MIN_PAIRS


def typed(value: Any) -> Any:
    """``value`` with its types spelled out, so ``True`` never equals ``1``, a
    time keeps its offset, and NaN equals itself."""
    if value is MISSING:
        return ("MISSING",)
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(typed(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, typed(v)) for k, v in value.items()))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, datetime):
        return ("datetime", value, value.utcoffset())
    return (type(value).__name__, value)


def test_compiled_expressions_agree_with_the_reference():
    @_settings(EXPRESSIONS)
    @given(expression=expressions, pooled=pooled_worlds(POOLED_PER_EXPRESSION))
    def agree(expression, pooled):
        run = compile_expr(expression)
        for world in pooled:
            compiled, reference = _scope(world), _scope(world)
            got = typed(run(compiled)), outcome(None, compiled.report)[1:]
            want = typed(evaluate_expr(expression, reference))
            want = want, outcome(None, reference.report)[1:]
            if got != want:
                note(f"world: {world!r}")
            assert got == want

    agree()


EXPLAINED = 300
"""Conditions checked through the explain trace, each against 12 worlds."""


def test_explain_agrees_with_the_compiled_form():
    """The trace every front end shows must decide exactly as the rules run."""

    @_settings(EXPLAINED)
    @given(
        condition=conditions,
        generated=worlds(),
        pooled=pooled_worlds(POOLED_PER_CONDITION),
    )
    def agree(condition, generated, pooled):
        run = compile_condition(condition)
        for world in (generated, *pooled):
            compiled, explained = _scope(world), _scope(world)
            got = outcome(run(compiled), compiled.report)
            trace = explain_condition(condition, explained)
            assert outcome(trace.value, explained.report) == got
            assert compiled.report.messages == explained.report.messages

    agree()


def test_explained_values_agree_with_the_compiled_form():
    @_settings(EXPRESSIONS)
    @given(expression=expressions, pooled=pooled_worlds(POOLED_PER_EXPRESSION))
    def agree(expression, pooled):
        run = compile_expr(expression)
        for world in pooled:
            compiled, explained = _scope(world), _scope(world)
            got = typed(run(compiled)), outcome(None, compiled.report)[1:]
            value = explain_expr(expression, explained).value
            assert (typed(value), outcome(None, explained.report)[1:]) == got

    agree()
