"""The event processor: group commit, back-pressure, failures kept apart, reports.

Each test runs a real EventProcessor over a real Engine and SQLite file, in an
event loop of its own; the writer thread holds the only connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from tracsh.engine.pipeline import Engine, EngineSettings
from tracsh.engine.rulebook import build_rulebook
from tracsh.lang.loader import load_sources
from tracsh.runtime.processor import (
    EventProcessor,
    Overloaded,
    RejectRow,
    Unavailable,
    Unprocessable,
    Writer,
)
from tracsh.store import Store

COUNT = "when event.type exists then increment profile.counters.seen\n"


def book(text: str = COUNT):
    ruleset = load_sources([("t.rules", text)])
    assert ruleset.ok
    return build_rulebook(ruleset)


def event(event_id: str, profile: str = "p1", **extra) -> dict:
    return {
        "id": event_id,
        "type": "go",
        "time": "2024-05-01T10:00:00+00:00",
        "received": "2024-05-01T10:00:00+00:00",
        "source": {"id": "test"},
        "session": {"id": f"s-{profile}"},
        "profile": {"id": profile},
        "properties": {},
        "context": {},
        "tags": [],
        **extra,
    }


@contextlib.asynccontextmanager
async def processor_in(tmp_path: Path, text: str = COUNT, **options):
    """A processor over a fresh store; yields it and the store, closes both."""
    writer = Writer()
    store = await writer.call(Store.open, tmp_path / "t.db")
    engine = Engine(store, book(text), EngineSettings())
    try:
        yield EventProcessor(engine, writer, **options), store
    finally:
        await writer.call(store.close)
        writer.close()


async def drain(processor: EventProcessor) -> None:
    """Run the loop over what is queued now, then stop it."""
    stop = asyncio.Event()
    stop.set()
    await processor.run(stop)


async def cycle(processor: EventProcessor, *submissions) -> list[asyncio.Future]:
    """Start the loop, queue ``(events, rejects)`` submissions at once, drain."""
    stop = asyncio.Event()
    loop = asyncio.create_task(processor.run(stop))
    await asyncio.sleep(0)
    futures = [processor.offer(events, rejects) for events, rejects in submissions]
    stop.set()
    await loop
    return futures


def run(coroutine):
    return asyncio.run(coroutine)


def test_submissions_queued_together_share_one_transaction(tmp_path):
    async def scenario():
        async with processor_in(tmp_path) as (processor, store):
            futures = [
                processor.offer([event(f"e{n}-{i}", f"p{n}") for i in range(3)])
                for n in range(30)
            ]
            await drain(processor)
            return [f.result() for f in futures], processor.metrics, store

    results, metrics, _ = run(scenario())
    assert metrics.value("tracsh_batches_total") == 1
    assert metrics.value("tracsh_events_processed_total") == 90
    for n, outcomes in enumerate(results):
        assert [o.event_id for o in outcomes] == [f"e{n}-{i}" for i in range(3)]
        assert {o.profile_id for o in outcomes} == {f"p{n}"}


def test_a_batch_holds_at_most_max_batch_events_and_never_splits_a_submission(
    tmp_path,
):
    async def scenario():
        async with processor_in(tmp_path, max_batch=10) as (processor, _):
            for n in range(5):
                processor.offer([event(f"e{n}-{i}") for i in range(4)])
            await drain(processor)
            return processor.metrics.histogram("tracsh_events_per_batch")

    histogram = run(scenario())
    assert (histogram.count, histogram.total) == (3, 20)


def test_a_full_queue_refuses_and_put_waits_for_room(tmp_path):
    async def scenario():
        async with processor_in(tmp_path, capacity=5) as (processor, store):
            first = processor.offer([event(f"a{i}") for i in range(4)])
            with pytest.raises(Overloaded, match="4 events are waiting; the queue"):
                processor.offer([event(f"b{i}") for i in range(2)])
            waiting = asyncio.ensure_future(
                processor.put([event(f"c{i}") for i in range(2)])
            )
            await asyncio.sleep(0.01)
            assert not waiting.done()
            stop = asyncio.Event()
            loop = asyncio.ensure_future(processor.run(stop))
            second = await waiting
            await second
            stop.set()
            await loop
            await first
            return await processor.with_store(Store.count_events)

    assert run(scenario()) == 6


def test_an_empty_queue_takes_a_submission_larger_than_its_capacity(tmp_path):
    async def scenario():
        async with processor_in(tmp_path, capacity=5) as (processor, _):
            future = processor.offer([event(f"e{i}") for i in range(8)])
            await drain(processor)
            return await future

    assert len(run(scenario())) == 8


def test_a_submission_that_cannot_be_processed_is_rejected_alone(tmp_path):
    async def scenario():
        async with processor_in(tmp_path) as (processor, store):
            good = processor.offer([event("g1", "p1")])
            bad = processor.offer(
                [event("b1", "p2"), event("b2", "p2", properties={"x": {1, 2}})],
                [RejectRow("POST /track", None, "events[2]: missing", "{}")],
                origin="POST /track",
            )
            also_good = processor.offer([event("g2", None)])
            await drain(processor)
            with pytest.raises(Unprocessable, match="could not be processed"):
                await bad
            rows = await processor.with_store(lambda s: s.rejects())
            ids = await processor.with_store(
                lambda s: [e["id"] for e in s.iter_events()]
            )
            return await good, await also_good, rows, ids, processor.metrics

    good, also_good, rows, ids, metrics = run(scenario())
    assert ids == ["g1", "g2"]
    assert good[0].profile_id == "p1"
    assert also_good[0].profile_id not in ("", "p1", "p2")
    assert [(row["source"], row["reason"]) for row in rows] == [
        ("POST /track", "events[2]: missing"),
        ("POST /track", rows[1]["reason"]),
        ("POST /track", rows[1]["reason"]),
    ]
    assert rows[1]["reason"].startswith("could not be processed: StoreError: event b2")
    assert rows[1]["raw"].startswith('{"id":"b1","type":"go"')
    assert rows[2]["raw"].startswith("{'id': 'b2', 'type': 'go'")  # not JSON: repr
    assert metrics.value("tracsh_batch_failures_total", kind="processing") == 2


def test_a_store_that_refuses_writes_makes_submissions_unavailable(tmp_path):
    async def scenario():
        async with processor_in(tmp_path) as (processor, store):
            await processor.with_store(
                lambda s: s.conn.execute("PRAGMA query_only = ON")
            )
            [refused] = await cycle(processor, ([event("e1")], []))
            with pytest.raises(Unavailable, match="the store failed: Operational"):
                await refused
            await processor.with_store(
                lambda s: s.conn.execute("PRAGMA query_only = OFF")
            )
            [accepted] = await cycle(processor, ([event("e1")], []))
            outcomes = await accepted
            count = await processor.with_store(Store.count_events)
            return outcomes, count

    outcomes, count = run(scenario())
    assert (outcomes[0].duplicate, count) == (False, 1)


def test_subscribers_get_each_batch_and_a_slow_one_keeps_the_latest(tmp_path):
    async def scenario():
        async with processor_in(tmp_path) as (processor, _):
            everything = processor.subscribe()
            slow = processor.subscribe(maxsize=2)
            for n in range(4):
                await cycle(
                    processor, ([event(f"e{n}")], [RejectRow("x", n, "bad", "")])
                )
            return everything, slow

    everything, slow = run(scenario())
    reports = [everything.queue.get_nowait() for _ in range(4)]
    assert [[o.event_id for o in r.outcomes] for r in reports] == [
        ["e0"],
        ["e1"],
        ["e2"],
        ["e3"],
    ]
    assert [r.rejects[0].line for r in reports] == [0, 1, 2, 3]
    assert {r.revision for r in reports} == {book().revision}
    assert slow.dropped == 2
    kept = [slow.queue.get_nowait().outcomes[0].event_id for _ in range(2)]
    assert kept == ["e2", "e3"]


def test_a_new_rule_book_applies_from_the_next_batch(tmp_path):
    other = "when event.type exists then increment profile.counters.other\n"

    async def scenario():
        async with processor_in(tmp_path) as (processor, _):
            await cycle(processor, ([event("e1")], []))
            processor.use(book(other), None)
            await cycle(processor, ([event("e2")], []))
            return await processor.with_store(lambda s: s.get_profile("p1"))

    assert run(scenario())["counters"] == {"seen": 1, "other": 1}


def test_after_a_stop_queued_events_commit_and_new_ones_are_refused(tmp_path):
    async def scenario():
        async with processor_in(tmp_path) as (processor, _):
            queued = processor.offer([event("e1")])
            await drain(processor)
            with pytest.raises(Overloaded, match="stopping"):
                processor.offer([event("e2")])
            return await queued

    assert [o.event_id for o in run(scenario())] == ["e1"]
