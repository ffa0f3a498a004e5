"""WAL checkpoints run beside the writer, not inside its commits."""

from __future__ import annotations

import asyncio
import sqlite3

from tracsh.runtime.checkpoint import Checkpointer
from tracsh.store import Store


def write_events(store: Store, count: int) -> None:
    with store.transaction():
        store.append_events(
            [
                {"id": f"e{n}", "type": "t", "properties": {"pad": "x" * 500}}
                for n in range(count)
            ]
        )


def test_the_checkpointer_copies_the_log_into_the_database(tmp_path):
    db = tmp_path / "t.db"
    store = Store.open(db)
    store.conn.execute("PRAGMA wal_autocheckpoint = 0")
    write_events(store, 2000)
    before = db.stat().st_size
    assert (tmp_path / "t.db-wal").stat().st_size > 1_000_000

    async def run_briefly() -> Checkpointer:
        checkpointer = Checkpointer(db, interval=0.01)
        stop = asyncio.Event()
        task = asyncio.create_task(checkpointer.run(stop))
        while checkpointer.checkpoints < 2:
            await asyncio.sleep(0.01)
        stop.set()
        await task
        return checkpointer

    asyncio.run(run_briefly())
    assert db.stat().st_size > before + 1_000_000
    with sqlite3.connect(db) as reader:
        busy, log, done = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, log) == (0, done)
    store.close()


def test_the_daemon_leaves_checkpoints_to_the_checkpointer(daemon):
    running = daemon("")
    pages = running.call(
        lambda: running.runtime.with_store(
            lambda store: store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        )
    )
    assert pages == (0,)
    assert any(isinstance(t, Checkpointer) for t in running.runtime.tasks)
