"""What the console's engine process tells the console, a few lines a second.

The Reporter subscribes to the event processor, turns each committed batch
into events with their outcomes (tracsh/runtime/wire.py) and keeps them, with
states, notices, log records and reloads, until its next flush: every FLUSH
seconds, one line, and nothing when nothing happened. So the console wakes up
a few times a second however fast events come. A line carries at most
``rows`` events, the newest, since the console keeps no more; it says how
many it left out, and counts every event's segment moves.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Protocol

from tracsh.engine.outcome import Outcome
from tracsh.runtime.health import Health
from tracsh.runtime.processor import EventProcessor, Subscription
from tracsh.runtime.wire import ExplainOf, encode, outcome_to_wire

log = logging.getLogger(__name__)

FLUSH = 0.15
"""Seconds between two reports: the console is woken at most this often."""

MOST_LOGS = 200
"""Log records one report carries; older ones of the same interval are counted."""

BACKLOG = 4 << 20
"""Bytes the console may leave unread before events are left out of reports."""


class Outlet(Protocol):
    """Where report lines go: the pipe to the console."""

    def write(self, data: bytes) -> None:
        """Queue ``data`` for the console."""

    def backlog(self) -> int:
        """Bytes written and not yet taken by the console."""


class Reporter:
    """Gathers what happened and writes it as one line per FLUSH."""

    def __init__(self, outlet: Outlet, rows: int, flush: float = FLUSH) -> None:
        self.outlet = outlet
        self.flush_every = flush
        self.subscription: Subscription | None = None
        self.processor: EventProcessor | None = None
        self.health: Health | None = None
        self.explain_of: ExplainOf | None = None
        self.figures: Callable[[], dict[str, Any]] = dict
        """Counters to send with each report."""
        self._events: deque[tuple[dict | None, Outcome]] = deque(maxlen=max(rows, 1))
        self._omitted = 0
        self._rejected = 0
        self._moves: Counter = Counter()
        self._items: dict[str, Any] = {}
        self._logs: deque[dict] = deque(maxlen=MOST_LOGS)
        self._revision: str | None = None
        self._reload_error: str | None = None

    def attach(
        self, processor: EventProcessor, health: Health, explain_of: ExplainOf
    ) -> None:
        """Report every batch ``processor`` commits, and reloads ``health`` shows."""
        self.processor = processor
        self.health = health
        self.explain_of = explain_of
        self.subscription = processor.subscribe(maxsize=1024)
        self._revision = health.revision.content if health.revision else None

    # What the engine process has to say.

    def add(self, outcomes: list[Outcome], events: list[dict] | None = None) -> None:
        """Events and their outcomes (timers' outcomes come without events)."""
        events = events if events is not None else [None] * len(outcomes)
        for event, outcome in zip(events, outcomes, strict=True):
            self._count_moves(outcome)
            if len(self._events) == self._events.maxlen:
                self._omitted += 1
                self._drop_explains(self._events[0][1])
            self._events.append((event, outcome))

    def _count_moves(self, outcome: Outcome) -> None:
        for name in outcome.segments_entered:
            self._moves[(name, 0)] += 1
        for name in outcome.segments_left:
            self._moves[(name, 1)] += 1
        for child in outcome.internal:
            self._count_moves(child)

    def _drop_explains(self, outcome: Outcome) -> None:
        """Let go of the traces of an event no report will carry."""
        for fired in outcome.fired:
            self.explain_of(outcome.event_id, fired.rule_id)
        for child in outcome.internal:
            self._drop_explains(child)

    def state(self, text: str, running: bool = True) -> None:
        """What the loop is doing now (replaces the previous state)."""
        self._collect()
        self._items["state"] = {"text": text, "running": running}

    def notice(self, text: str, severity: str = "information") -> None:
        """An answer to a command, for the operator."""
        self._collect()
        self._items.setdefault("notices", []).append(
            {"text": text, "severity": severity}
        )

    def forgotten(self, profile_id: str, counts: dict | None) -> None:
        """A profile was forgotten on command (``counts`` None: it was unknown)."""
        entry = {"profile": profile_id, "counts": counts}
        self._items.setdefault("forgotten", []).append(entry)

    def preview(self, profile_id: str, counts: dict | None) -> None:
        """What forgetting a profile would delete (``counts`` None: unknown)."""
        entry = {"profile": profile_id, "counts": counts}
        self._items.setdefault("previews", []).append(entry)

    def rules(self, applied: bool, text: str) -> None:
        """A reload was applied, or refused with ``text`` saying why."""
        revision = self.health.revision.content if self.health.revision else None
        self._items["rules"] = {"applied": applied, "text": text, "revision": revision}

    def listening(self, url: str) -> None:
        """The collector listens at ``url``."""
        self._items["listening"] = url

    def error(self, summary: str, where: str, traceback: str, user: bool) -> None:
        """Something failed: the replay, or the loop itself (the process then ends).

        ``user`` says it is a mistake a person can fix (a file that cannot be
        read, a port in use), shown without its traceback."""
        self._collect()
        self._items.setdefault("errors", []).append(
            {"summary": summary, "where": where, "traceback": traceback, "user": user}
        )

    def log(self, level: int, text: str) -> None:
        """One log record of the engine process (from any thread)."""
        self._logs.append({"level": level, "text": text})

    # Flushing.

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every FLUSH seconds until ``stop``.

        What the drain after ``stop`` commits is in the subscription still: the
        engine process flushes once more when the runtime has ended.
        """
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.flush_every)
            except TimeoutError:
                pass
            self.flush()

    def _collect(self) -> None:
        """Take the batch reports the processor has published so far."""
        if self.subscription is None:
            return
        queue = self.subscription.queue
        while not queue.empty():
            report = queue.get_nowait()
            self._rejected += len(report.rejects)
            self.add(report.outcomes, report.events or None)

    def flush(self) -> None:
        """Write what gathered since the last flush as one line (if anything)."""
        self._collect()
        self._check_rules()
        message = self._message()
        if not message:
            return
        message["figures"] = self._figures()
        self.outlet.write(encode(message))

    def _message(self) -> dict[str, Any]:
        message, self._items = self._items, {}
        events, self._events = self._events, deque(maxlen=self._events.maxlen)
        if self.outlet.backlog() > BACKLOG:
            # The console is not reading: leave events out rather than pile them.
            self._omitted += len(events)
            for _, outcome in events:
                self._drop_explains(outcome)
            events = deque()
        if events:
            message["events"] = [self._wire(e, o) for e, o in events]
        for key, value in (
            ("omitted", self._omitted),
            ("rejected", self._rejected),
            ("moves", [[n, self._moves[(n, 0)], self._moves[(n, 1)]]
                       for n in sorted({n for n, _ in self._moves})]),
            ("logs", self._take_logs()),
        ):  # fmt: skip
            if value:
                message[key] = value
        self._omitted = self._rejected = 0
        self._moves.clear()
        return message

    def _take_logs(self) -> list[dict]:
        """The records logged so far; other threads may log meanwhile."""
        taken = []
        while self._logs:
            taken.append(self._logs.popleft())
        return taken

    def _wire(self, event: dict | None, outcome: Outcome) -> dict:
        if event is None:
            event = {
                "id": outcome.event_id,
                "type": outcome.event_type,
                "profile": {"id": outcome.profile_id},
                "session": {"id": outcome.session_id},
            }
        return {"event": event, "outcome": outcome_to_wire(outcome, self.explain_of)}

    def _figures(self) -> dict[str, Any]:
        figures = dict(self.figures())
        if self.processor is not None:
            figures["queued"] = self.processor.queued
            metrics = self.processor.metrics
            figures["processed"] = int(metrics.value("tracsh_events_processed_total"))
        if self.subscription is not None:
            figures["reports_dropped"] = self.subscription.dropped
        return figures

    def _check_rules(self, force: bool = False) -> None:
        """Report a reload the rule watcher applied or refused since last time."""
        health = self.health
        if health is None:
            return
        revision = health.revision.content if health.revision else None
        if revision != self._revision:
            self._revision = revision
            rules = health.revision.rules if health.revision else 0
            self.rules(True, f"rules reloaded: {rules} rules ({revision})")
            return
        error = health.last_reload_error
        if error is not None and (force or error != self._reload_error):
            first = error.split("\n", 1)[0].rstrip(":")
            self.rules(False, f"rules not reloaded: {first}; the old rules still run")
        self._reload_error = error

    def after_reload(self) -> None:
        """Say what an explicit reload did, even a refusal said before."""
        self._check_rules(force=True)
