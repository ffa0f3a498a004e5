"""The canonical layout of rule files (``tracsh fmt``): one layout, comments kept.

Each form is laid out into lines by fixed rules (docs/fmt.md); every printed
line remembers the source lines it came from, so each comment goes back next
to the code it was written beside. Formatting twice gives the same text, and
the formatted text parses to the same nodes; ``format_source`` checks both on
every run and refuses to return a text that would change the meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.check import nesting_problems
from tracsh.lang.errors import RuleError
from tracsh.lang.parser import parse_file

WIDTH = 88
"""Lines are broken (at ``and`` / ``or``, and inside objects) past this width."""

OPTION_ORDER = ("priority", "once", "source", "disabled", "description", "tags")
"""Rule options in the order the formatter writes them."""


@dataclass
class Line:
    """One printed line and the source lines it stands for (first, last)."""

    text: str
    first: int
    last: int
    starts_form: bool = False
    leading: list[str] = field(default_factory=list)
    trailing: str = ""


@dataclass(frozen=True)
class Comment:
    """A ``#`` comment: its line, its text, and whether code precedes it."""

    line: int
    text: str
    trailing: bool


class FormatError(Exception):
    """The formatter's own output failed its checks: a bug in tracsh, not the file."""


def format_source(text: str, path: str = "<input>") -> str:
    """``text`` in the canonical layout; raises RuleError when it does not parse."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    formatted = _format(text, path)
    _verify(text, formatted, path)
    return formatted


def _format(text: str, path: str) -> str:
    rule_file = parse_file(text, path)
    too_deep = nesting_problems(rule_file, text)
    if too_deep:
        raise RuleError(too_deep)
    layout = _Layout(text.split("\n"))
    lines: list[Line] = []
    for form in rule_file.forms:
        form_lines = layout.form(form)
        form_lines[0].starts_form = True
        lines.extend(form_lines)
    comments = scan_comments(text)
    return _assemble(lines, comments, text)


def _verify(text: str, formatted: str, path: str) -> None:
    """The formatted text must mean the same, keep every comment, and be stable."""
    before = parse_file(text, path)
    try:
        after = parse_file(formatted, path)
    except RuleError as err:
        # The source loads but its layout does not, e.g. a form just under the
        # size limit that line breaks and indentation take over it.
        reason = err.diagnostics[0].message
        raise FormatError(
            f"{path}: the formatted text would not load: {reason}"
        ) from None
    if before.forms != after.forms:
        raise FormatError(f"{path}: formatting would change the rules' meaning")
    kept = sorted(c.text for c in scan_comments(formatted))
    if sorted(c.text for c in scan_comments(text)) != kept:
        raise FormatError(f"{path}: formatting would lose a comment")
    if _format(formatted, path) != formatted:
        raise FormatError(f"{path}: formatting twice gives a different text")


# --- comments ----------------------------------------------------------------------


def scan_comments(text: str) -> list[Comment]:
    """Every comment of ``text``, found the way the lexer finds them.

    A ``#`` starts a comment unless it is inside a string; strings cannot span
    lines, so each line is read on its own.
    """
    found: list[Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        start = _comment_start(line)
        if start is not None:
            trailing = bool(line[:start].strip())
            found.append(Comment(number, line[start:].rstrip(), trailing))
    return found


def _comment_start(line: str) -> int | None:
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return index
        index += 1
    return None


# --- putting lines and comments together ----------------------------------------------


def _assemble(lines: list[Line], comments: list[Comment], text: str) -> str:
    """The output text: form lines with their comments, top-level comments between."""
    blank = _blank_lines(text)
    top: list[tuple[int, int, Any]] = []  # (first source line, last, Line | Comment)
    inside = _form_ranges(lines)
    for comment in comments:
        owner = _owner(comment, lines, inside)
        if owner is None:
            top.append((comment.line, comment.line, comment))
    for line in lines:
        if line.starts_form:
            top.append((line.first, line.first, line))
    top.sort(key=lambda item: (item[0], isinstance(item[2], Line)))
    return _write(top, lines, blank)


def _form_ranges(lines: list[Line]) -> list[tuple[int, int, int]]:
    """(first source line, last source line, index of first Line) of each form."""
    ranges: list[tuple[int, int, int]] = []
    for index, line in enumerate(lines):
        if line.starts_form:
            ranges.append((line.first, line.last, index))
        else:
            first, last, start = ranges[-1]
            ranges[-1] = (first, max(last, line.last), start)
    return ranges


def _owner(comment: Comment, lines: list[Line], forms: list) -> Line | None:
    """Attach a comment inside a form to its line; None for a top-level comment."""
    for first, last, start in forms:
        if not first <= comment.line <= last:
            continue
        end = next((i for i, (_, _, s) in enumerate(forms) if s > start), None)
        form_lines = lines[start : forms[end][2] if end is not None else len(lines)]
        if comment.trailing:
            target = [ln for ln in form_lines if ln.first <= comment.line <= ln.last]
            target = target or [ln for ln in form_lines if ln.first <= comment.line]
            line = target[-1] if target else form_lines[0]
            if line.trailing:
                line.leading.append(comment.text)
            else:
                line.trailing = comment.text
            return line
        line = _code_at_or_after(comment.line, form_lines) or form_lines[-1]
        line.leading.append(comment.text)
        return line
    return None


def _code_at_or_after(number: int, form_lines: list[Line]) -> Line | None:
    """The printed line holding source line ``number``, or else the one whose code
    comes first after it in the source; layouts reorder lines (a journey's
    ``exit when`` goes before its steps), so printed order is not source order.
    """
    later = [ln for ln in form_lines if ln.last >= number]
    if not later:
        return None
    return min(later, key=lambda ln: max(ln.first, number))


def _blank_lines(text: str) -> set[int]:
    return {i for i, line in enumerate(text.split("\n"), start=1) if not line.strip()}


def _write(top: list, lines: list[Line], blank: set[int]) -> str:
    out: list[str] = []
    previous_last = 0
    for _first, _last, item in top:
        if out and any(previous_last < b < _start_of(item) for b in blank):
            out.append("")
        if isinstance(item, Comment):
            out.append(item.text)
            previous_last = item.line
            continue
        form = _lines_of_form(item, lines)
        out.extend(_render_form(form))
        previous_last = max(line.last for line in form)
    return "\n".join(out) + "\n" if out else ""


def _start_of(item: Any) -> int:
    """The first source line of a top-level item (a form starts at its comments)."""
    if isinstance(item, Comment):
        return item.line
    return item.first


def _lines_of_form(first: Line, lines: list[Line]) -> list[Line]:
    start = next(i for i, line in enumerate(lines) if line is first)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].starts_form), len(lines)
    )
    return lines[start:end]


def _render_form(form: list[Line]) -> list[str]:
    out: list[str] = []
    for index, line in enumerate(form):
        indent = _indent(line.text)
        if line.leading and index and _closes(line.text):
            # A comment before `end` or a closing bracket is inside the block.
            indent = max(indent, _indent(form[index - 1].text))
        out.extend(" " * indent + comment for comment in line.leading)
        out.append(line.text + (f"  {line.trailing}" if line.trailing else ""))
    return out


def _closes(text: str) -> bool:
    return text.strip() == "end" or text.lstrip().startswith(("}", "]"))


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


# --- laying out each form ----------------------------------------------------------

_OPTION_WORDS = frozenset(OPTION_ORDER)
_MARKER = n.ObjectExpr((("\0fmt", n.Literal(None)),))
"""An object no rule can contain, printed in its place to split an action's text."""


