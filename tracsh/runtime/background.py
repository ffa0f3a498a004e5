"""The runtime's standing background work: journey timers and the outbox worker.

The daemon and the console both run the engine live; both add these tasks to
their Runtime after ``start()``. Timers fire on the writer (the thread that owns
the store), between batches, with the wall clock. The outbox worker keeps a
connection and thread of its own, is woken after every batch that queued
deliveries, and hands HTTP enrichers' answers back to the processor so they go
through the same engine as every other event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tracsh.config import Config
from tracsh.delivery.worker import OutboxWorker
from tracsh.engine.outcome import Outcome
from tracsh.engine.scheduler import SchedulerTask
from tracsh.runtime.processor import BatchReport
from tracsh.runtime.runtime import Runtime

log = logging.getLogger(__name__)


def add_scheduler(
    runtime: Runtime,
    interval: float = 1.0,
    fired: Callable[[list[Outcome]], None] | None = None,
) -> SchedulerTask:
    """Fire due journey steps and scheduled events every ``interval`` seconds.

    ``fired`` is told the outcomes of the timers each tick fired, once they are
    committed (the console shows them; the daemon passes nothing).
    """
    assert runtime.processor is not None, "start the runtime first"
    engine = runtime.processor.engine
    submit = runtime.writer.call
    if fired is not None:

        async def submit(call, *args):
            outcomes = await runtime.writer.call(call, *args)
            if outcomes:
                fired(outcomes)
            return outcomes

    task = SchedulerTask(engine.scheduler, interval=interval, submit=submit)
    runtime.add_task(task)
    return task


def add_outbox_worker(runtime: Runtime, config: Config) -> OutboxWorker:
    """Deliver the outbox while the runtime runs; wake it after each batch."""
    assert runtime.processor is not None, "start the runtime first"
    processor = runtime.processor

    async def apply(event: dict) -> None:
        # An HTTP enricher's answer changes a profile: the processor applies it.
        await (await processor.put([event], origin="enricher"))

    worker = OutboxWorker(runtime.settings.db, config, apply=apply)
    runtime.add_task(worker)
    runtime.add_task(OutboxWaker(runtime, worker))
    return worker


class OutboxWaker:
    """Wakes the outbox worker after every batch that queued a delivery."""

    def __init__(self, runtime: Runtime, worker: OutboxWorker) -> None:
        assert runtime.processor is not None
        self.processor = runtime.processor
        self.worker = worker

    async def run(self, stop: asyncio.Event) -> None:
        """Listen to committed batches until ``stop``; wake the worker on outbox rows.

        A listener, not a Subscription: it runs as each batch settles, without
        a task and a queue hand-off per batch on the collector's loop.
        """
        self.processor.listen(self.on_batch)
        try:
            await stop.wait()
        finally:
            self.processor.unlisten(self.on_batch)

    def on_batch(self, report: BatchReport) -> None:
        """Wake the worker when an outcome of the batch queued a delivery."""
        if any(_queued(outcome) for outcome in report.outcomes):
            self.worker.wake()


def _queued(outcome) -> bool:
    """Whether an outcome (or an internal event it caused) queued a delivery."""
    return bool(outcome.outbox) or any(_queued(child) for child in outcome.internal)
