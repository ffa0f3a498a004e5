"""The single event processor: a bounded queue, group commit, and the writer thread.

Inputs (the HTTP collector, ``tracsh ingest``'s feed) hand events over as
Submissions and await their commit; the processor takes everything queued at
that moment (up to ``max_batch`` events), runs it through the engine in ONE
transaction on the writer thread, and only then resolves each submission's
future. So an acknowledgement always means "on disk", and the more requests
arrive at once the more of them share one commit. Consumers such as the
operator console subscribe to a report of each committed batch.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import Engine
from tracsh.inputs.items import cut
from tracsh.runtime.metrics import Metrics
from tracsh.store.documents import encode_doc
from tracsh.store.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH = 1000
"""The most events committed in one transaction."""

QUEUE_EVENTS = 5000
"""The default number of events that may wait before inputs are refused."""


class ProcessorError(Exception):
    """Why a submission was not committed; ``retry`` says whether to try again."""

    retry = True


class Overloaded(ProcessorError):
    """The queue is full (or the processor is stopping); nothing was queued."""


class Unavailable(ProcessorError):
    """The store failed (disk full, I/O error); the events were not committed."""


class Unprocessable(ProcessorError):
    """Processing these events failed; they were recorded as rejects instead."""

    retry = False


@dataclass(frozen=True, slots=True)
class RejectRow:
    """Input that was refused, as the rejects table keeps it."""

    source: str
    line: int | None
    reason: str
    raw: str
    received: str | None = None


@dataclass(eq=False)
class Submission:
    """Events (and rejects) from one request or read, committed together."""

    events: list[dict]
    rejects: list[RejectRow]
    positions: dict[str, int]
    """Read positions (``Store.set_position``) committed with these events."""
    origin: str
    """Where the events came from, as a reject row names it (``POST /track``)."""
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


@dataclass
class BatchReport:
    """What one committed transaction did, for subscribers such as the console."""

    outcomes: list[Outcome]
    """One per event, in order (duplicates included, marked as such)."""
    rejects: list[RejectRow]
    seconds: float
    """How long the transaction took on the writer thread."""
    queued: int
    """Events still waiting when it committed."""
    revision: str
    """The rule-set revision the batch ran under."""
    events: list[dict] = field(default_factory=list)
    """The events, in the order of ``outcomes``, as processed (their profile and
    session ids filled in)."""


class Writer:
    """The one thread that uses a connection: the store's, or the checkpointer's.

    SQLite allows one writer, and a connection belongs to one thread. With a
    thread of its own (the default) the event loop goes on answering while a
    batch runs; ``inline`` runs everything on the loop's thread instead, which
    saves the hand-over of Python's lock between the two threads, but holds
    the loop up for each batch. docs/daemon.md has the measurements.
    """

    def __init__(self, name: str = "tracsh-writer", *, inline: bool = False) -> None:
        self.inline = inline
        self._executor = (
            None if inline else ThreadPoolExecutor(1, thread_name_prefix=name)
        )

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the writer's thread and return its result."""
        if self._executor is None:
            return fn(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        """Let the thread finish what it was given and end."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)


class Subscription:
    """A bounded queue of BatchReports; when full, the oldest report is dropped.

    A slow consumer therefore never holds the processor up; ``dropped`` counts
    what it missed.
    """

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[BatchReport] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, report: BatchReport) -> None:
        """Queue ``report``, making room by dropping the oldest one."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(report)

    async def get(self) -> BatchReport:
        """The next report (waits for one)."""
        return await self.queue.get()


def _transient(error: BaseException) -> bool:
    """True for failures of the store itself, which a retry later may not meet."""
    return isinstance(error, sqlite3.OperationalError | OSError | MemoryError)


class EventProcessor:
    """Runs submissions through one Engine, in order, a transaction per batch."""

    def __init__(
        self,
        engine: Engine,
        writer: Writer,
        metrics: Metrics | None = None,
        *,
        capacity: int = QUEUE_EVENTS,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.engine = engine
        self.writer = writer
        self.metrics = metrics or Metrics()
        self.capacity = capacity
        self.max_batch = max_batch
        self._queue: deque[Submission] = deque()
        self._queued_events = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._closing = False
        self._pending_book: tuple[Any, Any] | None = None
        self._subscriptions: list[Subscription] = []
        self._listeners: list[Callable[[BatchReport], None]] = []
        self.metrics.set("tracsh_queue_capacity_events", capacity)

    # Handing work over.

    @property
    def queued(self) -> int:
        """Events waiting to be processed."""
        return self._queued_events

    def offer(
        self,
        events: list[dict],
        rejects: list[RejectRow] | None = None,
        positions: dict[str, int] | None = None,
        origin: str = "runtime",
    ) -> asyncio.Future:
        """Queue a submission without waiting; its future gives the Outcomes.

        Raises Overloaded when the queue has no room or the processor is
        stopping. The future fails with Unavailable or Unprocessable.
        """
        if self._closing:
            raise Overloaded("the processor is stopping")
        size = len(events)
        if self._queued_events and self._queued_events + size > self.capacity:
            raise Overloaded(
                f"{self._queued_events:,} events are waiting; the queue holds "
                f"{self.capacity:,}"
            )
        future = asyncio.get_running_loop().create_future()
        submission = Submission(
            list(events), list(rejects or ()), dict(positions or {}), origin, future
        )
        self._queue.append(submission)
        self._queued_events += size
        self.metrics.set("tracsh_queue_events", self._queued_events)
        self._wake.set()
        return future

    async def put(
        self,
        events: list[dict],
        rejects: list[RejectRow] | None = None,
        positions: dict[str, int] | None = None,
        origin: str = "runtime",
    ) -> asyncio.Future:
        """Like :meth:`offer`, but wait for room instead of raising Overloaded."""
        while True:
            try:
                return self.offer(events, rejects, positions, origin)
            except Overloaded:
                if self._closing:
                    raise
                self._room.clear()
                await self._room.wait()

    def use(self, book: Any, renderer: Any) -> None:
        """Run batches after the current one with this rule book and renderer."""
        self._pending_book = (book, renderer)
        self._wake.set()

    def subscribe(self, maxsize: int = 256) -> Subscription:
        """A Subscription that receives a BatchReport after every commit."""
        subscription = Subscription(maxsize)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop sending reports to ``subscription``."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def listen(self, listener: Callable[[BatchReport], None]) -> None:
        """Call ``listener(report)`` on the loop after every commit.

        For quick, synchronous reactions (waking a worker): unlike a
        Subscription it costs no task and no queue per batch. What it raises is
        logged and does not reach the batch's submissions.
        """
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[BatchReport], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def with_store(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(store)`` on the writer thread, between batches."""
        return await self.writer.call(fn, self.engine.store)

    # The loop.

    async def run(self, stop: asyncio.Event) -> None:
        """Process submissions until ``stop`` is set and the queue is empty.

        ``stop`` means no more input will come: what is queued then is still
        processed and committed (the drain) before this returns. Offers are
        refused from then on, until ``run`` is called again.
        """
        self._closing = False
        watcher = asyncio.create_task(self._watch(stop))
        try:
            while self._queue or not self._closing:
                if not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                await self._process(self._take())
                # Let requests reach the queue between batches, even when the
                # batch ran on this thread and a backlog is waiting.
                await asyncio.sleep(0)
        finally:
            watcher.cancel()
            self._fail_queued()

    async def _watch(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._closing = True
        self._wake.set()
        self._room.set()

    def _take(self) -> list[Submission]:
        """The submissions of the next batch: at least one, at most max_batch events."""
        batch = [self._queue.popleft()]
        size = len(batch[0].events)
        while self._queue and size + len(self._queue[0].events) <= self.max_batch:
            size += len(self._queue[0].events)
            batch.append(self._queue.popleft())
        self._queued_events -= size
        self.metrics.set("tracsh_queue_events", self._queued_events)
        self._room.set()
        return batch

    def _fail_queued(self) -> None:
        """Refuse whatever is still queued when the loop ends abnormally."""
        while self._queue:
            submission = self._queue.popleft()
            if not submission.future.done():
                submission.future.set_exception(Overloaded("the processor stopped"))
        self._queued_events = 0

    async def _process(self, batch: list[Submission]) -> None:
        """Commit a batch; when it fails, retry each submission on its own."""
        if self._pending_book is not None:
            await self._switch_books()
        started = time.perf_counter()
        try:
            results = await self.writer.call(self._commit, batch)
        except Exception as error:
            self._count_failure(error)
            if len(batch) > 1 and not _transient(error):
                for submission in batch:
                    await self._process_alone(submission)
                return
            for submission in batch:
                await self._give_up(submission, error)
            return
        self._settle(batch, results, time.perf_counter() - started)

    async def _switch_books(self) -> None:
        """Put the pending rule book in force, on the thread that owns the store."""
        book, renderer = self._pending_book
        self._pending_book = None
        try:
            await self.writer.call(self.engine.use_book, book, renderer)
        except Exception:  # an index the store refuses: keep the rules in force
            log.exception("the new rule set could not be put in force")

    async def _process_alone(self, submission: Submission) -> None:
        started = time.perf_counter()
        try:
            results = await self.writer.call(self._commit, [submission])
        except Exception as error:
            self._count_failure(error)
            await self._give_up(submission, error)
            return
        self._settle([submission], results, time.perf_counter() - started)

    def _count_failure(self, error: BaseException) -> None:
        kind = "store" if _transient(error) else "processing"
        self.metrics.add("tracsh_batch_failures_total", kind=kind)

    # On the writer thread.

    def _commit(self, batch: list[Submission]) -> list[list[Outcome]]:
        """Process and commit ``batch`` in one transaction; outcomes per submission."""
        events = [event for submission in batch for event in submission.events]
        # identify() fills in the ids of each event; a retry must start afresh.
        refs = [(event.get("profile"), event.get("session")) for event in events]
        store = self.engine.store
        try:
            with store.transaction():
                for submission in batch:
                    for row in submission.rejects:
                        store.add_reject(
                            row.source, row.line, row.reason, row.raw, row.received
                        )
                outcomes = self.engine.process_batch(events)
                for submission in batch:
                    for name, position in submission.positions.items():
                        store.set_position(name, position)
        except BaseException:
            for event, (profile, session) in zip(events, refs, strict=True):
                event["profile"], event["session"] = profile, session
            raise
        results, start = [], 0
        for submission in batch:
            results.append(outcomes[start : start + len(submission.events)])
            start += len(submission.events)
        return results

    def _reject_all(self, submission: Submission, reason: str) -> None:
        """Record a submission that cannot be processed as rejects, positions too."""
        store = self.engine.store
        with store.transaction():
            for row in submission.rejects:
                store.add_reject(
                    row.source, row.line, row.reason, row.raw, row.received
                )
            for event in submission.events:
                raw = _raw_text(event)
                received = event.get("received")
                store.add_reject(submission.origin, None, reason, raw, received)
            for name, position in submission.positions.items():
                store.set_position(name, position)

    # Back on the event loop.

    async def _give_up(self, submission: Submission, error: Exception) -> None:
        """Fail a submission: Unavailable when the store failed, else reject it."""
        if _transient(error):
            log.error("store failure; events not committed: %s", error)
            submission.future.set_exception(
                Unavailable(f"the store failed: {type(error).__name__}: {error}")
            )
            return
        reason = f"could not be processed: {type(error).__name__}: {error}"
        log.exception("events rejected: %s", reason, exc_info=error)
        try:
            await self.writer.call(self._reject_all, submission, reason)
        except Exception as second:
            log.error("could not record the rejects either: %s", second)
            submission.future.set_exception(
                Unavailable(f"the store failed: {type(second).__name__}: {second}")
            )
            return
        rejected = len(submission.events)
        self.metrics.add("tracsh_events_rejected_total", rejected, input="processor")
        submission.future.set_exception(Unprocessable(reason))

    def _settle(
        self, batch: list[Submission], results: list[list[Outcome]], seconds: float
    ) -> None:
        """Resolve each submission's future and publish the batch's figures."""
        now = time.perf_counter()
        flat: list[Outcome] = []
        rejects: list[RejectRow] = []
        events: list[dict] = []
        for submission, outcomes in zip(batch, results, strict=True):
            if not submission.future.done():
                submission.future.set_result(outcomes)
            self.metrics.observe("tracsh_processing_seconds", now - submission.enqueued)
            flat.extend(outcomes)
            rejects.extend(submission.rejects)
            events.extend(submission.events)
        self._count(flat, seconds)
        report = BatchReport(
            flat,
            rejects,
            seconds,
            self._queued_events,
            self.engine.book.revision,
            events,
        )
        for subscription in self._subscriptions:
            subscription.offer(report)
        for listener in self._listeners:
            try:
                listener(report)
            except Exception:
                log.exception("a batch listener failed")

    def _count(self, outcomes: list[Outcome], seconds: float) -> None:
        metrics = self.metrics
        duplicates = sum(outcome.duplicate for outcome in outcomes)
        metrics.add("tracsh_batches_total")
        metrics.observe("tracsh_events_per_batch", len(outcomes))
        metrics.add("tracsh_events_processed_total", len(outcomes) - duplicates)
        metrics.add("tracsh_events_duplicate_total", duplicates)
        metrics.add("tracsh_internal_events_total", sum(map(_internal, outcomes)))


def _internal(outcome: Outcome) -> int:
    """How many internal events an outcome caused, at any depth."""
    return sum(1 + _internal(child) for child in outcome.internal)


def _raw_text(event: dict) -> str:
    """An event as text for a reject row, cut to the rejects' size."""
    try:
        return cut(encode_doc(event, "event"))
    except (StoreError, RecursionError):
        # The event may have failed for this very reason; keep what Python shows.
        return cut(repr(event))