class _Layout:
    """Turns one form into Lines; ``source`` is the file's lines, for keyword places."""

    def __init__(self, source: list[str]) -> None:
        self.source = source

    def find(self, words: frozenset[str], first: int, last: int) -> dict[str, int]:
        """The lines in ``first..last`` that begin with one of ``words``, by word."""
        found: dict[str, int] = {}
        for number in range(max(first, 1), min(last, len(self.source)) + 1):
            head = self.source[number - 1].split("#", 1)[0].split()
            if head and head[0] in words and head[0] not in found:
                found[head[0]] = number
        return found

    def form(self, form: Any) -> list[Line]:
        """The lines of a rule, segment, journey or rule test."""
        if isinstance(form, n.Rule) and form.name is not None:
            return self.named_rule(form)
        if isinstance(form, n.Rule):
            return self.line_rule(form)
        if isinstance(form, n.Segment):
            return self.segment(form)
        if isinstance(form, n.Journey):
            return self.journey(form)
        return self.rule_test(form)

    # --- rules ---------------------------------------------------------------

    def named_rule(self, rule: n.Rule) -> list[Line]:
        span = rule.span
        lines = [Line(f"rule {printer.string(rule.name or '')}", span.line, span.line)]
        lines += self.options(rule)
        lines += self.condition("  when ", rule.condition, "    ")
        cond_end = rule.condition.span.end_line or span.line
        then = self.find(frozenset({"then"}), cond_end, span.end_line)
        then_line = then.get("then", cond_end)
        lines.append(Line("  then", then_line, then_line))
        for action in rule.actions:
            lines += self.action("    ", action)
        lines.append(Line("end", span.end_line, span.end_line))
        return lines

    def options(self, rule: n.Rule) -> list[Line]:
        """One line per option that differs from its default, in OPTION_ORDER."""
        shown: dict[str, str] = {}
        if rule.priority:
            shown["priority"] = f"priority {rule.priority}"
        if rule.once is not None:
            every = rule.once.every
            tail = "" if every is None else f" every {printer.duration(every)}"
            shown["once"] = f"once per {rule.once.scope}{tail}"
        if rule.source is not None:
            shown["source"] = f"source {printer.string(rule.source)}"
        if rule.disabled:
            shown["disabled"] = "disabled"
        if rule.description is not None:
            shown["description"] = f"description {printer.string(rule.description)}"
        if rule.tags:
            shown["tags"] = "tags [" + ", ".join(map(printer.string, rule.tags)) + "]"
        places = self.find(_OPTION_WORDS, rule.span.line + 1, rule.condition.span.line)
        lines = []
        for word in OPTION_ORDER:
            if word in shown:
                line = places.get(word, rule.span.line)
                lines.append(Line(f"  {shown[word]}", line, line))
        return lines

    def line_rule(self, rule: n.Rule) -> list[Line]:
        span = rule.span
        actions = "; ".join(printer.action(a) for a in rule.actions)
        single = f"when {printer.text(rule.condition)} then {actions}"
        if len(single) <= WIDTH:
            return [Line(single, span.line, span.end_line)]
        lines = self.condition("when ", rule.condition, "  ")
        first_action = rule.actions[0].span.line or span.line
        lines.append(Line(f"  then {actions}", first_action, span.end_line))
        return lines

    def condition(self, head: str, cond: Any, more: str) -> list[Line]:
        """``head`` + condition, broken at a top-level ``and`` / ``or`` when long.

        Continuation lines start with ``more`` and the operator word.
        """
        span = cond.span
        whole = head + printer.text(cond)
        if len(whole) <= WIDTH or not isinstance(cond, (n.And, n.Or)):
            return [Line(whole, span.line, span.end_line or span.line)]
        word = "and" if isinstance(cond, n.And) else "or"
        items = [printer.text_at(item, printer.NOT) for item in cond.items]
        lines = [Line(head + items[0], *_lines_of(cond.items[0], span))]
        for item, shown in zip(cond.items[1:], items[1:], strict=True):
            lines.append(Line(f"{more}{word} {shown}", *_lines_of(item, span)))
        return lines

    def action(self, indent: str, action: Any) -> list[Line]:
        """An action on one line, or with its object broken one pair a line."""
        span = action.span
        single = indent + printer.action(action)
        obj = _object_of(action)
        if len(single) <= WIDTH or obj is None or not obj.pairs:
            return [Line(single, *_lines_of(action, span))]
        head, tail = _around_object(action)
        return self.object_lines(indent, head, obj, span, tail)

    def object_lines(
        self, indent: str, head: str, obj: n.ObjectExpr, span: n.Span, tail: str = ""
    ) -> list[Line]:
        """``head {`` then one ``"key": value`` line per pair, then ``}``."""
        return self.value_lines(indent, f"{head} ", obj, tail, span)

    def value_lines(
        self, indent: str, prefix: str, node: Any, suffix: str, span: n.Span
    ) -> list[Line]:
        """A value on one line, or an object or list broken one entry a line.

        Entries that are still too long are broken the same way, inside out.
        """
        first, last = _lines_of(node, span)
        single = f"{indent}{prefix}{printer.text(node)}{suffix}"
        if len(single) <= WIDTH or not _breakable(node):
            return [Line(single, first, last)]
        if isinstance(node, n.ObjectExpr):
            opening, closing = "{", "}"
            entries = [(f"{printer.string(k)}: ", v) for k, v in node.pairs]
        else:
            opening, closing = "[", "]"
            entries = [("", item) for item in node.items]
        lines = [Line(f"{indent}{prefix}{opening}", first, first)]
        for index, (key, value) in enumerate(entries):
            comma = "" if index == len(entries) - 1 else ","
            lines += self.value_lines(indent + "  ", key, value, comma, span)
        lines.append(Line(f"{indent}{closing}{suffix}", last, last))
        return lines

    # --- segments and journeys -----------------------------------------------------

    def segment(self, segment: n.Segment) -> list[Line]:
        head = f"segment {printer.string(segment.name)} when "
        lines = self.condition(head, segment.condition, "  ")
        lines[0].first = segment.span.line
        return lines

    def journey(self, journey: n.Journey) -> list[Line]:
        span = journey.span
        lines = [Line(f"journey {printer.string(journey.name)}", span.line, span.line)]
        lines += self.condition("  enter when ", journey.enter, "    ")
        if journey.exit is not None:
            lines += self.condition("  exit when ", journey.exit, "    ")
        for step in journey.steps:
            lines += self.step(step)
        lines.append(Line("end", span.end_line, span.end_line))
        return lines

    def step(self, step: n.Step) -> list[Line]:
        head = f"  step {printer.string(step.name)}"
        if step.after is not None:
            head += f" after {printer.duration(step.after)}"
        if step.when is None:
            lines = [Line(head, step.span.line, step.span.line)]
        else:
            lines = self.condition(head + " when ", step.when, "      ")
            lines[0].first = step.span.line
        for action in step.actions:
            lines += self.action("    ", action)
        return lines

    # --- rule tests ------------------------------------------------------------

    def rule_test(self, test: n.RuleTest) -> list[Line]:
        span = test.span
        lines = [Line(f"test {printer.string(test.name)}", span.line, span.line)]
        for word, obj in (("profile", test.profile), ("session", test.session)):
            if obj is not None:
                lines += self.object_item(f"  {word}", obj)
        if test.source is not None:
            found = self.find(frozenset({"source"}), span.line + 1, span.end_line)
            line = found.get("source", span.line)
            lines.append(Line(f"  source {printer.string(test.source)}", line, line))
        for step in test.steps:
            lines += self.test_step(step)
        lines.append(Line("end", span.end_line, span.end_line))
        return lines

    def object_item(self, head: str, obj: n.ObjectExpr, tail: str = "") -> list[Line]:
        """``head {…}`` on one line, or broken one pair a line when long."""
        span = obj.span
        single = f"{head} {printer.text(obj)}{tail}"
        if len(single) <= WIDTH or not obj.pairs:
            return [Line(single, span.line, span.end_line or span.line)]
        indent = " " * _indent(head)
        return self.object_lines(indent, head.strip(), obj, span, tail)

    def test_step(self, step: Any) -> list[Line]:
        if isinstance(step, n.EventStep):
            lines = self.event_step(step)
        elif isinstance(step, n.ExpectCondition):
            lines = self.condition("  expect ", step.condition, "    ")
        else:
            span = step.span
            lines = [Line(f"  expect {expectation(step)}", span.line, span.end_line)]
        lines[0].first = step.span.line
        return lines

    def event_step(self, step: n.EventStep) -> list[Line]:
        after = "" if step.after is None else f" after {printer.duration(step.after)}"
        name = printer.string(step.event_type or "")
        if step.document is not None:
            return self.object_item("  event", step.document, after)
        if step.properties is not None:
            return self.object_item(f"  event {name} with", step.properties, after)
        span = step.span
        return [Line(f"  event {name}{after}", span.line, span.end_line or span.line)]


