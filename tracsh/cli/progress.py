"""A progress bar on stderr while files are read, shown only on a terminal.

Progress counts input lines (events plus rejects); the total comes from a quick
count of the files' line ends before reading starts.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


class _Quiet:
    """Stands in for the bar when stderr is not a terminal."""

    def advance(self, count: int) -> None:
        """Ignore progress."""


class _Bar:
    def __init__(self, progress: Progress, task: int) -> None:
        self.progress = progress
        self.task = task

    def advance(self, count: int) -> None:
        """Move the bar on by ``count`` lines."""
        self.progress.advance(self.task, count)


def count_lines(paths: list[Path]) -> int:
    """The number of lines in the files (a final line without a newline counts)."""
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            last = b""
            while chunk := handle.read(1 << 20):
                total += chunk.count(b"\n")
                last = chunk
            total += bool(last) and not last.endswith(b"\n")
    return total


@contextmanager
def progress_for(paths: list[Path]) -> Iterator[_Bar | _Quiet]:
    """A bar over the lines of ``paths`` on a terminal, else nothing visible."""
    if not sys.stderr.isatty():
        yield _Quiet()
        return
    columns = (
        TextColumn("replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True) as progress:
        # Standard input ("-") has no length to count, so its bar has no total.
        stdin = any(str(path) == "-" for path in paths)
        total = None if stdin else count_lines(paths)
        task = progress.add_task("replay", total=total)
        yield _Bar(progress, task)
