"""Benchmark: the SIGKILL drill of tests/runtime/test_sigkill.py, 200 kills long.

A subprocess daemon is fed tracker payloads from six clients and killed with
SIGKILL at random moments (every other kill right after an acknowledgement),
then restarted; unanswered requests are sent again. Afterwards every
acknowledged event must be in the store exactly once, every profile's counters
must equal a recount from the events table, and ``PRAGMA integrity_check`` must
say ok. The drill itself lives in tests/runtime/crashkit.py, shared with the
test, which runs 20 kills.

Run: ``python benchmarks/crash.py [--kills N] [--seed N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "runtime"))

from crashkit import check_store, run_drill  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--quiet", action="store_true", help="no line per kill")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f"{args.kills} kills, seed {seed}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        log = (lambda line: None) if args.quiet else print
        drill = run_drill(Path(folder), args.kills, seed, log=log)
        found = check_store(Path(folder) / "crash.db", drill.acknowledged)
    elapsed = time.perf_counter() - started
    print(
        f"ok: {len(drill.acknowledged):,} acknowledged events all stored once "
        f"({found['events']:,} events, {found['profiles']} profiles); "
        f"{drill.requests:,} requests, {drill.lost_in_flight:,} cut off by a kill; "
        f"counters equal the recount; integrity ok; {elapsed:.0f} s"
    )


if __name__ == "__main__":
    main()
