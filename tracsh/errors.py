"""The base class of every error a user can cause, and how it maps to exit status.

Front ends catch ``UserError`` and show its message without a traceback; any
other exception is a bug in tracsh and is shown in full.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in input, configuration or rules, explained in its message.

    ``status`` is the process exit status the CLI uses for it.
    """

    status = 1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
