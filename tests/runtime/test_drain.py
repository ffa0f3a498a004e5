"""SIGTERM and SIGINT: stop accepting, answer what is in flight, commit, exit 0."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import sqlite3
import time

import httpx
import pytest
from daemon_harness import SubprocessDaemon, write_rules

from tracsh.runtime.server import LINGER_SECONDS

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


async def post(url: str, payload: dict) -> tuple[asyncio.StreamReader, float]:
    """Send one request on a connection of its own; return it once fully written.

    Written by hand on a stream, so that the test knows the request has left
    before the signal does (an HTTP client library may still be sending).
    """
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    data = json.dumps(payload).encode()
    writer.write(
        f"POST /track HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    await writer.drain()
    return reader, writer


async def answer(reader: asyncio.StreamReader) -> tuple[int | None, float]:
    """The status of the answer on ``reader`` (None: closed without one), and when."""
    line = await reader.readline()
    answered = time.monotonic()
    status = int(line.split()[1]) if line else None
    await reader.read()  # the rest, until the daemon closes the connection
    return status, answered


async def load_then_signal(url: str, daemon: SubprocessDaemon, number: int):
    """Send every request, then the signal; then collect the answers.

    Returns each request's (status or None, when it was answered) and the time
    the signal was sent.
    """
    sent = await asyncio.gather(*(post(url, body(n)) for n in range(CLIENTS)))
    daemon.signal(number)
    signalled = time.monotonic()
    results = await asyncio.gather(*(answer(reader) for reader, _ in sent))
    for _, writer in sent:
        writer.close()
    return results, signalled


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_drains_requests_in_flight_and_exits_0(tmp_path, number):
    rules = write_rules(tmp_path / "rules", RULES)
    db = tmp_path / "drain.db"
    daemon = SubprocessDaemon(tmp_path, rules, db).start()
    results, signalled = asyncio.run(load_then_signal(daemon.url, daemon, number))
    assert daemon.wait() == 0

    # Every request had left before the signal, so every one is answered.
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


KEPT_ALIVE = 20


async def keep_busy(url: str, client: int, answers: list, failures: list) -> None:
    """Post one event after another on one kept-alive connection until refused."""
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        for n in itertools.count():
            event_id = f"k{client}-e{n}"
            payload = {
                "source": {"id": "web"},
                "profile": {"id": f"k{client}"},
                "events": [{"id": event_id, "type": "page-view"}],
            }
            try:
                response = await http.post("/track", json=payload)
            except httpx.HTTPError as error:
                failures.append((client, type(error).__name__))
                return
            assert response.status_code == 200, response.text
            answers.append((client, event_id, response.headers.get("connection")))


async def busy_then_signal(daemon: SubprocessDaemon) -> tuple[list, list, float]:
    """Keep every client busy, signal once each has been answered a few times,
    and return the answers, the failures and how long the drain took."""
    answers: list = []
    failures: list = []
    clients = [
        asyncio.create_task(keep_busy(daemon.url, n, answers, failures))
        for n in range(KEPT_ALIVE)
    ]
    while len({client for client, _, _ in answers}) < KEPT_ALIVE or len(answers) < 200:
        await asyncio.sleep(0.05)
    daemon.signal(signal.SIGTERM)
    signalled = time.monotonic()
    code = await asyncio.get_running_loop().run_in_executor(None, daemon.wait)
    drained = time.monotonic() - signalled
    await asyncio.gather(*clients)
    assert code == 0
    return answers, failures, drained


def test_kept_alive_connections_are_closed_after_one_more_answer(tmp_path):
    rules = write_rules(tmp_path / "rules", RULES)
    db = tmp_path / "drain.db"
    daemon = SubprocessDaemon(tmp_path, rules, db).start()
    answers, failures, drained = asyncio.run(busy_then_signal(daemon))

    # Each busy connection got one answer with Connection: close and ended
    # there; no request was cut off, the clients were refused a new connection.
    closing = [client for client, _, connection in answers if connection == "close"]
    assert sorted(closing) == list(range(KEPT_ALIVE))
    assert sorted(failures) == [(n, "ConnectError") for n in range(KEPT_ALIVE)]

    # Every answered event is committed, and the drain did not wait for its cap.
    connection = sqlite3.connect(db)
    stored = {row[0] for row in connection.execute("SELECT id FROM events")}
    connection.close()
    assert {event_id for _, event_id, _ in answers} <= stored
    messages = [line["message"] for line in daemon.lines()]
    assert not any("still busy" in message for message in messages)
    assert drained < LINGER_SECONDS / 2
