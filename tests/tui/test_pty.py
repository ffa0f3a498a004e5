"""The real ``tracsh tui`` in a pseudo-terminal: it starts, gives the terminal
back (alternate screen left, cursor shown) however it is ended, and its engine
process ends with it, even when the console is killed."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


def run_console(project: Path, stop) -> tuple[bytes, int, int]:
    """Start the console in a pty, wait for its first screen and its engine
    process, ``stop`` it; what it wrote, its exit status, the engine's pid."""
    main, child = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="30")
    process = subprocess.Popen(
        [sys.executable, "-m", "tracsh.cli.main", "tui", "--db", "tracsh.db"],
        cwd=project,
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    output = read_until(main, b"dashboard", seconds=20)
    engine = engine_of(process.pid)
    stop(process, main)
    output += read_until(main, None, seconds=10)
    os.close(main)
    return output, process.wait(timeout=10), engine


def engine_of(pid: int, seconds: float = 10.0) -> int:
    """The pid of the engine process the console ``pid`` started."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # Each thread's children are listed under it; the feed's thread starts it.
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread that ended
                children = (task / "children").read_text().split()
                if children:
                    return int(children[0])
        time.sleep(0.05)
    raise AssertionError(f"console {pid} started no engine process")


def gone(pid: int, seconds: float = 15.0) -> bool:
    """Whether process ``pid`` ends (or is only a zombie) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        if "State:\tZ" in status:
            return True
        time.sleep(0.05)
    return False


def read_until(fd: int, wanted: bytes | None, seconds: float) -> bytes:
    """Read the pty until ``wanted`` shows up (or it closes, or time is up)."""
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if wanted is not None and wanted in data:
            break
    return data


def press_quit(process, fd) -> None:
    os.write(fd, b"\x11")  # ctrl+q


def terminate(process, fd) -> None:
    process.send_signal(signal.SIGTERM)


def kill(process, fd) -> None:
    process.send_signal(signal.SIGKILL)


@pytest.mark.parametrize("stop", [press_quit, terminate], ids=["ctrl+q", "sigterm"])
def test_the_terminal_is_given_back(shop, stop):
    output, status, engine = run_console(shop, stop)
    assert b"dashboard" in output
    tail = output[output.rfind(b"dashboard") :]
    assert LEAVE_ALT_SCREEN in tail and SHOW_CURSOR in tail
    assert status in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    assert gone(engine, seconds=1.0)
    assert b"Traceback" not in output


def test_the_engine_process_ends_when_the_console_is_killed(shop):
    _, status, engine = run_console(shop, kill)
    assert status == -signal.SIGKILL
    assert gone(engine)
