"""Value and condition nodes: what a rule computes and what it tests."""

from __future__ import annotations

from dataclasses import dataclass

from tracsh.lang.nodes.tree import Span, _span

# --- values -------------------------------------------------------------------

ROOTS = ("event", "profile", "session", "source")
"""The document roots a path can start from; ``now`` is a value of its own."""


@dataclass(frozen=True)
class Literal:
    """A string, integer, decimal, boolean or null written in the source."""

    value: str | int | float | bool | None
    span: Span = _span()


@dataclass(frozen=True)
class ListExpr:
    """A list literal such as ``[1, 2, 3]``; items are any expressions."""

    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class ObjectExpr:
    """An object literal such as ``{"key": <expr>}``, keys in source order."""

    pairs: tuple[tuple[str, Expr], ...]
    span: Span = _span()


DURATION_UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
}
"""Seconds per duration unit; plural and short forms map onto these names."""


@dataclass(frozen=True)
class Duration:
    """A duration literal: ``amount`` of ``unit`` (a key of DURATION_UNITS)."""

    amount: int | float
    unit: str
    span: Span = _span()

    @property
    def seconds(self) -> float:
        """The duration's length in seconds."""
        return self.amount * DURATION_UNITS[self.unit]


@dataclass(frozen=True)
class Path:
    """A path into a document: ``root`` then keys (str) and list indexes (int)."""

    root: str
    parts: tuple[str | int, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Now:
    """The evaluation's current time (the event's time under replay)."""

    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """A function call such as ``lower(x)``; the checker knows the names."""

    name: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Arith:
    """Binary arithmetic; ``op`` is one of ``+ - * / %``."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Count:
    """History: ``count(<subject> [within <duration>])``.

    ``subject`` is a bare event-type string (a Literal) or a condition over
    ``event``.
    """

    subject: Literal | Condition
    window: Duration | None
    span: Span = _span()


@dataclass(frozen=True)
class Sum:
    """History: ``sum(<value> [where <condition>] [within <duration>])``."""

    value: Expr
    where: Condition | None
    window: Duration | None
    span: Span = _span()


@dataclass(frozen=True)
class Last:
    """History: ``last(<value> [where <condition>] [within <duration>])``."""

    value: Expr
    where: Condition | None
    window: Duration | None
    span: Span = _span()


Expr = (
    Literal
    | ListExpr
    | ObjectExpr
    | Duration
    | Path
    | Now
    | Call
    | Arith
    | Neg
    | Count
    | Sum
    | Last
)


# --- conditions ---------------------------------------------------------------

COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
TEXT_OPS = ("contains", "starts with", "ends with", "matches")
PRESENCE_TESTS = ("exists", "is missing", "is null", "is not null", "is empty")


@dataclass(frozen=True)
class Compare:
    """A comparison; ``op`` is one of COMPARE_OPS."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class InList:
    """``x in <list>`` or, with ``negated``, ``x not in <list>``."""

    operand: Expr
    options: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class TextTest:
    """``x contains y``, ``starts with``, ``ends with`` or ``matches``."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Between:
    """``x between low and high``, inclusive at both ends."""

    operand: Expr
    low: Expr
    high: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Presence:
    """A two-valued presence test; ``test`` is one of PRESENCE_TESTS."""

    operand: Expr
    test: str
    span: Span = _span()


@dataclass(frozen=True)
class InSegment:
    """``profile in segment "x"`` or, with ``negated``, ``not in segment``."""

    segment: str
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Truthy:
    """A bare value used as a condition: true only for the boolean ``true``."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    """Three-valued negation."""

    operand: Condition
    span: Span = _span()


@dataclass(frozen=True)
class And:
    """Three-valued conjunction of two or more conditions (chains are flat)."""

    items: tuple[Condition, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Or:
    """Three-valued disjunction of two or more conditions (chains are flat)."""

    items: tuple[Condition, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Tql:
    """``tql "<condition>"``: a Tracardi condition, translated at load time.

    ``span`` is the span of the quoted string, so a translation error can point
    inside it.
    """

    text: str
    span: Span = _span()


Condition = (
    Compare
    | InList
    | TextTest
    | Between
    | Presence
    | InSegment
    | Truthy
    | Not
    | And
    | Or
    | Tql
)
