"""Benchmark: how fast the console answers keys while the feed runs at 1,000 events/s.

The console runs headless at 120x36 (Textual's test driver, the same app,
threads and garbage-collector settings as ``tracsh tui`` in a terminal) over a
copy of the repository's rules, replaying the sample shop
(``samples/shop/events.ndjson``, 4,975 events, ``--rounds`` times with new
people each time) at ``--speed`` events per second through the real engine into
a SQLite file. Every ``--every`` seconds a key is sent, in turn
moving the cursor in the live stream (up, down) and switching screens (to the
rules and back to the events), and the time until the app has acted on it is
measured: until the stream has run the cursor action, or the new screen shows.
It prints the feed's achieved rate and, for cursor keys, screen keys and all
keys, the percentiles and p99 as a ratio of the 100 ms goal.

Run: ``python benchmarks/console_latency.py [--speed 1000] [--every 0.01]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from textual import events

from tracsh.config import load_config
from tracsh.lang.loader import load_rules
from tracsh.runtime.memory import claim_process
from tracsh.tui.app import ConsoleApp
from tracsh.tui.feed import FeedPlan

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "samples" / "shop" / "events.ndjson"
GOAL_MS = 100.0
POLL = 0.001
"""How often the benchmark looks for the answer (a busy loop would slow the app)."""


def shop_rounds(path: Path, rounds: int) -> Path:
    """The shop's events ``rounds`` times over, each round with new people."""
    lines = SHOP.read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as out:
        for number in range(rounds):
            for line in lines:
                event = json.loads(line)
                event["id"] = f"r{number}-{event['id']}"
                for ref in ("profile", "session"):
                    event[ref]["id"] = f"r{number}-{event[ref]['id']}"
                out.write(json.dumps(event) + "\n")
    return path


def console(directory: Path, speed: float, rounds: int) -> ConsoleApp:
    """The console over a fresh project in ``directory``, replaying the shop."""
    shutil.copytree(ROOT / "rules", directory / "rules")
    plan = FeedPlan(
        db=directory / "tracsh.db",
        rule_paths=[directory / "rules"],
        config=load_config(None),
        replay=shop_rounds(directory / "shop.ndjson", rounds),
        speed=speed,
    )
    from tracsh.store import Store

    Store.open(plan.db).close()
    return ConsoleApp(plan, load_rules(plan.rule_paths))


async def answered(app: ConsoleApp, key: str, done, timeout: float = 5.0) -> float:
    """Send ``key`` and return the seconds until ``done()`` holds."""
    started = time.perf_counter()
    app.post_message(events.Key(key, None))
    while not done():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"no answer to {key!r} in {timeout} s")
        await asyncio.sleep(POLL)
    return time.perf_counter() - started


async def measure(
    app: ConsoleApp, every: float
) -> tuple[dict[str, list[float]], float, int]:
    """Latencies of keys sent while the replay runs, by kind; feed seconds and
    events."""
    latencies: dict[str, list[float]] = {"cursor": [], "screen": []}
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        started = time.perf_counter()
        step = 0
        while not app.feed_text.startswith("replay finished"):
            await asyncio.sleep(every)
            kind = "cursor" if step % 4 < 2 else "screen"
            latencies[kind].append(await one_key(app, step))
            step += 1
        seconds = time.perf_counter() - started
        return latencies, seconds, app.seen_total


async def one_key(app: ConsoleApp, step: int) -> float:
    """One of four keys in turn: up, down (cursor), 3 (rules), 2 (events)."""
    kind = step % 4
    if kind in (0, 1):
        moves = cursor_moves(app.screen.stream)
        before = moves[0]
        key = "up" if kind == 0 else "down"
        return await answered(app, key, lambda: moves[0] > before)
    target = "rules" if kind == 2 else "events"
    key = "3" if kind == 2 else "2"
    return await answered(app, key, lambda: shown(app, target))


def cursor_moves(stream) -> list[int]:
    """A counter of the cursor keys ``stream`` has acted on.

    Whether the selected event changed says nothing: at the top of a full
    stream ``up`` changes nothing until the next batch drops that event, and
    while the cursor follows, a batch moves it before the key is read.
    """
    if not hasattr(stream, "benchmark_moves"):
        stream.benchmark_moves = [0]
        act = stream.action_cursor

        def counted(step: int) -> None:
            act(step)
            stream.benchmark_moves[0] += 1

        stream.action_cursor = counted
    return stream.benchmark_moves


def shown(app: ConsoleApp, area: str) -> bool:
    """Whether the screen of ``area`` is the one showing, with its widgets."""
    screen = app.screen
    widget = "EventStream" if area == "events" else "DataTable"
    return getattr(screen, "AREA", None) == area and bool(screen.query(widget))


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie."""
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", type=float, default=1000.0)
    parser.add_argument("--every", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=3, help="shop files in a row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        app = console(Path(directory), args.speed, args.rounds)
        latencies, seconds, seen = asyncio.run(measure(app, args.every))
    rate = seen / seconds
    print(f"feed      {seen:,} events in {seconds:.1f} s = {rate:,.0f} events/s")
    everything = [value for values in latencies.values() for value in values]
    for kind, values in (*latencies.items(), ("all keys", everything)):
        ms = [value * 1000 for value in values]
        p99 = percentile(ms, 0.99)
        print(
            f"{kind:<9} {len(ms)} keys: p50 {percentile(ms, 0.5):.1f} ms, "
            f"p95 {percentile(ms, 0.95):.1f} ms, p99 {p99:.1f} ms, "
            f"mean {statistics.mean(ms):.1f} ms; p99 / {GOAL_MS:.0f} ms = "
            f"{p99 / GOAL_MS:.2f} (below 1 meets the goal)"
        )


if __name__ == "__main__":
    claim_process()  # as the tracsh command does (tracsh.runtime.memory)
    main()
