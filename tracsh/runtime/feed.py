"""A runtime input: NDJSON lines from a file or stdin, committed with their offset.

``tracsh ingest`` runs one. A thread reads the stream (reads block; the loop
must not), the feed cuts it into lines, turns each into events or rejects with
tracsh.inputs, and hands them to the processor in submissions that carry the
byte offset after their last line. The offset is committed in the same
transaction as the events, so after a crash the stored offset is exactly where
committed input ends, and reading resumes there without duplicates. Events
from a named file without ids get ids derived from the file's name, the line's
offset and its text, so even reading a stretch twice stores it once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from tracsh.engine.outcome import Outcome
from tracsh.inputs import Accepted, Rejected, read_lines
from tracsh.inputs.items import (
    MAX_EVENT_BYTES,
    RAW_LIMIT,
    cut,
    decoded,
    now_text,
    too_large,
)
from tracsh.runtime.processor import EventProcessor, RejectRow, Unprocessable
from tracsh.runtime.runtime import unless_stopped

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
"""How much the reader thread asks the stream for at a time."""

FOLLOW_SECONDS = 0.2
"""How often a followed file is checked for more lines at its end."""

SUBMISSION_EVENTS = 500
"""The most events the feed puts in one submission."""

Settled = Callable[[list[Outcome], list[RejectRow]], None]


@dataclass
class Position:
    """Where reading stands: the byte offset and the number of the next line."""

    offset: int = 0
    line: int = 1


@dataclass
class Pending:
    """A submission handed to the processor and not yet accounted for."""

    future: asyncio.Future
    position: Position
    rejects: list[RejectRow]


@dataclass
class Overlong:
    """A line over the size limit: only its size and first bytes are kept."""

    size: int
    """Its bytes so far, the line end included once found."""
    head: bytes
    ended: bool = False
    """True once its line end was read."""


class LineCutter:
    """Cuts chunks into lines, never holding more than ``limit`` bytes of one.

    A line longer than that becomes an Overlong once its end is found (or the
    stream ends), so one huge line cannot fill memory; it is rejected as too
    large, and the lines after it are read as usual.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._rest = b""
        self._skipped: Overlong | None = None

    def cut(self, chunk: bytes) -> list[bytes | Overlong]:
        """The lines (with their line ends) that ``chunk`` completes."""
        pieces: list[bytes | Overlong] = []
        data, self._rest = self._rest + chunk, b""
        if self._skipped is not None:
            end = data.find(b"\n")
            if end < 0:
                self._skipped.size += len(data)
                return pieces
            self._skipped.size += end + 1
            self._skipped.ended = True
            pieces.append(self._skipped)
            self._skipped, data = None, data[end + 1 :]
        lines = data.split(b"\n")
        rest = lines.pop()
        pieces.extend(line + b"\n" for line in lines)
        if len(rest) > self.limit:
            self._skipped = Overlong(len(rest), rest[:RAW_LIMIT])
        else:
            self._rest = rest
        return pieces

    def end(self) -> list[bytes | Overlong]:
        """What is left when the stream ends: a last line without a line end."""
        if self._skipped is not None:
            return [self._skipped]
        return [self._rest] if self._rest else []


class StreamReader:
    """A daemon thread reading a binary stream into the loop, a chunk at a time.

    At most ``ahead`` chunks wait unread, so a fast stream cannot fill memory.
    A daemon thread, because a read blocked on a quiet stdin must not keep the
    process alive after a stop.
    """

    def __init__(self, stream: BinaryIO, follow: bool, ahead: int = 8) -> None:
        self.stream = stream
        self.follow = follow
        self._chunks: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        self._room = threading.Semaphore(ahead)
        self._stopped = threading.Event()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, name="tracsh-feed", daemon=True).start()

    async def next(self) -> bytes | None:
        """The next chunk; None at the end of the stream."""
        item = await self._chunks.get()
        self._room.release()
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        """Ask the thread to stop at its next chance."""
        self._stopped.set()

    def _read(self) -> None:
        try:
            while not self._stopped.is_set():
                chunk = self._read_chunk()
                if chunk is None:
                    break
                self._room.acquire()
                self._loop.call_soon_threadsafe(self._chunks.put_nowait, chunk)
            self._loop.call_soon_threadsafe(self._chunks.put_nowait, None)
        except BaseException as error:  # handed to the loop, which reports it
            self._loop.call_soon_threadsafe(self._chunks.put_nowait, error)

    def _read_chunk(self) -> bytes | None:
        """Bytes from the stream; None at its end (a followed file has none)."""
        read = getattr(self.stream, "read1", self.stream.read)
        while not self._stopped.is_set():
            chunk = read(CHUNK_BYTES)
            if chunk:
                return chunk
            if not self.follow:
                return None
            time.sleep(FOLLOW_SECONDS)
        return None


