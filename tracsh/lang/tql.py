"""Tracardi conditions (TQL) to tracsh nodes, for ``when tql "…"`` and ``import tql``.

The loader translates every ``tql`` test when a rule file loads, so the checker,
the compiled form and the reference evaluator only ever see tracsh's own nodes.
A condition that does not parse is a diagnostic pointing inside the string.
docs/tql.md holds the field mapping and the table of Tracardi's documented
examples, with the places where tracsh's rules for missing values differ.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields, is_dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, VisitError

from tracsh.lang import nodes as n
from tracsh.lang.errors import Diagnostic, diagnostic_at, source_line

FIELD_MAP: tuple[tuple[str, str], ...] = (
    ("profile@id", "profile.id"),
    ("profile@ids", "profile.ids"),
    ("profile@stats.visits", "profile.visits"),
    ("profile@stats.views", "profile.views"),
    ("profile@stats.counters", "profile.counters"),
    ("profile@metadata.time.insert", "profile.created"),
    ("profile@metadata.time.create", "profile.created"),
    ("profile@metadata.time.update", "profile.updated"),
    ("profile@metadata.time.visit.last", "profile.last_seen"),
    ("profile@metadata.time.visit.count", "profile.visits"),
    ("profile@traits.private", "profile.traits"),
    ("profile@traits.public", "profile.traits"),
    ("profile@traits", "profile.traits"),
    ("profile@data.pii.firstname", "profile.pii.first_name"),
    ("profile@data.pii.lastname", "profile.pii.last_name"),
    ("profile@data.pii", "profile.pii"),
    ("profile@data.contact.email.main", "profile.pii.email"),
    ("profile@data.contact.phone.main", "profile.pii.phone"),
    ("profile@data.contact.phone.mobile", "profile.pii.phone"),
    ("profile@pii.name", "profile.pii.first_name"),
    ("profile@pii.surname", "profile.pii.last_name"),
    ("profile@pii", "profile.pii"),
    ("profile@segments", "profile.segments"),
    ("profile@interests", "profile.interests"),
    ("profile@consents", "profile.consents"),
    ("profile@", "profile."),
    ("event@metadata.time.create", "event.time"),
    ("event@metadata.time.insert", "event.received"),
    ("event@tags.values", "event.tags"),
    ("event@traits", "event.properties"),
    ("event@", "event."),
    ("session@metadata.time.insert", "session.started"),
    ("session@", "session."),
    ("payload@", "event.properties."),
)
"""Tracardi field prefixes and the tracsh paths they become, most specific first.

A field that no longer prefix matches keeps its path under the same root.
"""

LIST_FIELDS = frozenset({"profile.ids", "profile.segments", "event.tags"})
"""Lists that Tracardi's ``==`` tests for membership: ``profile@segments == "vip"``."""

_OPS = {"=": "==", "=>": ">=", "=<": "<="}
_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_NOW = frozenset({"now", "utcnow", "now.timezone"})


