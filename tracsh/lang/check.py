"""Load-time checks over parsed nodes: what the grammar accepts but a rule cannot mean.

Unknown functions and wrong argument counts, invalid regular expressions after
``matches``, writes to ``event.*``, nesting past the limit, history inside
history; and in rule files, mistakes certain to fail whenever the rule runs:
writes the engine refuses (fields.py), values that fail every time they are
evaluated (constants.py), log lines that are not templates, durations that
must be longer than zero. Each problem is a Diagnostic with the place and a
caret; checks that need the whole rule set (duplicate ids, unknown segments)
live in loader.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import regex

from tracsh.lang import fields, values
from tracsh.lang import nodes as n
from tracsh.lang.constants import UNKNOWN, constant_value, failing_constants
from tracsh.lang.errors import Diagnostic, diagnostic_at
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.scope import MISSING

MAX_DEPTH = 64
"""How deeply nodes may nest in one condition or value (operator chains count)."""

MAX_DURATION = 10_000 * 365 * 86400
"""The longest duration literal, in seconds: ten thousand years."""

HISTORY = (n.Count, n.Sum, n.Last)

_TARGETS = {
    n.SetField: "set",
    n.Unset: "unset",
    n.Increment: "increment",
    n.Append: "append to",
    n.Remove: "remove from",
    n.Enrich: "enrich",
}


class Checker:
    """Collects the diagnostics of one source text."""

    def __init__(self, text: str, path: str, whole_rules: bool = False) -> None:
        self.text = text
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.whole_rules = whole_rules
        """True for rule files: also refuse what is certain to fail at run time.
        A condition typed for ``tracsh eval`` may fail on purpose, to look."""

    def error(self, node: Any, message: str, severity: str = "error") -> None:
        """Record a problem at ``node``'s place."""
        self.diagnostics.append(
            diagnostic_at(self.path, self.text, node.span, message, severity, True)
        )

    def check_file(self, rule_file: n.RuleFile) -> list[Diagnostic]:
        """Check every form of a parsed file."""
        for form in rule_file.forms:
            self.check_form(form)
        return self.diagnostics

    def check_form(self, form: Any) -> None:
        """Check one rule, segment, journey or rule test."""
        if isinstance(form, n.Journey):
            self.check_journey(form)
            return
        if isinstance(form, n.RuleTest):
            for child in n.children(form):
                self.check_tree(child)
            return
        self.check_tree(form.condition)
        once = getattr(form, "once", None)
        if once is not None and once.every is not None:
            self.check_positive(once.every, "a cooldown (`every`)")
        for action in getattr(form, "actions", ()):
            self.check_action(action)

    def check_journey(self, journey: n.Journey) -> None:
        """Conditions, steps and step names of a journey."""
        self.check_tree(journey.enter)
        if journey.exit is not None:
            self.check_tree(journey.exit)
        seen: set[str] = set()
        for step in journey.steps:
            if step.name in seen:
                self.error(
                    step, f'journey "{journey.name}" has two steps "{step.name}"'
                )
            seen.add(step.name)
            if step.when is not None:
                self.check_tree(step.when)
            for action in step.actions:
                self.check_action(action)

    def check_action(self, action: Any) -> None:
        """An action's target path and the expressions it evaluates."""
        verb = _TARGETS.get(type(action))
        if verb is not None:
            self.check_target(action.target, verb)
            if self.whole_rules:
                self.check_write(action)
        if self.whole_rules:
            self.check_effect(action)
        if isinstance(action, n.Merge):
            for key in action.keys:
                if key.root != "profile" or not key.parts:
                    self.error(
                        key, "merge keys are profile fields, such as profile.pii.email"
                    )
        target = getattr(action, "target", None)
        for child in n.children(action):
            if child is not target:
                self.check_tree(child)

    def check_target(self, target: n.Path, verb: str) -> None:
        """Only profile and session fields can be written."""
        if target.root in ("event", "source"):
            self.error(
                target,
                f"cannot {verb} {target.root}.*: the {target.root} is read-only; "
                "write to profile.* or session.*",
            )
        elif not target.parts:
            self.error(target, f"cannot {verb} the whole {target.root}; name a field")

    def check_write(self, action: Any) -> None:
        """Writes the engine refuses every time: kept fields, fields of a fixed
        kind given another kind, and fields inside numbers or text."""
        target = action.target
        if target.root not in fields.KEPT or not target.parts:
            return
        refused = fields.kept(target.root, target.parts) or _inside_scalar(target)
        kind = fields.kind_of(target.root, target.parts)
        if refused is None and kind is not None:
            refused = _wrong_kind_for(action, target, kind)
        if refused is not None:
            self.error(target, refused)

    def check_effect(self, action: Any) -> None:
        """Amounts, durations and log lines that fail every time the action runs."""
        by = getattr(action, "by", None)
        if isinstance(action, (n.Increment, n.AddInterest)) and by is not None:
            amount, _report = constant_value(by)
            if amount is not UNKNOWN and not values.is_number(amount):
                self.error(by, f"the amount is {_a(values.kind(amount))}, not a number")
        if isinstance(action, n.GrantConsent) and action.duration is not None:
            self.check_positive(action.duration, "a consent's length (`for`)")
        if isinstance(action, n.Log):
            problem = _template_problem(action.text)
            if problem is not None:
                self.error(action, f"this log line is not a valid template: {problem}")

    def check_positive(self, duration: n.Duration, what: str) -> None:
        """A duration that must be longer than zero."""
        if duration.seconds <= 0:
            self.error(duration, f"{what} must be longer than zero")

    def check_tree(self, root: Any) -> None:
        """Every node of a condition or value, without recursion."""
        for node, depth in n.walk(root):
            if depth > MAX_DEPTH:
                self.error(node, _depth_message())
                return
            for problem in _problems(node):
                self.error(*problem)
            if isinstance(node, HISTORY):
                self.check_history(node)
                if self.whole_rules and node.window is not None:
                    self.check_positive(node.window, "a history window (`within`)")
        if self.whole_rules:
            for problem in failing_constants(root):
                self.error(*problem)

    def check_history(self, node: Any) -> None:
        """History functions cannot nest, and read their events' own fields."""
        for inner, depth in n.walk(node):
            if depth and isinstance(inner, HISTORY):
                self.error(inner, "count(), sum() and last() cannot be nested")
                return


