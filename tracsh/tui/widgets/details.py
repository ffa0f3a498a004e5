"""Rich renderings of one thing in full: an event and its outcome, a rule, a delivery.

Screens put these in a scrolling Static beside their lists. They are pure
functions of the data, so tests can render them without an app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from tracsh.engine.outcome import Outcome
from tracsh.lang.loader import RuleSet
from tracsh.tui.highlight import highlighted
from tracsh.tui.messages import Seen


def source_of(ruleset: RuleSet, path: str, span: Any) -> tuple[str, int]:
    """The text of a node's lines in its file, and its first line number."""
    text = ruleset.files.get(path, "")
    lines = text.split("\n")[span.line - 1 : max(span.end_line, span.line)]
    return "\n".join(lines), span.line


def exact_source(ruleset: RuleSet, path: str, span: Any) -> str:
    """Exactly the text a node spans, from its column to its end column."""
    text, _ = source_of(ruleset, path, span)
    lines = text.split("\n")
    if span.end_line >= span.line and span.end_column:
        lines[-1] = lines[-1][: span.end_column - 1]
    lines[0] = lines[0][span.column - 1 :]
    return "\n".join(lines)


def shown_path(path: str) -> str:
    """A rule file's path relative to the current directory when it is inside."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def title(text: str) -> Text:
    """A section heading."""
    return Text(text, style="bold underline")


def event_detail(
    seen: Seen, ruleset: RuleSet, outbox: list[dict], unknown: str = ""
) -> Group:
    """An event, the rules it fired with their trace, what it queued, the JSON.

    Without an outcome, ``unknown`` says why the rules it fired are not known
    here (see :func:`why_unknown`), and ``outbox`` is what it queued, read from
    the database: each row names the rule that queued it."""
    event, outcome = seen.event, seen.outcome
    parts: list[RenderableType] = [_event_line(event, outcome)]
    if outcome is None:
        queued = "What it queued is below." if outbox else "It queued nothing."
        parts.append(Text(f"{unknown} {queued}".strip(), style="dim"))
        parts += _outbox_part(outbox)
    else:
        parts += outcome_parts(outcome, ruleset)
    parts += [Text(""), title("event"), JSON.from_data(event, sort_keys=False)]
    return Group(*parts)


def why_unknown(attached: bool, ran_here: bool, rows: int) -> str:
    """Why the console cannot say which rules an event fired: it watches
    another process, the event is older than the events it keeps, or the event
    was stored before it started."""
    if attached:
        return (
            "Watching another process (--attach): which rules fired is known to "
            "that process alone."
        )
    if ran_here:
        return (
            "Which rules fired is no longer known: this console ran this event, "
            f"but keeps only the last {rows:,} events ([console] rows)."
        )
    return (
        "Which rules fired is not known: the event was stored before this "
        "console started, and only the process that ran it saw its rules."
    )


def _event_line(event: dict, outcome: Outcome | None) -> Text:
    line = Text()
    line.append(str(event.get("type")), style="bold")
    line.append(f"  {event.get('id')}  {event.get('time')}", style="dim")
    if outcome is not None:
        flags = [
            name
            for name, on in (
                ("duplicate", outcome.duplicate),
                ("new profile", outcome.new_profile),
                ("new visit", outcome.new_visit),
            )
            if on
        ]
        line.append(f"\nprofile {outcome.profile_id}  session {outcome.session_id}")
        if flags:
            line.append("  [" + ", ".join(flags) + "]", style="italic")
    return line


def outcome_parts(outcome: Outcome, ruleset: RuleSet, depth: int = 0) -> list:
    """The fired rules, problems, outbox rows, segments and internal events."""
    parts: list[RenderableType] = [Text("")]
    if outcome.duplicate:
        return [Text("already stored: nothing ran again", style="italic")]
    parts.append(title(f"rules fired ({len(outcome.fired)})"))
    for fired in outcome.fired:
        parts.append(_fired(fired, ruleset))
    for label, lines, style in (
        ("errors", outcome.errors, "red"),
        ("warnings", outcome.warnings, "yellow"),
    ):
        if lines:
            parts += [Text(""), title(label), Text("\n".join(lines), style=style)]
    parts += _outbox_part(outcome.outbox)
    moves = [f"entered {name}" for name in outcome.segments_entered]
    moves += [f"left {name}" for name in outcome.segments_left]
    if moves:
        parts += [Text(""), title("segments"), Text(", ".join(moves))]
    for child in outcome.internal:
        parts += [Text(""), title(f"internal event: {child.event_type}")]
        parts += outcome_parts(child, ruleset, depth + 1)[1:]
    return parts


def _fired(fired: Any, ruleset: RuleSet) -> RenderableType:
    """One fired rule: where it lives, its condition, why it was true (the
    explain trace captured when it fired), and each action's trace."""
    rule = ruleset.rule(fired.rule_id)
    head = Text("▸ ", style="green")
    head.append(fired.rule_id, style="bold")
    body: list[RenderableType] = [head]
    if rule is not None:
        head.append(f"  {shown_path(rule.path)}:{rule.line}", style="dim")
        head.append(f"  priority {rule.node.priority}", style="dim")
        text = exact_source(ruleset, rule.path, rule.node.condition.span)
        why = Text("  when (true): ", style="dim")
        why.append_text(highlighted(text.strip()))
        body.append(why)
    explain = getattr(fired, "explain", None)
    note = getattr(fired, "note", None)
    if explain:
        body.append(explain_text(explain, indent="    "))
    elif note:
        body.append(Text(f"    why: {note}", style="dim italic"))
    for action in fired.actions:
        style = "red" if action.startswith("error") else ""
        body.append(Text(f"    → {action}", style=style))
    return Group(*body)


