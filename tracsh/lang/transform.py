"""The Lark Transformer that turns parse trees into the nodes of tracsh.lang.nodes.

Mistakes that the grammar cannot see (an unknown root, a condition where a
value belongs, an option given twice) are collected as diagnostics on the
transformer rather than raised, so one parse reports all of them.
"""

from __future__ import annotations

import difflib
from typing import Any

from lark import Token, Transformer, v_args

from tracsh.lang import nodes as n
from tracsh.lang.errors import Diagnostic, diagnostic_at
from tracsh.lang.tokens import _between, _name, _path_part, span_of, unescape
from tracsh.lang.values import INT_LIMIT

CONDITION_TYPES = (
    n.Compare, n.InList, n.TextTest, n.Between, n.Presence, n.InSegment, n.Truthy,
    n.Not, n.And, n.Or, n.Tql,
)  # fmt: skip

MAX_FORM_CHARS = 64 * 1024
"""The largest rule, segment or journey, in characters of source text."""

UNIT_NAMES = {
    "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week",
    "y": "year",
}  # fmt: skip

DAYS_PER_YEAR = 365
"""A year in a duration is 365 days; nodes know no unit longer than a week."""


def _flat(kind: type, items: list[Any]) -> tuple[Any, ...]:
    """``items`` with nested ``kind`` (And or Or) nodes spliced in."""
    flat: list[Any] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return tuple(flat)


class _Option:
    """A rule option on its way to the Rule node: its name, value and span."""

    def __init__(self, name: str, value: Any, span: n.Span) -> None:
        self.name, self.value, self.span = name, value, span


