"""The crash drill: feed a daemon acknowledged events while SIGKILLing it at random.

Used by tests/runtime/test_sigkill.py (about 20 kills) and benchmarks/crash.py
(200). Clients post tracker payloads of 1 to 5 events with ids of their own;
an event counts as acknowledged when its request got a 2xx. A request that
got no answer is sent again after the restart, as a real tracker would. At
the end the store must hold every acknowledged event exactly once, every
profile's counters must equal a recount from the events table, and SQLite's
integrity check must say ok.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import sys
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from daemon_harness import SubprocessDaemon, write_rules  # noqa: E402

RULES = """
when event.type exists then increment profile.counters.events
when event.type == "buy" then increment profile.counters.spent by event.properties.n
"""

PROFILES = [f"p{n}" for n in range(20)]
TYPES = ["page-view", "buy", "search"]


@dataclass
class Drill:
    """What the clients sent and what was acknowledged, across restarts."""

    rng: random.Random
    acknowledged: set[str] = field(default_factory=set)
    unanswered: list[dict] = field(default_factory=list)
    """Payloads whose requests got no answer: sent again after the restart."""
    requests: int = 0
    lost_in_flight: int = 0

    def payload(self) -> dict:
        rng = self.rng
        profile = rng.choice(PROFILES)
        events = [
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "type": rng.choice(TYPES),
                "properties": {"n": rng.randint(1, 9)},
            }
            for _ in range(rng.randint(1, 5))
        ]
        return {
            "source": {"id": "web"},
            "profile": {"id": profile},
            "session": {"id": f"s-{profile}"},
            "events": events,
        }


async def _client(
    drill: Drill, client: httpx.AsyncClient, killed: asyncio.Event, acked: asyncio.Event
):
    """Post payloads (retries first) until the daemon is killed."""
    while not killed.is_set():
        body = drill.unanswered.pop() if drill.unanswered else drill.payload()
        drill.requests += 1
        try:
            response = await client.post("/track", json=body)
        except httpx.TransportError:
            drill.unanswered.append(body)
            drill.lost_in_flight += 1
            return
        if response.status_code // 100 == 2:
            drill.acknowledged.update(event["id"] for event in body["events"])
            acked.set()
        elif response.status_code == 503:
            drill.unanswered.append(body)
        else:
            raise AssertionError(f"unexpected answer {response.status_code}")


async def _round(
    drill: Drill, url: str, process, clients: int, seconds: float, on_ack: bool
):
    """Feed the daemon for ``seconds`` with ``clients`` at once, then SIGKILL it.

    With ``on_ack`` the kill waits for the next acknowledgement and follows it
    at once: the moment a daemon that answered before committing would lose
    the events it had just acknowledged.
    """
    killed, acked = asyncio.Event(), asyncio.Event()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        workers = [
            asyncio.create_task(_client(drill, client, killed, acked))
            for _ in range(clients)
        ]
        await asyncio.sleep(seconds)
        if on_ack:
            acked.clear()
            await asyncio.wait_for(acked.wait(), 10)
        process.send_signal(signal.SIGKILL)
        killed.set()
        await asyncio.gather(*workers)


def run_drill(
    tmp_path: Path, kills: int, seed: int, clients: int = 6, log=print
) -> Drill:
    """Kill a fed daemon ``kills`` times and settle the retries (then check_store)."""
    rng = random.Random(seed)
    drill = Drill(rng)
    rules = write_rules(tmp_path / "rules", RULES)
    db = tmp_path / "crash.db"
    daemon = SubprocessDaemon(tmp_path, rules, db, "--log-level", "warning")
    try:
        _kill_repeatedly(drill, daemon, kills, clients, log)
        _settle(drill, daemon)
    finally:
        daemon.stop_if_running()
    return drill


def _kill_repeatedly(
    drill: Drill, daemon: SubprocessDaemon, kills: int, clients: int, log
) -> None:
    rng = drill.rng
    for number in range(kills):
        daemon.start()
        seconds = rng.uniform(0.02, 0.4)
        on_ack = number % 2 == 1
        asyncio.run(_round(drill, daemon.url, daemon.process, clients, seconds, on_ack))
        daemon.process.wait(10)
        daemon.log_file.close()
        log(
            f"kill {number + 1}/{kills} after {seconds:.2f}s"
            f"{' and an acknowledgement' if on_ack else ''}: "
            f"{len(drill.acknowledged)} acknowledged, "
            f"{len(drill.unanswered)} to send again"
        )


def _settle(drill: Drill, daemon: SubprocessDaemon) -> None:
    """Send the unanswered payloads again, then stop the daemon with SIGTERM."""
    daemon.start()
    with httpx.Client(base_url=daemon.url, timeout=10) as client:
        while drill.unanswered:
            body = drill.unanswered.pop()
            response = client.post("/track", json=body)
            assert response.status_code == 200, response.text
            drill.acknowledged.update(event["id"] for event in body["events"])
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


def check_store(db: Path, acknowledged: set[str]) -> dict[str, int]:
    """Every acknowledged event once, counters equal to a recount, integrity ok."""
    connection = sqlite3.connect(db)
    try:
        [(integrity,)] = connection.execute("PRAGMA integrity_check").fetchall()
        assert integrity == "ok", integrity
        rows = connection.execute("SELECT id, profile_id, doc FROM events").fetchall()
        profiles = {
            profile_id: json.loads(doc)
            for profile_id, doc in connection.execute("SELECT id, doc FROM profiles")
        }
    finally:
        connection.close()
    ids = Counter(event_id for event_id, _, _ in rows)
    assert not [i for i, n in ids.items() if n > 1], "an event is stored twice"
    missing = acknowledged - set(ids)
    assert not missing, f"{len(missing)} acknowledged events are missing"
    _recount(rows, profiles)
    return {"events": len(rows), "profiles": len(profiles)}


def _recount(rows: list[tuple], profiles: dict[str, dict]) -> None:
    """Recount each profile's counters and views from the events table alone."""
    events: Counter = Counter()
    spent: Counter = Counter()
    views: Counter = Counter()
    for _, profile_id, doc in rows:
        event = json.loads(doc)
        events[profile_id] += 1
        views[profile_id] += event["type"] == "page-view"
        if event["type"] == "buy":
            spent[profile_id] += event["properties"]["n"]
    found = defaultdict(dict)
    for profile_id, profile in profiles.items():
        found[profile_id] = {
            "events": profile["counters"].get("events", 0),
            "spent": profile["counters"].get("spent", 0),
            "views": profile["views"],
        }
    expected = {
        profile_id: {
            "events": events[profile_id],
            "spent": spent[profile_id],
            "views": views[profile_id],
        }
        for profile_id in profiles
    }
    assert dict(found) == expected
    assert set(events) <= set(profiles)
