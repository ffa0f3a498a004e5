"""REPL commands that run things: conditions, the dry run, rule tests, statistics.

``respond`` is the entry point for every input: commands go to the registry,
typed forms join the rule set, and anything else is a condition to explain.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tracsh.delivery.renderer import Renderer
from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import EngineSettings
from tracsh.errors import UserError
from tracsh.inputs import InputError, normalize_event
from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.errors import RuleError
from tracsh.lang.explain import explain_condition, render
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import MISSING
from tracsh.lang.values import parse_time
from tracsh.repl.commands import repl_command, run_command
from tracsh.repl.entry import kind_of
from tracsh.repl.workspace import Workspace
from tracsh.testing.report import summary, text_report
from tracsh.testing.runner import run_tests, select
from tracsh.testing.sandbox import RuleCheck, Sandbox, profile_diff

VERDICT = {True: "true", False: "false", None: "unknown"}


def respond(workspace: Workspace, text: str) -> str:
    """What the REPL prints for one complete input; raises UserError or RuleError."""
    kind = kind_of(text)
    if kind == "empty":
        return ""
    if kind == "command":
        return run_command(workspace, text)
    if kind == "forms":
        return _add(workspace, text)
    return explain(workspace, text)


def _add(workspace: Workspace, text: str) -> str:
    before = _names(workspace)
    forms, problems = workspace.add(text)
    if not forms:
        raise RuleError(problems)
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
    scope = workspace.scope()
    trace = explain_condition(node, scope)
    return render(trace)


@repl_command("eval", "CONDITION", "decide a condition: true, false or unknown")
def evaluate(workspace: Workspace, argument: str) -> str:
    """Only the verdict, and any warning."""
    if not argument.strip():
        raise UserError("evaluate what? .eval profile.visits > 3")
    node = load_condition(argument, "<condition>")
    scope = workspace.scope()
    trace = explain_condition(node, scope)
    notes = [f"note: {m}" for m in scope.report.messages]
    return "\n".join([trace.verdict, *notes])


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
    """The current event through the rule set, in a Sandbox seeded with copies."""
    book = workspace.book()
    docs = workspace.documents
    profile = _with_id(docs.profile, "repl-profile")
    session = _with_id(docs.session, "repl-session")
    event = _event(docs.event, profile, session)
    settings = EngineSettings(session_timeout=workspace.config.session.timeout)
    renderer = Renderer(workspace.config)
    with Sandbox(book, settings, renderer) as sandbox:
        if profile is not None and session is not None:
            session.setdefault("profile", {"id": profile["id"]})
        sandbox.seed(profile, session)
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
    )


def _with_id(doc: Any, fallback: str) -> dict | None:
    if doc is MISSING:
        return None
    found = copy.deepcopy(doc)
    found.setdefault("id", fallback)
    return found


def _event(given: Any, profile: dict | None, session: dict | None) -> dict:
    if not isinstance(given, dict):
        raise UserError('no current event; set one: .event {"type": "purchase"}')
    record = {k: v for k, v in copy.deepcopy(given).items() if k not in ("raw", "seq")}
    if profile is not None:
        record["profile"] = {"id": profile["id"]}
    if session is not None:
        record["session"] = {"id": session["id"]}
    record.setdefault("source", "repl")
    if "time" not in record and "timestamp" not in record:
        record["time"] = _next_moment(profile)
    now = datetime.now(UTC).isoformat()
    try:
        return normalize_event(record, received=now)
    except InputError as err:
        raise UserError(f"the current event cannot be used: {err}") from None


def _next_moment(profile: dict | None) -> str:
    """When an event without a time happens: a minute after the profile was last
    seen, so a stored profile meets it as its next event would; else now."""
    seen = parse_time(str(profile.get("last_seen"))) if profile else None
    if seen is None:
        return datetime.now(UTC).isoformat()
    return (seen + timedelta(minutes=1)).isoformat()


def describe_run(workspace: Workspace, run: DryRun) -> str:
    """The dry run for people: fired rules and actions, what did not fire and why."""
    outcome = run.outcome
    who = outcome.profile_id + (" (new)" if outcome.new_profile else "")
    lines = [
        f'dry run: event "{run.event["type"]}" at {run.event["time"]} '
        f"for profile {who}; nothing is written"
    ]
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
        scope = workspace.scope()
        head = "not decided in the last .fire; against the current documents:"
        return head + "\n" + render(explain_condition(loaded.node.condition, scope))
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
