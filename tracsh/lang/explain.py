"""Why a condition is true, false or unknown: every sub-expression, its value, a reason.

``tracsh eval --explain``, the failure output of ``tracsh test``, the REPL and
the console all show the trace built here. It evaluates like reference.py,
walking the tree and deciding everything through values.py, so its verdicts,
type warnings and errors agree with the compiled form (the differential
property test checks it); on the way it records what each node gave and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang import printer, values
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.reference import resolve
from tracsh.lang.scope import MISSING, Report, Scope, Truth

VERDICTS = {True: "true", False: "false", None: "unknown"}
_INDENT = "  "
_WIDTH = 9
"""Verdicts are padded to this width so the expressions line up."""


@dataclass
class Trace:
    """One evaluated node: its text, what it gave, why, and its parts.

    ``value`` is a Truth for a condition and a value (MISSING included) for an
    expression. ``skipped`` marks an item an ``and`` / ``or`` never evaluated
    because an earlier item decided.
    """

    node: Any
    text: str
    value: Any = MISSING
    condition: bool = False
    why: str = ""
    children: list[Trace] = field(default_factory=list)
    skipped: bool = False

    @property
    def verdict(self) -> str:
        """``true``, ``false``, ``unknown`` (conditions) or ``skipped``."""
        if self.skipped:
            return "skipped"
        return VERDICTS.get(self.value, "unknown") if self.condition else ""

    def walk(self):
        """This trace and every trace under it, depth first."""
        stack = [self]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(current.children))


def explain_condition(node: Any, scope: Scope) -> Trace:
    """Evaluate ``node`` in ``scope``, keeping the trace; its ``value`` is the truth."""
    return _Explainer(scope).condition(node)


def explain_expr(node: Any, scope: Scope) -> Trace:
    """Evaluate a value expression and keep the trace; ``trace.value`` is the value."""
    return _Explainer(scope).expr(node)


def render(trace: Trace, *, heading: bool = True) -> str:
    """The trace as text: the parenthesised condition, then the tree, indented."""
    lines = [printer.parenthesised(trace.node)] if heading else []
    lines.extend(_lines(trace, 0))
    return "\n".join(lines)


def _lines(trace: Trace, depth: int) -> list[str]:
    indent = _INDENT * depth
    if trace.condition or trace.skipped:
        why = f" — {trace.why}" if trace.why else ""
        out = [f"{indent}{trace.verdict:<{_WIDTH}}{trace.text}{why}"]
    else:
        out = [f"{indent}{' ' * _WIDTH}{_value_line(trace)}"]
    for child in trace.children:
        out.extend(_lines(child, depth + 1))
    return out


def _value_line(trace: Trace) -> str:
    why = f" — {trace.why}" if trace.why else ""
    if trace.value is MISSING:
        return f"{trace.text} is missing{why}"
    return f"{trace.text} = {printer.value(trace.value)}{why}"


def _quiet(node: Any) -> bool:
    """Values that are their own text: not worth a line of their own."""
    if isinstance(node, n.ListExpr):
        return all(_quiet(item) for item in node.items)
    return isinstance(node, (n.Literal, n.Duration))


class _Explainer:
    """Evaluates like reference.py and records a Trace per node."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def run(self, operation: Any, *args: Any) -> tuple[Any, str]:
        """Call a values.py operation with a report of its own, then pass it on.

        The reasons it gives become the trace's ``why``; the counts go to the
        scope's report exactly as a direct call would have put them there.
        """
        local = Report()
        result = operation(*args, local)
        _merge(local, self.scope.report)
        return result, "; ".join(local.messages)

    # --- values --------------------------------------------------------------

    def expr(self, node: Any) -> Trace:
        """The trace of a value expression."""
        shown = printer.text(node)
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            # A condition used as a value (`set … = a > b`): true, false or missing.
            inner = self.condition(node)
            value = MISSING if inner.value is None else inner.value
            return Trace(node, shown, value, children=[inner])
        return method(node, shown)

    def parts(self, *nodes: Any) -> tuple[list[Any], list[Trace]]:
        """Evaluate operands left to right: their values, and their traces to show."""
        traces = [self.expr(item) for item in nodes]
        shown = [t for t, item in zip(traces, nodes, strict=True) if not _quiet(item)]
        return [t.value for t in traces], shown

    def expr_Literal(self, node: n.Literal, shown: str) -> Trace:
        return Trace(node, shown, node.value)

    def expr_Duration(self, node: n.Duration, shown: str) -> Trace:
        return Trace(node, shown, timedelta(seconds=node.seconds))

    def expr_Now(self, node: n.Now, shown: str) -> Trace:
        return Trace(node, shown, self.scope.now)

    def expr_Path(self, node: n.Path, shown: str) -> Trace:
        found = resolve(self.scope.root(node.root), node.parts)
        return Trace(node, shown, found, why=_missing_step(self.scope, node, found))

    def expr_ListExpr(self, node: n.ListExpr, shown: str) -> Trace:
        found, children = self.parts(*node.items)
        return Trace(node, shown, found, children=children)

    def expr_ObjectExpr(self, node: n.ObjectExpr, shown: str) -> Trace:
        found, children = self.parts(*(value for _key, value in node.pairs))
        keys = [key for key, _value in node.pairs]
        return Trace(
            node, shown, dict(zip(keys, found, strict=True)), children=children
        )

    def expr_Call(self, node: n.Call, shown: str) -> Trace:
        args, children = self.parts(*node.args)
        function = FUNCTIONS[node.name].run
        found, why = self.run(lambda report: function(report, self.scope.now, *args))
        return Trace(node, shown, found, why=why, children=children)

    def expr_Arith(self, node: n.Arith, shown: str) -> Trace:
        (left, right), children = self.parts(node.left, node.right)
        found, why = self.run(values.arith, node.op, left, right)
        return Trace(node, shown, found, why=why, children=children)

    def expr_Neg(self, node: n.Neg, shown: str) -> Trace:
        (operand,), children = self.parts(node.operand)
        found, why = self.run(values.negative, operand)
        return Trace(node, shown, found, why=why, children=children)

    def expr_Count(self, node: n.Count, shown: str) -> Trace:
        where = None if isinstance(node.subject, n.Literal) else node.subject
        return self.history(node, shown, where, None)

    def expr_Sum(self, node: n.Sum, shown: str) -> Trace:
        return self.history(node, shown, node.where, node.value)

    def expr_Last(self, node: n.Last, shown: str) -> Trace:
        return self.history(node, shown, node.where, node.value)

    def history(self, node: Any, shown: str, where: Any, value: Any) -> Trace:
        """count(), sum() and last() through the scope's history provider."""
        check = None if where is None else (lambda s: _Explainer(s).truth(where))
        value_of = (
            None if value is None else (lambda s: _Explainer(s).expr(value).value)
        )
        scope = self.scope
        shared, scope.report = scope.report, Report()
        try:
            found = scope.ask_history(node, check, value_of)
        finally:
            local, scope.report = scope.report, shared
        _merge(local, shared)
        return Trace(node, shown, found, why="; ".join(local.messages))

    # --- conditions ----------------------------------------------------------

    def truth(self, node: Any) -> Truth:
        """The truth of ``node`` alone (for history conditions)."""
        return self.condition(node).value

    def condition(self, node: Any) -> Trace:
        """The trace of a condition; ``value`` is its truth."""
        shown = printer.text(node)
        trace = getattr(self, f"cond_{type(node).__name__}")(node, shown)
        trace.condition = True
        return trace

    def cond_And(self, node: n.And, shown: str) -> Trace:
        return self.chain(node, shown, stop=False)

    def cond_Or(self, node: n.Or, shown: str) -> Trace:
        return self.chain(node, shown, stop=True)

    def chain(self, node: Any, shown: str, stop: bool) -> Trace:
        """``and`` (stops at the first false) or ``or`` (at the first true)."""
        result: Truth = not stop
        children: list[Trace] = []
        decider: Trace | None = None
        for index, item in enumerate(node.items):
            trace = self.condition(item)
            children.append(trace)
            if trace.value is stop:
                result, decider = stop, trace
                children += [_skipped(rest) for rest in node.items[index + 1 :]]
                break
            if trace.value is None:
                result = None
                decider = decider or trace
        why = _chain_why(stop, result, decider)
        return Trace(node, shown, result, why=why, children=children)

    def cond_Not(self, node: n.Not, shown: str) -> Trace:
        inner = self.condition(node.operand)
        result = values.negate(inner.value)
        why = f"not {VERDICTS[inner.value]}"
        return Trace(node, shown, result, why=why, children=[inner])

    def cond_InSegment(self, node: n.InSegment, shown: str) -> Trace:
        member = values.in_segment(self.scope.profile, node.segment)
        result = not member if node.negated else member
        profile = self.scope.profile
        segments = (
            profile.get("segments", MISSING) if isinstance(profile, dict) else MISSING
        )
        listed = "profile.segments is missing"
        if segments is not MISSING:
            listed = f"profile.segments = {printer.value(segments)}"
        return Trace(node, shown, result, why=listed)

    def cond_Presence(self, node: n.Presence, shown: str) -> Trace:
        (operand,), children = self.parts(node.operand)
        result = values.presence(operand, node.test)
        subject = printer.text(node.operand)
        if operand is MISSING:
            why = f"{subject} is missing"
        else:
            why = f"{subject} = {printer.value(operand)}"
        # The reason already shows the value; a path needs no line of its own.
        if isinstance(node.operand, n.Path):
            children = []
        return Trace(node, shown, result, why=why, children=children)

    def cond_Truthy(self, node: n.Truthy, shown: str) -> Trace:
        (operand,), children = self.parts(node.operand)
        result, why = self.run(values.truthy, operand)
        why = why or _absent_why([node.operand], [operand], result)
        return Trace(node, shown, result, why=why, children=children)

    def cond_Compare(self, node: n.Compare, shown: str) -> Trace:
        sides = (node.left, node.right)
        (left, right), children = self.parts(*sides)
        result, why = self.run(values.compare, node.op, left, right)
        why = why or _absent_why(sides, (left, right), result)
        if not why and result is not None:
            why = f"{printer.value(left)} {node.op} {printer.value(right)}"
        return Trace(node, shown, result, why=why, children=children)

    def cond_InList(self, node: n.InList, shown: str) -> Trace:
        sides = (node.operand, node.options)
        (item, options), children = self.parts(*sides)
        found, why = self.run(values.member, item, options)
        result = values.negate(found) if node.negated else found
        why = why or _absent_why(sides, (item, options), result)
        if not why and result is None:
            why = "no element matches and one compared as unknown (a null)"
        return Trace(node, shown, result, why=why, children=children)

    def cond_TextTest(self, node: n.TextTest, shown: str) -> Trace:
        sides = (node.left, node.right)
        (left, right), children = self.parts(*sides)
        if node.op == "matches":
            result, why = self.run(values.match, left, right)
        else:
            result, why = self.run(values.text_test, node.op, left, right)
        why = why or _absent_why(sides, (left, right), result)
        return Trace(node, shown, result, why=why, children=children)

    def cond_Between(self, node: n.Between, shown: str) -> Trace:
        sides = (node.operand, node.low, node.high)
        (found, low, high), children = self.parts(*sides)
        result, why = self.run(values.between, found, low, high)
        why = why or _absent_why(sides, (found, low, high), result)
        if not why and result is not None:
            shown_range = f"{printer.value(low)} to {printer.value(high)}"
            where = "inside" if result else "outside"
            why = f"{printer.value(found)} is {where} {shown_range}"
        return Trace(node, shown, result, why=why, children=children)

    def cond_Tql(self, node: n.Tql, shown: str) -> Trace:
        why = "a Tracardi condition that was not translated"
        return Trace(node, shown, None, why=why)