def _depth_message() -> str:
    return (
        f"this nests more than {MAX_DEPTH} levels deep (chains of operators count "
        "too); split it into simpler conditions"
    )


def _problems(node: Any) -> Iterator[tuple[Any, str]]:
    """The problems of one node on its own."""
    if isinstance(node, n.Call):
        yield from _call_problems(node)
    elif isinstance(node, n.TextTest) and node.op == "matches":
        pattern = node.right
        if isinstance(pattern, n.Literal) and isinstance(pattern.value, str):
            try:
                values.pattern(pattern.value)
            except regex.error as err:
                yield pattern, f"invalid regular expression after `matches`: {err}"
    elif isinstance(node, n.InList):
        options = node.options
        if isinstance(options, (n.Literal, n.ObjectExpr, n.Duration)):
            yield options, '`in` needs a list on its right, such as ["a", "b"]'
    elif isinstance(node, n.Duration) and abs(node.seconds) > MAX_DURATION:
        yield (
            node,
            (
                f"this duration is longer than {MAX_DURATION // 86400 // 365:,} years, "
                "the longest tracsh can add to a time"
            ),
        )


def _call_problems(node: n.Call) -> Iterator[tuple[Any, str]]:
    function = FUNCTIONS.get(node.name)
    if function is None:
        close = difflib.get_close_matches(node.name, list(FUNCTIONS), n=1)
        hint = f"; did you mean {close[0]}()?" if close else ""
        names = ", ".join(sorted(FUNCTIONS))
        yield node, f"unknown function {node.name}(){hint} (functions: {names})"
    elif not function.accepts(len(node.args)):
        yield node, (f"{node.name}() takes {function.arity()}, given {len(node.args)}")


def _inside_scalar(target: n.Path) -> str | None:
    """Why a path inside a field the engine keeps as a number or text (or with
    a name inside its list of segments) can never be written, or None."""
    kind = fields.KINDS[target.root].get(str(target.parts[0]))
    if len(target.parts) < 2 or kind not in ("a number", "text", "a list"):
        return None
    if kind == "a list" and isinstance(target.parts[1], int):
        return None
    field = fields.path_text(target.root, target.parts[:1])
    inner = "names" if kind == "a list" else "fields"
    return f"{field} is always {kind}, which has no {inner} to write"


def _wrong_kind_for(action: Any, target: n.Path, kind: str) -> str | None:
    """Why writing ``action``'s value to a whole field of ``kind`` always fails."""
    shown = fields.path_text(target.root, target.parts)
    if isinstance(action, n.Unset):
        return f"{shown} must stay {kind}, so it cannot be unset"
    if isinstance(action, n.Increment) and kind != "a number":
        word = "decremented" if action.sign < 0 else "incremented"
        return f"{shown} is always {kind}, so it cannot be {word}"
    if isinstance(action, n.Append) and kind != "a list":
        return f"{shown} is always {kind}, not a list"
    if isinstance(action, n.SetField):
        value, _report = constant_value(action.value)
        if value is UNKNOWN or value is MISSING:
            return None
        if fields.wrong_kind(target.root, target.parts, values.plain(value)):
            return f"{shown} must stay {kind}, and this is {_a(values.kind(value))}"
    return None


def _a(kind: str) -> str:
    """A kind with its article: ``text``, ``null``, ``a list``, ``an object``."""
    if kind in ("text", "null", "missing"):
        return kind
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _template_problem(text: str) -> str | None:
    if "{" not in text:
        return None
    # Imported here: the language needs Jinja only for rule files that log.
    from tracsh.delivery.templates import inline_problem

    return inline_problem(text)


def check_file(rule_file: n.RuleFile, text: str) -> list[Diagnostic]:
    """The diagnostics of one parsed file."""
    return Checker(text, rule_file.path, whole_rules=True).check_file(rule_file)


def nesting_problems(rule_file: n.RuleFile, text: str) -> list[Diagnostic]:
    """Where a form nests past MAX_DEPTH (counted from the form, which sits a few
    levels above its conditions); for tools that lay nodes out by recursion,
    such as ``tracsh fmt``, which would otherwise hit Python's recursion limit."""
    checker = Checker(text, rule_file.path)
    for form in rule_file.forms:
        for node, depth in n.walk(form):
            if depth > MAX_DEPTH + _FORM_LEVELS:
                checker.error(node, _depth_message())
                break
    return checker.diagnostics


_FORM_LEVELS = 4
"""Levels between a form and the roots check_tree measures from (journey, step,
action, value), so fmt never refuses what `tracsh check` would accept."""


def check_node(node: Any, text: str, path: str) -> list[Diagnostic]:
    """The diagnostics of one condition or value (for the REPL and eval)."""
    checker = Checker(text, path)
    checker.check_tree(node)
    return checker.diagnostics
