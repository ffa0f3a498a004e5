"""The console's engine process: a Runtime as ``tracsh tui`` asks, reporting back.

``tracsh tui`` starts it as ``python -m tracsh.runtime.liveloop PLAN``, PLAN
being a LoopPlan as JSON (tracsh/runtime/wire.py). It is a module entry point,
not a command: people never run it, so it stays out of ``tracsh --help`` and
the command registry. In its own process the engine never competes with the
console's screen for Python's lock.

It runs what ``tracsh daemon`` runs (the processor, hot reload, the outbox
worker, the collector when PLAN says ``listen``), plus a paced replay of an
event file. Rules run on the events' own clock while it only replays (as
``tracsh replay``, timers firing before the first event at or after their
time) and on the wall clock otherwise, with the scheduler firing timers.
Every rule that fires is explained as it fires (tracsh/runtime/explains.py).

Commands arrive on stdin and reports leave on stdout, one JSON object a line;
anything else the process writes goes to stderr, which the console shows in
its log panel. It stops on the ``stop`` command, when stdin closes (the
console has gone, however it went), when stdout breaks, and on SIGTERM or
SIGINT, committing what it took first, as the daemon does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracsh.config import Config, load_config
from tracsh.delivery.worker import OutboxWorker
from tracsh.engine.pipeline import event_clock, wall_clock
from tracsh.errors import UserError, failed_at
from tracsh.runtime.background import add_outbox_worker, add_scheduler
from tracsh.runtime.explains import ExplainCapture
from tracsh.runtime.logs import extra_fields
from tracsh.runtime.reload import RuleWatcher
from tracsh.runtime.replay import PacedReplay
from tracsh.runtime.reports import Reporter
from tracsh.runtime.rulesource import RuleSource
from tracsh.runtime.runtime import Runtime, RuntimeSettings, unless_stopped
from tracsh.runtime.wire import LoopPlan, decode

log = logging.getLogger(__name__)

FOLLOW_SECONDS = 30.0
"""How long the result of a retried delivery is waited for, to report it."""

FOLLOW_EVERY = 0.5
"""Seconds between two looks at a retried row."""

CLOSE_SECONDS = 2.0
"""How long the last reports may take to reach the console at the end."""

WAITING = ("pending", "sending")
"""Outbox statuses of a row that has not been attempted to its end yet."""


def main(argv: list[str] | None = None) -> int:
    """Run the plan given as the one argument; 0 after a stop, 1 after a failure."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m tracsh.runtime.liveloop PLAN-JSON", file=sys.stderr)
        return 2
    plan = LoopPlan.from_json(argv[0])
    # Reports own the real stdout; a stray print goes to stderr instead.
    reports_fd = os.dup(1)
    os.dup2(2, 1)
    return asyncio.run(LiveLoop(plan).run(reports_fd))


class PipeOutlet(asyncio.Protocol):
    """The write end of the report pipe: non-blocking, with its backlog known."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.transport: asyncio.WriteTransport | None = None

    @classmethod
    async def open(cls, fd: int, stop: asyncio.Event) -> PipeOutlet:
        """An outlet writing to ``fd``; ``stop`` is set when the reader goes away."""
        loop = asyncio.get_running_loop()
        pipe = os.fdopen(fd, "wb", buffering=0)
        _, outlet = await loop.connect_write_pipe(lambda: cls(stop), pipe)
        return outlet

    def connection_made(self, transport: Any) -> None:
        """Keep the transport."""
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """The console closed its end: nobody is listening, so stop."""
        self.stop.set()

    def write(self, data: bytes) -> None:
        """Queue ``data`` for the console (dropped once the pipe is gone)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def backlog(self) -> int:
        """Bytes the console has not read yet."""
        return self.transport.get_write_buffer_size() if self.transport else 0

    async def close(self) -> None:
        """Let what is queued go (for CLOSE_SECONDS at most), then close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CLOSE_SECONDS
        while self.backlog() and loop.time() < deadline:
            await asyncio.sleep(0.01)
        if self.transport is not None:
            self.transport.close()


class ReportedLogs(logging.Handler):
    """Sends log records to the console in the reports."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__(logging.INFO)
        self.reporter = reporter
        self.setFormatter(PanelFormat())

    def emit(self, record: logging.LogRecord) -> None:
        """Hand the formatted record to the reporter; never raise."""
        try:
            self.reporter.log(record.levelno, self.format(record))
        except Exception:  # logging must never break the code that logs
            self.handleError(record)


