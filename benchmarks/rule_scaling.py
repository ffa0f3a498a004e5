"""Benchmark: events of one type against 10 rules and against 1,000 rules.

The 1,000 rules are spread over 50 event types, 20 per type; the 10 rules over
10 types. Every rule reads ``event.type`` and a property, and for the events
replayed (all of type ``t0``) exactly one rule fires in both rule sets, so the
difference is what the extra rules cost: the event-type index should keep the
1,000-rule run within 3x of the 10-rule run. Both run through the real engine
into a real SQLite file; the best of ``--repeat`` runs of each is kept.

Run: ``python benchmarks/rule_scaling.py [--repeat N] [--events N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.lang.loader import load_sources
from tracsh.store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)


def rule_text(types: int, per_type: int) -> str:
    """``types * per_type`` one-line rules; rule j of a type fires for ``n == j``."""
    lines = []
    for kind in range(types):
        for number in range(per_type):
            lines.append(
                f'when event.type == "t{kind}" and event.properties.n == {number} '
                f"then increment profile.counters.r{kind}_{number}"
            )
    return "\n".join(lines) + "\n"


def events(count: int) -> list[dict]:
    """Events of type t0 from 500 profiles, each matching exactly one rule (n 0)."""
    made = []
    for index in range(count):
        when = (START + timedelta(seconds=index)).isoformat()
        made.append(
            {
                "id": f"e{index}",
                "type": "t0",
                "time": when,
                "received": when,
                "source": {"id": "bench"},
                "session": {"id": f"s{index % 500}"},
                "profile": {"id": f"p{index % 500}"},
                "properties": {"n": 0},
                "context": {},
                "tags": [],
            }
        )
    return made


def rate(rules: str, count: int) -> float:
    """Events per second through the engine with these rules."""
    ruleset = load_sources([("bench.rules", rules)])
    assert ruleset.ok, ruleset.diagnostics[:1]
    book = build_rulebook(ruleset)
    batch = events(count)
    with tempfile.TemporaryDirectory() as directory:
        with Store.open(Path(directory) / "bench.db") as store:
            engine = Engine(store, book)
            started = time.perf_counter()
            for index in range(0, count, 1000):
                outcomes = engine.process_batch(batch[index : index + 1000])
                assert all(len(o.fired) == 1 for o in outcomes)
            return count / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--events", type=int, default=10000)
    args = parser.parse_args(argv)
    small = max(rate(rule_text(10, 1), args.events) for _ in range(args.repeat))
    large = max(rate(rule_text(50, 20), args.events) for _ in range(args.repeat))
    print(f"10 rules:    {small:8.0f} events/s")
    print(f"1,000 rules: {large:8.0f} events/s")
    slowdown = small / large
    print(f"slowdown with 1,000 rules: {slowdown:.2f}x (goal: at most 3x)")
    return 0 if slowdown <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
