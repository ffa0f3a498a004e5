"""REPL commands that run things: conditions, the dry run, rule tests, statistics.

``respond`` is the entry point for every input: commands go to the registry,
typed forms join the rule set, and anything else is a condition to explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracsh.delivery.renderer import Renderer
from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import EngineSettings
from tracsh.errors import UserError
from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.errors import RuleError
from tracsh.lang.explain import explain_condition, render
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import MISSING
from tracsh.repl.commands import repl_command, run_command
from tracsh.repl.entry import kind_of
from tracsh.repl.moment import Moment, moment, uses_history
from tracsh.repl.workspace import Workspace
from tracsh.testing.report import summary, text_report
from tracsh.testing.runner import run_tests, select
from tracsh.testing.sandbox import RuleCheck, Sandbox, profile_diff

VERDICT = {True: "true", False: "false", None: "unknown"}


def respond(workspace: Workspace, text: str, line: int = 1) -> str:
    """What the REPL prints for one complete input; raises UserError or RuleError.

    ``line`` is the script line the input starts on, when the REPL reads a script.
    """
    kind = kind_of(text)
    if kind == "empty":
        return ""
    if kind == "command":
        return run_command(workspace, text)
    if kind == "forms":
        return _add(workspace, text, line)
    return explain(workspace, text)


def _add(workspace: Workspace, text: str, line: int) -> str:
    before = _names(workspace)
    forms, problems = workspace.add(text, line)
    if not forms:
        # The first mistake only, as the prompt marks it: the rest may follow.
        raise RuleError(problems[:1])
    lines = [d.render() for d in problems]
    ruleset = workspace.ruleset()
    for form in forms:
        word = type(form).__name__.lower().replace("ruletest", "test")
        if isinstance(form, n.Rule) and form.name is None:
            rule_id = next(
                (r.id for r in reversed(ruleset.rules) if r.node == form), "typed"
            )
            lines.append(f"added one-line rule {rule_id}")
            continue
        verb = "replaced" if (word, form.name) in before else "added"
        lines.append(f"{verb} {word} {printer.string(form.name)}")
    return "\n".join(lines)


def _names(workspace: Workspace) -> set[tuple[str, str]]:
    ruleset = workspace.ruleset()
    return {
        *(("rule", r.id) for r in ruleset.rules),
        *(("segment", s.name) for s in ruleset.segments),
        *(("journey", j.name) for j in ruleset.journeys),
        *(("test", t.name) for t in ruleset.tests),
    }


# --- conditions ---------------------------------------------------------------------


@repl_command("explain", "CONDITION", "show why a condition is true, false or unknown")
def explain(workspace: Workspace, argument: str) -> str:
    """The explain trace against the current documents (also for a bare condition)."""
    if not argument.strip():
        raise UserError("explain what? .explain profile.visits > 3")
    node = load_condition(argument, "<condition>")
    now = moment(workspace, past=uses_history(node))
    trace = explain_condition(node, now.scope())
    return "\n".join([render(trace), *_notes(now)])


@repl_command("eval", "CONDITION", "decide a condition: true, false or unknown")
def evaluate(workspace: Workspace, argument: str) -> str:
    """Only the verdict, and any warning."""
    if not argument.strip():
        raise UserError("evaluate what? .eval profile.visits > 3")
    node = load_condition(argument, "<condition>")
    now = moment(workspace, past=uses_history(node))
    scope = now.scope()
    trace = explain_condition(node, scope)
    notes = [f"note: {m}" for m in scope.report.messages]
    return "\n".join([trace.verdict, *notes, *_notes(now)])


def _notes(now: Moment) -> list[str]:
    return [] if now.note is None else [f"note: {now.note}"]


# --- the dry run ---------------------------------------------------------------------


@dataclass
class DryRun:
    """One event through the rules in a sandbox, and what it did."""

    event: dict
    outcome: Outcome
    checks: list[RuleCheck]
    before: Any
    after: Any
    session_before: Any
    session_after: Any
    rule_count: int = 0
    """How many rules the engine had, candidates or not."""
    note: str | None = None
    """Why the profile's stored history could not be read, if it could not."""


@repl_command(
    "fire",
    "",
    "dry-run the event: what fires, what changes; writes nothing",
)
def fire(workspace: Workspace, argument: str) -> str:
    """Run the event against copies of the profile and session, and report."""
    run = dry_run(workspace)
    workspace.last_run = run
    return describe_run(workspace, run)


def dry_run(workspace: Workspace) -> DryRun:
    """The current event through the rule set, in a Sandbox seeded with copies of
    the profile and session and of their stored events and ``once per`` firings."""
    book = workspace.book()
    now = moment(workspace)
    profile, session, event = now.profile, now.session, now.event
    settings = EngineSettings(session_timeout=workspace.config.session.timeout)
    renderer = Renderer(workspace.config)
    with Sandbox(book, settings, renderer) as sandbox:
        sandbox.seed(profile, session, now.events, now.firings)
        outcome = sandbox.run(event)
        after = sandbox.profile(outcome.profile_id)
        session_after = sandbox.session(outcome.session_id)
        checks = sandbox.checks
    return DryRun(
        event,
        outcome,
        checks,
        profile or MISSING,
        after,
        session or MISSING,
        session_after,
        len(book.rules),
        now.note,
    )


