"""Checkpoints of SQLite's write-ahead log, taken off the commit path.

By default SQLite copies the log back into the database file inside whichever
commit takes the log past 1,000 pages; that commit then waits for the copy and
its fsyncs (10 to 25 ms measured on this project's machines), and so do the
requests whose events it carries. The runtime turns those automatic
checkpoints off on its writer connection and runs this background task
instead: a passive checkpoint, once a second, on a connection of its own and a
thread of its own. A passive checkpoint never waits for the writer, and the
writer never waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from tracsh.runtime.processor import Writer

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
"""How often the log is copied back into the database file."""


class Checkpointer:
    """A background task of the runtime: ``PRAGMA wal_checkpoint(PASSIVE)``."""

    def __init__(self, path: Path, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        """How many checkpoints ran (pages may remain when readers hold them)."""
        self._thread = Writer("tracsh-checkpoint")
        self._connection: sqlite3.Connection | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Checkpoint every ``interval`` seconds until ``stop`` is set."""
        try:
            self._connection = await self._thread.call(self._connect)
            while not await _stopped_within(stop, self.interval):
                await self._thread.call(self.checkpoint)
        finally:
            if self._connection is not None:
                await self._thread.call(self._connection.close)
            self._thread.close()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None, timeout=5.0)

    def checkpoint(self) -> None:
        """Copy what the log holds back into the database, as far as readers allow."""
        assert self._connection is not None
        try:
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as error:
            log.warning("checkpoint failed; the next one tries again: %s", error)
            return
        self.checkpoints += 1


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """True when ``stop`` is set within ``seconds``."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
