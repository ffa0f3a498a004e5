"""The console's live loop: the one place the TUI meets engine-side work.

The app starts a Feed in a thread worker and talks to it only through its
methods (which send commands) and the messages it posts
(tracsh/tui/messages.py). An EngineFeed runs the engine in a process of its
own (tracsh/runtime/liveloop.py, started by tracsh/tui/process.py): the
replay, the collector, the outbox worker, the scheduler and hot reload all run
there, so the console's screen has this process's lock to itself, and the
feed's thread turns the reports it reads into messages. A WatchFeed polls
another process's database read-only.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message

from tracsh.errors import UserError
from tracsh.lang.loader import load_rules
from tracsh.runtime.wire import LoopPlan, outcome_from_wire
from tracsh.store import Store
from tracsh.tui.messages import (
    FeedError,
    FeedEvents,
    FeedState,
    ForgetPreview,
    Forgotten,
    Listening,
    LogLine,
    Notice,
    RulesLoaded,
    Seen,
)
from tracsh.tui.process import EngineProcess

log = logging.getLogger(__name__)

LAST_WORDS = 8
"""Lines of a dead engine process's stderr shown in the error panel."""


class NotAvailable(UserError):
    """Something the console was asked for that it cannot do here (attached)."""


@dataclass
class FeedPlan:
    """What ``tracsh tui`` was asked to run, resolved against tracsh.toml."""

    db: Path
    """The database file."""
    rule_paths: list[Path]
    """Rule files and directories."""
    config: Any
    """The project's configuration (tracsh.config.Config); the engine process
    reads the same file (``config.path``) again."""
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
    """HOST:PORT for the HTTP collector."""
    rows: int = 1000
    """How many recent events the console keeps (and a watch catches up with)."""
    poll: float = 1.0
    """Seconds between two looks at the database when attached."""


Post = Callable[[Message], None]


@dataclass
class Feed(abc.ABC):
    """The base of the two feeds: a stop flag, a counter and a poster."""

    plan: FeedPlan
    post: Post
    stopping: threading.Event = field(default_factory=threading.Event)
    counter: int = 0
    figures: dict[str, Any] = field(default_factory=dict)
    """The engine's latest counters (queue, explained…), when it reports any."""

    writable = False
    """Whether retry, forget and reload can change anything."""

    def stop(self) -> None:
        """Ask the loop to end; :meth:`close` waits for it."""
        self.stopping.set()

    def close(self) -> None:
        """Stop and wait until the loop has let go of everything it holds."""
        self.stop()

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

    def preview_forget(self, profile_id: str) -> None:
        """Ask what forgetting a profile would delete (a ForgetPreview answers)."""
        self.forget(profile_id)

    def forget(self, profile_id: str) -> None:
        """Ask for a profile to be forgotten."""
        raise NotAvailable(
            f"attached read-only: run `tracsh profile forget {profile_id}` against "
            "the database instead"
        )

    def seen(self, event: dict, outcome: Any) -> Seen:
        """Number one event in arrival order."""
        self.counter += 1
        return Seen(self.counter, event, outcome)


def loop_plan(plan: FeedPlan) -> LoopPlan:
    """What the engine process runs, from the console's plan."""
    config_path = getattr(plan.config, "path", None)
    return LoopPlan(
        db=str(plan.db),
        rules=[str(path) for path in plan.rule_paths],
        config=str(config_path) if config_path else None,
        replay=str(plan.replay) if plan.replay else None,
        speed=plan.speed,
        format=plan.input_format,
        mapping=str(plan.mapping) if plan.mapping else None,
        listen=plan.listen,
        rows=plan.rows,
    )