def _merge(local: Report, shared: Report) -> None:
    """Add what ``local`` counted to ``shared``, as direct calls would have."""
    shared.type_warnings += local.type_warnings
    shared.errors += local.errors
    for message in local.messages:
        if len(shared.messages) < 20:
            shared.messages.append(message)


def _skipped(node: Any) -> Trace:
    why = "not evaluated: an earlier item decided"
    return Trace(node, printer.text(node), None, condition=True, why=why, skipped=True)


def _chain_why(stop: bool, result: Truth, decider: Trace | None) -> str:
    """Why an ``and`` (stop False) or ``or`` (stop True) came out as it did."""
    word = VERDICTS[stop]
    if result is stop and decider is not None:
        return f"{decider.text} is {word}"
    if result is None and decider is not None:
        return f"{decider.text} is unknown and no item is {word}"
    return "every item is " + VERDICTS[not stop]


def _absent_why(nodes: Any, found: Any, result: Truth) -> str:
    """For an unknown test, which operand is missing or null."""
    if result is not None:
        return ""
    reasons = []
    for node, value in zip(nodes, found, strict=True):
        if value is MISSING:
            reasons.append(f"{printer.text(node)} is missing")
        elif value is None and not isinstance(node, n.Literal):
            reasons.append(f"{printer.text(node)} is null")
        elif value is None:
            reasons.append("null never compares")
    return "; ".join(reasons)


def _missing_step(scope: Scope, node: n.Path, found: Any) -> str:
    """For a missing path, the first step that does not resolve."""
    if found is not MISSING:
        return ""
    doc = scope.root(node.root)
    if doc is MISSING:
        return f"there is no {node.root}"
    for count in range(1, len(node.parts) + 1):
        if resolve(doc, node.parts[:count]) is MISSING:
            if count == len(node.parts):
                return ""
            stop = printer.path(n.Path(node.root, node.parts[:count]))
            return f"{stop} is missing"
    return ""
