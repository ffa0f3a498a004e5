"""The positioned syntax tree of the tracsh rule language, shared by every stage.

The parser builds these nodes, the checker and the formatter read them, the
compiler and the reference evaluator run them. Nodes are frozen dataclasses;
their source position lives in ``span``, which takes no part in equality, so two
parses of differently laid-out text compare equal when they mean the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Span:
    """Where a node starts and ends in its source text (1-based, inclusive start)."""

    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0


NOSPAN = Span()


def _span() -> Span:
    return field(default=NOSPAN, compare=False, repr=False, kw_only=True)


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


# --- actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """``send email|sms|push "tpl" [to <expr>]``."""

    channel: str
    template: str
    to: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class ShowMessage:
    """``show message "tpl"``: an in-app message for the /track response."""

    template: str
    span: Span = _span()


@dataclass(frozen=True)
class ShowWidget:
    """``show widget "name" [with {…}]``: a widget for the /track response."""

    name: str
    args: ObjectExpr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class RespondWith:
    """``respond with {…}``: data merged into the /track response."""

    value: ObjectExpr
    span: Span = _span()


@dataclass(frozen=True)
class SetField:
    """``set <path> = <expr> [if missing]``."""

    target: Path
    value: Expr
    if_missing: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Unset:
    """``unset <path>``."""

    target: Path
    span: Span = _span()


@dataclass(frozen=True)
class Increment:
    """``increment <path> [by <expr>]``, or ``decrement`` when ``sign`` is -1."""

    target: Path
    by: Expr | None = None
    sign: int = 1
    span: Span = _span()


@dataclass(frozen=True)
class Append:
    """``append <expr> to <path>`` (no duplicates)."""

    value: Expr
    target: Path
    span: Span = _span()


@dataclass(frozen=True)
class Remove:
    """``remove <expr> from <path>``."""

    value: Expr
    target: Path
    span: Span = _span()


@dataclass(frozen=True)
class SegmentAction:
    """``add segment "x"`` (``add`` true) or ``remove segment "x"``."""

    segment: str
    add: bool = True
    span: Span = _span()


@dataclass(frozen=True)
class AddInterest:
    """``add interest "x" [by n]``."""

    interest: str
    by: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class GrantConsent:
    """``grant consent "x" [for <duration>]``."""

    consent: str
    duration: Duration | None = None
    span: Span = _span()


@dataclass(frozen=True)
class RevokeConsent:
    """``revoke consent "x"``."""

    consent: str
    span: Span = _span()


@dataclass(frozen=True)
class CallWebhook:
    """``call webhook "name" [with {…}]``."""

    webhook: str
    args: ObjectExpr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Enrich:
    """``enrich <path> from "enricher" [with {…}]``."""

    target: Path
    enricher: str
    args: ObjectExpr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Merge:
    """``merge profile on <path>[, <path>…]``."""

    keys: tuple[Path, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Emit:
    """``emit event "type" [with {…}] [in <duration> | at <expr>]``."""

    event_type: str
    args: ObjectExpr | None = None
    delay: Duration | None = None
    at: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class JourneyAction:
    """``start journey "name"`` (``start`` true) or ``exit journey "name"``."""

    journey: str
    start: bool = True
    span: Span = _span()


@dataclass(frozen=True)
class Log:
    """``log "text"``; the text is a template over profile, event and session."""

    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Stop:
    """``stop``: no lower-priority rule runs for this event."""

    span: Span = _span()


Action = (
    Send
    | ShowMessage
    | ShowWidget
    | RespondWith
    | SetField
    | Unset
    | Increment
    | Append
    | Remove
    | SegmentAction
    | AddInterest
    | GrantConsent
    | RevokeConsent
    | CallWebhook
    | Enrich
    | Merge
    | Emit
    | JourneyAction
    | Log
    | Stop
)


# --- top-level forms ----------------------------------------------------------


@dataclass(frozen=True)
class Once:
    """``once per profile|session [every <duration>]``."""

    scope: str
    every: Duration | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Rule:
    """A named rule or a one-line rule (``name`` None; id from file and line)."""

    name: str | None
    condition: Condition
    actions: tuple[Action, ...]
    priority: int = 0
    once: Once | None = None
    source: str | None = None
    disabled: bool = False
    description: str | None = None
    tags: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class Segment:
    """``segment "name" when <condition>``: a live segment."""

    name: str
    condition: Condition
    span: Span = _span()


@dataclass(frozen=True)
class Step:
    """A journey step: ``step "name" [after <duration>] [when <cond>]`` actions."""

    name: str
    actions: tuple[Action, ...]
    after: Duration | None = None
    when: Condition | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Journey:
    """``journey "name"``: enter and exit conditions, then ordered steps."""

    name: str
    enter: Condition
    steps: tuple[Step, ...]
    exit: Condition | None = None
    span: Span = _span()


# --- rule tests -----------------------------------------------------------------


@dataclass(frozen=True)
class EventStep:
    """``event "type" [with {…}] [after <duration>]`` or ``event {…}`` in a test.

    ``properties`` is the ``with`` object of the short form; ``document`` the
    whole event of the long form. ``after`` moves the test's clock first.
    """

    event_type: str | None = None
    properties: ObjectExpr | None = None
    document: ObjectExpr | None = None
    after: Duration | None = None
    span: Span = _span()


EFFECT_KINDS = ("email", "sms", "push", "webhook", "message", "widget", "emit")
"""What an effect expectation can name: a message channel, or another effect."""


@dataclass(frozen=True)
class ExpectEffect:
    """``expect [no] send email ["tpl"] [to <expr>] [skipped]`` and the like.

    ``kind`` is one of EFFECT_KINDS; ``name`` the template, webhook, widget or
    event type (None: any); ``skipped`` asks for a message held back by a guard.
    """

    kind: str
    name: str | None = None
    negated: bool = False
    to: Expr | None = None
    skipped: bool = False
    span: Span = _span()


RULE_STATS = ("fired", "evaluations", "matches", "errors", "type_warnings")
"""What ``expect rule "id" <stat> <op> <n>`` can count."""


@dataclass(frozen=True)
class ExpectRule:
    """``expect rule "id" fired``, ``not fired``, ``fired 2 times``, ``errors == 1``."""

    rule: str
    stat: str = "fired"
    op: str = ">="
    count: int = 1
    span: Span = _span()


@dataclass(frozen=True)
class ExpectCondition:
    """``expect <condition>``: true over the profile and session at that point."""

    condition: Condition
    span: Span = _span()


Expectation = ExpectEffect | ExpectRule | ExpectCondition
TestStep = EventStep | ExpectEffect | ExpectRule | ExpectCondition


@dataclass(frozen=True)
class RuleTest:
    """``test "name"``: a starting profile and session, events, expectations.

    ``steps`` are events and expectations in order; an expectation is checked
    against what the events before it did.
    """

    name: str
    steps: tuple[TestStep, ...]
    profile: ObjectExpr | None = None
    session: ObjectExpr | None = None
    source: str | None = None
    span: Span = _span()


Form = Rule | Segment | Journey | RuleTest


@dataclass(frozen=True)
class RuleFile:
    """One parsed ``*.rules`` file: its path and its forms in source order."""

    path: str
    forms: tuple[Form, ...]
    span: Span = _span()


# --- walking ------------------------------------------------------------------


def is_node(value: Any) -> bool:
    """Whether ``value`` is a syntax-tree node (every node has a span)."""
    return hasattr(value, "__dataclass_fields__") and hasattr(value, "span")


def children(node: Any) -> Iterator[Any]:
    """The nodes directly inside ``node``, in field order (object values included)."""
    for item in fields(node):
        if item.name != "span":
            yield from _nodes_in(getattr(node, item.name))


def _nodes_in(value: Any) -> Iterator[Any]:
    if is_node(value):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _nodes_in(item)


def walk(node: Any) -> Iterator[tuple[Any, int]]:
    """Every node under ``node`` (itself first) with its depth, without recursion."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        inner = list(children(current))
        stack.extend((child, depth + 1) for child in reversed(inner))