class PanelFormat(logging.Formatter):
    """``12:00:01 INFO tracsh.runtime.runtime: started db=… revision=…``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%X")

    def format(self, record: logging.LogRecord) -> str:
        """The record's line, its extra fields after it."""
        line = super().format(record)
        extras = [f"{name}={value}" for name, value in extra_fields(record).items()]
        return " ".join([line, *extras])


class LiveLoop:
    """One run of the engine process, from start to the last report."""

    def __init__(self, plan: LoopPlan) -> None:
        self.plan = plan
        self.stop = asyncio.Event()
        self.reporter: Reporter | None = None
        self.runtime: Runtime | None = None
        self.worker: OutboxWorker | None = None

    async def run(self, reports_fd: int) -> int:
        """Start, run until stopped, report a failure; the exit status."""
        outlet = await PipeOutlet.open(reports_fd, self.stop)
        self.reporter = Reporter(outlet, self.plan.rows)
        _log_to(self.reporter)
        status = 0
        try:
            runtime = await self._start()
            await runtime.run(self.stop, handle_signals=True)
        except Exception as error:  # the console shows it; nothing else can
            self.failed("the engine", error)
            status = 1
        finally:
            self.reporter.flush()
            await outlet.close()
        return status

    def failed(self, what: str, error: BaseException) -> None:
        """Report ``error`` as the failure of ``what`` ("the engine", "replay")."""
        user = isinstance(error, UserError)
        summary = f"{what} failed: {'' if user else type(error).__name__ + ': '}{error}"
        where = failed_at(error)
        detail = "".join(traceback.format_exception(error))
        if not user:
            log.error(summary, exc_info=error)
        self.reporter.error(summary, where, detail, user)

    async def _start(self) -> Runtime:
        """The runtime started, with its tasks and inputs added."""
        plan = self.plan
        config = load_config(Path(plan.config) if plan.config else None)
        runtime = self.runtime = Runtime(self._settings(config))
        await runtime.start()
        capture = ExplainCapture()
        runtime.processor.engine.watch = capture.watch
        self.reporter.attach(runtime.processor, runtime.health, capture.take)
        self.reporter.figures = capture.figures
        if runtime.settings.clock is wall_clock:
            add_scheduler(runtime, fired=self.reporter.add)
        self.worker = add_outbox_worker(runtime, config)
        runtime.add_task(self.reporter)
        runtime.add_input(CommandInput(self))
        if runtime.address is not None:
            host, port = runtime.address
            self.reporter.listening(f"http://{host}:{port}")
        if plan.replay is not None:
            runtime.add_input(self._replay(runtime))
        else:
            self.reporter.state(self._idle_text(runtime))
        return runtime

    def _settings(self, config: Config) -> RuntimeSettings:
        plan = self.plan

        def renderer() -> Any:
            from tracsh.delivery.renderer import Renderer

            return Renderer(config)

        only_replay = plan.replay is not None and plan.listen is None
        return RuntimeSettings(
            db=Path(plan.db),
            rules=RuleSource(
                [Path(p) for p in plan.rules], config.rules.templates, renderer
            ),
            synchronous=config.store.synchronous,
            session_timeout=config.session.timeout,
            clock=event_clock if only_replay else wall_clock,
            listen=_address(plan.listen) if plan.listen else None,
            sources=config.sources,
            queue_events=config.collector.queue,
            # This process has nothing else to do: batches run on its loop.
            batches_on_loop=True,
        )

    def _replay(self, runtime: Runtime) -> ReplayInput:
        plan = self.plan
        replay = PacedReplay(
            runtime.processor,
            Path(plan.replay),
            speed=plan.speed,
            format=plan.format,
            mapping=Path(plan.mapping) if plan.mapping else None,
            progress=self.reporter.state,
        )
        return ReplayInput(replay, self)

    def _idle_text(self, runtime: Runtime) -> str:
        if runtime.address is None:
            return "engine ready; nothing to replay"
        host, port = runtime.address
        return f"collector listening on http://{host}:{port}"

    # Commands from the console.

    async def retry(self, outbox_id: int) -> None:
        """Delivery's own retry (``tracsh outbox retry``), then wake the worker."""
        now = datetime.now(UTC).isoformat()

        def requeue(store) -> tuple[str | None, list[int]]:
            row = store.get_outbox(outbox_id)
            status = None if row is None else row["status"]
            return status, store.requeue_outbox(now, ids=[outbox_id])

        status, moved = await self.runtime.with_store(requeue)
        if not moved:
            shown = "gone" if status is None else status
            self.reporter.notice(
                f"outbox {outbox_id} is {shown}: only dead, failed and retry rows "
                "are sent again",
                "warning",
            )
            return
        self.worker.wake()
        self.reporter.notice(f"outbox {outbox_id} ({status}) is due again; sending it")
        await self._follow(outbox_id)

    async def _follow(self, outbox_id: int) -> None:
        """Report how the retried row's next attempt ends, if it ends soon."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FOLLOW_SECONDS
        while loop.time() < deadline and not self.stop.is_set():
            await asyncio.sleep(FOLLOW_EVERY)
            row = await self.runtime.with_store(lambda s: s.get_outbox(outbox_id))
            if row is None or row["status"] not in WAITING:
                break
        else:
            if not self.stop.is_set():
                self.reporter.notice(
                    f"outbox {outbox_id} is still waiting after "
                    f"{FOLLOW_SECONDS:.0f} s; is its channel or webhook configured?",
                    "warning",
                )
            return
        if row is None:
            self.reporter.notice(f"outbox {outbox_id} is gone", "warning")
            return
        reason = f": {row['reason']}" if row.get("reason") else ""
        severity = "information" if row["status"] == "sent" else "warning"
        self.reporter.notice(f"outbox {outbox_id} is {row['status']}{reason}", severity)

    async def preview(self, profile_id: str) -> None:
        """What forgetting would delete, counted by forgetting and rolling back."""
        counts = await self.runtime.with_store(lambda s: s.forget_preview(profile_id))
        self.reporter.preview(profile_id, counts)
        self.reporter.flush()

    async def forget(self, profile_id: str) -> None:
        """The store's forget (``tracsh profile forget``) in one transaction."""

        def forget(store) -> dict | None:
            with store.transaction():
                return store.forget_profile(profile_id)

        counts = await self.runtime.with_store(forget)
        self.reporter.forgotten(profile_id, counts)
        self.reporter.flush()

    async def reload(self) -> None:
        """Load the rules now, as a save would make the watcher do."""
        watcher = next(
            (task for task in self.runtime.tasks if isinstance(task, RuleWatcher)),
            None,
        )
        if watcher is None:
            self.reporter.notice("rules are not watched here; nothing reloaded")
            return
        await watcher.reload()
        self.reporter.after_reload()