def expectation(step: Any) -> str:
    """An expectation of a rule test as written after ``expect``."""
    if isinstance(step, n.ExpectRule):
        return f"rule {printer.string(step.rule)} {_rule_outcome(step)}"
    if isinstance(step, n.ExpectCondition):
        return printer.text(step.condition)
    words = {
        "webhook": "call webhook",
        "message": "show message",
        "widget": "show widget",
        "emit": "emit event",
    }
    out = "no " if step.negated else ""
    out += words.get(step.kind, f"send {step.kind}")
    if step.name is not None:
        out += f" {printer.string(step.name)}"
    if step.to is not None:
        out += f" to {printer.text_at(step.to, printer.SUM)}"
    return out + (" skipped" if step.skipped else "")


def _rule_outcome(step: n.ExpectRule) -> str:
    if step.stat == "fired" and (step.op, step.count) == (">=", 1):
        return "fired"
    if step.stat == "fired" and (step.op, step.count) == ("==", 0):
        return "not fired"
    if step.stat == "fired" and step.op == "==":
        return f"fired {step.count} time" + ("" if step.count == 1 else "s")
    return f"{step.stat} {step.op} {step.count}"


def _breakable(node: Any) -> bool:
    if isinstance(node, n.ObjectExpr):
        return bool(node.pairs)
    return isinstance(node, n.ListExpr) and bool(node.items)


def _lines_of(node: Any, fallback: n.Span) -> tuple[int, int]:
    span = node.span if node.span.line else fallback
    return span.line, span.end_line or span.line


def _object_of(action: Any) -> n.ObjectExpr | None:
    for name in ("args", "value"):
        found = getattr(action, name, None)
        if isinstance(found, n.ObjectExpr):
            return found
    return None


def _around_object(action: Any) -> tuple[str, str]:
    """What an action prints before its object and after it."""
    name = (
        "args" if isinstance(getattr(action, "args", None), n.ObjectExpr) else "value"
    )
    shown = printer.action(replace(action, **{name: _MARKER}))
    head, tail = shown.split(printer.text(_MARKER), 1)
    return head.rstrip(), tail
