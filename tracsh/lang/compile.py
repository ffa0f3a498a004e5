"""Nodes to Python: the compiled form of conditions and values, which is what runs.

Each condition becomes the source of a small Python function, compiled once
with ``exec``: paths are walked inline, common cases (a number against a number
literal, text against a text literal) are tested inline, and everything else
calls the shared semantics in values.py, so the compiled form and the
reference evaluator (reference.py) mean the same thing by construction. ``and``
and ``or`` evaluate left to right and stop at the first false or true, as the
reference evaluator does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang import values
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.scope import MISSING, Scope, Truth

Check = Callable[[Scope], Truth]
Value = Callable[[Scope], Any]

_NUMBERS = frozenset({int, float})


def _runtime() -> dict[str, Any]:
    """The names generated code may use."""
    space: dict[str, Any] = {
        "MISSING": MISSING,
        "NUM": _NUMBERS,
    }
    for name in (
        "compare", "equals", "order", "member", "text_test", "match", "between",
        "presence", "truthy", "in_segment", "arith", "negative",
    ):  # fmt: skip
        space[name] = getattr(values, name)
    for name, function in FUNCTIONS.items():
        space[f"fn_{name}"] = function.run
    return space


class _Function:
    """The lines of one generated Python function."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.roots: set[str] = set()

    def emit(self, line: str, indent: int = 1) -> None:
        """Add one line of code."""
        self.lines.append("    " * indent + line)

    def source(self) -> str:
        """The function's complete source text."""
        head = [f"def {self.name}(scope):", "    rep = scope.report"]
        return "\n".join(head + self.lines)