class EngineFeed(Feed):
    """Runs the engine in a process of its own and posts what it reports."""

    writable = True

    def __init__(self, plan: FeedPlan, post: Post) -> None:
        super().__init__(plan, post)
        self.process: EngineProcess | None = None
        """The engine process, once started."""
        self._lock = threading.Lock()
        self._failed = False

    def run(self) -> None:
        """Start the engine process, post its reports until it exits."""
        with self._lock:
            if self.stopping.is_set():
                return
            self.process = EngineProcess(loop_plan(self.plan), self._stderr_line)
        for report in self.process.reports():
            self._take(report)
        if self.process.stopping:
            return
        ended = self.process.ended()
        if not self._failed or self.process.process.returncode != 1:
            tail = list(self.process.stderr_tail)
            last = "\n".join(tail[-LAST_WORDS:]) or "it wrote nothing on stderr"
            self.post(
                FeedError(
                    f"the engine process ended unexpectedly ({ended})",
                    last,
                    "\n".join(tail),
                )
            )
        self.post(FeedState(f"engine stopped ({ended})", running=False))

    def stop(self) -> None:
        """Ask the engine process to commit what it took and exit."""
        with self._lock:
            self.stopping.set()
            if self.process is not None:
                self.process.stop()

    def close(self) -> None:
        """Stop the engine process and wait for it (ending it if it lingers)."""
        self.stop()
        if self.process is not None:
            self.process.wait()

    def reload(self) -> None:
        """Have the engine process load the rules again (its watcher does too)."""
        self._send("reload")

    def retry(self, outbox_id: int) -> None:
        """Have delivery's retry make the row due, and the worker send it."""
        self._send("retry", id=outbox_id)

    def preview_forget(self, profile_id: str) -> None:
        """Have the store count what forgetting would delete (ForgetPreview)."""
        self._send("preview", profile=profile_id)

    def forget(self, profile_id: str) -> None:
        """Have the store forget the profile; a Forgotten message has the counts."""
        self._send("forget", profile=profile_id)

    def _send(self, name: str, **arguments: Any) -> None:
        if self.process is None or not self.process.send(name, **arguments):
            raise NotAvailable("the engine process is not running; nothing was sent")

    # Reports into messages, on the feed's thread.

    def _take(self, report: dict[str, Any]) -> None:
        if "figures" in report:
            self.figures = report["figures"]
        if any(key in report for key in ("events", "omitted", "rejected", "moves")):
            self.post(self._events(report))
        if "rules" in report:
            self.post(self._rules(report["rules"]))
        for notice in report.get("notices", ()):
            self.post(Notice(notice["text"], notice.get("severity", "information")))
        for entry in report.get("previews", ()):
            self.post(ForgetPreview(entry["profile"], entry["counts"]))
        for entry in report.get("forgotten", ()):
            self.post(Forgotten(entry["profile"], entry["counts"]))
        for line in report.get("logs", ()):
            self.post(LogLine(line["text"], line["level"]))
        if "listening" in report:
            self.post(Listening(report["listening"]))
        for error in report.get("errors", ()):
            self._failed = True
            self.post(FeedError(error["summary"], error["where"], error["traceback"]))
        if "state" in report:
            state = report["state"]
            self.post(FeedState(state["text"], state.get("running", True)))

    def _events(self, report: dict[str, Any]) -> FeedEvents:
        self.counter += report.get("omitted", 0)
        seen = [
            self.seen(item["event"], outcome_from_wire(item["outcome"]))
            for item in report.get("events", ())
        ]
        moves: Counter = Counter()
        for name, entered, left in report.get("moves", ()):
            moves[(name, "entered")] += entered
            moves[(name, "left")] += left
        return FeedEvents(
            seen,
            rejected=report.get("rejected", 0),
            omitted=report.get("omitted", 0),
            moves=moves,
        )

    def _rules(self, rules: dict[str, Any]) -> RulesLoaded:
        """The rules as the engine process now runs them, read here too so the
        screens show their source."""
        if not rules["applied"]:
            return RulesLoaded(None, False, rules["text"])
        return RulesLoaded(load_rules(self.plan.rule_paths), True, rules["text"])

    def _stderr_line(self, line: str) -> None:
        self.post(LogLine(f"engine process: {line}", logging.WARNING))


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


def make_feed(plan: FeedPlan, post: Post) -> Feed:
    """The feed ``plan`` asks for: watching a database, or running the engine."""
    if plan.attach:
        return WatchFeed(plan, post)
    return EngineFeed(plan, post)
