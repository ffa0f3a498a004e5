"""Nodes back to source text: canonical values, conditions and actions, one line each.

The formatter lays these lines out into files; the explain trace, ``tracsh
import tql`` and the REPL print nodes with them. ``text`` writes the fewest
parentheses that keep the meaning; ``parenthesised`` writes one pair around
every operator, for showing how a condition groups. Whatever either prints
parses back to equal nodes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang.scope import MISSING
from tracsh.lang.values import format_duration

# Binding strength, loosest first; an operand weaker than its place needs ().
OR, AND, NOT, TEST, SUM, PRODUCT, UNARY, ATOM = range(8)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
_ESCAPE_AFTER_BACKSLASH = re.compile(
    r'[ntr0\\"\']|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}'
)


def string(value: str) -> str:
    """``value`` as a quoted string literal that reads back as ``value``.

    Double quotes unless the text holds a double quote and no single one. A
    backslash is doubled only where it would otherwise start an escape, so a
    regular expression such as ``\\d+`` stays as written.
    """
    quote = "'" if '"' in value and "'" not in value else '"'
    out: list[str] = []
    for index, char in enumerate(value):
        if char == "\\":
            after = value[index + 1 :]
            needs = not after or _ESCAPE_AFTER_BACKSLASH.match(after) is not None
            out.append("\\\\" if needs else "\\")
        elif char == quote:
            out.append("\\" + quote)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return quote + "".join(out) + quote


def number(value: int | float) -> str:
    """A number as the grammar reads it: digits, and a point for decimals."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def literal(value: Any) -> str:
    """A literal's source text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return string(value)
    return number(value)


def duration(node: n.Duration) -> str:
    """``7 days``, ``1 hour``, ``1.5 minutes``; whole 365-day multiples as years."""
    amount, unit = node.amount, node.unit
    if unit == "day" and isinstance(amount, int) and amount and amount % 365 == 0:
        amount, unit = amount // 365, "year"
    plural = "" if amount == 1 else "s"
    return f"{number(amount)} {unit}{plural}"


def path(node: n.Path) -> str:
    """``event.properties["order id"].items[0]``."""
    out = node.root
    for part in node.parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}"
        else:
            out += f"[{string(part)}]"
    return out


# --- values and conditions --------------------------------------------------------


def text(node: Any) -> str:
    """The canonical source text of a value or condition, on one line."""
    return _Printer(full=False).show(node, OR)


def text_at(node: Any, needs: int) -> str:
    """The canonical text of ``node`` in a place that binds at ``needs``."""
    return _Printer(full=False).show(node, needs)


def parenthesised(node: Any) -> str:
    """The source text with every operator in its own parentheses."""
    return _Printer(full=True).show(node, OR)


def strength(node: Any) -> int:
    """How tightly ``node`` binds when printed (OR loosest, ATOM tightest)."""
    if isinstance(node, n.Or):
        return OR
    if isinstance(node, n.And):
        return AND
    if isinstance(node, n.Not):
        return NOT
    if isinstance(node, n.Truthy):
        return strength(node.operand)
    if isinstance(node, (n.Compare, n.InList, n.TextTest, n.Between, n.Presence)):
        return TEST
    if isinstance(node, (n.InSegment, n.Tql)):
        return TEST
    if isinstance(node, n.Arith):
        return SUM if node.op in "+-" else PRODUCT
    if isinstance(node, n.Neg):
        return UNARY
    if isinstance(node, n.Literal) and isinstance(node.value, (int, float)):
        return UNARY if node.value < 0 or str(node.value).startswith("-") else ATOM
    return ATOM


class _Printer:
    """Prints one node; ``full`` puts parentheses around every operator."""

    def __init__(self, full: bool) -> None:
        self.full = full

    def show(self, node: Any, needs: int) -> str:
        """``node``'s text, in parentheses when it binds looser than ``needs``."""
        out = getattr(self, f"show_{type(node).__name__}")(node)
        own = strength(node)
        if own < needs or (self.full and own < ATOM and needs > OR):
            return f"({out})"
        return out

    def top(self, node: Any) -> str:
        """A node in a place that takes a whole condition (or value)."""
        return self.show(node, OR)

    # --- values --------------------------------------------------------------

    def show_Literal(self, node: n.Literal) -> str:
        return literal(node.value)

    def show_Duration(self, node: n.Duration) -> str:
        return duration(node)

    def show_Path(self, node: n.Path) -> str:
        return path(node)

    def show_Now(self, node: n.Now) -> str:
        return "now"

    def show_ListExpr(self, node: n.ListExpr) -> str:
        return "[" + ", ".join(self.top(item) for item in node.items) + "]"

    def show_ObjectExpr(self, node: n.ObjectExpr) -> str:
        pairs = (f"{string(key)}: {self.top(value)}" for key, value in node.pairs)
        return "{" + ", ".join(pairs) + "}"

    def show_Call(self, node: n.Call) -> str:
        return f"{node.name}(" + ", ".join(self.top(a) for a in node.args) + ")"

    def show_Arith(self, node: n.Arith) -> str:
        own = SUM if node.op in "+-" else PRODUCT
        left = self.show(node.left, own)
        right = self.show(node.right, own + 1)
        return f"{left} {node.op} {right}"

    def show_Neg(self, node: n.Neg) -> str:
        inner = self.show(node.operand, ATOM)
        return f"-{inner}"

    def show_Count(self, node: n.Count) -> str:
        inner = self.top(node.subject)
        return f"count({inner}{self.window(node.window)})"

    def show_Sum(self, node: n.Sum) -> str:
        return f"sum({self.history(node)})"

    def show_Last(self, node: n.Last) -> str:
        return f"last({self.history(node)})"

    def history(self, node: n.Sum | n.Last) -> str:
        """The inside of sum() or last()."""
        where = "" if node.where is None else f" where {self.top(node.where)}"
        return f"{self.top(node.value)}{where}{self.window(node.window)}"

    def window(self, window: n.Duration | None) -> str:
        return "" if window is None else f" within {duration(window)}"

    # --- conditions ------------------------------------------------------------

    def show_Compare(self, node: n.Compare) -> str:
        left, right = self.show(node.left, SUM), self.show(node.right, SUM)
        return f"{left} {node.op} {right}"

    def show_InList(self, node: n.InList) -> str:
        word = "not in" if node.negated else "in"
        return f"{self.show(node.operand, SUM)} {word} {self.show(node.options, SUM)}"

    def show_TextTest(self, node: n.TextTest) -> str:
        left, right = self.show(node.left, SUM), self.show(node.right, SUM)
        return f"{left} {node.op} {right}"

    def show_Between(self, node: n.Between) -> str:
        value = self.show(node.operand, SUM)
        low, high = self.show(node.low, SUM), self.show(node.high, SUM)
        return f"{value} between {low} and {high}"

    def show_Presence(self, node: n.Presence) -> str:
        return f"{self.show(node.operand, SUM)} {node.test}"

    def show_InSegment(self, node: n.InSegment) -> str:
        word = "not in" if node.negated else "in"
        return f"profile {word} segment {string(node.segment)}"

    def show_Truthy(self, node: n.Truthy) -> str:
        # The operand is a value; its own grouping is the Truthy's (see strength).
        return self.show(node.operand, OR)

    def show_Not(self, node: n.Not) -> str:
        # `not (a == b)` rather than `not a == b`, which reads as `(not a) == b`.
        return f"not {self.show(node.operand, UNARY)}"

    def show_And(self, node: n.And) -> str:
        return " and ".join(self.show(item, NOT) for item in node.items)

    def show_Or(self, node: n.Or) -> str:
        # `(a and b) or c`: the grouping is the same without (), but less plain.
        return " or ".join(self.show(item, NOT) for item in node.items)

    def show_Tql(self, node: n.Tql) -> str:
        return f"tql {string(node.text)}"


