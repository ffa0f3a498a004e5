"""The bridge from Python logging to the console's log panel.

While the console runs, records of tracsh's loggers (the engine's ``log``
actions, reloads, failures) are posted to the app as LogLine messages, from
whichever thread logged them, and shown in the panel ``ctrl+l`` opens.
"""

from __future__ import annotations

import logging

from textual.app import App

from tracsh.tui.messages import LogLine

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class PanelHandler(logging.Handler):
    """Posts each record to the app as a LogLine."""

    def __init__(self, app: App) -> None:
        super().__init__(logging.INFO)
        self.app = app
        self.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        """Format the record and post it; never raise into the caller."""
        try:
            self.app.post_message(LogLine(self.format(record), record.levelno))
        except Exception:  # logging must never break the code that logs
            self.handleError(record)


def attach(app: App) -> tuple[PanelHandler, int]:
    """Route tracsh's records to ``app`` only; returns what :func:`detach` needs.

    They stop going to stderr meanwhile, which would write over the screen.
    """
    handler = PanelHandler(app)
    root = logging.getLogger("tracsh")
    level = root.level
    root.addHandler(handler)
    root.propagate = False
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    return handler, level


def detach(handler: PanelHandler, level: int) -> None:
    """Stop routing records to the app; stderr gets them again."""
    root = logging.getLogger("tracsh")
    root.removeHandler(handler)
    root.propagate = True
    root.setLevel(level)
