"""The console's side of its engine process: start it, talk to it, end it.

EngineFeed (tracsh/tui/feed.py) starts ``python -m tracsh.runtime.liveloop``
through an EngineProcess and reads its reports on the feed's thread. The
process gets a session of its own, so a signal meant for the console's
terminal does not reach it directly: the console ends it, and if the console
dies instead, the process sees its stdin close and stops by itself.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from tracsh.runtime.wire import LoopPlan, command, decode

log = logging.getLogger(__name__)

MODULE = "tracsh.runtime.liveloop"
"""The engine process's entry point (``python -m``)."""

STDERR_KEPT = 60
"""Lines of the process's stderr kept to explain a crash."""

GRACE = (5.0, 2.0)
"""Seconds given to the process after a stop, then after SIGTERM, before SIGKILL."""


class EngineProcess:
    """A running engine process, its pipes, and what it wrote on stderr."""

    def __init__(self, plan: LoopPlan, on_stderr: Callable[[str], None]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", MODULE, plan.to_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_KEPT)
        """The last lines the process wrote on stderr."""
        self.stopping = False
        """True once the console asked the process to stop."""
        self._on_stderr = on_stderr
        self._lock = threading.Lock()
        self._stderr = threading.Thread(
            target=self._read_stderr, name="tracsh-engine-stderr", daemon=True
        )
        self._stderr.start()

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def reports(self) -> Iterator[dict[str, Any]]:
        """Each report the process writes, until its stdout ends (it exited)."""
        for line in self.process.stdout:
            try:
                yield decode(line)
            except ValueError as error:
                log.warning("engine process: not a report: %s", error)

    def send(self, name: str, **arguments: Any) -> bool:
        """Write a command to the process; False when it is gone already."""
        with self._lock:
            try:
                self.process.stdin.write(command(name, **arguments))
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return False
        return True

    def stop(self) -> None:
        """Ask the process to stop and close its stdin (it drains, then exits)."""
        self.stopping = True
        self.send("stop")
        with self._lock:
            try:
                self.process.stdin.close()
            except OSError:
                pass

    def wait(self, grace: tuple[float, float] = GRACE) -> int:
        """Wait for the process to exit after :meth:`stop`; SIGTERM it, then
        SIGKILL it, when it takes longer than ``grace``. Its exit status."""
        for seconds, then in ((grace[0], signal.SIGTERM), (grace[1], signal.SIGKILL)):
            try:
                return self.process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                log.warning("engine process %s: sending %s", self.pid, then.name)
                self.process.send_signal(then)
        return self.process.wait()

    def ended(self) -> str:
        """How the process ended, for people: an exit status or a signal."""
        code = self.process.wait()
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def _read_stderr(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.stderr_tail.append(line)
            self._on_stderr(line)