class _Compiler:
    """Generates the functions of one compiled unit and runs ``exec`` on them."""

    def __init__(self) -> None:
        self.space = _runtime()
        self.functions: list[_Function] = []
        self.counter = itertools.count()

    # --- plumbing ----------------------------------------------------------------

    def fresh(self, prefix: str = "v") -> str:
        """A new variable or function name."""
        return f"{prefix}{next(self.counter)}"

    def constant(self, value: Any) -> str:
        """A name bound to ``value`` in the generated code's globals."""
        name = self.fresh("c")
        self.space[name] = value
        return name

    def new_function(self) -> _Function:
        """Start a generated function."""
        function = _Function(self.fresh("f"))
        self.functions.append(function)
        return function

    def build(self, main: _Function, label: str) -> Callable[[Scope], Any]:
        """Execute every generated function and return ``main``."""
        source = "\n\n".join(f.source() for f in self.functions) + "\n"
        exec(compile(source, f"<tracsh {label}>", "exec"), self.space)
        compiled = self.space[main.name]
        compiled.__tracsh_source__ = source
        return compiled

    # --- values --------------------------------------------------------------

    def value(self, f: _Function, node: Any) -> str:
        """Emit code computing ``node``; return the variable or literal holding it."""
        method = getattr(self, f"value_{type(node).__name__}", None)
        if method is None:
            # A condition used as a value (`set … = a > b`): true, false or missing.
            truth = self.truth(f, node)
            target = self.fresh()
            f.emit(f"{target} = MISSING if {truth} is None else {truth}")
            return target
        return method(f, node)

    def value_Literal(self, f: _Function, node: n.Literal) -> str:
        # Parenthesised so that ``(3).__class__`` is valid Python.
        return f"({node.value!r})"

    def value_Duration(self, f: _Function, node: n.Duration) -> str:
        return self.constant(timedelta(seconds=node.seconds))

    def value_Now(self, f: _Function, node: n.Now) -> str:
        target = self.fresh()
        f.emit(f"{target} = scope.now")
        return target

    def value_Path(self, f: _Function, node: n.Path) -> str:
        if node.root not in f.roots:
            f.emit(f"r_{node.root} = scope.{node.root}")
            f.roots.add(node.root)
        target = self.fresh()
        f.emit(f"{target} = r_{node.root}")
        for part in node.parts:
            if isinstance(part, int):
                f.emit(
                    f"{target} = {target}[{part}] if {target}.__class__ is list "
                    f"and len({target}) > {part} else MISSING"
                )
            else:
                f.emit(
                    f"{target} = {target}.get({part!r}, MISSING) "
                    f"if {target}.__class__ is dict else MISSING"
                )
        return target

    def value_ListExpr(self, f: _Function, node: n.ListExpr) -> str:
        if all(isinstance(item, n.Literal) for item in node.items):
            return self.constant([item.value for item in node.items])
        items = [self.value(f, item) for item in node.items]
        target = self.fresh()
        f.emit(f"{target} = [{', '.join(items)}]")
        return target

    def value_ObjectExpr(self, f: _Function, node: n.ObjectExpr) -> str:
        pairs = [(key, self.value(f, value)) for key, value in node.pairs]
        target = self.fresh()
        body = ", ".join(f"{key!r}: {value}" for key, value in pairs)
        f.emit(f"{target} = {{{body}}}")
        return target

    def value_Call(self, f: _Function, node: n.Call) -> str:
        args = [self.value(f, arg) for arg in node.args]
        target = self.fresh()
        call = f"fn_{node.name}(rep, scope.now{''.join(', ' + a for a in args)})"
        if node.name in ("lower", "upper") and len(args) == 1:
            arg = args[0]
            f.emit(
                f"{target} = {arg}.{node.name}() if {arg}.__class__ is str else {call}"
            )
        elif node.name == "trim" and len(args) == 1:
            arg = args[0]
            f.emit(f"{target} = {arg}.strip() if {arg}.__class__ is str else {call}")
        else:
            f.emit(f"{target} = {call}")
        return target

    def value_Arith(self, f: _Function, node: n.Arith) -> str:
        left, right = self.value(f, node.left), self.value(f, node.right)
        target = self.fresh()
        slow = f"arith({node.op!r}, {left}, {right}, rep)"
        if node.op in "+-*":
            # Inline only where the result cannot leave 64 bits (values.INT_LIMIT).
            bound = 2**31 if node.op == "*" else 2**62
            small = f"-{bound} < {{0}} < {bound}"
            f.emit(
                f"{target} = {left} {node.op} {right} if {left}.__class__ is int "
                f"and {right}.__class__ is int and {small.format(left)} and "
                f"{small.format(right)} else {slow}"
            )
        else:
            f.emit(f"{target} = {slow}")
        return target

    def value_Neg(self, f: _Function, node: n.Neg) -> str:
        operand = self.value(f, node.operand)
        target = self.fresh()
        f.emit(
            f"{target} = -{operand} if {operand}.__class__ in NUM "
            f"else negative({operand}, rep)"
        )
        return target

    def _history(self, f: _Function, node: Any, where: Any, value: Any) -> str:
        where_name = (
            "None" if where is None else self.constant(compile_condition(where))
        )
        value_name = "None" if value is None else self.constant(compile_expr(value))
        target = self.fresh()
        f.emit(
            f"{target} = scope.ask_history({self.constant(node)}, {where_name}, "
            f"{value_name})"
        )
        return target

    def value_Count(self, f: _Function, node: n.Count) -> str:
        where = None if isinstance(node.subject, n.Literal) else node.subject
        return self._history(f, node, where, None)

    def value_Sum(self, f: _Function, node: n.Sum) -> str:
        return self._history(f, node, node.where, node.value)

    def value_Last(self, f: _Function, node: n.Last) -> str:
        return self._history(f, node, node.where, node.value)

    # --- conditions ----------------------------------------------------------

    def truth(self, f: _Function, node: Any) -> str:
        """Emit code deciding ``node``; return the variable holding the truth."""
        method = getattr(self, f"truth_{type(node).__name__}", None)
        if method is None:
            raise ValueError(f"cannot compile a {type(node).__name__} condition")
        return method(f, node)

    def _decide(self, f: _Function, fast: str | None, slow: str, test: str = "") -> str:
        """``target = fast if test else slow`` (or just ``slow``)."""
        target = self.fresh("t")
        if fast is None:
            f.emit(f"{target} = {slow}")
        else:
            f.emit(f"{target} = ({fast}) if {test} else {slow}")
        return target

    def truth_Compare(self, f: _Function, node: n.Compare) -> str:
        left, right = self.value(f, node.left), self.value(f, node.right)
        slow = f"compare({node.op!r}, {left}, {right}, rep)"
        literal = node.right.value if isinstance(node.right, n.Literal) else MISSING
        if isinstance(literal, str) and node.op in ("==", "!="):
            fast, test = f"{left} {node.op} {right}", f"{left}.__class__ is str"
        elif literal.__class__ in _NUMBERS:
            fast, test = f"{left} {node.op} {right}", f"{left}.__class__ in NUM"
        else:
            fast = f"{left} {node.op} {right}"
            test = f"{left}.__class__ in NUM and {right}.__class__ in NUM"
        return self._decide(f, fast, slow, test)

    def truth_InList(self, f: _Function, node: n.InList) -> str:
        operand, options = self.value(f, node.operand), self.value(f, node.options)
        slow = f"member({operand}, {options}, rep)"
        fast, test = self._membership_fast_path(node.options, operand)
        target = self._decide(f, fast, slow, test)
        if node.negated:
            f.emit(f"{target} = None if {target} is None else not {target}")
        return target

    def _membership_fast_path(self, options: Any, operand: str) -> tuple[Any, str]:
        """A set lookup when the list is literal text only or numbers only."""
        if not isinstance(options, n.ListExpr) or not options.items:
            return None, ""
        if not all(isinstance(item, n.Literal) for item in options.items):
            return None, ""
        found = [item.value for item in options.items]
        if all(isinstance(v, str) for v in found):
            return f"{operand} in {self.constant(frozenset(found))}", (
                f"{operand}.__class__ is str"
            )
        if all(v.__class__ in _NUMBERS for v in found):
            return f"{operand} in {self.constant(frozenset(found))}", (
                f"{operand}.__class__ in NUM"
            )
        return None, ""

    def truth_TextTest(self, f: _Function, node: n.TextTest) -> str:
        left, right = self.value(f, node.left), self.value(f, node.right)
        literal = node.right.value if isinstance(node.right, n.Literal) else None
        test = f"{left}.__class__ is str"
        if node.op == "matches":
            # Always through values.match: it stops a match that runs too long.
            return self._decide(f, None, f"match({left}, {right}, rep)")
        slow = f"text_test({node.op!r}, {left}, {right}, rep)"
        if not isinstance(literal, str):
            return self._decide(f, None, slow)
        method = {
            "contains": None,
            "starts with": "startswith",
            "ends with": "endswith",
        }
        if method[node.op] is None:
            return self._decide(f, f"{right} in {left}", slow, test)
        return self._decide(f, f"{left}.{method[node.op]}({right})", slow, test)

    def truth_Between(self, f: _Function, node: n.Between) -> str:
        value = self.value(f, node.operand)
        low, high = self.value(f, node.low), self.value(f, node.high)
        test = " and ".join(f"{v}.__class__ in NUM" for v in (value, low, high))
        slow = f"between({value}, {low}, {high}, rep)"
        return self._decide(f, f"{low} <= {value} <= {high}", slow, test)

    def variable(self, f: _Function, value: str) -> str:
        """``value`` as a variable, so ``is`` never meets a literal."""
        if not value.startswith("("):
            return value
        target = self.fresh()
        f.emit(f"{target} = {value}")
        return target

    def truth_Presence(self, f: _Function, node: n.Presence) -> str:
        value = self.variable(f, self.value(f, node.operand))
        inline = {
            "exists": f"{value} is not MISSING",
            "is missing": f"{value} is MISSING",
            "is null": f"{value} is None",
            "is not null": f"{value} is not MISSING and {value} is not None",
        }
        return self._decide(
            f, None, inline.get(node.test, f"presence({value}, 'is empty')")
        )

    def truth_InSegment(self, f: _Function, node: n.InSegment) -> str:
        test = f"in_segment(scope.profile, {node.segment!r})"
        return self._decide(f, None, f"not {test}" if node.negated else test)

    def truth_Truthy(self, f: _Function, node: n.Truthy) -> str:
        value = self.variable(f, self.value(f, node.operand))
        test = f"{value} is True or {value} is False"
        return self._decide(f, value, f"truthy({value}, rep)", test)

    def truth_Not(self, f: _Function, node: n.Not) -> str:
        inner = self.truth(f, node.operand)
        return self._decide(f, None, f"None if {inner} is None else not {inner}")

    def truth_And(self, f: _Function, node: n.And) -> str:
        return self._logic(f, node, stop=False)

    def truth_Or(self, f: _Function, node: n.Or) -> str:
        return self._logic(f, node, stop=True)

    def _logic(self, f: _Function, node: Any, stop: bool) -> str:
        """``and`` (stop at False) or ``or`` (stop at True) as its own function."""
        inner = self.new_function()
        self.logic_body(inner, node, stop)
        return self._decide(f, None, f"{inner.name}(scope)")

    def logic_body(self, f: _Function, node: Any, stop: bool) -> None:
        """The statements of an ``and`` / ``or`` function, ending in ``return``."""
        f.emit(f"result = {not stop}")
        for item in node.items:
            truth = self.truth(f, item)
            f.emit(f"if {truth} is {stop}:")
            f.emit(f"return {stop}", 2)
            f.emit(f"if {truth} is None:")
            f.emit("result = None", 2)
        f.emit("return result")