# --- actions ----------------------------------------------------------------------


def action(node: Any) -> str:
    """One action as it is written after ``then``, on one line."""
    return getattr(_ACTIONS, type(node).__name__)(node)


def _object_part(word: str, args: n.ObjectExpr | None) -> str:
    return "" if args is None else f" {word} {text(args)}"


def _sum(node: Any) -> str:
    """A value in a place the grammar reads as arithmetic (``to``, ``by``, …)."""
    return text_at(node, SUM)


class _ACTIONS:
    """One function per action node; looked up by the node's class name."""

    @staticmethod
    def Send(node: n.Send) -> str:
        to = "" if node.to is None else f" to {_sum(node.to)}"
        return f"send {node.channel} {string(node.template)}{to}"

    @staticmethod
    def ShowMessage(node: n.ShowMessage) -> str:
        return f"show message {string(node.template)}"

    @staticmethod
    def ShowWidget(node: n.ShowWidget) -> str:
        return f"show widget {string(node.name)}{_object_part('with', node.args)}"

    @staticmethod
    def RespondWith(node: n.RespondWith) -> str:
        return f"respond with {text(node.value)}"

    @staticmethod
    def SetField(node: n.SetField) -> str:
        tail = " if missing" if node.if_missing else ""
        return f"set {path(node.target)} = {text(node.value)}{tail}"

    @staticmethod
    def Unset(node: n.Unset) -> str:
        return f"unset {path(node.target)}"

    @staticmethod
    def Increment(node: n.Increment) -> str:
        word = "increment" if node.sign > 0 else "decrement"
        by = "" if node.by is None else f" by {_sum(node.by)}"
        return f"{word} {path(node.target)}{by}"

    @staticmethod
    def Append(node: n.Append) -> str:
        return f"append {_sum(node.value)} to {path(node.target)}"

    @staticmethod
    def Remove(node: n.Remove) -> str:
        return f"remove {_sum(node.value)} from {path(node.target)}"

    @staticmethod
    def SegmentAction(node: n.SegmentAction) -> str:
        word = "add" if node.add else "remove"
        return f"{word} segment {string(node.segment)}"

    @staticmethod
    def AddInterest(node: n.AddInterest) -> str:
        by = "" if node.by is None else f" by {_sum(node.by)}"
        return f"add interest {string(node.interest)}{by}"

    @staticmethod
    def GrantConsent(node: n.GrantConsent) -> str:
        until = "" if node.duration is None else f" for {duration(node.duration)}"
        return f"grant consent {string(node.consent)}{until}"

    @staticmethod
    def RevokeConsent(node: n.RevokeConsent) -> str:
        return f"revoke consent {string(node.consent)}"

    @staticmethod
    def CallWebhook(node: n.CallWebhook) -> str:
        return f"call webhook {string(node.webhook)}{_object_part('with', node.args)}"

    @staticmethod
    def Enrich(node: n.Enrich) -> str:
        head = f"enrich {path(node.target)} from {string(node.enricher)}"
        return head + _object_part("with", node.args)

    @staticmethod
    def Merge(node: n.Merge) -> str:
        return "merge profile on " + ", ".join(path(key) for key in node.keys)

    @staticmethod
    def Emit(node: n.Emit) -> str:
        out = f"emit event {string(node.event_type)}{_object_part('with', node.args)}"
        if node.delay is not None:
            out += f" in {duration(node.delay)}"
        if node.at is not None:
            out += f" at {_sum(node.at)}"
        return out

    @staticmethod
    def JourneyAction(node: n.JourneyAction) -> str:
        word = "start" if node.start else "exit"
        return f"{word} journey {string(node.journey)}"

    @staticmethod
    def Log(node: n.Log) -> str:
        return f"log {string(node.text)}"

    @staticmethod
    def Stop(node: n.Stop) -> str:
        return "stop"


# --- values met while evaluating ------------------------------------------------------


def value(found: Any, limit: int = 60) -> str:
    """A run-time value for people: JSON-like, times in ISO-8601, cut at ``limit``."""
    if found is MISSING:
        return "missing"
    if isinstance(found, datetime):
        shown = found.isoformat()
    elif isinstance(found, timedelta):
        shown = format_duration(found)
    elif isinstance(found, str):
        shown = string(found)
    elif found is None or isinstance(found, (bool, int, float)):
        shown = literal(found)
    else:
        shown = json.dumps(found, ensure_ascii=False, default=str)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
