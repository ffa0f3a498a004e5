"""Daemons for the collector and runtime tests: real uvicorn on loopback, real files.

``InProcessDaemon`` runs a Runtime in a thread with its own event loop (as the
console will), on an ephemeral port of 127.0.0.1, over a SQLite file and a
rules folder under ``tmp_path``. ``SubprocessDaemon`` runs ``tracsh daemon`` as
a child process, for signals and crashes. Both are driven with httpx.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tracsh.config import SourceConfig
from tracsh.runtime import Runtime, RuntimeSettings
from tracsh.runtime.rulesource import RuleSource
from tracsh.store import Store

ROOT = Path(__file__).resolve().parent.parent


STARTUP_SECONDS = 20.0


def write_rules(folder: Path, text: str, name: str = "main.rules") -> Path:
    """Write one rule file into ``folder`` (created) and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


class InProcessDaemon:
    """A Runtime with its collector, running in a background thread."""

    def __init__(
        self,
        tmp_path: Path,
        rules: str | Path = "",
        *,
        sources: dict[str, SourceConfig] | None = None,
        renderer_factory: Callable[[], Any] | None = None,
        **settings: Any,
    ) -> None:
        folder = (
            rules if isinstance(rules, Path) else write_rules(tmp_path / "rules", rules)
        )
        self.db = tmp_path / "tracsh.db"
        self.rules = folder
        source = RuleSource([folder], tmp_path / "templates", renderer_factory)
        settings.setdefault("reload_debounce_ms", 50)
        self.settings = RuntimeSettings(
            db=self.db,
            rules=source,
            listen=("127.0.0.1", 0),
            sources=sources or {},
            **settings,
        )
        self.runtime = Runtime(self.settings)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def start(self) -> InProcessDaemon:
        self._thread.start()
        self._ready.wait(STARTUP_SECONDS)
        if self._error is not None:
            raise self._error
        host, port = self.runtime.address
        self.url = f"http://{host}:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=10.0)
        return self

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.runtime.start()
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            await self.runtime.run(self._stop)
        except BaseException as error:
            self._error = error

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` (a coroutine function) on the daemon's loop; its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(fn(), self._loop).result(10)

    def stop(self) -> None:
        """Stop as SIGTERM would: drain, commit, close; re-raise a failure."""
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the runtime did not stop"
        if self._error is not None:
            raise self._error

    def track(self, payload: dict, **options: Any) -> httpx.Response:
        return self.client.post("/track", json=payload, **options)

    def store(self) -> Store:
        """The database, opened read-only beside the daemon."""
        return Store.open(self.db, readonly=True)


def payload(
    *events: dict,
    profile: str | None = None,
    session: str | None = "s1",
    source: str = "web",
) -> dict:
    """A tracker payload around ``events``."""
    body: dict[str, Any] = {"source": {"id": source}, "events": list(events)}
    if profile is not None:
        body["profile"] = {"id": profile}
    if session is not None:
        body["session"] = {"id": session}
    return body


class SubprocessDaemon:
    """``tracsh daemon`` as a child process, its JSON log lines in a file."""

    def __init__(self, tmp_path: Path, rules: Path, db: Path, *extra: str) -> None:
        self.tmp_path = tmp_path
        self.command = [
            sys.executable,
            "-m",
            "tracsh.cli.main",
            "daemon",
            "--port",
            "0",
            "--rules",
            str(rules),
            "--db",
            str(db),
            "--no-reload",
            *extra,
        ]
        self.log_path = tmp_path / "daemon.log"
        self.out_path = tmp_path / "daemon.out"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> SubprocessDaemon:
        self.log_file = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.out_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=self.log_file,
                cwd=self.tmp_path,
                env=env,
            )
        self.url = self._wait_for_listen()
        return self

    def _wait_for_listen(self) -> str:
        """The URL from the ``listening on URL`` line the daemon prints."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            text = self.out_path.read_text()
            if text.endswith("\n"):
                return text.split()[-1]
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited: {self.log_path.read_text()}")
            time.sleep(0.01)
        raise AssertionError("the daemon did not start in time")

    def lines(self, offset: int = 0) -> list[dict]:
        """The JSON log lines written from ``offset`` on."""
        with self.log_path.open("rb") as file:
            file.seek(offset)
            text = file.read().decode()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.log_file.close()

    def stop_if_running(self) -> None:
        """Kill the child if a test failed while it was still running."""
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout)
        self.log_file.close()
        return code
