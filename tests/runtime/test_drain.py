"""SIGTERM and SIGINT: stop accepting, answer what is in flight, commit, exit 0."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time

import httpx
import pytest
from daemon_harness import SubprocessDaemon, write_rules

RULES = "when event.type exists then increment profile.counters.events\n"
CLIENTS = 30
EVENTS = 100


def body(client: int) -> dict:
    return {
        "source": {"id": "web"},
        "profile": {"id": f"p{client}"},
        "session": {"id": f"s{client}"},
        "events": [
            {"id": f"c{client}-e{n}", "type": "page-view"} for n in range(EVENTS)
        ],
    }


async def load_then_signal(url: str, daemon: SubprocessDaemon, number: int):
    """Post from many warm connections; signal once the first answer is back.

    Returns each request's (status or None, when it was answered) and the time
    the signal was sent.
    """
    first = asyncio.Event()
    sent_at: list[float] = []
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in range(CLIENTS)))

        async def post(n: int):
            try:
                response = await client.post("/track", json=body(n))
            except httpx.TransportError:
                return None, time.monotonic()
            first.set()
            return response.status_code, time.monotonic()

        posts = [asyncio.create_task(post(n)) for n in range(CLIENTS)]
        await first.wait()
        daemon.signal(number)
        sent_at.append(time.monotonic())
        results = await asyncio.gather(*posts)
    return results, sent_at[0]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_drains_requests_in_flight_and_exits_0(tmp_path, number):
    rules = write_rules(tmp_path / "rules", RULES)
    db = tmp_path / "drain.db"
    daemon = SubprocessDaemon(tmp_path, rules, db).start()
    results, signalled = asyncio.run(load_then_signal(daemon.url, daemon, number))
    assert daemon.wait() == 0

    # Every request was sent before the signal, so every one is answered.
    assert [status for status, _ in results] == [200] * CLIENTS
    late = [at for _, at in results if at > signalled]
    assert late, "no request was still in flight when the signal came"

    connection = sqlite3.connect(db)
    stored = {row[0] for row in connection.execute("SELECT id FROM events")}
    [(integrity,)] = connection.execute("PRAGMA integrity_check").fetchall()
    connection.close()
    for n in range(CLIENTS):
        assert {f"c{n}-e{i}" for i in range(EVENTS)} <= stored
    assert integrity == "ok"

    messages = [line["message"] for line in daemon.lines()]
    name = signal.Signals(number).name
    assert f"{name}: stopping" in messages
    assert messages.index("stopping: draining") < messages.index("stopped")
    stopped = next(line for line in daemon.lines() if line["message"] == "stopped")
    assert stopped["events"] == len(stored)
