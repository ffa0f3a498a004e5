"""Checking one expectation of a rule test against what the events did so far.

Each check returns a Verdict: whether it held, the expected and the actual
value in words, and the rules involved, so the runner can show their traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracsh.engine.outcome import Outcome
from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.explain import explain_condition, explain_expr, render
from tracsh.lang.format import expectation as expectation_text
from tracsh.lang.scope import MISSING, Scope

MESSAGE_KINDS = ("email", "sms", "push")


@dataclass
class State:
    """What a test has produced up to an expectation."""

    outcomes: list[Outcome]
    stats: dict[str, dict]
    scope: Scope
    """The profile and session now, the last event, and the test's clock."""


@dataclass
class Verdict:
    """The result of one expectation."""

    held: bool
    expected: str
    actual: str
    rules: list[str] = field(default_factory=list)
    """Ids of the rules whose traces explain a failure."""
    trace: str = ""
    """For a condition: its explain trace."""


def all_outcomes(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes of the events and of every internal event they caused."""
    found: list[Outcome] = []
    stack = list(reversed(outcomes))
    while stack:
        outcome = stack.pop()
        found.append(outcome)
        stack.extend(reversed(outcome.internal))
    return found


def check(step: Any, state: State, ruleset: Any) -> Verdict:
    """Decide one expectation node."""
    if isinstance(step, n.ExpectEffect):
        return check_effect(step, state, ruleset)
    if isinstance(step, n.ExpectRule):
        return check_rule(step, state)
    return check_condition(step, state, ruleset)


# --- effects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """Something the events caused that a test can expect: a message, a call, …"""

    kind: str
    name: str
    rule: str
    status: str = "done"
    recipient: Any = None
    reason: str = ""

    def describe(self) -> str:
        """``email "thanks" to ann@example.test (pending)`` and the like."""
        out = f"{self.kind} {printer.string(self.name)}"
        if self.recipient is not None:
            out += f" to {self.recipient}"
        if self.status != "done":
            out += f" ({self.status}{': ' + self.reason if self.reason else ''})"
        return out


def effects(outcomes: list[Outcome]) -> list[Effect]:
    """Every effect of the outcomes, in order."""
    found: list[Effect] = []
    for outcome in all_outcomes(outcomes):
        for row in outcome.outbox:
            found.append(
                Effect(
                    row["kind"],
                    row["target"],
                    row["rule_id"],
                    row["status"],
                    row.get("recipient"),
                    row.get("reason") or "",
                )
            )
        for message in outcome.messages:
            found.append(Effect("message", message["template"], message["rule"]))
        for widget in outcome.ux:
            found.append(Effect("widget", widget["widget"], widget["rule"]))
        # Internal events: those of `emit event` and of segment changes alike.
        found.extend(Effect("emit", child.event_type, "") for child in outcome.internal)
    return found


def check_effect(step: n.ExpectEffect, state: State, ruleset: Any) -> Verdict:
    """``expect [no] send email "x"`` and the other effects."""
    found = [e for e in effects(state.outcomes) if e.kind == step.kind]
    named = [e for e in found if step.name is None or e.name == step.name]
    wanted_status = _wanted_status(step)
    matching = [e for e in named if e.status in wanted_status]
    recipient = MISSING
    if step.to is not None:
        recipient = explain_expr(step.to, state.scope).value
        matching = [e for e in matching if e.recipient == recipient]
    held = not matching if step.negated else bool(matching)
    expected = _expected_effect(step, recipient)
    actual = _actual_effects(step, found)
    involved = [e.rule for e in (matching if step.negated else [])]
    if not step.negated:
        involved = _rules_with_effect(step, ruleset)
    return Verdict(held, expected, actual, _unique(involved))


def _wanted_status(step: n.ExpectEffect) -> tuple[str, ...]:
    if step.kind not in MESSAGE_KINDS and step.kind != "webhook":
        return ("done",)
    return ("skipped",) if step.skipped else ("pending", "sent", "sending", "retry")


def _expected_effect(step: n.ExpectEffect, recipient: Any) -> str:
    what = (
        step.kind if step.name is None else f"{step.kind} {printer.string(step.name)}"
    )
    if step.negated:
        return f"no {what}"
    if recipient is not MISSING:
        what += f" to {printer.value(recipient)}"
    return what + (" held back by a guard" if step.skipped else "")


def _actual_effects(step: n.ExpectEffect, found: list[Effect]) -> str:
    if not found:
        return f"no {step.kind} at all"
    return "; ".join(effect.describe() for effect in found)


def _rules_with_effect(step: n.ExpectEffect, ruleset: Any) -> list[str]:
    """The rules that have an action producing the expected effect."""
    found = []
    for rule in ruleset.rules:
        if rule.node.disabled:
            continue
        for node, _depth in n.walk(rule.node):
            if _produces(node, step):
                found.append(rule.id)
                break
    return found


def _produces(node: Any, step: n.ExpectEffect) -> bool:
    kinds = {
        n.CallWebhook: ("webhook", "webhook"),
        n.ShowMessage: ("message", "template"),
        n.ShowWidget: ("widget", "name"),
        n.Emit: ("emit", "event_type"),
    }
    if isinstance(node, n.Send):
        kind, name = node.channel, node.template
    elif type(node) in kinds:
        kind, attribute = kinds[type(node)]
        name = getattr(node, attribute)
    else:
        return False
    return kind == step.kind and (step.name is None or name == step.name)


# --- rules --------------------------------------------------------------------------


def fired_count(rule_id: str, outcomes: list[Outcome]) -> int:
    """How many times the rule fired, internal events included."""
    return sum(
        1
        for outcome in all_outcomes(outcomes)
        for fired in outcome.fired
        if fired.rule_id == rule_id
    )


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def check_rule(step: n.ExpectRule, state: State) -> Verdict:
    """``expect rule "x" fired``, ``not fired``, ``errors == 1`` …"""
    if step.stat == "fired":
        count = fired_count(step.rule, state.outcomes)
    else:
        count = int(state.stats.get(step.rule, {}).get(step.stat, 0))
    held = _COMPARE[step.op](count, step.count)
    expected = f"{step.stat} {step.op} {step.count}"
    return Verdict(held, expected, f"{step.stat} = {count}", [step.rule])


# --- conditions ---------------------------------------------------------------------


def check_condition(step: n.ExpectCondition, state: State, ruleset: Any) -> Verdict:
    """``expect <condition>``: it must be true now."""
    trace = explain_condition(step.condition, state.scope)
    held = trace.value is True
    actual = trace.verdict + (f" — {trace.why}" if trace.why else "")
    rules = _writers(step.condition, ruleset)
    return Verdict(held, "true", actual, rules, render(trace, heading=False))


def _writers(condition: Any, ruleset: Any) -> list[str]:
    """Rules with an action that writes something the condition reads."""
    read = [node for node, _ in n.walk(condition) if isinstance(node, n.Path)]
    segments = {
        node.segment for node, _ in n.walk(condition) if isinstance(node, n.InSegment)
    }
    found = []
    for rule in ruleset.rules:
        if rule.node.disabled:
            continue
        if any(_writes(action, read, segments) for action in rule.node.actions):
            found.append(rule.id)
    return found


_WRITTEN = {
    n.SegmentAction: ("segments",),
    n.AddInterest: ("interests",),
    n.GrantConsent: ("consents",),
    n.RevokeConsent: ("consents",),
}


def _writes(action: Any, read: list[n.Path], segments: set[str]) -> bool:
    if isinstance(action, n.SegmentAction) and action.segment in segments:
        return True
    target = getattr(action, "target", None)
    if isinstance(target, n.Path):
        written = (target.root, *target.parts)
    elif type(action) in _WRITTEN:
        written = ("profile", *_WRITTEN[type(action)])
    else:
        return False
    for path in read:
        reading = (path.root, *path.parts)
        common = min(len(reading), len(written))
        if reading[:common] == written[:common]:
            return True
    return False


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def describe(step: Any) -> str:
    """An expectation as it is written in the test (without ``expect``)."""
    return expectation_text(step)
