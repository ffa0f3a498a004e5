"""The language's tests over SQL operands: fields, array elements and constants.

Each function here writes one test of language.md §3 (equality, ordering,
membership, text tests, presence, truth) in the intermediate form, with type
guards so that SQL answers exactly as values.py does: no coercion, numbers on
one line, text read as a time only next to a time, unknown for missing and
null. A constant the form cannot carry (an integer beyond 64 bits, a list
holding a time) raises :class:`Unwritable`, and the caller runs the whole test
through the language's own code instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tracsh.lang import values
from tracsh.lang.scope import MISSING, Report
from tracsh.lang.sql import form as f
from tracsh.lang.sql.functions import microseconds

INT64 = (-(2**63), 2**63 - 1)
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Unwritable(Exception):
    """This test has no exact SQL form here; run it through the language's code."""


@dataclass(frozen=True)
class Dynamic:
    """A value read at run time: its JSON type name, SQL scalar and JSON text."""

    tag: Any
    value: Any
    json: Any

    def has(self, *tags: str) -> Any:
        """Whether the value's JSON type is one of ``tags`` (NULL when missing)."""
        if len(tags) == 1:
            return f.Compare("==", self.tag, f.Const(tags[0], "tag"))
        return f.OneOf(self.tag, tuple(f.Const(t, "tag") for t in tags))

    @property
    def absent(self) -> Any:
        """1 when missing or null, else 0: the operands that make a test unknown."""
        return f.AnyOf((f.IsNull(self.tag), self.has("null")))

    @property
    def number(self) -> Any:
        """Whether the value is a number."""
        return self.has("integer", "real")

    @property
    def lossy(self) -> Any:
        """Whether the value is an integer SQL could not read exactly."""
        return f.Call("lossy_integer", (self.tag, self.value))


@dataclass(frozen=True)
class Field(Dynamic):
    """A field of a root document."""

    root: str = ""
    parts: tuple[str | int, ...] = ()


def field(root: str, parts: tuple[str | int, ...]) -> Field:
    """The operand for the path ``root.parts``."""
    return Field(
        f.FieldType(root, parts),
        f.FieldValue(root, parts),
        f.FieldJson(root, parts),
        root,
        parts,
    )


ELEMENT = Dynamic(f.ElementType(), f.ElementValue(), f.ElementJson())
"""The operand for the current element inside AnyElement."""


@dataclass(frozen=True)
class Constant:
    """A value known when the query is written (literals, ``now``, folded parts)."""

    value: Any


Operand = Dynamic | Constant


# --- constants ----------------------------------------------------------------


