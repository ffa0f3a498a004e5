"""Benchmark: tracsh daemon's POST /track against a minimal ASGI endpoint.

The minimal endpoint is the least a collector can do: uvicorn (same HTTP
implementation, same machine) running a bare ASGI function that reads the body,
parses the JSON and answers a fixed JSON object, writing nothing. tracsh also
validates, checks the source, runs the events through ``rules/`` and commits
them to SQLite before it answers. Both run in subprocesses, one after the
other, under the same bounded load from this process:

- throughput: ``--clients`` connections post as fast as they can, ``--requests``
  tracker payloads of ``--events`` events each;
- latency at a rate: payloads sent on a fixed schedule for ``--seconds``, so
  that ``--rate`` events per second arrive whatever the answers do.

It prints events per second and p50/p99 latency for each, and the ratios. The
goals: tracsh at least 25% of the minimal endpoint's throughput, and its p99
under 10 ms at 1,000 events/s. On a shared machine one measurement of each
server, minutes apart, gave ratios from 20% to 43% for the same build, so the
two alternate for ``--rounds`` rounds (a fresh database each) and the verdict
lines give medians: of the per-round ratios, and of tracsh's p99. The load
generator speaks HTTP/1.1 over asyncio streams itself, so that its own cost
stays small beside the servers'.

Run: ``python benchmarks/collector.py [--requests N] [--rate EVENTS] ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MINIMAL_APP = """
import json

async def app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    json.loads(body)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"11")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})
"""

MINIMAL_SERVER = """
import socket, sys, uvicorn
sys.path.insert(0, sys.argv[1])
from minimal_app import app
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.bind(("127.0.0.1", 0))
sock.listen(2048)
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
uvicorn.Server(config).run(sockets=[sock])
"""


class Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, body: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


def payload(events: int, n: int) -> bytes:
    """A tracker payload of ``events`` page views for one of 500 visitors."""
    visitor = n % 500
    return json.dumps(
        {
            "source": {"id": "web-shop"},
            "profile": {"id": f"bench-{visitor}"},
            "session": {"id": f"bench-s{visitor}"},
            "events": [
                {
                    "id": str(uuid.uuid4()),
                    "type": "page-view",
                    "properties": {"path": f"/p/{n}/{i}"},
                }
                for i in range(events)
            ],
        }
    ).encode()


async def throughput(port: int, args) -> dict:
    """Closed loop: every client posts its share as fast as answers come."""
    latencies: list[float] = []
    bodies = [payload(args.events, n) for n in range(args.requests)]
    queue = iter(bodies)

    async def client() -> None:
        connection = await Connection.open(port)
        for body in queue:
            started = time.perf_counter()
            status = await connection.post("/track", body)
            latencies.append(time.perf_counter() - started)
            assert status == 200, status
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    elapsed = time.perf_counter() - started
    return _figures(latencies, args.requests * args.events / elapsed)


async def at_rate(port: int, args) -> dict:
    """Open loop: a payload every 1/rate seconds, each on a free connection."""
    per_second = args.rate / args.events
    count = int(per_second * args.seconds)
    idle: list[Connection] = [await Connection.open(port) for _ in range(16)]
    latencies: list[float] = []

    async def one(body: bytes, due: float) -> None:
        connection = idle.pop() if idle else await Connection.open(port)
        status = await connection.post("/track", body)
        latencies.append(time.perf_counter() - due)
        idle.append(connection)
        assert status == 200, status

    bodies = [payload(args.events, n) for n in range(count)]
    start = time.perf_counter()
    tasks = []
    for n, body in enumerate(bodies):
        due = start + n / per_second
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(body, due)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    return _figures(latencies, count * args.events / (time.perf_counter() - start))


def _figures(latencies: list[float], rate: float) -> dict:
    cuts = statistics.quantiles(latencies, n=100)
    return {"events_per_s": rate, "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}


def start(command: list[str], cwd: Path) -> tuple[subprocess.Popen, int]:
    """Start a server that prints ``listening on URL``; return it and its port."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=(cwd / "server.log").open("w")
    )
    line = process.stdout.readline().decode()
    if not line.startswith("listening on"):
        raise SystemExit(
            f"{command[0]} did not start: {(cwd / 'server.log').read_text()}"
        )
    return process, int(line.rsplit(":", 1)[1])


async def events_per_batch(port: int) -> float | None:
    """Events per transaction so far, from tracsh's /metrics (None elsewhere)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    text = (await reader.read()).decode()
    writer.close()
    figures = dict(
        line.split()[:2]
        for line in text.splitlines()
        if line.startswith("tracsh_events_per_batch_")
    )
    if "tracsh_events_per_batch_count" not in figures:
        return None
    count = float(figures["tracsh_events_per_batch_count"])
    return float(figures["tracsh_events_per_batch_sum"]) / count if count else None


def measure(name: str, command: list[str], cwd: Path, args) -> dict:
    process, port = start(command, cwd)
    try:
        asyncio.run(throughput(port, args))  # warm up: imports, caches, profiles
        found = {"throughput": asyncio.run(throughput(port, args))}
        found["rate"] = asyncio.run(at_rate(port, args))
        if name == "tracsh":
            found["per_batch"] = asyncio.run(events_per_batch(port))
    finally:
        process.terminate()
        process.wait(30)
    print(
        f"{name:8} throughput {found['throughput']['events_per_s']:8,.0f} events/s "
        f"(p50 {found['throughput']['p50_ms']:.2f} ms, "
        f"p99 {found['throughput']['p99_ms']:.2f} ms); "
        f"at {args.rate:,} events/s: p50 {found['rate']['p50_ms']:.2f} ms, "
        f"p99 {found['rate']['p99_ms']:.2f} ms",
        flush=True,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--events", type=int, default=4, help="events per request")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--log-level", default="info", help="the daemon's log level")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times the two servers alternate"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "minimal_app.py").write_text(MINIMAL_APP)
        minimal = [sys.executable, "-c", MINIMAL_SERVER, str(work)]
        print(
            f"{args.requests:,} requests of {args.events} events from "
            f"{args.clients} connections; then {args.rate:,} events/s for "
            f"{args.seconds:g} s; {args.rounds} round(s)",
            flush=True,
        )
        rounds = []
        for number in range(args.rounds):
            base = measure("minimal", minimal, work, args)
            daemon = _tracsh(work / f"bench-{number}.db", args)
            ours = measure("tracsh", daemon, work, args)
            rounds.append((base, ours))

    ratios = [
        ours["throughput"]["events_per_s"] / base["throughput"]["events_per_s"]
        for base, ours in rounds
    ]
    each = ", ".join(f"{ratio:.0%}" for ratio in ratios)
    ratio = statistics.median(ratios)
    p99s = [ours["rate"]["p99_ms"] for _, ours in rounds]
    p99 = statistics.median(p99s)
    per_batch = statistics.median(ours["per_batch"] or 0 for _, ours in rounds)
    print(f"tracsh / minimal throughput: {ratio:.0%} (goal: at least 25%; {each})")
    print(f"tracsh events per transaction over the run: {per_batch:.1f}")
    print(f"tracsh p99 at {args.rate:,} events/s: {p99:.2f} ms (goal: under 10 ms)")


def _tracsh(db: Path, args) -> list[str]:
    """The daemon's command line, over the rules of this repository."""
    return [
        sys.executable,
        "-m",
        "tracsh.cli.main",
        "daemon",
        "--port",
        "0",
        "--rules",
        str(ROOT / "rules"),
        "--db",
        str(db),
        "--log-level",
        args.log_level,
    ]


if __name__ == "__main__":
    main()
