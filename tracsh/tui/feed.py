"""The console's live loop: the one place that runs engine-side work for the TUI.

The app starts a Feed in a thread worker and talks to it only through its
methods (which queue commands) and the messages it posts (tracsh/tui/messages.py).
An EngineFeed owns the writer connection on its own thread and runs
``Engine.process_batch`` over a replay file at a chosen speed, reloading rules
and retrying outbox rows between batches; a WatchFeed polls another process's
database read-only. When the daemon's runtime arrives, its collector, outbox
worker and scheduler plug in here, and nowhere else in the TUI.
"""

from __future__ import annotations

import abc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.message import Message

from tracsh.cli import project
from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.engine.summary import Summary
from tracsh.errors import UserError
from tracsh.inputs import Accepted, read_items
from tracsh.lang.loader import RuleSet, load_rules
from tracsh.store import Store
from tracsh.tui.messages import FeedEvents, FeedState, Notice, RulesLoaded, Seen

log = logging.getLogger(__name__)

TICK = 0.05
"""Seconds between two looks at the clock while pacing a replay."""

MOST_PER_BATCH = 500
"""The most events one transaction takes, so the console hears often."""

RETRYABLE = ("failed", "dead")
"""Outbox statuses an operator may send again."""


class NotAvailable(UserError):
    """Something the console was asked for that this build cannot do yet."""


@dataclass
class FeedPlan:
    """What ``tracsh tui`` was asked to run, resolved against tracsh.toml."""

    db: Path
    """The database file."""
    rule_paths: list[Path]
    """Rule files and directories."""
    config: Any
    """The project's configuration (tracsh.config.Config)."""
    replay: Path | None = None
    """An event file to feed through the engine."""
    speed: float = 100.0
    """Replayed events per second; 0 feeds as fast as the engine goes."""
    input_format: str = "auto"
    """The replay file's format (as ``tracsh replay --format``)."""
    mapping: Path | None = None
    """A CSV column mapping for the replay file."""
    attach: bool = False
    """Watch the database read-only instead of running the engine."""
    listen: str | None = None
    """HOST:PORT for the collector (needs the daemon's runtime)."""
    rows: int = 1000
    """How many recent events a watch catches up with at start."""
    poll: float = 1.0
    """Seconds between two looks at the database when attached."""


Post = Callable[[Message], None]


@dataclass
class Feed(abc.ABC):
    """The base of the two feeds: a stop flag, a command queue and a poster."""

    plan: FeedPlan
    post: Post
    stopping: threading.Event = field(default_factory=threading.Event)
    commands: queue.Queue = field(default_factory=queue.Queue)
    counter: int = 0

    writable = False
    """Whether retry and reload can change anything."""
    runs_engine = False
    """Whether rules run in this process (so a saved rule file is reloaded)."""

    def stop(self) -> None:
        """Ask the loop to end; it does within one tick."""
        self.stopping.set()

    @abc.abstractmethod
    def run(self) -> None:
        """The worker thread's body; returns when stopped or done."""

    def reload(self) -> None:
        """Ask for the rules to be read again (only the engine feed runs them)."""
        self.post(Notice("rules saved; the process running them reloads them"))

    def retry(self, outbox_id: int) -> None:
        """Ask for an outbox row to be sent again."""
        raise NotAvailable(
            f"attached read-only: run `tracsh outbox retry {outbox_id}` against "
            "the database instead"
        )

    def forget(self, profile_id: str) -> None:
        """Ask for a profile to be forgotten."""
        raise NotAvailable(
            "forgetting a profile needs `tracsh profile forget`, which is not in "
            f"this build; {profile_id} was not changed"
        )

    def seen(self, event: dict, outcome: Any) -> Seen:
        """Number one event in arrival order."""
        self.counter += 1
        return Seen(self.counter, event, outcome)