def _json_pure(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_pure(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_pure(v) for k, v in value.items())
    return False


def constant_kind(value: Any) -> str:
    """What kind of constant ``value`` is, for choosing its SQL form.

    ``absent`` for missing and null; raises Unwritable for values SQL cannot
    hold as they are.
    """
    if values.absent(value):
        return "absent"
    if value.__class__ is bool:
        return "boolean"
    if value.__class__ is int:
        if not INT64[0] <= value <= INT64[1]:
            raise Unwritable("an integer beyond 64 bits")
        return "number"
    if value.__class__ is float:
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "time"
    if isinstance(value, timedelta):
        return "duration"
    if isinstance(value, (list, dict)) and _json_pure(value):
        return "array" if isinstance(value, list) else "object"
    raise Unwritable(f"a constant {values.kind(value)} SQL cannot hold")


def param(value: Any) -> f.Param:
    """A constant as a query parameter in its SQL form."""
    kind = constant_kind(value)
    if kind == "number":
        return f.Param(value, "number")
    if kind == "text":
        return f.Param(value, "text")
    if kind == "time":
        return f.Param(microseconds(value), "time")
    return f.Param(json.dumps(value, ensure_ascii=False), "json")


def _fold(found: Any) -> Any:
    """A truth computed in Python as a constant of the form."""
    return {True: f.TRUE, False: f.FALSE}.get(found, f.UNKNOWN)


def _case(*cases: tuple[Any, Any], otherwise: Any) -> Any:
    return f.When(tuple(cases), otherwise)


def _either(*items: Any) -> Any:
    return items[0] if len(items) == 1 else f.AnyOf(tuple(items))


# --- equality -----------------------------------------------------------------


def equals(a: Operand, b: Operand) -> Any:
    """``a == b``: unknown for missing or null, false across kinds."""
    if isinstance(a, Constant) and isinstance(b, Constant):
        return _fold(values.equals(a.value, b.value, Report()))
    if isinstance(a, Constant):
        a, b = b, a
    if isinstance(b, Dynamic):
        return _equals_dynamic(a, b)
    return _equals_constant(a, b.value)


def _equals_dynamic(a: Dynamic, b: Dynamic) -> Any:
    both = f.AllOf
    return _case(
        (f.AnyOf((a.absent, b.absent)), f.UNKNOWN),
        (f.AnyOf((a.lossy, b.lossy)), f.Call("compare_json", _ops("==", a, b))),
        (both((a.number, b.number)), f.Compare("==", a.value, b.value)),
        (both((a.has("text"), b.has("text"))), f.Compare("==", a.value, b.value)),
        (
            both((a.has("array", "object"), f.Compare("==", a.tag, b.tag))),
            f.Call("same_json", (a.json, b.json)),
        ),
        otherwise=f.Compare("==", a.tag, b.tag),
    )


def _ops(op: str, a: Dynamic, b: Any) -> tuple[Any, ...]:
    other = b.json if isinstance(b, Dynamic) else b
    return (f.Const(op, "text"), a.json, other)


def _equals_constant(a: Dynamic, value: Any) -> Any:
    kind = constant_kind(value)
    if kind == "absent":
        return f.UNKNOWN
    if kind == "boolean":
        tag = f.Const("true" if value else "false", "tag")
        return _case((a.absent, f.UNKNOWN), otherwise=f.Compare("==", a.tag, tag))
    if kind == "time":
        when = f.Compare("==", f.Call("time_of", (a.value,), "time"), param(value))
        return _case((a.has("text"), when), otherwise=f.UNKNOWN)
    if kind == "duration":
        return _case((a.absent, f.UNKNOWN), otherwise=f.FALSE)
    if kind in ("array", "object"):
        same = f.Call("same_json", (a.json, param(value)))
        return _case((a.absent, f.UNKNOWN), (a.has(kind), same), otherwise=f.FALSE)
    exact = _equals_scalar(a, kind, param(value))
    # Equal values are equal as SQL scalars too, and a missing field is NULL on
    # both sides, so this conjunct never changes the answer; it lets SQLite use
    # an expression index on the field.
    return f.AllOf((f.Compare("==", a.value, param(value)), exact))


def _equals_scalar(a: Dynamic, kind: str, value: f.Param) -> Any:
    if kind == "number":
        return _case(
            (a.absent, f.UNKNOWN),
            (a.lossy, f.Call("compare_json", _ops("==", a, _json_of(value)))),
            (a.number, f.Compare("==", a.value, value)),
            otherwise=f.FALSE,
        )
    return _case(
        (a.absent, f.UNKNOWN),
        (a.has("text"), f.Compare("==", a.value, value)),
        otherwise=f.FALSE,
    )


def _json_of(number: f.Param) -> f.Param:
    return f.Param(json.dumps(number.value), "json")


def not_equals(a: Operand, b: Operand) -> Any:
    """``a != b``: the three-valued negation of ``==``."""
    return f.Negate(equals(a, b))


# --- ordering -----------------------------------------------------------------


def order(op: str, a: Operand, b: Operand) -> Any:
    """``a < b`` and friends: numbers, texts and times; unknown across kinds."""
    if isinstance(a, Constant) and isinstance(b, Constant):
        return _fold(values.order(op, a.value, b.value, Report()))
    if isinstance(a, Constant):
        return order(FLIPPED[op], b, a)
    if isinstance(b, Dynamic):
        return _case(
            (f.AnyOf((a.lossy, b.lossy)), f.Call("compare_json", _ops(op, a, b))),
            (f.AllOf((a.number, b.number)), f.Compare(op, a.value, b.value)),
            (f.AllOf((a.has("text"), b.has("text"))), f.Compare(op, a.value, b.value)),
            otherwise=f.UNKNOWN,
        )
    kind = constant_kind(b.value)
    value = param(b.value) if kind in ("number", "text", "time") else None
    if kind == "number":
        return _case(
            (a.lossy, f.Call("compare_json", _ops(op, a, _json_of(value)))),
            (a.number, f.Compare(op, a.value, value)),
            otherwise=f.UNKNOWN,
        )
    if kind == "text":
        return _case(
            (a.has("text"), f.Compare(op, a.value, value)), otherwise=f.UNKNOWN
        )
    if kind == "time":
        moment = f.Call("time_of", (a.value,), "time")
        return _case((a.has("text"), f.Compare(op, moment, value)), otherwise=f.UNKNOWN)
    return f.UNKNOWN


def compare(op: str, a: Operand, b: Operand) -> Any:
    """Any comparison operator."""
    if op == "==":
        return equals(a, b)
    if op == "!=":
        return not_equals(a, b)
    return order(op, a, b)


def between(value: Operand, low: Operand, high: Operand) -> Any:
    """``value between low and high``: both ends inclusive."""
    return f.AllOf((order(">=", value, low), order("<=", value, high)))


# --- membership ---------------------------------------------------------------


def _absent(operand: Operand) -> Any:
    """1 when the operand is missing or null (a constant decides it now)."""
    if isinstance(operand, Constant):
        return f.TRUE if values.absent(operand.value) else f.FALSE
    return operand.absent


def member_of_items(item: Operand, options: list[Operand]) -> Any:
    """``item in [a, b, …]`` over a written list: SQL's IN, three-valued."""
    if isinstance(item, Constant) and values.absent(item.value):
        return f.UNKNOWN
    if not options:
        return _case((_absent(item), f.UNKNOWN), otherwise=f.FALSE)
    return _either(*(equals(item, option) for option in options))


def member(item: Operand, options: Operand) -> Any:
    """``item in options`` where options is a field or a constant."""
    if isinstance(options, Constant):
        if values.absent(options.value) or not isinstance(options.value, list):
            return f.UNKNOWN
        return member_of_items(item, [Constant(v) for v in options.value])
    if not isinstance(options, Field):
        raise Unwritable("a list computed at run time")
    if isinstance(item, Constant) and values.absent(item.value):
        return f.UNKNOWN
    return _case(
        (_absent(item), f.UNKNOWN),
        (options.has("array"), _each(options, item)),
        otherwise=f.UNKNOWN,
    )


def _each(options: Field, item: Operand) -> Any:
    """Any element of the array field ``options`` equal to ``item``."""
    general = f.AnyElement(options.root, options.parts, equals(item, ELEMENT))
    if isinstance(item, Constant) and isinstance(item.value, str):
        text = param(item.value)
        return f.HasElementText(options.root, options.parts, text, general)
    return general


def contains(whole: Operand, part: Operand) -> Any:
    """``whole contains part``: an element of a list, or a substring of text."""
    if isinstance(whole, Constant):
        if isinstance(whole.value, list):
            return member(part, whole)
        if not isinstance(whole.value, str) or isinstance(part, Constant):
            return _fold(values.contains(whole.value, _value(part), Report()))
        text = f.Call("text_contains", (param(whole.value), part.value))
        return _case((part.has("text"), text), otherwise=f.UNKNOWN)
    if isinstance(part, Constant):
        if values.absent(part.value):
            return f.UNKNOWN
        if isinstance(part.value, str):
            text = f.Call("text_contains", (whole.value, param(part.value)))
        else:
            text = f.UNKNOWN
        elements = _each(whole, part)
        return _case(
            (whole.has("array"), elements),
            (whole.has("text"), text),
            otherwise=f.UNKNOWN,
        )
    return _case(
        (f.AnyOf((whole.absent, part.absent)), f.UNKNOWN),
        (whole.has("array"), _each(whole, part)),
        (
            f.AllOf((whole.has("text"), part.has("text"))),
            f.Call("text_contains", (whole.value, part.value)),
        ),
        otherwise=f.UNKNOWN,
    )


def _value(operand: Operand) -> Any:
    return operand.value if isinstance(operand, Constant) else MISSING


# --- text tests ---------------------------------------------------------------


def _text_pair(left: Operand, right: Operand) -> tuple[Any, Any, Any] | None:
    """The guard and the two text values, or None when a constant is not text."""
    guards, texts = [], []
    for operand in (left, right):
        if isinstance(operand, Constant):
            if not isinstance(operand.value, str):
                return None
            texts.append(param(operand.value))
        else:
            guards.append(operand.has("text"))
            texts.append(operand.value)
    guard = guards[0] if len(guards) == 1 else f.AllOf(tuple(guards))
    return guard, texts[0], texts[1]


def text_test(op: str, left: Operand, right: Operand) -> Any:
    """``starts with``, ``ends with`` and ``matches``: text on both sides."""
    if isinstance(left, Constant) and isinstance(right, Constant):
        if op == "matches":
            return _fold(values.match(left.value, right.value, Report()))
        return _fold(values.text_test(op, left.value, right.value, Report()))
    found = _text_pair(left, right)
    if found is None:
        return f.UNKNOWN
    guard, a, b = found
    function = {"starts with": "text_starts", "ends with": "text_ends"}
    return _case(
        (guard, f.Call(function.get(op, "matches"), (a, b))), otherwise=f.UNKNOWN
    )


# --- presence and truth -------------------------------------------------------


def presence(operand: Field, test: str) -> Any:
    """The two-valued presence tests on a field."""
    missing = f.IsNull(operand.tag)
    if test == "exists":
        return f.IsNull(operand.tag, negated=True)
    if test == "is missing":
        return missing
    if test == "is null":
        return f.Same(operand.tag, f.Const("null", "tag"))
    if test == "is not null":
        return f.AllOf(
            (f.IsNull(operand.tag, negated=True), f.Negate(operand.has("null")))
        )
    empty = f.OneOf(
        operand.json, tuple(f.Const(text, "json") for text in ('""', "[]", "{}"))
    )
    return f.AnyOf((missing, operand.has("null"), empty))


def truthy(operand: Dynamic) -> Any:
    """A bare value as a condition: true for ``true``, false for ``false``."""
    return _case(
        (operand.has("true"), f.TRUE),
        (operand.has("false"), f.FALSE),
        otherwise=f.UNKNOWN,
    )