def compile_condition(node: Any, label: str = "condition") -> Check:
    """The compiled form of a condition: ``check(scope) -> True | False | None``."""
    compiler = _Compiler()
    main = compiler.new_function()
    if isinstance(node, (n.And, n.Or)):
        compiler.logic_body(main, node, stop=isinstance(node, n.Or))
    else:
        main.emit(f"return {compiler.truth(main, node)}")
    return compiler.build(main, label)


def compile_expr(node: Any, label: str = "value") -> Value:
    """The compiled form of a value: ``value(scope) -> value or MISSING``."""
    compiler = _Compiler()
    main = compiler.new_function()
    main.emit(f"return {compiler.value(main, node)}")
    return compiler.build(main, label)


# --- facts about conditions that the rule index uses ---------------------------


def roots_read(node: Any) -> set[str]:
    """The document roots a condition reads (``segment`` for segment tests)."""
    found: set[str] = set()
    for item, _depth in n.walk(node):
        if isinstance(item, n.Path):
            found.add(item.root)
        elif isinstance(item, n.InSegment):
            found.add("profile")
        elif isinstance(item, (n.Count, n.Sum, n.Last)):
            found.add("history")
    return found


def event_only(node: Any) -> bool:
    """Whether a condition reads nothing but the event, its source and the clock."""
    return roots_read(node) <= {"event", "source"}


