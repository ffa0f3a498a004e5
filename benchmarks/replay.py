"""Benchmark: tracsh replay of the REES46 clickstream against a minimal sqlite3 loop.

The minimal loop is what a programmer writes by hand for the same job: read the
CSV, keep each profile's document in memory for a batch, apply the same updates
as ``samples/rees46/rules/purchases.rules`` (view, cart and purchase counters,
spend, last purchase, the "buyer" segment, visits per session), append every
event to an events table, and write profiles and sessions as JSON with
``executemany``, 1,000 events per transaction, in WAL mode. tracsh does that and
more (rules, statistics, idempotency, rejects), so the goal is that it reaches at
least 30% of the loop's events per second. Both run in this process, one after
the other, and the best of ``--repeat`` runs of each is kept.

Run: ``python benchmarks/replay.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tracsh.cli.main import main as tracsh
from tracsh.runtime.memory import claim_process

ROOT = Path(__file__).resolve().parent.parent
DATA = (
    ROOT.parent / "shared/data/rees46-multicategory-oct2019/2019-Oct-first17k.csv"
).resolve()
MAPPING = ROOT / "samples/rees46/mapping.toml"
RULES = ROOT / "samples/rees46/rules"
BATCH = 1000

SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, type TEXT, time TEXT,
                     profile_id TEXT, session_id TEXT, doc TEXT);
CREATE TABLE profiles (id TEXT PRIMARY KEY, doc TEXT);
CREATE TABLE sessions (id TEXT PRIMARY KEY, profile_id TEXT, doc TEXT);
"""


def _time(text: str) -> str:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
    return moment.isoformat()


def _apply(profile: dict, kind: str, price: str, when: str) -> None:
    """The updates of purchases.rules, written out by hand."""
    counters, traits = profile["counters"], profile["traits"]
    if kind == "view":
        counters["views"] = counters.get("views", 0) + 1
    elif kind == "cart":
        counters["carts"] = counters.get("carts", 0) + 1
    elif kind == "purchase":
        counters["purchases"] = counters.get("purchases", 0) + 1
        traits["spend"] = traits.get("spend", 0) + float(price)
        traits["last_purchase"] = when
        if "buyer" not in profile["segments"]:
            profile["segments"].append("buyer")


def minimal_loop(db_path: Path) -> float:
    """Replay the CSV by hand; returns events per second."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    profiles: dict[str, dict] = {}
    sessions: dict[str, dict] = {}
    started = time.perf_counter()
    count = 0
    with open(DATA, newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        pending: list[tuple] = []
        for line, row in enumerate(rows, start=2):
            if len(row) != 9:
                continue
            when, kind, product, category, code, brand, price, user, session = row
            when = _time(when)
            profile = profiles.get(user)
            if profile is None:
                profile = profiles[user] = {
                    "id": user, "visits": 0, "traits": {}, "counters": {},
                    "segments": [], "created": when,
                }  # fmt: skip
            if session not in sessions:
                sessions[session] = {"id": session, "profile": user, "started": when}
                profile["visits"] += 1
            sessions[session]["last_seen"] = when
            _apply(profile, kind, price, when)
            doc = {
                "id": f"{line}", "type": kind, "time": when,
                "profile": {"id": user}, "session": {"id": session},
                "properties": {"product_id": product, "category_id": category,
                               "category_code": code, "brand": brand, "price": price},
            }  # fmt: skip
            pending.append((doc["id"], kind, when, user, session, json.dumps(doc)))
            count += 1
            if len(pending) >= BATCH:
                _commit(conn, pending, profiles, sessions)
        _commit(conn, pending, profiles, sessions)
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def _commit(conn, pending: list[tuple], profiles: dict, sessions: dict) -> None:
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO events (id, type, time, profile_id, session_id, doc) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        pending,
    )
    touched = {row[3] for row in pending}
    conn.executemany(
        "INSERT OR REPLACE INTO profiles (id, doc) VALUES (?, ?)",
        [(pid, json.dumps(profiles[pid])) for pid in touched],
    )
    opened = {row[4] for row in pending}
    conn.executemany(
        "INSERT OR REPLACE INTO sessions (id, profile_id, doc) VALUES (?, ?, ?)",
        [(sid, sessions[sid]["profile"], json.dumps(sessions[sid])) for sid in opened],
    )
    conn.execute("COMMIT")
    pending.clear()


def tracsh_replay(db_path: Path) -> float:
    """Run ``tracsh replay`` in this process; returns its events per second."""
    out = io.StringIO()
    argv = ["replay", str(DATA), "--map", str(MAPPING), "--rules", str(RULES)]
    with contextlib.redirect_stdout(out):
        status = tracsh([*argv, "--db", str(db_path), "--json"])
    if status != 0:
        raise SystemExit(f"tracsh replay failed with status {status}")
    summary = json.loads(out.getvalue())
    if summary["events"]["accepted"] != 17434:
        raise SystemExit(f"unexpected summary: {summary['events']}")
    return summary["events_per_second"]


def best(run, repeat: int) -> float:
    """The best rate of ``repeat`` runs, each on a fresh database file."""
    rates = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as directory:
            rates.append(run(Path(directory) / "bench.db"))
    return max(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"the data set is not at {DATA}", file=sys.stderr)
        return 2
    loop = best(minimal_loop, args.repeat)
    ours = best(tracsh_replay, args.repeat)
    print(f"minimal sqlite3 loop: {loop:9.0f} events/s")
    print(f"tracsh replay:        {ours:9.0f} events/s")
    ratio = ours / loop
    print(f"tracsh / minimal loop: {ratio:.2f} (goal: at least 0.30)")
    return 0 if ratio >= 0.30 else 1


if __name__ == "__main__":
    claim_process()  # as the tracsh command does (tracsh.runtime.memory)
    sys.exit(main())
