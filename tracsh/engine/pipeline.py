"""The event pipeline of system.md, steps 2 to 5, over batches of events.

``Engine.process_batch`` takes validated events (the readers and the collector
do step 1), identifies each one's profile and session, runs the candidate rules
in the documented order, re-evaluates live segments, processes the internal
events that caused, and commits the whole batch in one SQLite transaction.
"""

from __future__ import annotations

import json
import logging
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tracsh.engine.actions import Firing, run_action
from tracsh.engine.history import History
from tracsh.engine.identify import event_time, identify, latest
from tracsh.engine.journeys import STEP_EVENT, JourneyBook
from tracsh.engine.merge import apply_merges, merge_key_paths
from tracsh.engine.outcome import Fired, Outcome
from tracsh.engine.rulebook import CompiledRule, RuleBook
from tracsh.engine.scheduler import Scheduler
from tracsh.engine.segments import refresh_segments, segment_event
from tracsh.engine.working import WorkingSet
from tracsh.lang import nodes
from tracsh.lang.printer import value as shown
from tracsh.lang.scope import Scope

log = logging.getLogger(__name__)


def event_clock(event: dict) -> datetime:
    """Replay's clock: the event's own time (UTC when it has no offset)."""
    return event_time(event["time"])


def wall_clock(event: dict) -> datetime:
    """The live clock: the machine's time, whatever the event says."""
    return datetime.now(UTC)


def once_owner(once: nodes.Once, scope: Scope) -> str:
    """Whom a ``once per`` option counts firings for: the profile, or the session.

    A session idle past the timeout has ended (system.md) even though its next
    event reopens it under the same id, so each visit of a session counts as a
    session of its own.
    """
    if once.scope == "profile":
        return scope.profile["id"]
    visits = scope.session.get("visits", 1)
    session_id = scope.session["id"]
    return session_id if visits <= 1 else f"{session_id}#{visits}"


RuleWatch = Callable[[CompiledRule, Scope, "bool | None", "str | None"], None]
"""``watch(rule, scope, truth, held)``: a candidate rule was decided for an event.

``held`` says why the rule was not evaluated at all (its source, its cooldown);
``truth`` is then None. The scope's documents are the live ones: copy them.
"""


@dataclass
class EngineSettings:
    """How the pipeline behaves; the defaults are system.md's."""

    session_timeout: float = 30 * 60
    """Seconds of idleness after which a session's next event is a new visit."""
    clock: Callable[[dict], datetime] = event_clock
    """What ``now`` is while an event is processed."""
    max_depth: int = 8
    max_internal: int = 1000
    """How many internal events one input event may cause in all (fan-out)."""
    """How deep internal events may cause further internal events."""


