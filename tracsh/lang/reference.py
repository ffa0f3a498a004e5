"""A small, obviously correct tree-walking evaluator, the yardstick for compile.py.

It is slow and plain on purpose: one function per kind of node, no fast paths,
every decision delegated to values.py. Property tests check that the compiled
form gives the same truth and the same warnings on generated inputs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang import values
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.scope import MISSING, Scope, Truth


def evaluate_expr(node: Any, scope: Scope) -> Any:
    """The value of ``node`` in ``scope`` (MISSING when it cannot be computed)."""
    report = scope.report
    if isinstance(node, n.Literal):
        return node.value
    if isinstance(node, n.Duration):
        return timedelta(seconds=node.seconds)
    if isinstance(node, n.Now):
        return scope.now
    if isinstance(node, n.Path):
        return resolve(scope.root(node.root), node.parts)
    if isinstance(node, n.ListExpr):
        return [evaluate_expr(item, scope) for item in node.items]
    if isinstance(node, n.ObjectExpr):
        return {key: evaluate_expr(value, scope) for key, value in node.pairs}
    if isinstance(node, n.Call):
        args = [evaluate_expr(arg, scope) for arg in node.args]
        return FUNCTIONS[node.name].run(report, scope.now, *args)
    if isinstance(node, n.Arith):
        left = evaluate_expr(node.left, scope)
        right = evaluate_expr(node.right, scope)
        return values.arith(node.op, left, right, report)
    if isinstance(node, n.Neg):
        return values.negative(evaluate_expr(node.operand, scope), report)
    if isinstance(node, (n.Count, n.Sum, n.Last)):
        return _history(node, scope)
    # A condition used as a value (`set … = a > b`): true, false or missing.
    truth = evaluate_condition(node, scope)
    return MISSING if truth is None else truth


def resolve(doc: Any, parts: tuple[str | int, ...]) -> Any:
    """Walk ``parts`` into ``doc``; MISSING as soon as a step does not fit."""
    for part in parts:
        if isinstance(part, int):
            if type(doc) is not list or part >= len(doc):
                return MISSING
            doc = doc[part]
        else:
            if type(doc) is not dict or part not in doc:
                return MISSING
            doc = doc[part]
    return doc


def _history(node: Any, scope: Scope) -> Any:
    """count(), sum() and last(), with this evaluator for their inner parts."""
    if isinstance(node, n.Count):
        where = None if isinstance(node.subject, n.Literal) else node.subject
        value = None
    else:
        where, value = node.where, node.value
    where_check = None if where is None else (lambda s: evaluate_condition(where, s))
    value_of = None if value is None else (lambda s: evaluate_expr(value, s))
    return scope.ask_history(node, where_check, value_of)


def evaluate_condition(node: Any, scope: Scope) -> Truth:
    """The truth of ``node`` in ``scope``: True, False or None (unknown)."""
    report = scope.report
    if isinstance(node, n.And):
        result: Truth = True
        for item in node.items:
            truth = evaluate_condition(item, scope)
            if truth is False:
                return False
            if truth is None:
                result = None
        return result
    if isinstance(node, n.Or):
        result = False
        for item in node.items:
            truth = evaluate_condition(item, scope)
            if truth is True:
                return True
            if truth is None:
                result = None
        return result
    if isinstance(node, n.Not):
        return values.negate(evaluate_condition(node.operand, scope))
    if isinstance(node, n.InSegment):
        member = values.in_segment(scope.profile, node.segment)
        return not member if node.negated else member
    if isinstance(node, n.Presence):
        return values.presence(evaluate_expr(node.operand, scope), node.test)
    if isinstance(node, n.Truthy):
        return values.truthy(evaluate_expr(node.operand, scope), report)
    return _test(node, scope)


def _test(node: Any, scope: Scope) -> Truth:
    """Comparisons, membership, text tests and ranges: operands left to right."""
    report = scope.report
    if isinstance(node, n.Compare):
        left, right = evaluate_expr(node.left, scope), evaluate_expr(node.right, scope)
        return values.compare(node.op, left, right, report)
    if isinstance(node, n.InList):
        item = evaluate_expr(node.operand, scope)
        found = values.member(item, evaluate_expr(node.options, scope), report)
        return values.negate(found) if node.negated else found
    if isinstance(node, n.TextTest):
        left, right = evaluate_expr(node.left, scope), evaluate_expr(node.right, scope)
        if node.op == "matches":
            return values.match(left, right, report)
        return values.text_test(node.op, left, right, report)
    if isinstance(node, n.Between):
        value = evaluate_expr(node.operand, scope)
        low, high = evaluate_expr(node.low, scope), evaluate_expr(node.high, scope)
        return values.between(value, low, high, report)
    raise ValueError(f"cannot evaluate a {type(node).__name__} condition")