@v_args(meta=True)
class ToNodes(Transformer):
    """Builds nodes from a parse tree of ``text``; mistakes go to ``diagnostics``."""

    def __init__(self, text: str, path: str) -> None:
        super().__init__()
        self.text = text
        self.file = path
        self.diagnostics: list[Diagnostic] = []

    def error(self, where: Any, message: str, underline: bool = False) -> None:
        """Record an error at ``where`` (token, meta or node)."""
        self.diagnostics.append(
            diagnostic_at(
                self.file, self.text, span_of(where), message, "error", underline
            )
        )

    # --- kinds of operand ----------------------------------------------------

    def value(self, node: Any, where: str) -> Any:
        """``node`` as a value; a condition here is an error."""
        if isinstance(node, CONDITION_TYPES):
            self.error(
                node,
                f"a condition cannot be used as {where}; "
                "compare it with something or move it into the rule's `when`",
            )
        return node

    def condition(self, node: Any) -> Any:
        """``node`` as a condition: a bare value becomes a Truthy test."""
        if isinstance(node, CONDITION_TYPES):
            return node
        return n.Truthy(node, span=span_of(node))

    def form_size(self, meta: Any, kind: str) -> None:
        """Report a form whose source text is over MAX_FORM_CHARS."""
        size = meta.end_pos - meta.start_pos
        if size > MAX_FORM_CHARS:
            self.error(
                meta,
                f"this {kind} is {size} characters long, over the limit of "
                f"{MAX_FORM_CHARS}; split it into smaller ones",
            )

    # --- top level ---------------------------------------------------------

    def start(self, meta, children):
        return n.RuleFile(self.file, tuple(children), span=span_of(meta))

    def condition_input(self, meta, children):
        return self.condition(children[0])

    def expr_input(self, meta, children):
        return self.value(children[0], "a value")

    def named_rule(self, meta, children):
        self.form_size(meta, "rule")
        name, rest = unescape(children[0]), children[1:]
        options = [c for c in rest if isinstance(c, _Option)]
        condition, *actions = [c for c in rest if not isinstance(c, _Option)]
        fields = self.rule_options(options)
        return n.Rule(
            name,
            self.condition(condition),
            tuple(actions),
            span=span_of(meta),
            **fields,
        )

    def rule_options(self, options: list[_Option]) -> dict[str, Any]:
        """The Rule fields set by ``options``; an option given twice is an error."""
        fields: dict[str, Any] = {}
        for option in options:
            if option.name in fields:
                self.error(
                    option, f"`{option.name}` is given twice; keep one of the lines"
                )
            fields[option.name] = option.value
        if "tags" in fields:
            fields["tags"] = tuple(fields["tags"])
        return fields

    def line_rule(self, meta, children):
        self.form_size(meta, "rule")
        condition, *actions = children
        return n.Rule(
            None, self.condition(condition), tuple(actions), span=span_of(meta)
        )

    def segment(self, meta, children):
        self.form_size(meta, "segment")
        name, condition = children
        return n.Segment(unescape(name), self.condition(condition), span=span_of(meta))

    def journey(self, meta, children):
        self.form_size(meta, "journey")
        name = unescape(children[0])
        enters = [c for c in children[1:] if isinstance(c, tuple) and c[0] == "enter"]
        exits = [c for c in children[1:] if isinstance(c, tuple) and c[0] == "exit"]
        steps = tuple(c for c in children[1:] if isinstance(c, n.Step))
        if not enters:
            self.error(
                meta,
                f'journey "{name}" has no `enter when` line; add one to say '
                "which event starts it",
            )
        for extra in enters[1:] + exits[1:]:
            self.error(extra[2], "a journey takes one `enter when` and one `exit when`")
        enter = enters[0][1] if enters else n.Truthy(n.Literal(False))
        exit_ = exits[0][1] if exits else None
        return n.Journey(name, enter, steps, exit_, span=span_of(meta))

    def journey_enter(self, meta, children):
        return ("enter", self.condition(children[1]), span_of(children[0]))

    def journey_exit(self, meta, children):
        return ("exit", self.condition(children[1]), span_of(children[0]))

    def step(self, meta, children):
        name, after, when, *actions = children
        when = None if when is None else self.condition(when)
        return n.Step(unescape(name), tuple(actions), after, when, span=span_of(meta))

    # --- rule tests ----------------------------------------------------------

    def rule_test(self, meta, children):
        self.form_size(meta, "test")
        name, *items = children
        setup = [item for item in items if isinstance(item, _Option)]
        fields = self.rule_options(setup)
        steps = tuple(item for item in items if not isinstance(item, _Option))
        return n.RuleTest(unescape(name), steps, span=span_of(meta), **fields)

    def test_profile(self, meta, children):
        return _Option("profile", children[0], span_of(meta))

    def test_session(self, meta, children):
        return _Option("session", children[0], span_of(meta))

    def test_source(self, meta, children):
        return _Option("source", unescape(children[0]), span_of(meta))

    def event_of_type(self, meta, children):
        event_type, properties, after = children
        return n.EventStep(
            unescape(event_type), properties, None, after, span=span_of(meta)
        )

    def event_document(self, meta, children):
        document, after = children
        return n.EventStep(None, None, document, after, span=span_of(meta))

    def expect_effect(self, meta, children):
        negated, effect = children
        if negated is not None and (effect.to is not None or effect.skipped):
            self.error(
                meta,
                "`expect no send …` takes no `to` and no `skipped`; "
                "name only the channel and template",
            )
        return n.ExpectEffect(
            effect.kind,
            effect.name,
            negated is not None,
            effect.to,
            effect.skipped,
            span=span_of(meta),
        )

    def effect_send(self, meta, children):
        channel, name, to, skipped = children
        to = None if to is None else self.value(to, "a recipient")
        return n.ExpectEffect(channel, _name(name), False, to, skipped is not None)

    def effect_webhook(self, meta, children):
        return n.ExpectEffect("webhook", _name(children[0]))

    def effect_message(self, meta, children):
        return n.ExpectEffect("message", _name(children[0]))

    def effect_widget(self, meta, children):
        return n.ExpectEffect("widget", _name(children[0]))

    def effect_emit(self, meta, children):
        return n.ExpectEffect("emit", _name(children[0]))

    def expect_rule(self, meta, children):
        rule, (stat, op, count) = children
        return n.ExpectRule(unescape(rule), stat, op, count, span=span_of(meta))

    def outcome_fired(self, meta, children):
        _fired, count, _times = children
        if count is None:
            return ("fired", ">=", 1)
        return ("fired", "==", self.whole_number(count))

    def outcome_not_fired(self, meta, children):
        return ("fired", "==", 0)

    def outcome_stat(self, meta, children):
        stat, op, count = children
        if str(stat) not in n.RULE_STATS:
            close = difflib.get_close_matches(str(stat), n.RULE_STATS, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            self.error(
                stat,
                f"unknown rule statistic `{stat}`{hint} (statistics: "
                + ", ".join(n.RULE_STATS)
                + ")",
                underline=True,
            )
        return (str(stat), str(op), self.whole_number(count))

    def expect_condition(self, meta, children):
        condition = self.condition(children[0])
        return n.ExpectCondition(condition, span=span_of(meta))

    # --- rule options --------------------------------------------------------

    def opt_priority(self, meta, children):
        return _Option("priority", children[0], span_of(meta))

    def signed_int(self, meta, children):
        number = self.whole_number(children[-1])
        return -number if len(children) == 2 else number

    def opt_once(self, meta, children):
        scope, every = children
        return _Option("once", n.Once(scope, every, span=span_of(meta)), span_of(meta))

    def once_scope(self, meta, children):
        return str(children[0])

    def opt_source(self, meta, children):
        return _Option("source", unescape(children[0]), span_of(meta))

    def opt_disabled(self, meta, children):
        return _Option("disabled", True, span_of(meta))

    def opt_description(self, meta, children):
        return _Option("description", unescape(children[0]), span_of(meta))

    def opt_tags(self, meta, children):
        tags = [unescape(c) for c in children if c is not None]
        return _Option("tags", tags, span_of(meta))

    # --- actions ---------------------------------------------------------------

    def send(self, meta, children):
        channel, template, to = children
        to = None if to is None else self.value(to, "a recipient")
        return n.Send(channel, unescape(template), to, span=span_of(meta))

    def channel(self, meta, children):
        return str(children[0])

    def show_message(self, meta, children):
        return n.ShowMessage(unescape(children[0]), span=span_of(meta))

    def show_widget(self, meta, children):
        name, args = children
        return n.ShowWidget(unescape(name), args, span=span_of(meta))

    def respond_with(self, meta, children):
        return n.RespondWith(children[0], span=span_of(meta))

    def set_field(self, meta, children):
        target, _assign, value, if_missing = children
        # A condition is a value here: it stores true, false or null (unknown).
        return n.SetField(target, value, if_missing is not None, span=span_of(meta))

    def unset(self, meta, children):
        return n.Unset(children[0], span=span_of(meta))

    def increment(self, meta, children):
        target, by = children
        by = None if by is None else self.value(by, "an amount")
        return n.Increment(target, by, 1, span=span_of(meta))

    def decrement(self, meta, children):
        target, by = children
        by = None if by is None else self.value(by, "an amount")
        return n.Increment(target, by, -1, span=span_of(meta))

    def append(self, meta, children):
        value, target = children
        return n.Append(self.value(value, "a list item"), target, span=span_of(meta))

    def remove(self, meta, children):
        value, target = children
        return n.Remove(self.value(value, "a list item"), target, span=span_of(meta))

    def add_segment(self, meta, children):
        return n.SegmentAction(unescape(children[0]), True, span=span_of(meta))

    def remove_segment(self, meta, children):
        return n.SegmentAction(unescape(children[0]), False, span=span_of(meta))

    def add_interest(self, meta, children):
        interest, by = children
        by = None if by is None else self.value(by, "an amount")
        return n.AddInterest(unescape(interest), by, span=span_of(meta))

    def grant_consent(self, meta, children):
        consent, duration = children
        return n.GrantConsent(unescape(consent), duration, span=span_of(meta))

    def revoke_consent(self, meta, children):
        return n.RevokeConsent(unescape(children[0]), span=span_of(meta))

    def call_webhook(self, meta, children):
        webhook, args = children
        return n.CallWebhook(unescape(webhook), args, span=span_of(meta))

    def enrich(self, meta, children):
        target, enricher, args = children
        return n.Enrich(target, unescape(enricher), args, span=span_of(meta))

    def merge(self, meta, children):
        return n.Merge(tuple(children), span=span_of(meta))

    def emit(self, meta, children):
        # The optional `in`/`at` part is an inlined rule: Lark adds no placeholder.
        event_type, args, when = (list(children) + [None])[:3]
        delay = when[1] if when and when[0] == "in" else None
        at = when[1] if when and when[0] == "at" else None
        return n.Emit(unescape(event_type), args, delay, at, span=span_of(meta))

    def emit_in(self, meta, children):
        return ("in", children[0])

    def emit_at(self, meta, children):
        return ("at", self.value(children[0], "a time"))

    def start_journey(self, meta, children):
        return n.JourneyAction(unescape(children[0]), True, span=span_of(meta))

    def exit_journey(self, meta, children):
        return n.JourneyAction(unescape(children[0]), False, span=span_of(meta))

    def log(self, meta, children):
        return n.Log(unescape(children[0]), span=span_of(meta))

    def stop(self, meta, children):
        return n.Stop(span=span_of(meta))

    # --- conditions ----------------------------------------------------------

    def or_expr(self, meta, children):
        items = [self.condition(c) for c in children]
        return n.Or(_flat(n.Or, items), span=span_of(meta))

    def and_expr(self, meta, children):
        items = [self.condition(c) for c in children]
        return n.And(_flat(n.And, items), span=span_of(meta))

    def not_(self, meta, children):
        return n.Not(self.condition(children[0]), span=span_of(meta))

    def compare(self, meta, children):
        left, op, right = children
        left, right = self.value(left, "an operand"), self.value(right, "an operand")
        return n.Compare(str(op), left, right, span=span_of(meta))

    def in_list(self, meta, children):
        operand, options = (self.value(c, "an operand") for c in children)
        return n.InList(operand, options, False, span=span_of(meta))

    def not_in_list(self, meta, children):
        operand, options = (self.value(c, "an operand") for c in children)
        return n.InList(operand, options, True, span=span_of(meta))

    def in_segment(self, meta, children):
        return self.segment_test(meta, children, negated=False)

    def not_in_segment(self, meta, children):
        return self.segment_test(meta, children, negated=True)

    def segment_test(self, meta, children, negated: bool) -> n.InSegment:
        """``profile [not] in segment "x"``; only the profile is in segments."""
        operand, name = children
        if operand != n.Path("profile", ()):
            self.error(
                operand,
                "only `profile` can be in a segment; write "
                f"`profile in segment {name}`",
            )
        return n.InSegment(unescape(name), negated, span=span_of(meta))

    def text_test(self, meta, children):
        left, op, right = children
        left, right = self.value(left, "an operand"), self.value(right, "an operand")
        return n.TextTest(" ".join(op.split()), left, right, span=span_of(meta))

    def between(self, meta, children):
        operand, low, high = (self.value(c, "an operand") for c in children)
        return n.Between(operand, low, high, span=span_of(meta))

    def presence(self, meta, children):
        operand, test = children
        operand = self.value(operand, "an operand")
        return n.Presence(operand, " ".join(test.split()), span=span_of(meta))

    def tql(self, meta, children):
        # The string's own span, so a translation error can point inside it.
        return n.Tql(unescape(children[0]), span=span_of(children[0]))

    # --- values ----------------------------------------------------------------

    def sum(self, meta, children):
        return self.arith(children)

    def product(self, meta, children):
        return self.arith(children)

    def arith(self, children: list[Any]) -> Any:
        """A left-associative chain ``a op b op c`` as nested Arith nodes."""
        node = self.value(children[0], "a number")
        for op, right in zip(children[1::2], children[2::2], strict=True):
            right = self.value(right, "a number")
            node = n.Arith(str(op), node, right, span=_between(node, right))
        return node

    def neg(self, meta, children):
        operand = self.value(children[1], "a number")
        if isinstance(operand, n.Literal) and type(operand.value) in (int, float):
            return n.Literal(-operand.value, span=span_of(meta))
        return n.Neg(operand, span=span_of(meta))

    def now(self, meta, children):
        return n.Now(span=span_of(meta))

    def call(self, meta, children):
        name, *args = children
        args = [self.value(a, "a function argument") for a in args if a is not None]
        return n.Call(str(name), tuple(args), span=span_of(meta))

    def count(self, meta, children):
        subject, window = children
        is_text = isinstance(subject, n.Literal) and isinstance(subject.value, str)
        if isinstance(subject, n.Literal) and not is_text:
            self.error(
                subject,
                "count() takes an event type in quotes or a condition over `event`",
            )
        if not is_text:
            subject = self.condition(subject)
        return n.Count(subject, window, span=span_of(meta))

    def history_sum(self, meta, children):
        value, where, window = children
        return n.Sum(*self.history_parts(value, where), window, span=span_of(meta))

    def history_last(self, meta, children):
        value, where, window = children
        return n.Last(*self.history_parts(value, where), window, span=span_of(meta))

    def history_parts(self, value: Any, where: Any) -> tuple[Any, Any]:
        """The value and the optional ``where`` condition of sum() or last()."""
        value = self.value(value, "the value to add up")
        return value, None if where is None else self.condition(where)

    def list(self, meta, children):
        items = [self.value(c, "a list item") for c in children if c is not None]
        return n.ListExpr(tuple(items), span=span_of(meta))

    def object(self, meta, children):
        pairs = [c for c in children if c is not None]
        seen: set[str] = set()
        for key, _value, where in pairs:
            if key in seen:
                self.error(where, f'the key "{key}" is given twice in this object')
            seen.add(key)
        items = tuple((key, value) for key, value, _where in pairs)
        return n.ObjectExpr(items, span=span_of(meta))

    def pair(self, meta, children):
        key, value = children
        text = unescape(key) if key.type == "STRING" else str(key)
        return (text, value, key)

    def string(self, meta, children):
        return n.Literal(unescape(children[0]), span=span_of(meta))

    def int(self, meta, children):
        return n.Literal(self.whole_number(children[0]), span=span_of(meta))

    def whole_number(self, token: Token) -> int:
        """An INT token's value; past INT_LIMIT an error (and 0), wherever the
        number is written: a value, a priority, a count in a rule test."""
        text = str(token)
        value = int(text) if len(text) <= 19 else None
        if value is None or value > INT_LIMIT:
            self.error(token, f"this number is larger than {INT_LIMIT}", True)
            value = 0
        return value

    def decimal(self, meta, children):
        value = float(children[0])
        if value == float("inf"):
            self.error(children[0], "this number is too large to use", True)
            value = 0.0
        return n.Literal(value, span=span_of(meta))

    def true(self, meta, children):
        return n.Literal(True, span=span_of(meta))

    def false(self, meta, children):
        return n.Literal(False, span=span_of(meta))

    def null(self, meta, children):
        return n.Literal(None, span=span_of(meta))

    def long_duration(self, meta, children):
        amount, unit = children
        return self.make_duration(str(amount), str(unit).rstrip("s"), meta)

    def short_duration(self, meta, children):
        text = str(children[0])
        return self.make_duration(text[:-1], UNIT_NAMES[text[-1]], meta)

    def make_duration(self, amount: str, unit: str, meta: Any) -> n.Duration:
        """A Duration of ``amount`` (int when written as one) ``unit``s."""
        if len(amount) > 12:
            # Any duration this long is over the checker's limit anyway.
            self.error(meta, "this duration is too long to use")
            amount = "0"
        number: int | float = float(amount) if "." in amount else int(amount)
        if unit == "year":
            number, unit = number * DAYS_PER_YEAR, "day"
        return n.Duration(number, unit, span=span_of(meta))

    def path(self, meta, children):
        root, *parts = children
        if root in ("then", "when", "end", "and", "or") and not parts:
            # A keyword the lexer read as a name: the value before it is missing.
            self.error(root, f"expected a value here, found `{root}`", underline=True)
        elif root not in n.ROOTS:
            self.error(
                root,
                f"unknown root `{root}`; a path starts with event, profile, "
                "session or source (or use `now` for the current time)",
                underline=True,
            )
        keys = tuple(_path_part(p) for p in parts)
        return n.Path(str(root), keys, span=span_of(meta))