class Engine:
    """Runs events through a RuleBook against a Store."""

    def __init__(
        self,
        store: Any,
        book: RuleBook,
        settings: EngineSettings | None = None,
        renderer: Any = None,
    ) -> None:
        self.store = store
        self.book = book
        self.settings = settings or EngineSettings()
        self.renderer = renderer
        self.watch: RuleWatch | None = None
        """Told about every candidate rule as it is decided (tests, dry runs)."""
        self.journeys = JourneyBook(book.journeys)
        self.scheduler = Scheduler(self)
        self._index_merge_keys(book)

    def use_book(self, book: RuleBook, renderer: Any = None) -> None:
        """Run later batches with ``book`` and ``renderer`` (a hot reload).

        What the engine derives from a book (journeys, merge-key indexes) is
        derived again; call it where the store may be written, between batches.
        """
        self._index_merge_keys(book)
        self.book = book
        self.renderer = renderer
        self.journeys = JourneyBook(book.journeys)

    def _index_merge_keys(self, book: RuleBook) -> None:
        """Index the profile fields that ``merge profile on`` looks up."""
        if not getattr(self.store, "readonly", True):
            for path in sorted(merge_key_paths(book)):
                self.store.ensure_json_index("profiles", path)

    @property
    def timers_follow_events(self) -> bool:
        """Under the event clock, timers fire before the first event at their time."""
        return self.settings.clock is event_clock

    def process_batch(self, events: list[dict]) -> list[Outcome]:
        """Process ``events`` in order and commit them in one transaction.

        Under the event clock, timers due at or before an event's time fire
        first; their outcomes are among that event's ``internal`` ones.
        """
        work = WorkingSet(self.store)
        work.prefetch(events)
        outcomes = []
        for event in events:
            fired = []
            if self.timers_follow_events:
                fired = self.scheduler.fire_due(work, event_time(event["time"]))
            outcome = self.process_one(work, event)
            outcome.internal[:0] = fired
            outcomes.append(outcome)
        with self.store.transaction():
            work.flush()
        return outcomes

    def process_internal(self, work: WorkingSet, event: dict) -> Outcome:
        """Process an internal event no input event caused (a timer, a refresh).

        Like an emitted event it opens no visit; like an input event it has its
        own budget of internal events.
        """
        work.internal_left = self.settings.max_internal
        return self.process_one(work, event, depth=1)

    def process_one(self, work: WorkingSet, event: dict, depth: int = 0) -> Outcome:
        """Process one event against ``work`` without committing it."""
        outcome = Outcome(event_id=event["id"], event_type=event["type"])
        if depth == 0:
            work.internal_left = self.settings.max_internal
        if work.seen(event["id"]):
            outcome.duplicate = True
            outcome.profile_id, outcome.session_id = work.refs_of(event["id"])
            return outcome
        timeout = self.settings.session_timeout
        identity = identify(work, event, timeout, internal=depth > 0)
        outcome.profile_id = identity.profile["id"]
        outcome.session_id = identity.session["id"]
        outcome.new_profile = identity.new_profile
        outcome.new_visit = identity.new_visit

        scope = Scope(
            event=event,
            profile=identity.profile,
            session=identity.session,
            source=event.get("source") or {},
            now=self.settings.clock(event),
            history=History(work),
        )
        before = list(identity.profile.get("segments") or [])
        emitted = self._run_rules(work, scope, outcome)
        if work.merge_requests:
            before = apply_merges(work, scope, outcome) or before
        emitted.extend(self._segments(scope, outcome, before))
        if self.journeys:
            emitted.extend(self._journeys(work, scope, outcome))
        profile = scope.profile
        profile["updated"] = latest(profile.get("updated"), event["time"])
        work.add_event(event)
        self._internal(work, emitted, outcome, depth)
        return outcome

    def _internal(
        self, work: WorkingSet, emitted: list[dict], outcome: Outcome, depth: int
    ) -> None:
        for child in emitted:
            if depth + 1 > self.settings.max_depth:
                self._drop(
                    work, child, outcome, f"nest deeper than {self.settings.max_depth}"
                )
                continue
            if work.internal_left <= 0:
                limit = self.settings.max_internal
                self._drop(work, child, outcome, f"from one event exceed {limit}")
                continue
            work.internal_left -= 1
            outcome.internal.append(self.process_one(work, child, depth + 1))

    def _drop(self, work: WorkingSet, child: dict, outcome: Outcome, why: str) -> None:
        """Drop an internal event past a limit, as an error of the rule emitting it."""
        message = (
            f"internal event {shown(child['type'])} dropped: internal events {why}"
        )
        rule_id = (child.get("context") or {}).get("rule")
        if rule_id is not None:
            work.stats[rule_id]["errors"] += 1
            work.stats[rule_id]["last_error"] = message
            message = f"{rule_id}: {message}"
        outcome.errors.append(message)
        log.warning(message)

    def _run_rules(
        self, work: WorkingSet, scope: Scope, outcome: Outcome
    ) -> list[dict]:
        event = scope.event
        source_id = (event.get("source") or {}).get("id")
        emitted: list[dict] = []
        for rule in self.book.candidates(event["type"]):
            if rule.node.source is not None and rule.node.source != source_id:
                self._tell(
                    rule, scope, None, f"only for source {shown(rule.node.source)}"
                )
                continue
            if self._cooling(work, rule, scope):
                self._tell(rule, scope, None, "held back by its `once per` option")
                continue
            truth = self._evaluate(work, rule, scope, outcome)
            self._tell(rule, scope, truth, None)
            if truth is not True:
                continue
            firing = self._fire(work, rule, scope, outcome)
            emitted.extend(firing.emitted)
            if firing.stop:
                break
        return emitted

    def _tell(
        self, rule: CompiledRule, scope: Scope, truth: bool | None, held: str | None
    ) -> None:
        if self.watch is not None:
            self.watch(rule, scope, truth, held)

    def evaluate_rule(
        self, work: WorkingSet, rule: CompiledRule, scope: Scope, outcome: Outcome
    ) -> bool | None:
        """Decide a rule's condition, counted in its statistics (journeys use it)."""
        return self._evaluate(work, rule, scope, outcome)

    def fire_rule(
        self, work: WorkingSet, rule: CompiledRule, scope: Scope, outcome: Outcome
    ) -> Firing:
        """Run a rule's actions as if it fired (journey steps use it)."""
        return self._fire(work, rule, scope, outcome)

    def _evaluate(
        self, work: WorkingSet, rule: CompiledRule, scope: Scope, outcome: Outcome
    ) -> bool | None:
        report = scope.report
        report.type_warnings = report.errors = 0
        started = _time.perf_counter_ns()
        truth = rule.pre(scope) if rule.pre is not None else True
        if truth is True:
            truth = rule.main(scope)
        stats = work.stats[rule.id]
        stats["time_ns"] += _time.perf_counter_ns() - started
        stats["evaluations"] += 1
        if report.errors or report.type_warnings:
            stats["errors"] += report.errors
            stats["type_warnings"] += report.type_warnings
            outcome.condition_errors += report.errors
            outcome.type_warnings += report.type_warnings
            if report.messages:
                stats["last_error"] = report.messages[-1]
            # Counted now: the actions' values report into the same Report.
            report.type_warnings = report.errors = 0
            report.messages.clear()
        if truth is True:
            stats["matches"] += 1
        return truth

    def _cooling(self, work: WorkingSet, rule: CompiledRule, scope: Scope) -> bool:
        """True when a ``once per`` option holds the rule back for this event."""
        once = rule.once
        if once is None:
            return False
        owner = once_owner(once, scope)
        last = work.last_fired(rule.id, once.scope, owner, self.book.once_rules)
        if last is None:
            return False
        if once.every is None:
            return True
        elapsed = (scope.now - event_time(last)).total_seconds()
        return elapsed < once.every.seconds

    def _fire(
        self, work: WorkingSet, rule: CompiledRule, scope: Scope, outcome: Outcome
    ) -> Firing:
        firing = Firing(
            rule=rule,
            scope=scope,
            event=scope.event,
            profile=scope.profile,
            session=scope.session,
            work=work,
            outcome=outcome,
            renderer=self.renderer,
            journeys=self.journeys,
        )
        fired = Fired(rule.id)
        for action in rule.actions:
            fired.actions.append(run_action(firing, action))
        outcome.fired.append(fired)
        stats = work.stats[rule.id]
        stats["last_fired"] = latest(stats["last_fired"], scope.now.isoformat())
        if rule.once is not None:
            owner = once_owner(rule.once, scope)
            work.fired[(rule.id, rule.once.scope, owner)] = scope.now.isoformat()
        return firing

    def _journeys(self, work: WorkingSet, scope: Scope, outcome: Outcome) -> list[dict]:
        """Advance journeys; live segments again when that changed the profile.

        Segments are decided before journeys so that `enter when` sees this
        event's memberships; a step's actions, or entering or leaving a
        journey, can change what a segment reads, so they are decided again.
        """
        profile = scope.profile
        was = json.dumps(profile.get("journeys"), sort_keys=True, default=str)
        emitted = self.journeys.advance(self, work, scope, outcome)
        changed = scope.event["type"] == STEP_EVENT or was != json.dumps(
            scope.profile.get("journeys"), sort_keys=True, default=str
        )
        if changed:
            now = list(scope.profile.get("segments") or [])
            emitted.extend(self._segments(scope, outcome, now))
        return emitted

    def _segments(
        self, scope: Scope, outcome: Outcome, before: list[str]
    ) -> list[dict]:
        if not self.book.segments:
            return []
        segments = self.book.segments
        entered, left = refresh_segments(segments, scope, scope.profile, before)
        outcome.segments_entered.extend(entered)
        outcome.segments_left.extend(left)
        changes = [("segment-entered", name) for name in entered]
        changes += [("segment-left", name) for name in left]
        return [segment_event(kind, name, scope.event) for kind, name in changes]
