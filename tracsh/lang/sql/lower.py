"""Conditions to the intermediate form: fold constants, write tests, bridge the rest.

A test whose operands are fields and constants is written in SQL by
operands.py. Parts of a condition that read no document (``now - 30 days``,
``date("2024-05-01")``) are computed here once, with the reference evaluator,
so the query compares fields against plain parameters. A test that reads
fields through arithmetic or a function call has no exact SQL form; it becomes
a call of ``tracsh_test``, which runs the compiled test on the fields' JSON
texts (functions.py); so does a test of a key no JSON path of the back end can
name (``profile.traits["a\\"b"]``), which gets the JSON text of the path's
longest nameable prefix and follows the rest in Python. What cannot run over
the given documents at all (a root that is not there, history) is refused with
a :class:`SqlRefused` naming the construct and its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from tracsh.errors import UserError
from tracsh.lang import nodes as n
from tracsh.lang.reference import evaluate_condition, evaluate_expr
from tracsh.lang.scope import Scope
from tracsh.lang.sql import form as f
from tracsh.lang.sql import operands as o
from tracsh.lang.sql.functions import bridge_plan

HISTORY = (n.Count, n.Sum, n.Last)


class SqlRefused(UserError):
    """A condition (or part of one) that cannot be evaluated in SQL here."""


def path_text(path: n.Path) -> str:
    """A path as a rule writes it."""
    text = path.root
    for part in path.parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}"
        else:
            text += f"[{part!r}]"
    return text


class Lowering:
    """Lowers the conditions of one query: which roots exist, and the clock."""

    def __init__(
        self,
        roots: frozenset[str],
        now: datetime,
        label: str,
        why: str,
        nameable: Callable[[str], bool],
    ) -> None:
        self.roots = roots
        self.now = now
        self.label = label
        self.why = why
        self.nameable = nameable
        """Whether the back end's JSON paths can name a key."""

    def refuse(self, node: Any, message: str) -> SqlRefused:
        """The error for ``node``, placed at its line and column when known."""
        span = getattr(node, "span", n.NOSPAN)
        where = self.label
        if span.line:
            where += f":{span.line}:{span.column}"
        return SqlRefused(f"{where}: {message}")

    # --- conditions ---------------------------------------------------------

    def condition(self, node: Any) -> Any:
        """The intermediate form of a condition (a ``truth``)."""
        if isinstance(node, n.And):
            return f.AllOf(tuple(self.condition(item) for item in node.items))
        if isinstance(node, n.Or):
            return f.AnyOf(tuple(self.condition(item) for item in node.items))
        if isinstance(node, n.Not):
            return f.Negate(self.condition(node.operand))
        if isinstance(node, n.InSegment):
            self.need_root(node, "profile")
            held = f.HasText("profile", ("segments",), f.Param(node.segment, "text"))
            return f.Negate(held) if node.negated else held
        if isinstance(node, n.Tql):
            raise self.refuse(node, "`tql` conditions cannot run in SQL")
        return self.test(node)

    def need_root(self, node: Any, root: str) -> None:
        """Refuse a root this query has no document for."""
        if root not in self.roots:
            shown = path_text(node) if isinstance(node, n.Path) else f"{root} data"
            raise self.refuse(node, f"{shown} cannot be read here{self.why}")

    def check(self, node: Any) -> None:
        """Refuse what no SQL form can evaluate: absent roots and history."""
        for item, _depth in n.walk(node):
            if isinstance(item, HISTORY):
                name = type(item).__name__.lower()
                raise self.refuse(
                    item,
                    f"{name}() reads the event history, which segment refresh and "
                    "profile queries do not evaluate; test a field kept on the "
                    "profile instead (for example one a rule increments)",
                )
            if isinstance(item, n.Path):
                self.need_root(item, item.root)
            if isinstance(item, n.InSegment):
                self.need_root(item, "profile")

    # --- tests --------------------------------------------------------------

    def test(self, node: Any) -> Any:
        """One test: folded, written natively, or bridged."""
        self.check(node)
        if not _reads_documents(node):
            return _truth(evaluate_condition(node, self.scope()))
        try:
            return self.native(node)
        except o.Unwritable:
            return self.bridge(node)

    def named(self, path: n.Path) -> tuple[tuple[str | int, ...], tuple[Any, ...]]:
        """``path``'s parts split before the first key the back end cannot name."""
        for index, part in enumerate(path.parts):
            if isinstance(part, str) and not self.nameable(part):
                return path.parts[:index], path.parts[index:]
        return path.parts, ()

    def scope(self) -> Scope:
        """A scope with no documents, for computing constant parts."""
        return Scope(now=self.now)

    def operand(self, node: Any) -> o.Operand:
        """A field or a constant; Unwritable for anything computed from fields."""
        if isinstance(node, n.Path):
            if self.named(node)[1]:
                raise o.Unwritable("a key no JSON path can name")
            return o.field(node.root, node.parts)
        if _reads_documents(node):
            raise o.Unwritable("a value computed from fields")
        return o.Constant(evaluate_expr(node, self.scope()))

    def native(self, node: Any) -> Any:
        """The test written with operands.py; raises Unwritable."""
        if isinstance(node, n.Compare):
            left, right = self.operand(node.left), self.operand(node.right)
            return o.compare(node.op, left, right)
        if isinstance(node, n.InList):
            found = self.membership(node)
            return f.Negate(found) if node.negated else found
        if isinstance(node, n.TextTest):
            left, right = self.operand(node.left), self.operand(node.right)
            if node.op == "contains":
                return o.contains(left, right)
            return o.text_test(node.op, left, right)
        if isinstance(node, n.Between):
            value = self.operand(node.operand)
            return o.between(value, self.operand(node.low), self.operand(node.high))
        if isinstance(node, (n.Presence, n.Truthy)):
            operand = self.operand(node.operand)
            if not isinstance(operand, o.Field):
                raise o.Unwritable("a test of a computed value")
            if isinstance(node, n.Truthy):
                return o.truthy(operand)
            return o.presence(operand, node.test)
        raise o.Unwritable(f"a {type(node).__name__} test")

    def membership(self, node: n.InList) -> Any:
        item = self.operand(node.operand)
        options = node.options
        if isinstance(options, n.ListExpr) and _reads_documents(options):
            return o.member_of_items(item, [self.operand(x) for x in options.items])
        return o.member(item, self.operand(options))

    def bridge(self, node: Any) -> Any:
        """The test as a call of ``tracsh_test`` over its fields' JSON texts.

        A path with a key the back end cannot name passes the JSON text of the
        part before that key; the test follows the rest of the path itself.
        """
        paths: dict[n.Path, n.Path] = {}
        fields_read: list[Any] = []
        for item, _depth in n.walk(node):
            if isinstance(item, n.Path) and item not in paths:
                named, rest = self.named(item)
                paths[item] = n.Path("event", (f"f{len(paths)}", *rest))
                fields_read.append(f.FieldJson(item.root, named))
        segments = any(isinstance(item, n.InSegment) for item, _ in n.walk(node))
        key, plan = bridge_plan(_substitute(node, paths), self.now, segments)
        args: list[Any] = [f.Param(key, "text"), f.Param(plan, "plan")]
        args += fields_read
        if segments:
            args.append(f.FieldJson("profile", ("segments",)))
        return f.Call("test", tuple(args))


def _reads_documents(node: Any) -> bool:
    """Whether anything under ``node`` reads a document (a path or a segment)."""
    return any(
        isinstance(item, (n.Path, n.InSegment, *HISTORY)) for item, _ in n.walk(node)
    )


def _truth(found: Any) -> Any:
    return {True: f.TRUE, False: f.FALSE}.get(found, f.UNKNOWN)


def _substitute(node: Any, paths: dict[n.Path, n.Path]) -> Any:
    """``node`` with each path in ``paths`` replaced (nodes are immutable)."""
    if isinstance(node, n.Path):
        return paths.get(node, node)
    if isinstance(node, tuple):
        return tuple(_substitute(item, paths) for item in node)
    if not n.is_node(node):
        return node
    changes = {
        item.name: _substitute(getattr(node, item.name), paths)
        for item in fields(node)
        if item.name != "span"
    }
    return replace(node, **changes)
