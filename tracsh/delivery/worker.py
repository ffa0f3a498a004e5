"""The outbox worker: sends due outbox rows at least once, retries, and dead-letters.

Who calls it: ``tracsh deliver`` and ``tracsh replay --deliver`` call
:meth:`OutboxWorker.drain` once; the daemon and the console run
:meth:`OutboxWorker.run` as a background task until their stop event is set.

How it works: rows are claimed per endpoint (a channel, a webhook, an
enricher), at most ``delivery.concurrency`` at a time each, by marking them
``sending`` with a lease; each attempt's result moves the row to ``sent``,
``retry`` (due again after a backoff), ``dead`` (the last attempt failed) or
``failed`` (cannot go as configured), and is recorded in ``delivery_attempts``.
A worker that dies mid-attempt leaves its rows ``sending``; they are due again
when their lease ends, and go out with the same idempotency key. Cancelling a
worker cancels its attempts in flight, which record themselves as interrupted
and make their rows due again; an attempt is counted only when it is recorded,
so no row goes past ``delivery.attempts``. All store work runs in one thread
of the worker's own, on its own connection, so a busy database never stalls
the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tracsh.config import Config
from tracsh.delivery.attempts import GONE, SENT, TRANSIENT, Result, Schedule, next_state
from tracsh.delivery.dispatch import Dispatcher, Endpoint
from tracsh.delivery.renderer import templates_of
from tracsh.delivery.templates import Templates
from tracsh.delivery.transport import new_client
from tracsh.store import Store

log = logging.getLogger(__name__)

LEASE_MARGIN = 60.0
"""Seconds added to an attempt's deadline for the lease on a claimed row."""

ENRICHED = "enriched"
"""The type of the internal event that carries an HTTP enricher's answer."""

Apply = Callable[[dict], Awaitable[Any] | Any]
"""Runs an ``enriched`` event through the engine and commits it."""


@dataclass
class DeliveryCounts:
    """What one drain did, in rows (each attempted once), and what waits and why."""

    sent: int = 0
    retry: int = 0
    dead: int = 0
    failed: int = 0
    held: dict[str, int] = field(default_factory=dict)
    """Rows due but waiting, by reason (no channel configured, disabled, …)."""

    @classmethod
    def of_rows(cls, outcomes: dict[int, str], held: dict[str, int]) -> DeliveryCounts:
        """Rows counted by the status each was left in, and what still waits."""
        counts = cls(held=held)
        for status in outcomes.values():
            if status in ("sent", "retry", "dead", "failed"):
                setattr(counts, status, getattr(counts, status) + 1)
        return counts

    def as_dict(self) -> dict:
        """The counts as JSON-ready data."""
        return {
            "sent": self.sent,
            "retry": self.retry,
            "dead": self.dead,
            "failed": self.failed,
            "held": dict(self.held),
        }


def system_clock() -> datetime:
    """The worker's default clock: now, in UTC."""
    return datetime.now(UTC)


