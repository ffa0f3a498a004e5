"""Benchmark: what group commit buys, one transaction per request against shared ones.

Many clients each hand the event processor a request of ``--events`` events and
wait for its commit, as the collector's requests do. The baseline commits each
request in a transaction of its own (``max_batch`` = one request); tracsh's way
lets every request queued at that moment share one transaction. Both run here,
over ``rules/`` and a fresh SQLite file each, with SQLite's ``synchronous`` at
``normal`` (a commit waits for no fsync; the daemon's default) and at ``full``
(one fsync per commit), and the script prints events per second, events per
transaction and the ratio.

Run: ``python benchmarks/group_commit.py [--clients N] [--requests N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from tracsh.engine.pipeline import Engine, EngineSettings, wall_clock
from tracsh.engine.rulebook import build_rulebook
from tracsh.inputs import Accepted, expand_record
from tracsh.inputs.items import now_text
from tracsh.lang.loader import load_rules
from tracsh.runtime.processor import EventProcessor, Writer
from tracsh.store import Store

ROOT = Path(__file__).resolve().parent.parent


def request(events: int, n: int) -> list[dict]:
    visitor = n % 500
    payload = {
        "source": {"id": "web-shop"},
        "profile": {"id": f"g-{visitor}"},
        "session": {"id": f"gs-{visitor}"},
        "events": [
            {"id": str(uuid.uuid4()), "type": "page-view", "properties": {"i": i}}
            for i in range(events)
        ],
    }
    items = expand_record(payload, received=now_text(), format="track")
    return [item.event for item in items if isinstance(item, Accepted)]


async def run(db: Path, synchronous: str, max_batch: int, args) -> dict:
    writer = Writer(inline=True)
    store = await writer.call(lambda: Store.open(db, synchronous=synchronous))
    book = build_rulebook(load_rules([ROOT / "rules"]))
    engine = Engine(store, book, EngineSettings(clock=wall_clock))
    processor = EventProcessor(engine, writer, max_batch=max_batch)
    requests = [request(args.events, n) for n in range(args.requests)]
    pending = iter(requests)
    stop = asyncio.Event()
    loop = asyncio.create_task(processor.run(stop))

    async def client() -> None:
        for events in pending:
            await processor.offer(events)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    elapsed = time.perf_counter() - started
    stop.set()
    await loop
    await writer.call(store.close)
    batches = processor.metrics.value("tracsh_batches_total")
    events = args.requests * args.events
    return {"events_per_s": events / elapsed, "per_batch": events / batches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--events", type=int, default=4)
    args = parser.parse_args()
    print(
        f"{args.requests:,} requests of {args.events} events from "
        f"{args.clients} clients at once"
    )
    with tempfile.TemporaryDirectory() as folder:
        for synchronous in ("normal", "full"):
            figures = {}
            for name, max_batch in (("alone", args.events), ("grouped", 1000)):
                db = Path(folder) / f"{synchronous}-{name}.db"
                figures[name] = asyncio.run(run(db, synchronous, max_batch, args))
                print(
                    f"synchronous={synchronous:6} {name:8} "
                    f"{figures[name]['events_per_s']:8,.0f} events/s, "
                    f"{figures[name]['per_batch']:6.1f} events per transaction",
                    flush=True,
                )
            ratio = (
                figures["grouped"]["events_per_s"] / figures["alone"]["events_per_s"]
            )
            print(f"synchronous={synchronous:6} group commit: {ratio:.2f}x")


if __name__ == "__main__":
    main()