class LineFeed:
    """Feeds NDJSON lines into an EventProcessor; an input of the runtime."""

    def __init__(
        self,
        processor: EventProcessor,
        stream: BinaryIO,
        *,
        label: str,
        name: str | None,
        position_key: str | None,
        start: Position,
        follow: bool = False,
        format: str = "auto",
        source: str = "file",
        settled: Settled | None = None,
    ) -> None:
        self.processor = processor
        self.stream = stream
        self.label = label
        """How rejects name the input: the file's path, or ``stdin``."""
        self.name = name
        """The file's name for stable ids; None gives random ids."""
        self.position_key = position_key
        self.position = dataclasses.replace(start)
        """Where reading stands; ``committed`` is where committed input ends."""
        self.committed = dataclasses.replace(start)
        self.follow = follow
        self.format = format
        self.source = source
        self.settled = settled
        self._pending: list[Pending] = []

    async def run(self, stop: asyncio.Event) -> None:
        """Read until the stream ends (or ``stop``); return once all is committed."""
        reader = StreamReader(self.stream, self.follow)
        cutter = LineCutter(MAX_EVENT_BYTES)
        try:
            while True:
                chunk = await unless_stopped(reader.next, stop)
                if chunk is None:
                    break
                await self._feed(cutter.cut(chunk))
            if not stop.is_set():
                await self._feed(cutter.end())
        finally:
            reader.stop()
            await self._settle_all()

    async def _feed(self, lines: list[bytes | Overlong]) -> None:
        """Turn lines into submissions of at most SUBMISSION_EVENTS events."""
        events: list[dict] = []
        rejects: list[RejectRow] = []
        received = now_text()
        for line in lines:
            if isinstance(line, Overlong):
                rejects.append(self._overlong(line, received))
                size = line.size
            else:
                size = len(line)
                for item in self._items(line, received):
                    if isinstance(item, Accepted):
                        events.append(item.event)
                    else:
                        rejects.append(item)
            self.position.offset += size
            self.position.line += 1
            if len(events) >= SUBMISSION_EVENTS:
                await self._submit(events, rejects)
                events, rejects = [], []
        if events or rejects:
            await self._submit(events, rejects)

    def _items(self, line: bytes, received: str) -> list[Accepted | RejectRow]:
        """One line's events, and its rejects as rows naming the line.

        Numbered as in the whole file, so generated ids are the ones ``tracsh
        replay`` gives the same file: reading it both ways stores it once.
        """
        found: list[Accepted | RejectRow] = []
        for item in read_lines(
            [line],
            name=self.name,
            received=received,
            format=self.format,
            max_event_bytes=MAX_EVENT_BYTES,
            source=self.source,
            first_line=self.position.line,
        ):
            if isinstance(item, Rejected):
                item = RejectRow(self.label, item.line, item.reason, item.raw, received)
            found.append(item)
        return found

    def _overlong(self, line: Overlong, received: str) -> RejectRow:
        size = line.size - line.ended
        reason = str(too_large(size, MAX_EVENT_BYTES))
        raw = cut(decoded(line.head))
        return RejectRow(self.label, self.position.line, reason, raw, received)

    async def _submit(self, events: list[dict], rejects: list[RejectRow]) -> None:
        positions = {}
        if self.position_key is not None:
            positions = {
                self.position_key: self.position.offset,
                f"{self.position_key}:line": self.position.line,
            }
        future = await self.processor.put(events, rejects, positions, origin=self.label)
        position = dataclasses.replace(self.position)
        self._pending.append(Pending(future, position, rejects))
        self._pending = [entry for entry in self._pending if not self._settle(entry)]

    def _settle(self, pending: Pending) -> bool:
        """Account for a committed submission; False while it is still pending.

        Raises Unavailable when the store failed: the feed stops there, and
        the committed position says where to resume.
        """
        if not pending.future.done():
            return False
        try:
            outcomes = pending.future.result()
        except Unprocessable as error:
            log.warning("%s: events rejected: %s", self.label, error)
            outcomes = []
        self.committed = pending.position
        if self.settled is not None:
            self.settled(outcomes, pending.rejects)
        return True

    async def _settle_all(self) -> None:
        for pending in self._pending:
            await asyncio.wait([pending.future])
            self._settle(pending)
        self._pending.clear()
