"""Fixtures shared across test folders: daemons over real files on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_harness import InProcessDaemon


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[..., InProcessDaemon]]:
    """A factory: ``daemon(rule text or folder, **settings)`` gives a started one."""
    started: list[InProcessDaemon] = []

    def make(rules: Any = "", **settings: Any) -> InProcessDaemon:
        running = InProcessDaemon(tmp_path, rules, **settings).start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()