class OutboxWorker:
    """Delivers outbox rows; see the module docstring for the life of a row.

    ``store`` is a database path or a function that opens a Store (called in
    the worker's thread). ``clock`` gives the current time (inject one in
    tests); ``client`` is the shared ``httpx.AsyncClient`` (one is made and
    closed by the worker when not given); ``apply`` runs an HTTP enricher's
    ``enriched`` event through the engine; without it enrich rows wait.
    """

    def __init__(
        self,
        store: str | Path | Callable[[], Store],
        config: Config,
        *,
        clock: Callable[[], datetime] = system_clock,
        client: httpx.AsyncClient | None = None,
        templates: Templates | None = None,
        rng: random.Random | None = None,
        apply: Apply | None = None,
    ) -> None:
        self._open = store if callable(store) else (lambda: Store.open(store))
        self.config = config
        self.clock = clock
        self.client = client
        self.templates = templates or templates_of(config)
        self.apply = apply
        settings = config.delivery
        self.schedule = Schedule(
            settings.attempts, settings.backoff, settings.max_backoff, rng
        )
        self._wake = asyncio.Event()
        self._thread: ThreadPoolExecutor | None = None
        self._store: Store | None = None
        self._outcomes: dict[int, str] = {}
        """The status each row attempted in this drain was left in, by row id."""
        self._once = False

    # The two ways to run.

    async def drain(self) -> DeliveryCounts:
        """Attempt every row that is due now, once each; return what happened.

        A row that fails and is due again before the drain ends (a short backoff,
        ``Retry-After: 0``) waits for the next drain or worker.
        """
        self._outcomes, self._once = {}, True
        try:
            async with self._session() as dispatcher:
                await self._pump(dispatcher, None)
                held = await self._held(dispatcher)
        finally:
            self._once = False
        return DeliveryCounts.of_rows(self._outcomes, held)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; attempts in flight then finish first."""
        async with self._session() as dispatcher:
            await self._pump(dispatcher, stop)

    def wake(self) -> None:
        """Look for due rows now (the engine calls this after it queued some)."""
        self._wake.set()

    # Plumbing.

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[Dispatcher]:
        """Open the store in the worker's thread and a client; close both after."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="tracsh-outbox")
        client = self.client or new_client()
        try:
            self._store = await self._db(self._open)
            yield Dispatcher(self.config, self.templates, client, self.clock)
        finally:
            if self.client is None:
                await client.aclose()
            if self._store is not None:
                await self._db(self._store.close)
            self._store = None
            self._thread.shutdown(wait=True)

    async def _db(self, call: Callable, *args: Any) -> Any:
        """Run a store call in the worker's own thread.

        Cancelling the caller does not stop a call the thread has begun, so a
        cancelled caller waits for it to end before it stops: the store is then
        never closed under a running call.
        """
        future = self._submit(call, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await future
            raise

    def _submit(self, call: Callable, *args: Any) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._thread, call, *args)

    def _now_text(self) -> str:
        return self.clock().astimezone(UTC).isoformat()

    # The loop: claim what endpoints have room for, wait for any to finish.

    async def _pump(self, dispatcher: Dispatcher, stop: asyncio.Event | None) -> None:
        flying: dict[asyncio.Task, Endpoint] = {}
        busy: Counter[Endpoint] = Counter()
        try:
            while True:
                if stop is None or not stop.is_set():
                    await self._start_due(dispatcher, flying, busy)
                if not flying:
                    if stop is None or stop.is_set():
                        return
                    await self._idle(stop)
                    continue
                done, _ = await asyncio.wait(
                    flying, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    busy[flying.pop(task)] -= 1
        finally:
            await self._interrupt(flying)

    async def _interrupt(self, flying: dict[asyncio.Task, Endpoint]) -> None:
        """Cancel attempts still in flight (the worker was cancelled) and wait.

        Each one records itself as interrupted (see ``_attempt``) before the
        store and the client are closed.
        """
        for task in flying:
            task.cancel()
        await asyncio.gather(*flying, return_exceptions=True)

    async def _start_due(self, dispatcher, flying: dict, busy: Counter) -> None:
        now = self._now_text()
        due = await self._db(self._store.due_endpoints, now, self._skip())
        disabled = await self._db(self._store.disabled_endpoints)
        limit = self.config.delivery.concurrency
        for endpoint in sorted(due, key=str):
            if self._reason_held(dispatcher, endpoint, disabled):
                continue
            room = limit - busy[endpoint]
            if room <= 0:
                continue
            lease = self.clock() + timedelta(
                seconds=dispatcher.timeout(endpoint) + LEASE_MARGIN
            )
            rows = await self._claim(endpoint, now, lease.isoformat(), room)
            for row in rows:
                task = asyncio.create_task(self._attempt(dispatcher, row))
                flying[task] = endpoint
                busy[endpoint] += 1

    async def _claim(self, endpoint: Endpoint, now: str, lease: str, room: int):
        """Claim due rows; if cancelled meanwhile, hand the claimed rows back."""
        claim = self._submit(
            self._store.claim_outbox, endpoint, now, lease, room, self._skip()
        )
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                ids = [row["id"] for row in await claim]
                await self._db(self._store.release_outbox, ids, self._now_text())
            raise

    def _skip(self) -> list[int]:
        """Rows a drain has attempted already: it attempts each at most once."""
        return list(self._outcomes) if self._once else []

    def _reason_held(
        self, dispatcher: Dispatcher, endpoint: Endpoint, disabled: dict
    ) -> str | None:
        """Why rows of ``endpoint`` must wait, or None when they can go."""
        reason = dispatcher.held(endpoint, self.apply is not None)
        if reason is None and endpoint[0] == "webhook" and endpoint in disabled:
            reason = f"webhook {endpoint[1]} is disabled: {disabled[endpoint]}"
        return reason

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait for a wake-up, the stop event, or the poll interval."""
        self._wake.clear()
        waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
        try:
            await asyncio.wait(
                waiters,
                timeout=self.config.delivery.poll,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _held(self, dispatcher: Dispatcher) -> dict[str, int]:
        """Rows still due after a drain, counted by why they wait."""
        due = await self._db(self._store.due_endpoints, self._now_text(), self._skip())
        disabled = await self._db(self._store.disabled_endpoints)
        held: Counter[str] = Counter()
        for endpoint, count in due.items():
            reason = self._reason_held(dispatcher, endpoint, disabled)
            label = f"{endpoint[0]} {endpoint[1]}" if endpoint[1] else endpoint[0]
            held[f"{label}: {reason or 'due again at once'}"] += count
        return dict(held)

    # One attempt.

    async def _attempt(self, dispatcher: Dispatcher, row: dict) -> None:
        started = self._now_text()
        try:
            result = await self._deliver(dispatcher, row)
        except asyncio.CancelledError:
            await self._interrupted(row, started)
            raise
        except Exception as err:  # a fault of tracsh: keep the worker running
            log.exception("outbox %s: unexpected failure", row["id"])
            result = Result(TRANSIENT, "error", f"{type(err).__name__}: {err}")
        await self._finish(row, result, started)

    async def _interrupted(self, row: dict, started: str) -> None:
        """Record an attempt cut short by stopping the worker; the row is due again.

        It is not counted: whether the receiver got it is unknown, so the row
        goes again (with the same idempotency key) under the same number.
        """
        now = self._now_text()
        attempt = {
            "attempt": row["attempts"] + 1,
            "started": started,
            "finished": now,
            "outcome": "interrupted",
            "status": "interrupted",
            "error": "the worker was stopped before the attempt ended",
        }
        await self._db(self._store.release_outbox, [row["id"]], now, attempt)
        log.info("outbox %s %s: interrupted", row["id"], row["kind"])

    async def _deliver(self, dispatcher: Dispatcher, row: dict) -> Result:
        if row["kind"] != "enrich":
            return await dispatcher.send(row)
        return await self._enrich(dispatcher, row)

    async def _enrich(self, dispatcher: Dispatcher, row: dict) -> Result:
        """Look the answer up (cache first), then hand it to the engine."""
        url = (row.get("rendered") or {}).get("url", "")
        now = self.clock()
        cached = await self._db(
            self._store.cached_answer, row["target"], url, now.isoformat()
        )
        if cached is not None:
            result = Result(SENT, "cached", answer=cached)
        else:
            result = await dispatcher.send(row)
            if result.kind != SENT:
                return result
        fresh = cached is None
        if not await self._db(self._keep, row, url, result.answer, now, fresh):
            return result  # the row went meanwhile: its person was forgotten
        applied = self.apply(enriched_event(row, result.answer))
        if inspect.isawaitable(applied):
            await applied
        return result

    def _keep(
        self, row: dict, url: str, value: Any, now: datetime, fresh: bool
    ) -> bool:
        """Cache a fresh answer if the row is still claimed; whether it is.

        A row deleted during the lookup (``tracsh profile forget``) leaves no
        answer behind and hands none to the engine.
        """
        with self._store.transaction():
            if not self._store.is_claimed(row["id"]):
                return False
            if not fresh:
                return True
            ttl = self.config.enrichers[row["target"]].ttl
            expires = (now + timedelta(seconds=ttl)).isoformat()
            self._store.cache_answer(
                row["target"], url, value, expires, now.isoformat()
            )
        return True

    async def _finish(self, row: dict, result: Result, started: str) -> None:
        now = self.clock()
        number = row["attempts"] + 1
        changes = next_state(result, number, self.schedule, now)
        if result.kind == GONE and row["kind"] == "webhook":
            await self._db(self._disable, row["target"], result.error)
        attempt = {
            "attempt": number,
            "started": started,
            "finished": now.astimezone(UTC).isoformat(),
            "outcome": changes["status"],
            "status": result.status,
            "error": result.error,
        }
        recorded = await self._db(
            self._store.finish_attempt, row["id"], changes, attempt
        )
        if recorded and self._once:
            self._outcomes[row["id"]] = changes["status"]
        # The error text stays out of the log: it can hold the recipient's
        # address, and a log cannot be scrubbed when the person is forgotten.
        log.info(
            "outbox %s %s %s: %s (%s)",
            row["id"],
            row["kind"],
            row["target"],
            changes["status"],
            result.status,
        )

    def _disable(self, name: str, reason: str | None) -> None:
        with self._store.transaction():
            now = self._now_text()
            self._store.set_endpoint("webhook", name, True, reason or "", now)


def enriched_event(row: dict, value: Any) -> dict:
    """The internal event that carries an HTTP enricher's answer to the engine.

    Its id comes from the outbox key, so handing the same answer over twice
    (after a crash) is recognised as the same event and applied once.
    """
    args = row.get("args") or {}
    return {
        "id": f"{row['key']}:enriched",
        "type": ENRICHED,
        "time": args.get("time"),
        "received": args.get("time"),
        "source": {"id": "internal"},
        "session": {"id": args.get("session")},
        "profile": {"id": row["profile_id"]},
        "properties": {
            "enricher": row["target"],
            "path": args.get("path"),
            "root": args.get("root"),
            "parts": args.get("parts"),
            "value": value,
        },
        "context": {"rule": row["rule_id"], "parent": row["event_id"]},
        "tags": ["internal"],
    }