class TqlError(Exception):
    """A TQL condition that cannot be translated; ``offset`` is where, in the text."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("tracsh.grammar").joinpath("tql.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", cache=True)


def translate(text: str) -> n.Condition:
    """The tracsh condition for the Tracardi condition ``text``; raises TqlError."""
    if not text.strip():
        raise TqlError(0, "the Tracardi condition is empty")
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, text) from None
    try:
        return _ToNodes().transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, TqlError):
            raise err.orig_exc from None
        raise


def _syntax_error(err: UnexpectedInput, text: str) -> TqlError:
    """A TqlError with words for a Lark parse error."""
    offset = getattr(err, "pos_in_stream", None) or 0
    if isinstance(err, UnexpectedCharacters):
        found = text[offset : offset + 1]
        if found == "'":
            return TqlError(offset, 'Tracardi strings take double quotes: write "…"')
        return TqlError(offset, f"unexpected character `{found}` in the condition")
    token = getattr(err, "token", None)
    expected = set(getattr(err, "expected", ()) or ())
    if token is None or token.type == "$END":
        return TqlError(len(text.rstrip()), "the condition ends too early")
    offset = token.start_pos or 0
    if token.type in ("AND", "OR") and expected & {"AND", "OR"} != {"AND", "OR"}:
        return TqlError(
            offset,
            "Tracardi gives AND and OR no precedence: put parentheses around "
            "the AND part or the OR part",
        )
    return TqlError(offset, f"unexpected `{token.value}` in the condition")


# --- the tree to nodes ---------------------------------------------------------


def _path(token: Token) -> n.Path:
    """The tracsh path of a Tracardi field, through FIELD_MAP."""
    text = str(token)
    namespace = text.split("@", 1)[0].lower()
    if namespace not in ("profile", "event", "session", "payload"):
        raise TqlError(
            token.start_pos or 0,
            f"`{namespace}@` is Tracardi workflow state that tracsh does not have; "
            "use profile@, event@, session@ or payload@",
        )
    for prefix, target in FIELD_MAP:
        if prefix.endswith("@"):
            matched = text.startswith(prefix)
        else:
            matched = text == prefix or text.startswith(prefix + ".")
        if matched:
            rest = text[len(prefix) :].lstrip(".")
            return _dotted(target.rstrip("."), rest, token)
    raise TqlError(token.start_pos or 0, f"unknown field {text}")


def _dotted(target: str, rest: str, token: Token) -> n.Path:
    """A path from ``target`` (``root.a.b``) and a Tracardi dotted rest."""
    root, *parts = target.split(".")
    keys: list[str | int] = [p for p in parts if p]
    for part in rest.split(".") if rest else ():
        if not part:
            raise TqlError(token.start_pos or 0, f"empty name in the field {token}")
        keys.append(int(part) if part.isdigit() else part)
    return n.Path(root, tuple(keys))


def _text(token: Token) -> str:
    try:
        return json.loads(str(token))
    except json.JSONDecodeError:
        raise TqlError(token.start_pos or 0, "this string has a bad escape") from None


def _duration(token: Token) -> tuple[int, n.Duration]:
    """The sign and the duration of an offset such as ``-15m``."""
    text = str(token)
    sign = -1 if text.startswith("-") else 1
    amount = int(text.lstrip("+-")[:-1])
    return sign, n.Duration(amount, _UNITS[text[-1]])


def _shift(base: n.Expr, token: Token) -> n.Expr:
    sign, duration = _duration(token)
    return n.Arith("-" if sign < 0 else "+", base, duration)


@v_args(inline=True)
class _ToNodes(Transformer):
    """Builds tracsh nodes from a TQL parse tree."""

    def start(self, condition):
        return condition

    def and_chain(self, *items):
        return n.And(_flat(n.And, [i for i in items if not isinstance(i, Token)]))

    def or_chain(self, *items):
        return n.Or(_flat(n.Or, [i for i in items if not isinstance(i, Token)]))

    # --- tests -------------------------------------------------------------

    def compare(self, left, op, right):
        op = _OPS.get(str(op), str(op))
        if isinstance(right, n.Literal) and right.value is None and op in ("==", "!="):
            # Tracardi's `== null` is true for a stored null; tracsh's is unknown.
            return n.Presence(left, "is null" if op == "==" else "is not null")
        if op == "==" and _is_list_field(left) and not isinstance(right, n.ListExpr):
            if left == n.Path("profile", ("segments",)) and _is_text(right):
                return n.InSegment(right.value)
            return n.TextTest("contains", left, right)
        return n.Compare(op, left, right)

    def between(self, subject, _between, low, _and, high):
        return n.Between(subject, low, high)

    def is_null(self, subject, _is, _null):
        return n.Presence(subject, "is null")

    def is_not_null(self, subject, _is, _not, _null):
        return n.Presence(subject, "is not null")

    def exists(self, subject, _exists):
        return n.Presence(subject, "exists")

    def not_exists(self, subject, _not, _exists):
        return n.Presence(subject, "is missing")

    def empty(self, subject, _empty):
        return n.Presence(subject, "is empty")

    def not_empty(self, subject, _not, _empty):
        return n.Not(n.Presence(subject, "is empty"))

    def contains(self, subject, _op, value):
        return n.TextTest("contains", subject, value)

    def starts_with(self, subject, _op, value):
        return n.TextTest("starts with", subject, value)

    def ends_with(self, subject, _op, value):
        return n.TextTest("ends with", subject, value)

    # --- values ------------------------------------------------------------

    def field(self, token):
        return _path(token)

    def string(self, token):
        return n.Literal(_text(token))

    def number(self, token):
        text = str(token)
        return n.Literal(float(text) if "." in text else int(text))

    def offset(self, token):
        sign, duration = _duration(token)
        return duration if sign > 0 else n.Neg(duration)

    def null(self, _token):
        return n.Literal(None)

    def true(self, _token):
        return n.Literal(True)

    def false(self, _token):
        return n.Literal(False)

    def array(self, *items):
        return n.ListExpr(tuple(i for i in items if i is not None))

    def call(self, name, *args):
        return _function(name, [a for a in args if a is not None])


def _flat(kind: type, items: list[Any]) -> tuple[Any, ...]:
    flat: list[Any] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return tuple(flat)


def _is_list_field(node: Any) -> bool:
    if not isinstance(node, n.Path):
        return False
    return ".".join([node.root, *map(str, node.parts)]) in LIST_FIELDS


def _is_text(node: Any) -> bool:
    return isinstance(node, n.Literal) and isinstance(node.value, str)


# --- functions -------------------------------------------------------------------

FUNCTIONS = {
    "now": "now",
    "utcnow": "now",
    "now.timezone": "now",
    "now.offset": "now + <offset>",
    "now.timezone.offset": "now + <offset>",
    "datetime": 'datetime("…") or date(<field>)',
    "datetime.offset": "date(<field>) + <offset>",
    "datetime.timezone": "date(<field>)",
    "datetime.from_timestamp": "date(<field>)",
    "lowercase": "lower(x)",
    "uppercase": "upper(x)",
}
"""The Tracardi functions tracsh translates, and what each becomes."""

_ARITY = {
    "now": (0, 1),
    "utcnow": (0, 0),
    "now.timezone": (1, 1),
    "now.offset": (1, 1),
    "now.timezone.offset": (2, 2),
    "datetime": (1, 1),
    "datetime.offset": (2, 2),
    "datetime.timezone": (2, 2),
    "datetime.from_timestamp": (1, 1),
    "lowercase": (1, 1),
    "uppercase": (1, 1),
}


def _function(name_token: Token, args: list[Any]) -> n.Expr:
    """The tracsh value for a Tracardi function call."""
    name = str(name_token).lower()
    where = name_token.start_pos or 0
    if name not in _ARITY:
        known = ", ".join(sorted(FUNCTIONS))
        raise TqlError(where, f"unknown Tracardi function {name}() (known: {known})")
    low, high = _ARITY[name]
    if not low <= len(args) <= high:
        count = str(low) if low == high else f"{low} or {high}"
        raise TqlError(where, f"{name}() takes {count} argument(s), given {len(args)}")
    if name in _NOW:
        return n.Now()
    if name in ("now.offset", "now.timezone.offset"):
        return _offset_of(n.Now(), args[-1], where)
    if name == "datetime":
        return _datetime(args[0], where)
    if name == "datetime.offset":
        return _offset_of(n.Call("date", (args[0],)), args[1], where)
    if name in ("datetime.timezone", "datetime.from_timestamp"):
        return n.Call("date", (args[0],))
    return n.Call("lower" if name == "lowercase" else "upper", (args[0],))


def _offset_of(base: n.Expr, offset: Any, where: int) -> n.Expr:
    if isinstance(offset, n.Duration):
        return n.Arith("+", base, offset)
    if isinstance(offset, n.Neg) and isinstance(offset.operand, n.Duration):
        return n.Arith("-", base, offset.operand)
    raise TqlError(where, "the offset must be written like -15m, 2h or 7d")


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?")


def _datetime(arg: Any, where: int) -> n.Expr:
    """``datetime("…")`` for ISO text (or "now"), ``date(…)`` for a field."""
    if isinstance(arg, n.Literal) and isinstance(arg.value, str):
        if arg.value.strip().lower() == "now":
            return n.Now()
        if not _ISO.match(arg.value.strip()):
            raise TqlError(
                where,
                f"tracsh reads dates in ISO-8601 only, not {arg.value!r}; "
                'write datetime("2024-05-01T10:00:00Z")',
            )
        return n.Call("datetime", (arg,))
    return n.Call("date", (arg,))


# --- inside rule files -------------------------------------------------------------


def translate_tree(node: Any, text: str, path: str) -> tuple[Any, list[Diagnostic]]:
    """``node`` with every Tql node replaced by its translation, and the problems.

    A Tql node that cannot be translated stays (the diagnostic says why, so the
    rule set does not load); its translation takes the Tql node's span.
    """
    problems: list[Diagnostic] = []
    if not any(isinstance(item, n.Tql) for item, _depth in n.walk(node)):
        return node, problems

    def rebuild(value: Any) -> Any:
        if isinstance(value, n.Tql):
            return _translated(value, text, path, problems)
        if isinstance(value, tuple):
            return tuple(rebuild(item) for item in value)
        if isinstance(value, _NO_CONDITIONS):
            # Values hold no conditions; arithmetic chains nest too deep to recurse.
            return value
        if is_dataclass(value) and n.is_node(value):
            changes = {
                f.name: rebuild(getattr(value, f.name))
                for f in fields(value)
                if f.name != "span"
            }
            if any(changes[k] is not getattr(value, k) for k in changes):
                return replace(value, **changes)
        return value

    return rebuild(node), problems


_NO_CONDITIONS = (
    n.Arith,
    n.Neg,
    n.Literal,
    n.Path,
    n.Duration,
    n.Now,
    n.ListExpr,
    n.Call,
)


def _translated(node: n.Tql, text: str, path: str, problems: list) -> Any:
    try:
        translated = translate(node.text)
    except TqlError as err:
        column = _column_of(node, text, err.offset)
        span = n.Span(node.span.line, column, node.span.line, column + 1)
        message = f"in the Tracardi condition: {err.message}"
        problems.append(diagnostic_at(path, text, span, message))
        return node
    return _with_span(translated, node.span)


def _with_span(node: Any, span: n.Span) -> Any:
    """``node`` and everything in it placed at ``span`` (the tql string)."""
    if isinstance(node, tuple):
        return tuple(_with_span(item, span) for item in node)
    if not n.is_node(node):
        return node
    changes = {f.name: _with_span(getattr(node, f.name), span) for f in fields(node)}
    changes["span"] = span
    return replace(node, **changes)


def _column_of(node: n.Tql, text: str, offset: int) -> int:
    """The source column of character ``offset`` of the Tql string's value."""
    line = source_line(text, node.span.line)
    raw = line[node.span.column - 1 : node.span.end_column - 1]
    if node.span.end_line != node.span.line or len(raw) < 2:
        return node.span.column
    starts = _value_positions(raw[1:-1])
    where = starts[offset] if offset < len(starts) else len(raw) - 2
    return node.span.column + 1 + where


def _value_positions(body: str) -> list[int]:
    """For each character of a string's value, where it starts in ``body`` as written.

    An unknown escape such as ``\\d`` keeps its backslash in the value (see
    ``unescape`` in transform.py), so it stands for two characters.
    """
    positions: list[int] = []
    index = 0
    while index < len(body):
        found = _ESCAPE.match(body, index)
        if found is None:
            positions.append(index)
            index += 1
            continue
        code = found.group(1)
        known = code in _KNOWN or (code[0] in "uUx" and len(code) > 1)
        positions.extend([index] if known else [index, index + 1])
        index = found.end()
    return positions


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)", re.S)
_KNOWN = frozenset("ntr0\\\"'")
