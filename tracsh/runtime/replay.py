"""A runtime input for the console: an event file fed at a chosen pace.

The console's engine process adds a PacedReplay to its Runtime for ``tracsh
tui --replay FILE --speed X``. It reads any format ``tracsh replay`` reads
(tracsh.inputs.read_items: the same generated ids, so a file replayed twice is
stored once) and hands the processor ``speed`` events a second, 0 meaning as
fast as the processor commits them. At most IN_FLIGHT submissions wait for
their commit at a time, so a stop finds little queued to drain.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tracsh.engine.summary import Summary
from tracsh.inputs import Accepted, read_items
from tracsh.runtime.processor import EventProcessor, RejectRow, Unprocessable

log = logging.getLogger(__name__)

TICK = 0.05
"""Seconds between two looks at the clock while pacing."""

MOST_PER_SUBMISSION = 500
"""The most records one submission takes."""

IN_FLIGHT = 2
"""Submissions that may wait for their commit before reading goes on."""

PROGRESS_EVERY = 0.5
"""Seconds between two progress lines."""

Progress = Callable[[str], None]


class PacedReplay:
    """Feeds an event file into an EventProcessor at ``speed`` events a second."""

    def __init__(
        self,
        processor: EventProcessor,
        path: Path,
        *,
        speed: float,
        format: str = "auto",
        mapping: Path | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.processor = processor
        self.path = path
        self.speed = speed
        self.format = format
        self.mapping = mapping
        self.progress = progress or (lambda text: None)
        self.summary = Summary()
        """What the replay did so far (accepted, duplicates, rejected…)."""
        self.finished = False
        """True once the whole file was read and committed."""
        self._pending: deque[asyncio.Future] = deque()

    async def run(self, stop: asyncio.Event) -> None:
        """Feed the file until its end (or ``stop``); return once all is settled."""
        items = iter(read_items(self.path, self.format, self.mapping))
        loop = asyncio.get_running_loop()
        started, sent, told = loop.time(), 0, 0.0
        self.progress(self._progress_text())
        try:
            while not stop.is_set():
                due = self._due(loop.time() - started, sent)
                if due <= 0:
                    await _sleep_unless(stop, TICK)
                    continue
                taken, ended = await self._submit(items, due)
                sent += taken
                if ended:
                    break
                if loop.time() - told >= PROGRESS_EVERY:
                    told = loop.time()
                    self.progress(self._progress_text())
            else:
                return
        finally:
            await self._settle(0)
        self.finished = True
        self.summary.finish()
        self.progress(self._finished_text())

    def _due(self, elapsed: float, sent: int) -> int:
        """How many records the pace allows now."""
        if self.speed <= 0:
            return MOST_PER_SUBMISSION
        return min(int(elapsed * self.speed) - sent, MOST_PER_SUBMISSION)

    async def _submit(self, items: Iterator[Any], due: int) -> tuple[int, bool]:
        """Read up to ``due`` records and hand them over; (records read, ended)."""
        events: list[dict] = []
        rejects: list[RejectRow] = []
        label = str(self.path)
        for item in items:
            if isinstance(item, Accepted):
                events.append(item.event)
            else:
                rejects.append(RejectRow(label, item.line, item.reason, item.raw))
                self.summary.reject(label, item.line, item.reason)
            if len(events) + len(rejects) >= due:
                break
        taken = len(events) + len(rejects)
        if taken:
            future = await self.processor.put(events, rejects, origin=label)
            self._pending.append(future)
            await self._settle(IN_FLIGHT)
        return taken, taken < due

    async def _settle(self, most: int) -> None:
        """Wait until at most ``most`` submissions are pending; count the rest."""
        while len(self._pending) > most:
            future = self._pending.popleft()
            try:
                outcomes = await future
            except Unprocessable as error:
                log.warning("%s: events rejected: %s", self.path, error)
                continue
            for outcome in outcomes:
                self.summary.add(outcome)

    def _progress_text(self) -> str:
        pace = (
            "as fast as it goes" if self.speed <= 0 else f"at {self.speed:g} events/s"
        )
        return (
            f"replaying {self.path}: {self.summary.accepted:,} events, "
            f"{self.summary.rejected:,} rejected, {pace}"
        )

    def _finished_text(self) -> str:
        summary = self.summary
        return (
            f"replay finished: {summary.accepted:,} events, "
            f"{summary.duplicates:,} already stored, {summary.rejected:,} rejected"
        )


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
