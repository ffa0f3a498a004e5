"""The base class of every error a user can cause, and how it maps to exit status.

Front ends catch ``UserError`` and show its message without a traceback; any
other exception is a bug in tracsh and is shown in full.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path


class UserError(Exception):
    """A mistake in input, configuration or rules, explained in its message.

    ``status`` is the process exit status the CLI uses for it.
    """

    status = 1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


def failed_at(error: BaseException) -> str:
    """Where ``error`` was raised, in one line: ``at FILE:LINE in FUNCTION``.

    The file is shown from the package it belongs to (``tracsh/…`` or an installed
    library's folder), not from wherever it happens to be installed; empty when
    the error carries no traceback.
    """
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"at {_shown(last.filename)}:{last.lineno} in {last.name}"


def _shown(filename: str) -> str:
    """``filename`` from its top-level package on: tracsh's own files from the
    folder that holds the package, others from their ``sys.path`` entry."""
    path = Path(filename)
    roots = [Path(__file__).resolve().parent.parent]
    roots += [Path(entry) for entry in sys.path if entry]
    inside = [root for root in roots if path.is_relative_to(root)]
    if not inside:
        return filename
    return path.relative_to(max(inside, key=lambda root: len(root.parts))).as_posix()
