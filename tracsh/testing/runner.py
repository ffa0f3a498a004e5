"""Running rule tests: each ``test`` form against the real engine in its own sandbox.

A test starts from its profile and session, runs its events one by one through
the whole rule set, and checks each expectation against what the events before
it did. ``tracsh test`` and the REPL's ``.test`` call ``run_tests``.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import EngineSettings
from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.errors import UserError
from tracsh.inputs import InputError, normalize_event
from tracsh.lang import nodes as n
from tracsh.lang import printer, values
from tracsh.lang.compile import required_event_types
from tracsh.lang.explain import explain_expr, render
from tracsh.lang.loader import LoadedTest, RuleSet
from tracsh.lang.scope import MISSING, Scope
from tracsh.store.errors import StoreError
from tracsh.testing.expect import State, Verdict, check, describe
from tracsh.testing.sandbox import (
    RuleCheck,
    Sandbox,
    shape_problem,
    starting_profile,
    starting_session,
)

log = logging.getLogger(__name__)

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
"""When a test's first event happens, unless the test says otherwise."""
STEP = timedelta(seconds=1)
"""How long after the previous event the next one happens, unless ``after`` says."""
PROFILE_ID = "test-profile"
SESSION_ID = "test-session"
SOURCE_ID = "test"
MAX_TRACES = 3
"""How many non-firing decisions of one rule a failure explains."""


class TestSetupError(Exception):
    """A test's own documents or events cannot be used; the message says which."""


@dataclass
class Failure:
    """An expectation that did not hold, with the traces of the rules involved."""

    line: int
    text: str
    verdict: Verdict
    traces: list[str] = field(default_factory=list)


@dataclass
class Visit:
    """One top-level event of a test, with the profile and session it arrived to."""

    event: dict
    profile: Any
    session: Any
    candidates: frozenset[str]


@dataclass
class TestResult:
    """What one test did: its failures, or the error that stopped it."""

    name: str
    path: str
    line: int
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None
    checks: list[RuleCheck] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """No failure and no error."""
        return not self.failures and self.error is None


def select(ruleset: RuleSet, pattern: str | None) -> list[LoadedTest]:
    """The tests whose name matches ``pattern`` (a regular expression), in order."""
    if pattern is None:
        return list(ruleset.tests)
    try:
        found = re.compile(pattern)
    except re.error as err:
        raise UserError(f"{pattern!r} is not a regular expression: {err}") from None
    return [test for test in ruleset.tests if found.search(test.name)]


def run_tests(
    ruleset: RuleSet,
    tests: list[LoadedTest] | None = None,
    *,
    book: RuleBook | None = None,
    renderer: Any = None,
    settings: EngineSettings | None = None,
) -> list[TestResult]:
    """Run ``tests`` (default: all of the rule set's) and return their results."""
    book = book or build_rulebook(ruleset)
    chosen = ruleset.tests if tests is None else tests
    return [_run(test, ruleset, book, renderer, settings) for test in chosen]


def _run(
    test: LoadedTest,
    ruleset: RuleSet,
    book: RuleBook,
    renderer: Any,
    settings: EngineSettings | None,
) -> TestResult:
    result = TestResult(test.name, test.path, test.line)
    started = time.perf_counter()
    with Sandbox(book, settings, renderer) as sandbox:
        steps = _Run(test.node, ruleset, sandbox, result)
        try:
            steps.go()
        except TestSetupError as err:
            result.error = str(err)
        except (UserError, StoreError, InputError) as err:
            result.error = f"line {steps.line}: {err}"
        except Exception as err:  # the test's own documents broke the engine
            log.debug("test %r failed on its documents", test.name, exc_info=True)
            result.error = (
                f"line {steps.line}: tracsh failed on this test's documents "
                f"({type(err).__name__}: {err}); --debug shows where"
            )
        result.checks = sandbox.checks
    result.seconds = time.perf_counter() - started
    return result


