"""REPL commands over the rules: load files, list and show rules, save typed forms."""

from __future__ import annotations

from pathlib import Path

from tracsh.errors import UserError
from tracsh.lang.compile import required_event_types
from tracsh.lang.errors import RuleError, source_line
from tracsh.repl.commands import repl_command
from tracsh.repl.workspace import SaveRefused, Workspace


@repl_command(
    "load", "[PATH…]", "load rule files (default: the project's rules)", "paths"
)
def load(workspace: Workspace, argument: str) -> str:
    """Replace the loaded files; report what loaded and every diagnostic.

    Files that do not load are refused: the rules loaded before stay.
    """
    paths = [Path(p) for p in argument.split()] or list(workspace.config.rules.dirs)
    problems = workspace.load(paths, keep=True)
    ruleset = workspace.ruleset()
    lines = [d.render() for d in problems]
    lines.append(
        f"loaded {len(workspace.sources)} file(s): {len(ruleset.rules)} rules, "
        f"{len(ruleset.segments)} segments, {len(ruleset.journeys)} journeys, "
        f"{len(ruleset.tests)} tests"
    )
    return "\n".join(lines)


@repl_command("rules", "[TEXT]", "list the rules (those whose id holds TEXT)")
def list_rules(workspace: Workspace, argument: str) -> str:
    """One line per rule in run order: priority, id, event types, place."""
    ruleset = workspace.ruleset()
    rows = []
    for rule in ruleset.rules:
        if argument and argument.lower() not in rule.id.lower():
            continue
        types = required_event_types(rule.node.condition)
        kinds = "any event" if types is None else ", ".join(sorted(types))
        flag = "  (disabled)" if rule.node.disabled else ""
        rows.append(
            f"{rule.node.priority:>4}  {rule.id:<32} {kinds:<28} "
            f"{rule.path}:{rule.line}{flag}"
        )
    if not rows:
        return "no rules loaded; .load them or type one" if not argument else "no match"
    counts = (
        f"{len(ruleset.segments)} segments, {len(ruleset.journeys)} journeys, "
        f"{len(ruleset.tests)} tests"
    )
    return "\n".join([" pri  id" + " " * 30 + "runs for", *rows, counts])


@repl_command("show", "ID", "show a rule, segment, journey or test as written", "forms")
def show(workspace: Workspace, argument: str) -> str:
    """The source of the named form, from its file, with its place."""
    if not argument:
        raise UserError("which one? .show ID (Tab completes ids)")
    ruleset = workspace.ruleset()
    found = [
        *((r.path, r.node) for r in ruleset.rules if r.id == argument),
        *((s.path, s.node) for s in ruleset.segments if s.name == argument),
        *((j.path, j.node) for j in ruleset.journeys if j.name == argument),
        *((t.path, t.node) for t in ruleset.tests if t.name == argument),
    ]
    if not found:
        raise UserError(f'nothing called "{argument}" is loaded; .rules lists them')
    path, node = found[0]
    text = ruleset.files[path]
    lines = [
        source_line(text, number)
        for number in range(node.span.line, node.span.end_line + 1)
    ]
    return f"# {path}:{node.span.line}\n" + "\n".join(lines)


@repl_command("save", "FILE", "put the forms typed so far into a rule file", "paths")
def save(workspace: Workspace, argument: str) -> str:
    """Write the typed forms (formatted) and load them from that file from now on."""
    if not argument:
        raise UserError("where to? .save FILE, for example .save rules/new.rules")
    path = Path(argument)
    if path.suffix != ".rules":
        raise UserError(f"{path}: rule files end in .rules")
    try:
        count, replaced = workspace.save(path)
    except SaveRefused:
        raise
    except RuleError as err:
        message = f"{path} does not parse, so nothing was saved:\n{err.render()}"
        raise UserError(message) from None
    done = f"saved {count} form(s) to {path}"
    return done + (f", in place of {', '.join(replaced)}" if replaced else "")