def _is_event_type(node: Any) -> bool:
    return isinstance(node, n.Path) and node.root == "event" and node.parts == ("type",)


def required_event_types(node: Any) -> frozenset[str] | None:
    """The event types a condition can only be true for, or None when any type can.

    ``event.type == "x"``, ``event.type in ["x", "y"]``, and their combinations
    by ``and`` (any constrained item constrains) and ``or`` (all items must be
    constrained) are understood; everything else allows any type.
    """
    if isinstance(node, n.Compare) and node.op == "==":
        for path, other in ((node.left, node.right), (node.right, node.left)):
            if _is_event_type(path) and isinstance(other, n.Literal):
                return (
                    frozenset([other.value]) if isinstance(other.value, str) else None
                )
    if isinstance(node, n.InList) and not node.negated and _is_event_type(node.operand):
        options = node.options
        if isinstance(options, n.ListExpr) and all(
            isinstance(i, n.Literal) and isinstance(i.value, str) for i in options.items
        ):
            return frozenset(i.value for i in options.items)
    if isinstance(node, n.And):
        found = [required_event_types(item) for item in node.items]
        known = [types for types in found if types is not None]
        return frozenset.intersection(*known) if known else None
    if isinstance(node, n.Or):
        found = [required_event_types(item) for item in node.items]
        if all(types is not None for types in found):
            return frozenset().union(*found)
    return None
