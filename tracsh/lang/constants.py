"""Values that read nothing, worked out at check time: what they give, or how they fail.

``date("2024-13-45")`` or ``1 / 0`` fails the same way every time a rule runs,
so the checker (check.py) evaluates every expression built only from literals,
durations, lists, objects, arithmetic and function calls (no paths, no ``now``,
no history) and reports what the evaluation would report. Literals are bounded
in size (transform.py) and functions never loop, so this is cheap and safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.reference import evaluate_expr
from tracsh.lang.scope import Report, Scope

_CONSTANT = (n.Literal, n.Duration, n.ListExpr, n.ObjectExpr, n.Call, n.Arith, n.Neg)
"""The nodes a constant is made of."""

_FOLDED = (n.Call, n.Arith, n.Neg)
"""The constant nodes worth evaluating: the others cannot fail."""

UNKNOWN = object()
"""What ``constant_value`` gives for an expression that reads something."""


def is_constant(node: Any) -> bool:
    """True when ``node`` reads no document, no clock and no history (and calls
    only functions that exist, with arguments they take: others are errors)."""
    return all(_constant_part(inner) for inner, _depth in n.walk(node))


def _constant_part(node: Any) -> bool:
    if not isinstance(node, _CONSTANT):
        return False
    if isinstance(node, n.Call):
        function = FUNCTIONS.get(node.name)
        return function is not None and function.accepts(len(node.args))
    return True


def constant_value(node: Any) -> tuple[Any, Report]:
    """The value of a constant ``node`` and what evaluating it reported;
    (UNKNOWN, an empty report) for anything else."""
    report = Report()
    if not is_constant(node):
        return UNKNOWN, report
    return evaluate_expr(node, Scope(report=report)), report


def failing_constants(root: Any) -> Iterator[tuple[Any, str]]:
    """``(node, message)`` for each largest constant part of ``root`` whose
    evaluation reports an error or a type warning (it would, every time)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _FOLDED) and is_constant(node):
            _value, report = constant_value(node)
            if report.messages:
                yield node, f"this fails whenever it runs: {report.messages[0]}"
            continue
        stack.extend(reversed(list(n.children(node))))