class _Run:
    """The steps of one test, in order, against one sandbox."""

    def __init__(
        self, test: n.RuleTest, ruleset: RuleSet, sandbox: Sandbox, result: TestResult
    ) -> None:
        self.test = test
        self.ruleset = ruleset
        self.sandbox = sandbox
        self.result = result
        self.clock = START
        self.outcomes: list[Outcome] = []
        self.events: list[dict] = []
        self.labels: dict[str, str] = {}
        self.line = test.span.line
        """The line of the step running now, for an error that stops the test."""

    def go(self) -> None:
        """Seed the sandbox, then run every event and check every expectation."""
        self.seed()
        for step in self.test.steps:
            self.line = step.span.line
            if isinstance(step, n.EventStep):
                self.event(step)
            else:
                self.expect(step)

    def seed(self) -> None:
        when = START.isoformat()
        if self.test.profile is not None:
            self.line = self.test.profile.span.line
        given = self.document(self.test.profile, "profile")
        _check_shape(given, starting_profile(None, PROFILE_ID, when), "profile", self)
        self.profile = starting_profile(given, PROFILE_ID, when)
        self.session_id = SESSION_ID
        session = None
        if self.test.session is not None:
            self.line = self.test.session.span.line
            given_session = self.document(self.test.session, "session")
            empty = starting_session({}, SESSION_ID, PROFILE_ID, when)
            _check_shape(given_session, empty, "session", self)
            self.session_id = str(given_session.get("id") or SESSION_ID)
            session = starting_session(
                given_session, self.session_id, self.profile["id"], when
            )
        self.sandbox.seed(self.profile, session)

    def document(self, obj: n.ObjectExpr | None, what: str) -> dict:
        """An object of the test evaluated at the test's clock, as JSON."""
        if obj is None:
            return {}
        scope = Scope(now=self.clock)
        found = values.plain(explain_expr(obj, scope).value)
        if scope.report.errors or scope.report.type_warnings:
            problems = "; ".join(scope.report.messages)
            raise TestSetupError(f"line {obj.span.line}: {what}: {problems}")
        return found

    # --- events ----------------------------------------------------------------

    def event(self, step: n.EventStep) -> None:
        number = len(self.events) + 1
        event = self.build(step, number)
        profile_id = self.current_profile_id()
        before = self.sandbox.profile(profile_id)
        session = self.sandbox.session(self.current_session_id())
        outcome = self.sandbox.run(event)
        candidates = frozenset(
            r.id for r in self.sandbox.book.candidates(event["type"])
        )
        self.result.visits.append(Visit(event, before, session, candidates))
        self.outcomes.append(outcome)
        self.events.append(event)
        self.label(outcome, f"event {number} {printer.string(event['type'])}")
        for fired in outcome.all_fired():
            self.result.fired.add(fired.rule_id)

    def build(self, step: n.EventStep, number: int) -> dict:
        """The event of a step, normalized as the readers would."""
        if self.events or step.after is not None:
            wait = STEP if step.after is None else timedelta(seconds=step.after.seconds)
            try:
                self.clock += wait
            except OverflowError:
                raise UserError(
                    "the test's clock would pass the year 9999, the last time "
                    "tracsh can keep; wait less after the events"
                ) from None
        base: dict[str, Any] = {
            "type": step.event_type,
            "time": self.clock.isoformat(),
            "profile": self.current_profile_id(),
            "session": self.current_session_id(),
            "source": self.test.source or SOURCE_ID,
        }
        if step.properties is not None:
            base["properties"] = self.document(step.properties, f"event {number}")
        if step.document is not None:
            base.update(self.document(step.document, f"event {number}"))
        try:
            event = normalize_event(
                base,
                received=self.clock.isoformat(),
                seed=f"{self.test.name}\x1f{number}",
            )
        except InputError as err:
            raise TestSetupError(
                f"line {step.span.line}: event {number}: {err}"
            ) from None
        self.clock = max(self.clock, values.parse_time(event["time"]) or self.clock)
        return event

    def label(self, outcome: Outcome, text: str) -> None:
        self.labels[outcome.event_id] = text
        for child in outcome.internal:
            self.label(child, f"{printer.string(child.event_type)} (caused by {text})")

    def current_profile_id(self) -> str:
        for outcome in reversed(self.outcomes):
            if outcome.profile_id:
                return outcome.profile_id
        return self.profile["id"]

    def current_session_id(self) -> str:
        for outcome in reversed(self.outcomes):
            if outcome.session_id:
                return outcome.session_id
        return self.session_id

    # --- expectations ------------------------------------------------------------

    def expect(self, step: Any) -> None:
        last = self.events[-1] if self.events else MISSING
        scope = Scope(
            event=last,
            profile=self.sandbox.profile(self.current_profile_id()),
            session=self.sandbox.session(self.current_session_id()),
            source=last.get("source") if isinstance(last, dict) else MISSING,
            now=self.clock,
        )
        state = State(self.outcomes, self.sandbox.stats(), scope)
        verdict = check(step, state, self.ruleset)
        if verdict.held:
            return
        traces = [self.explain_rule(rule_id) for rule_id in verdict.rules[:5]]
        failure = Failure(step.span.line, describe(step), verdict, traces)
        self.result.failures.append(failure)

    def explain_rule(self, rule_id: str) -> str:
        """Each decision of one rule so far, with traces for those that did not fire."""
        loaded = self.ruleset.rule(rule_id)
        if loaded is None:
            return f"rule {printer.string(rule_id)}: no such rule is loaded"
        head = f"rule {printer.string(rule_id)} ({loaded.path}:{loaded.line})"
        checks = [c for c in self.sandbox.checks if c.rule.id == rule_id]
        if loaded.node.disabled:
            return f"{head}: disabled, so it never runs"
        if not checks:
            return f"{head}: {_never_reason(loaded.node, self.events)}"
        lines = [head]
        explained = [c for c in checks if c.truth is not True and c.held is None]
        shown = {id(c) for c in explained[-MAX_TRACES:]}
        for found in checks:
            lines.extend(self.decision(found, id(found) in shown))
        return "\n".join(lines)

    def decision(self, found: RuleCheck, with_trace: bool) -> list[str]:
        where = self.labels.get(
            found.event.get("id", ""), printer.string(found.event["type"])
        )
        if found.held is not None:
            return [f"  {where}: not evaluated, {found.held}"]
        if found.truth is True:
            return [f"  {where}: fired"]
        verdict = "false" if found.truth is False else "unknown"
        lines = [f"  {where}: did not fire, the condition is {verdict}"]
        if with_trace:
            trace = render(found.explain(), heading=False)
            lines.extend("    " + line for line in trace.split("\n"))
        return lines


def _check_shape(given: dict, empty: dict, what: str, run: _Run) -> None:
    problem = shape_problem(given, empty)
    if problem is not None:
        raise TestSetupError(f"line {run.line}: {what}: {problem}")


def _never_reason(rule: n.Rule, events: list[dict]) -> str:
    types = required_event_types(rule.condition)
    seen = sorted({e["type"] for e in events})
    if types is not None:
        wanted = ", ".join(printer.string(t) for t in sorted(types))
        had = ", ".join(printer.string(t) for t in seen) or "none"
        return (
            f"never evaluated: it runs only for events of type {wanted} "
            f"(the test sent {had})"
        )
    return "never evaluated: no event reached it"