class ReplayInput:
    """The paced replay as an input; its failure is reported, the engine goes on."""

    def __init__(self, replay: PacedReplay, loop: LiveLoop) -> None:
        self.replay = replay
        self.loop = loop

    async def run(self, stop: asyncio.Event) -> None:
        """Run the replay; report why it stopped if it failed."""
        try:
            await self.replay.run(stop)
        except Exception as error:
            self.loop.failed("replay", error)
            self.loop.reporter.state("replay stopped on an error; the engine runs on")


class CommandInput:
    """Reads the console's commands from stdin until ``stop`` or stdin's end.

    An input of the runtime, so the runtime keeps running after a replay ends:
    it ends only when the console says so or goes away.
    """

    def __init__(self, loop: LiveLoop) -> None:
        self.loop = loop
        self.running: set[asyncio.Task] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve commands; each runs as a task of its own."""
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
        )
        try:
            while not stop.is_set():
                line = await unless_stopped(reader.readline, stop)
                if not line:
                    break
                self._serve(line, stop)
        finally:
            stop.set()
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)

    def _serve(self, line: bytes, stop: asyncio.Event) -> None:
        try:
            message = decode(line)
            name = message["command"]
        except (ValueError, KeyError) as error:
            log.warning("not a command: %s (%s)", line[:80], error)
            return
        if name == "stop":
            stop.set()
            return
        call = {
            "retry": lambda: self.loop.retry(int(message["id"])),
            "preview": lambda: self.loop.preview(str(message["profile"])),
            "forget": lambda: self.loop.forget(str(message["profile"])),
            "reload": self.loop.reload,
        }.get(name)
        if call is None:
            log.warning("unknown command %r", name)
            return
        task = asyncio.create_task(_logged(call(), name))
        self.running.add(task)
        task.add_done_callback(self.running.discard)


async def _logged(work: Any, name: str) -> None:
    """Run a command; a failure is logged and the process goes on."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the %s command failed", name)


def _address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (the console's command line checked it)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def _log_to(reporter: Reporter) -> None:
    """Every logger's records go to the console; watchfiles' chatter does not."""
    root = logging.getLogger()
    root.handlers[:] = [ReportedLogs(reporter)]
    root.setLevel(logging.INFO)
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("watchfiles").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
