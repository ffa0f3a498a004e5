"""Top-level forms: rules, segments, journeys and rule tests, and the file of them."""

from __future__ import annotations

from dataclasses import dataclass

from tracsh.lang.nodes.actions import Action
from tracsh.lang.nodes.expressions import Condition, Duration, Expr, ObjectExpr
from tracsh.lang.nodes.tree import Span, _span

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
