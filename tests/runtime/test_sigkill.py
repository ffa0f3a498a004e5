"""kill -9 at random moments loses no acknowledged event and applies none twice."""

from __future__ import annotations

import os

from crashkit import check_store, run_drill

KILLS = int(os.environ.get("TRACSH_CRASH_KILLS", "20"))
"""How many times the drill kills the daemon (benchmarks/crash.py runs 200)."""


def test_sigkill_loses_no_acknowledged_event_and_applies_none_twice(tmp_path):
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"crash drill seed {seed}")
    drill = run_drill(tmp_path, KILLS, seed)
    found = check_store(tmp_path / "crash.db", drill.acknowledged)
    assert drill.acknowledged and found["events"] >= len(drill.acknowledged)
    # The kills landed while requests were in flight, not between them.
    assert drill.lost_in_flight >= KILLS // 2