def describe_run(workspace: Workspace, run: DryRun) -> str:
    """The dry run for people: fired rules and actions, what did not fire and why."""
    outcome = run.outcome
    who = outcome.profile_id + (" (new)" if outcome.new_profile else "")
    lines = [
        f'dry run: event "{run.event["type"]}" at {run.event["time"]} '
        f"for profile {who}; nothing is written"
    ]
    if run.note is not None:
        lines.append(f"note: {run.note}")
    fired = outcome.fired
    lines.append("fired:" if fired else "fired: none")
    for entry in fired:
        lines.append(f"  {entry.rule_id}")
        lines.extend(f"    {action}" for action in entry.actions)
    lines.extend(_not_fired(run))
    lines.extend(_internal(run))
    changes = profile_diff(run.before, run.after)
    changes += profile_diff(run.session_before, run.session_after, "session")
    lines.append("changes:" if changes else "changes: none")
    lines.extend(f"  {change}" for change in changes)
    lines.extend(f"error: {error}" for error in outcome.errors)
    lines.extend(f"warning: {warning}" for warning in outcome.warnings)
    lines.append(".why ID shows the whole trace of one rule")
    return "\n".join(lines)


def _not_fired(run: DryRun) -> list[str]:
    """The rules the event reached that did not fire, each with its reason."""
    mine = [c for c in run.checks if c.event["id"] == run.event["id"]]
    decided = [c for c in mine if c.truth is not True]
    lines = ["not fired:"] if decided else []
    for check in decided:
        lines.append(f"  {check.rule.id} — {_reason(check)}")
    considered = {c.rule.id for c in mine}
    others = run.rule_count - len(considered)
    if others > 0:
        lines.append(f"  ({others} more rule(s) are only for other event types)")
    return lines


def _reason(check: RuleCheck) -> str:
    if check.held is not None:
        return check.held
    trace = check.explain()
    return f"{trace.verdict}: {trace.why}" if trace.why else trace.verdict


def _internal(run: DryRun) -> list[str]:
    """One line per internal event: what caused it and which rules it fired."""
    lines = []
    for child in _children(run.outcome):
        checks = [c for c in run.checks if c.event["id"] == child.event_id]
        about = checks[0].event.get("properties") if checks else None
        shown = f" {printer.value(about, 50)}" if about else ""
        head = f"internal event {printer.string(child.event_type)}{shown}"
        if not child.fired:
            lines.append(f"{head}: no rule fired")
            continue
        lines.append(f"{head}:")
        for entry in child.fired:
            lines.append(f"  {entry.rule_id}")
            lines.extend(f"    {action}" for action in entry.actions)
    return lines


def _children(outcome: Outcome) -> list[Outcome]:
    found = []
    for child in outcome.internal:
        found.append(child)
        found.extend(_children(child))
    return found


@repl_command("why", "ID", "the whole trace of a rule in the last .fire", "rules")
def why(workspace: Workspace, argument: str) -> str:
    """Every decision of one rule in the last dry run, or against the documents now."""
    if not argument:
        raise UserError("which rule? .why ID (Tab completes ids)")
    loaded = workspace.ruleset().rule(argument)
    if loaded is None:
        raise UserError(f'no rule "{argument}" is loaded; .rules lists them')
    run = workspace.last_run
    checks = [c for c in run.checks if c.rule.id == argument] if run else []
    if not checks:
        condition = loaded.node.condition
        scope = moment(workspace, past=uses_history(condition)).scope()
        head = "not decided in the last .fire; against the current documents:"
        return head + "\n" + render(explain_condition(condition, scope))
    blocks = []
    for check in checks:
        label = f"on event {printer.string(check.event['type'])}"
        if check.held is not None:
            blocks.append(f"{label}: not evaluated, {check.held}")
        else:
            blocks.append(f"{label}:\n{render(check.explain())}")
    return "\n".join(blocks)


# --- tests and statistics -----------------------------------------------------------


@repl_command("test", "[REGEX]", "run the rule tests (those whose name matches)")
def test(workspace: Workspace, argument: str) -> str:
    """Run tests of the loaded and typed rules in throw-away stores."""
    ruleset = workspace.ruleset()
    workspace.book()
    tests = select(ruleset, argument or None)
    if not tests:
        return "no rule tests" + (f" match {argument!r}" if argument else " loaded")
    results = run_tests(ruleset, tests, book=workspace.book())
    return text_report(results) + "\n" + summary(results)


@repl_command("stats", "", "rule statistics from the project's database")
def stats(workspace: Workspace, argument: str) -> str:
    """The stored per-rule counters, like ``tracsh stats``."""
    rows = workspace.store().rule_stats()
    if not rows:
        return "no statistics yet: nothing has been replayed into this database"
    lines = [f"{'rule':<34} {'evals':>7} {'matches':>7} {'errors':>6} {'warn':>5}"]
    for row in rows:
        lines.append(
            f"{row['rule_id']:<34} {row['evaluations']:>7} {row['matches']:>7} "
            f"{row['errors']:>6} {row['type_warnings']:>5}"
        )
    return "\n".join(lines)
