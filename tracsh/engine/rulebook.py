"""The loaded rule set compiled for running: conditions, actions and the index.

A RuleBook is built once per rule-set revision and never changes afterwards, so
the daemon can build a new one aside and swap it in atomically. Candidate rules
for an event come from an index by event type, already in run order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracsh.lang import nodes
from tracsh.lang.compile import (
    compile_condition,
    compile_expr,
    event_only,
    required_event_types,
)
from tracsh.lang.loader import RuleSet
from tracsh.lang.scope import Scope, Truth

Check = Callable[[Scope], Truth]


@dataclass(frozen=True)
class CompiledAction:
    """An action node with its expressions compiled, keyed by field name."""

    node: nodes.Action
    index: int
    exprs: dict[str, Callable[[Scope], Any]]


@dataclass(frozen=True)
class CompiledRule:
    """One rule ready to run: its event-only check first, then the rest."""

    id: str
    node: nodes.Rule
    path: str
    line: int
    order: int
    event_types: frozenset[str] | None
    pre: Check | None
    main: Check
    actions: tuple[CompiledAction, ...]

    @property
    def once(self) -> nodes.Once | None:
        """The rule's ``once per`` option, if any."""
        return self.node.once


@dataclass(frozen=True)
class CompiledSegment:
    """A live segment with its compiled condition."""

    name: str
    node: nodes.Segment
    check: Check


@dataclass
class RuleBook:
    """Every runnable rule and live segment of one rule-set revision."""

    rules: list[CompiledRule]
    segments: list[CompiledSegment]
    revision: str = ""
    journeys: list[nodes.Journey] = field(default_factory=list)
    _by_type: dict[str | None, list[CompiledRule]] = field(default_factory=dict)
    _once: tuple[str, ...] | None = None

    def candidates(self, event_type: str) -> list[CompiledRule]:
        """The rules that may match an event of this type, in run order."""
        found = self._by_type.get(event_type)
        if found is None:
            found = [
                rule
                for rule in self.rules
                if rule.event_types is None or event_type in rule.event_types
            ]
            self._by_type[event_type] = found
        return found

    @property
    def once_rules(self) -> tuple[str, ...]:
        """The ids of the rules with a ``once per`` option (computed once)."""
        found = self._once
        if found is None:
            found = self._once = tuple(r.id for r in self.rules if r.once is not None)
        return found


_EXPR_FIELDS = ("to", "value", "by", "args", "at")


def compile_action(action: nodes.Action, index: int) -> CompiledAction:
    """Compile the expressions an action evaluates when it fires."""
    exprs = {}
    for name in _EXPR_FIELDS:
        expr = getattr(action, name, None)
        if expr is not None:
            exprs[name] = compile_expr(expr)
    return CompiledAction(action, index, exprs)


def split_condition(cond: nodes.Condition) -> tuple[Check | None, Check]:
    """Split a top-level ``and`` into its event-only part and the rest.

    A rule fires only when its condition is true, so an ``and`` can be checked
    in two parts: when the event-only part is not true, the profile is never
    read.
    """
    if isinstance(cond, nodes.And):
        early = tuple(item for item in cond.items if event_only(item))
        late = tuple(item for item in cond.items if not event_only(item))
        if early and late:
            return _compile_all(early), _compile_all(late)
    return None, compile_condition(cond)


def _compile_all(items: tuple[nodes.Condition, ...]) -> Check:
    return compile_condition(items[0] if len(items) == 1 else nodes.And(items))


def compile_rule(loaded: Any) -> CompiledRule:
    """Compile one LoadedRule of the loader into a CompiledRule."""
    rule: nodes.Rule = loaded.node
    pre, main = split_condition(rule.condition)
    actions = tuple(compile_action(a, i) for i, a in enumerate(rule.actions))
    return CompiledRule(
        id=loaded.id,
        node=rule,
        path=str(loaded.path),
        line=loaded.line,
        order=loaded.order,
        event_types=required_event_types(rule.condition),
        pre=pre,
        main=main,
        actions=actions,
    )


def build_rulebook(ruleset: RuleSet) -> RuleBook:
    """Compile a checked RuleSet; disabled rules are left out of the index."""
    rules = [compile_rule(r) for r in ruleset.rules if not r.node.disabled]
    segments = [
        CompiledSegment(s.name, s.node, compile_condition(s.node.condition))
        for s in ruleset.segments
    ]
    journeys = [j.node for j in ruleset.journeys]
    return RuleBook(rules, segments, getattr(ruleset, "revision", ""), journeys)
