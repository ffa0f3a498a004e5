"""Firing timers: at a given time, process every internal event due by then.

``Scheduler.run_due(now)`` is the plain component any loop can call: it fires
each due timer through the engine as an internal event, in the order they fall
due, one transaction per batch, with the timer's deletion in the same
transaction as the event's effects, so a restart neither loses nor repeats a
step. ``SchedulerTask`` calls it periodically with the wall clock, for the
daemon and the console. Under replay (the event clock) the engine itself fires
timers before each event that comes at or after their time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tracsh.engine.outcome import Outcome
from tracsh.engine.working import WorkingSet

log = logging.getLogger(__name__)

BATCH = 500
"""Timers fired per transaction by run_due."""


class Scheduler:
    """Fires due timers through an Engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def fire_due(
        self, work: WorkingSet, until: datetime, limit: int | None = None
    ) -> list[Outcome]:
        """Process, in ``work``, every timer due at or before ``until``.

        Timers that the fired events set and that fall due by ``until`` fire
        too. Without ``limit`` it runs until none is due.
        """
        outcomes: list[Outcome] = []
        store = self.engine.store
        while limit is None or len(outcomes) < limit:
            row = work.timers.next_due(store, until)
            if row is None:
                break
            work.timers.done(row["key"])
            if work.resolve(row["event"]["profile"]["id"]) is None:
                # Forgetting a profile deletes its timers; this is a safety net.
                log.warning("timer %s: its profile is gone; dropped", row["key"])
                continue
            outcomes.append(self.engine.process_internal(work, row["event"]))
        return outcomes

    def run_due(self, now: datetime, batch: int = BATCH) -> list[Outcome]:
        """Fire every timer due at or before ``now``, committing every ``batch``."""
        outcomes: list[Outcome] = []
        while True:
            work = WorkingSet(self.engine.store)
            fired = self.fire_due(work, now, limit=batch)
            with self.engine.store.transaction():
                work.flush()
            outcomes.extend(fired)
            if len(fired) < batch:
                return outcomes


def wall_now() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


class SchedulerTask:
    """Runs a Scheduler every ``interval`` seconds until told to stop.

    ``submit`` runs a call where the store may be written: the daemon passes
    its writer, so timers and incoming events share one writing thread.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        interval: float = 1.0,
        clock: Callable[[], datetime] = wall_now,
        submit: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.interval = interval
        self.clock = clock
        self.submit = submit

    async def tick(self) -> list[Outcome]:
        """Fire what is due now, once."""
        if self.submit is None:
            return self.scheduler.run_due(self.clock())
        return await self.submit(self.scheduler.run_due, self.clock())

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; a failing tick is logged, not fatal."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # one bad timer must not stop the others for good
                log.exception("firing timers failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass
