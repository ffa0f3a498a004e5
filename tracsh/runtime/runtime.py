"""The runtime: one asyncio loop running the collector, the processor and the rest.

``tracsh daemon`` and ``tracsh ingest`` run it from the command line; the
operator console runs it in its own loop as a library. It owns the lifecycle:
start (rules loaded and compiled, store opened on the writer thread, socket
bound), run, and the drain on stop (SIGTERM or SIGINT, or the caller's stop
event): stop accepting, let requests in flight and queued events commit, stop
the background tasks, close the store.

Inputs (the HTTP server, a feed of lines) hand events to the processor; the
processor drains after every input has ended. Background tasks (the rule
watcher, the outbox worker, the scheduler) are objects with
``async def run(self, stop: asyncio.Event) -> None``, registered with
:meth:`Runtime.add_task`; they stop when ``stop`` is set, and may use the store
through :meth:`Runtime.with_store`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tracsh.config import SourceConfig
from tracsh.engine.pipeline import Engine, EngineSettings, wall_clock
from tracsh.runtime.checkpoint import Checkpointer
from tracsh.runtime.health import Health
from tracsh.runtime.metrics import Metrics
from tracsh.runtime.processor import MAX_BATCH, QUEUE_EVENTS, EventProcessor, Writer
from tracsh.runtime.reload import DEBOUNCE_MS, RuleWatcher
from tracsh.runtime.rulesource import LoadedRules, RuleSource
from tracsh.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

TASK_GRACE = 10.0
"""Seconds background tasks get to return once stopped, before they are cancelled."""


class BackgroundTask(Protocol):
    """Anything the runtime runs beside the processor until it stops."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then return promptly."""


@dataclass
class RuntimeSettings:
    """What a runtime runs: where the store and rules are, and how to serve."""

    db: Path
    rules: RuleSource
    synchronous: str = "normal"
    session_timeout: float = 30 * 60
    clock: Callable[[dict], datetime] = wall_clock
    """What ``now`` is for the rules: the wall clock, or each event's own time."""
    listen: tuple[str, int] | None = None
    """Where the HTTP collector listens; None runs no collector."""
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)
    queue_events: int = QUEUE_EVENTS
    max_batch: int = MAX_BATCH
    reload: bool = True
    """Watch the rules and templates and reload them when they change."""
    reload_debounce_ms: int = DEBOUNCE_MS
    batches_on_loop: bool = False
    """Run batches on the event loop's thread rather than a writer thread of
    their own: less CPU per event, but the loop waits for each batch. The
    daemon and ``tracsh ingest`` say yes; a console, whose screen must not
    wait, keeps the default."""


class Runtime:
    """Runs the processor, the collector, inputs and background tasks in one loop."""

    def __init__(self, settings: RuntimeSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.health = Health()
        self.writer = Writer(inline=settings.batches_on_loop)
        self.store: Store | None = None
        self.processor: EventProcessor | None = None
        """The event processor; subscribe to it for each batch's outcomes."""
        self.address: tuple[str, int] | None = None
        """Where the collector listens, once started (the real port for port 0)."""
        self._inputs: list[BackgroundTask] = []
        self._tasks: list[BackgroundTask] = []
        self._server: Any = None
        self._socket: Any = None
        self._signals: list[int] = []

    def add_task(self, task: BackgroundTask) -> None:
        """Run ``task`` beside the processor until the runtime stops."""
        self._tasks.append(task)

    @property
    def tasks(self) -> tuple[BackgroundTask, ...]:
        """The background tasks registered so far."""
        return tuple(self._tasks)

    def add_input(self, task: BackgroundTask) -> None:
        """Run ``task`` as an input: queued events drain after inputs end."""
        self._inputs.append(task)

    async def with_store(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` on the writer thread, between two batches."""
        assert self.processor is not None, "start the runtime first"
        return await self.processor.with_store(fn)

    # Starting.

    async def start(self) -> None:
        """Load the rules, open the store, bind the collector's socket.

        Raises a UserError (rules with errors, a bad store, a port in use) and
        leaves nothing open when it does.
        """
        settings = self.settings
        loaded = await asyncio.to_thread(settings.rules.load)
        self.store = await self.writer.call(
            lambda: Store.open(settings.db, synchronous=settings.synchronous)
        )
        try:
            await self._checkpoint_aside()
            self.processor = self._processor(loaded)
            if settings.listen is not None:
                self._collector(*settings.listen)
        except BaseException:
            await self.close()
            raise
        self._in_force(loaded)
        if settings.reload:
            self.add_task(self._watcher())
        log.info(
            "started",
            extra={
                "db": str(settings.db),
                "revision": loaded.revision.as_dict(),
                "listen": _address_text(self.address),
            },
        )
        for warning in loaded.warnings:
            log.warning("rules: %s", warning)

    async def _checkpoint_aside(self) -> None:
        """Move WAL checkpoints from the writer's commits to a background task."""
        if str(self.settings.db) == ":memory:":
            return
        await self.writer.call(self.store.conn.execute, "PRAGMA wal_autocheckpoint = 0")
        self.add_task(Checkpointer(Path(self.settings.db)))

    def _processor(self, loaded: LoadedRules) -> EventProcessor:
        settings = self.settings
        engine_settings = EngineSettings(
            session_timeout=settings.session_timeout, clock=settings.clock
        )
        engine = Engine(self.store, loaded.book, engine_settings, loaded.renderer)
        return EventProcessor(
            engine,
            self.writer,
            self.metrics,
            capacity=settings.queue_events,
            max_batch=settings.max_batch,
        )

    def _collector(self, host: str, port: int) -> None:
        """Build the collector app and bind its socket (uvicorn starts in run)."""
        from tracsh.collector.app import Traffic, build_app
        from tracsh.collector.routes import Collector
        from tracsh.collector.sources import build_gate
        from tracsh.runtime.server import bind, make_server

        assert self.processor is not None
        gate = build_gate(self.settings.sources)
        traffic = Traffic()
        collector = Collector(self.processor, gate, self.metrics, self.health)
        app = build_app(collector, traffic)
        self._socket = bind(host, port)
        self.address = self._socket.getsockname()[:2]
        self._server = make_server(app, self._socket, traffic)

    def _watcher(self) -> RuleWatcher:
        return RuleWatcher(
            self.settings.rules,
            self._in_force,
            self.health,
            self.metrics,
            debounce_ms=self.settings.reload_debounce_ms,
        )

    def _in_force(self, loaded: LoadedRules) -> None:
        """Make ``loaded`` the rule set of the next batch, and say so."""
        assert self.processor is not None
        self.processor.use(loaded.book, loaded.renderer)
        self.health.revision = loaded.revision
        revision = loaded.revision
        self.metrics.replace(
            "tracsh_ruleset_info",
            1,
            revision=revision.content,
            commit=revision.commit or "",
        )

    # Running and stopping.

    async def run(
        self, stop: asyncio.Event | None = None, *, handle_signals: bool = False
    ) -> None:
        """Run until ``stop`` is set (or a signal, or every input has ended).

        Then drain and close. ``handle_signals`` makes SIGTERM and SIGINT set
        ``stop``; leave it off when the caller owns the signals.
        """
        if self.processor is None:
            await self.start()
        stop = stop or asyncio.Event()
        if handle_signals:
            self._catch_signals(stop)
        try:
            await self._serve(stop)
        finally:
            self._release_signals()
            await self.close()

    async def _serve(self, stop: asyncio.Event) -> None:
        assert self.processor is not None
        inputs_done = asyncio.Event()
        processing = asyncio.create_task(self.processor.run(inputs_done))
        inputs = [asyncio.create_task(task.run(stop)) for task in self._inputs]
        if self._server is not None:
            inputs.append(asyncio.create_task(self._server.serve([self._socket])))
        background = [asyncio.create_task(task.run(stop)) for task in self._tasks]
        self.health.status = "ready"

        await _until(stop, inputs, processing, endless=self._server is not None)
        self.health.status = "stopping"
        queued = self.processor.queued
        log.info("stopping: draining", extra={"queued_events": queued})
        if self._server is not None:
            self._server.should_exit = True
        failures = await _finish(inputs)
        inputs_done.set()
        failures += await _finish([processing])
        stop.set()
        failures += await _finish(background, TASK_GRACE)
        log.info("stopped", extra={"events": self._processed()})
        if failures:
            raise failures[0]

    def _processed(self) -> int:
        return int(self.metrics.value("tracsh_events_processed_total"))

    def _catch_signals(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self._on_signal, number, stop)
            self._signals.append(number)

    def _on_signal(self, number: int, stop: asyncio.Event) -> None:
        name = signal.Signals(number).name
        if stop.is_set():
            log.warning("%s again: not waiting for requests in flight", name)
            if self._server is not None:
                self._server.force_exit = True
            return
        log.info("%s: stopping", name)
        stop.set()

    def _release_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for number in self._signals:
            loop.remove_signal_handler(number)
        self._signals.clear()

    async def close(self) -> None:
        """Close the store, the writer thread and the socket (``run`` ends so)."""
        if self.store is not None:
            await self.writer.call(self.store.close)
            self.store = None
        self.writer.close()
        if self._socket is not None:
            self._socket.close()


async def _until(
    stop: asyncio.Event,
    inputs: list[asyncio.Task],
    processing: asyncio.Task,
    *,
    endless: bool,
) -> None:
    """Wait for ``stop``, the processor's end, or (without a server) the inputs'."""
    watched = {asyncio.create_task(stop.wait()), processing}
    if not endless:
        watched.add(asyncio.create_task(asyncio.wait(inputs) if inputs else _idle()))
    _, pending = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        if task is not processing:
            task.cancel()


async def _idle() -> None:
    return None


async def unless_stopped(
    work: Callable[[], Awaitable[T]], stop: asyncio.Event
) -> T | None:
    """What ``work()`` gives, or None when ``stop`` is set first (work is cancelled).

    For tasks that wait on something besides ``stop``: the next chunk or line.
    """
    if stop.is_set():
        return None
    working = asyncio.ensure_future(work())
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait(
        {working, stopping}, return_when=asyncio.FIRST_COMPLETED
    )
    if working in done:
        stopping.cancel()
        return working.result()
    working.cancel()
    return None


async def _finish(tasks: list[asyncio.Task], grace: float | None = None) -> list:
    """Await ``tasks`` (cancelling them after ``grace`` seconds); their errors."""
    if not tasks:
        return []
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        log.warning("a task did not stop in time; cancelling it")
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    errors = []
    for task in tasks:
        if task.cancelled():
            continue
        error = task.exception()
        if error is not None:
            log.error("a task failed", exc_info=error)
            errors.append(error)
    return errors


def _address_text(address: tuple[str, int] | None) -> str | None:
    if address is None:
        return None
    host, port = address
    return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