class EngineFeed(Feed):
    """Runs the engine in this process: a replay file at a pace, and commands."""

    writable = True
    runs_engine = True

    def __init__(self, plan: FeedPlan, post: Post, ruleset: RuleSet) -> None:
        super().__init__(plan, post)
        self.ruleset = ruleset
        self.summary = Summary()
        self.engine: Engine | None = None
        self.store: Store | None = None

    def reload(self) -> None:
        """Reload the rules between two batches."""
        self.commands.put(("reload", None))

    def retry(self, outbox_id: int) -> None:
        """Queue the outbox row for sending again, between two batches."""
        self.commands.put(("retry", outbox_id))

    def run(self) -> None:
        """Open the writer, feed the replay at its pace, serve commands, close."""
        config = self.plan.config
        store = Store.open(self.plan.db, synchronous=config.store.synchronous)
        self.store = store
        try:
            book = build_rulebook(self.ruleset)
            self.engine = project.build_engine(store, book, config)
            self._loop()
        finally:
            store.close()

    def _loop(self) -> None:
        items = self._items()
        started, done, last_state = time.monotonic(), 0, 0.0
        while not self.stopping.is_set():
            self._serve_commands()
            if items is None:
                self.stopping.wait(TICK)
                continue
            due = self._due(started, done)
            if due <= 0:
                self.stopping.wait(TICK)
                continue
            taken = self._feed(items, due)
            done += taken
            if taken < due:
                items = None
                self._finished()
            elif time.monotonic() - last_state > 0.5:
                last_state = time.monotonic()
                self.post(FeedState(self._progress()))

    def _items(self) -> Iterator[Any] | None:
        if self.plan.replay is None:
            self.post(FeedState("engine ready; nothing to replay", running=True))
            return None
        return iter(
            read_items(self.plan.replay, self.plan.input_format, self.plan.mapping)
        )

    def _due(self, started: float, done: int) -> int:
        """How many records the pace allows now."""
        if self.plan.speed <= 0:
            return MOST_PER_BATCH
        allowed = int((time.monotonic() - started) * self.plan.speed) - done
        return min(allowed, MOST_PER_BATCH)

    def _feed(self, items: Iterator[Any], due: int) -> int:
        """Read up to ``due`` records and run their events in one transaction."""
        batch: list[dict] = []
        rejects = []
        for item in items:
            if isinstance(item, Accepted):
                batch.append(item.event)
            else:
                rejects.append(item)
            if len(batch) + len(rejects) >= due:
                break
        store, engine = self.store, self.engine
        source = str(self.plan.replay)
        with store.transaction():
            for item in rejects:
                store.add_reject(source, item.line, item.reason, item.raw)
                self.summary.reject(source, item.line, item.reason)
            outcomes = engine.process_batch(batch) if batch else []
        for outcome in outcomes:
            self.summary.add(outcome)
        seen = [self.seen(e, o) for e, o in zip(batch, outcomes, strict=True)]
        self.post(FeedEvents(seen, rejected=len(rejects)))
        return len(batch) + len(rejects)

    def _progress(self) -> str:
        pace = (
            "as fast as it goes"
            if self.plan.speed <= 0
            else (f"at {self.plan.speed:g} events/s")
        )
        return (
            f"replaying {self.plan.replay}: {self.summary.accepted:,} events, "
            f"{self.summary.rejected:,} rejected, {pace}"
        )

    def _finished(self) -> None:
        self.summary.finish()
        self.post(
            FeedState(
                f"replay finished: {self.summary.accepted:,} events, "
                f"{self.summary.duplicates:,} already stored, "
                f"{self.summary.rejected:,} rejected"
            )
        )

    # Commands, run on this thread between batches.

    def _serve_commands(self) -> None:
        while True:
            try:
                name, argument = self.commands.get_nowait()
            except queue.Empty:
                return
            getattr(self, f"_do_{name}")(argument)

    def _do_reload(self, _: Any) -> None:
        ruleset = load_rules(self.plan.rule_paths)
        if not ruleset.ok:
            errors = len(ruleset.errors)
            text = f"rules not reloaded: {errors} error(s); the old rules still run"
            self.post(RulesLoaded(ruleset, False, text))
            return
        self.engine.book = build_rulebook(ruleset)
        self.ruleset = ruleset
        text = f"rules reloaded: {len(ruleset.rules)} rules ({ruleset.revision})"
        log.info(text)
        self.post(RulesLoaded(ruleset, True, text))

    def _do_retry(self, outbox_id: int) -> None:
        # Not yet the delivery worker's own retry: this puts the row back in the
        # queue as due now, which that worker will pick up once it runs here.
        store = self.store
        row = store.get_outbox(outbox_id)
        if row is None or row["status"] not in RETRYABLE:
            status = "gone" if row is None else row["status"]
            self.post(Notice(f"outbox {outbox_id} is {status}; not retried", "warning"))
            return
        now = datetime.now(UTC).isoformat()
        with store.transaction():
            store.update_outbox(
                outbox_id,
                {"status": "pending", "next_attempt": now, "attempts": 0},
            )
        self.post(Notice(f"outbox {outbox_id} is pending again"))


class WatchFeed(Feed):
    """Watches another process's database read-only, polling for new events."""

    def run(self) -> None:
        """Catch up with the newest events, then look again every ``poll``."""
        store = Store.open(self.plan.db, readonly=True)
        try:
            last = max(store.last_seq() - self.plan.rows, 0)
            self.post(FeedState(f"attached to {self.plan.db} (read-only)"))
            while not self.stopping.is_set():
                last = self._poll(store, last)
                self.stopping.wait(self.plan.poll)
        finally:
            store.close()

    def _poll(self, store: Store, last: int) -> int:
        newest = store.last_seq()
        if newest - last > self.plan.rows:
            last = newest - self.plan.rows
        events = []
        for event in store.iter_events(after_seq=last):
            if event["seq"] > newest:
                break
            events.append(event)
        if events:
            self.post(FeedEvents([self.seen(e, None) for e in events]))
        return max(last, newest)


def refuse_unavailable(plan: FeedPlan) -> None:
    """Raise NotAvailable for what ``plan`` asks that this build cannot run."""
    if plan.listen is not None:
        raise NotAvailable(
            f"--listen {plan.listen}: the collector comes with `tracsh daemon`, "
            "which is not in this build; use --replay FILE, or --attach to watch "
            "a database"
        )


def make_feed(plan: FeedPlan, post: Post, ruleset: RuleSet) -> Feed:
    """The feed ``plan`` asks for; NotAvailable for what this build cannot do."""
    refuse_unavailable(plan)
    if plan.attach:
        return WatchFeed(plan, post)
    return EngineFeed(plan, post, ruleset)