VERDICT_STYLES = {
    "true": "green",
    "false": "red",
    "unknown": "yellow",
    "skipped": "dim",
}
"""How each verdict of an explain trace looks."""


def explain_text(trace: str, indent: str = "") -> Text:
    """An explain trace (tracsh.lang.explain.render) with its verdicts coloured."""
    text = Text()
    for number, line in enumerate(trace.split("\n")):
        if number:
            text.append("\n")
        text.append(indent)
        body = line.lstrip(" ")
        text.append(line[: len(line) - len(body)])
        verdict = body.split(" ", 1)[0]
        style = VERDICT_STYLES.get(verdict)
        if style is None:
            text.append(body, style="dim")
            continue
        text.append(verdict, style=style)
        text.append(body[len(verdict) :])
    return text


def _outbox_part(rows: list[dict]) -> list:
    if not rows:
        return []
    table = Table(box=None, show_header=True, header_style="dim", pad_edge=False)
    names = ("kind", "target", "recipient", "status", "rule_id", "reason")
    for name in names:
        table.add_column(name.removesuffix("_id"))
    for row in rows:
        table.add_row(*(str(row.get(name) or "") for name in names))
    return [Text(""), title("outbox"), table]


def outbox_detail(row: dict) -> Group:
    """An outbox row: where it came from, its delivery state, the message."""
    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="dim")
    facts.add_column()
    for name in (
        "id", "kind", "target", "recipient", "status", "reason", "attempts",
        "next_attempt", "last_status", "rule_id", "event_id", "profile_id",
        "created", "updated",
    ):  # fmt: skip
        facts.add_row(name, "" if row.get(name) is None else str(row[name]))
    parts: list[RenderableType] = [facts, Text(""), title("message")]
    parts.append(_rendered(row.get("rendered")))
    if row.get("args"):
        parts += [Text(""), title("with"), JSON.from_data(row["args"])]
    return Group(*parts)


def _rendered(rendered: Any) -> RenderableType:
    if not rendered:
        return Text(
            "not rendered: no templates directory, or the template failed (see reason)",
            style="dim",
        )
    if isinstance(rendered, dict):
        lines = Text()
        for name in ("subject", "text", "body", "html"):
            if rendered.get(name):
                lines.append(f"{name}: ", style="bold")
                lines.append(f"{rendered[name]}\n")
        return lines
    return Text(json.dumps(rendered, indent=2, ensure_ascii=False))


def rule_detail(ruleset: RuleSet, rule_id: str, stats: dict | None) -> Group:
    """A rule's source, options and statistics."""
    rule = ruleset.rule(rule_id)
    if rule is None:
        return Group(Text(f"{rule_id}: not in the loaded rules", style="dim"))
    node = rule.node
    facts = Text()
    facts.append(f"{shown_path(rule.path)}:{rule.line}", style="bold")
    facts.append(f"  priority {node.priority}")
    if node.disabled:
        facts.append("  disabled", style="yellow")
    if node.description:
        facts.append(f"\n{node.description}", style="italic")
    if node.tags:
        facts.append("\ntags: " + ", ".join(node.tags), style="dim")
    text, line = source_of(ruleset, rule.path, node.span)
    parts: list[RenderableType] = [facts, Text(""), highlighted(text, line)]
    if stats:
        parts += [Text(""), title("statistics"), _stats_table(stats)]
    return Group(*parts)


def _stats_table(stats: dict) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="dim")
    table.add_column(justify="right")
    for name in ("evaluations", "matches", "errors", "type_warnings"):
        table.add_row(name.replace("_", " "), f"{stats.get(name, 0):,}")
    table.add_row("mean time", f"{mean_micros(stats):.1f} µs")
    table.add_row("last fired", str(stats.get("last_fired") or "never"))
    return table


def mean_micros(stats: dict) -> float:
    """Mean evaluation time in microseconds."""
    evaluations = stats.get("evaluations") or 0
    return stats.get("time_ns", 0) / evaluations / 1000 if evaluations else 0.0
