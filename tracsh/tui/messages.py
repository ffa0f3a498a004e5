"""Messages that worker threads post to the console, which alone builds widgets.

The feed (tracsh/tui/feed.py) posts events, its state, its answers and its
failures; the log handler posts log lines; screens' loader threads post what
they read.
``post_message`` is safe to call from any thread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tracsh.engine.outcome import Outcome


@dataclass(frozen=True)
class Seen:
    """One event as the console saw it."""

    number: int
    """Arrival order in this console, from 1."""
    event: dict
    """The event as stored."""
    outcome: Outcome | None
    """What the engine made of it; None when that is not known here (watching
    another process, or an event this console did not run or no longer keeps)."""


class FeedEvents(Message):
    """Events the feed has processed (or, attached, found in the database)."""

    def __init__(
        self,
        seen: list[Seen],
        rejected: int = 0,
        omitted: int = 0,
        moves: Counter | None = None,
    ) -> None:
        super().__init__()
        self.seen = seen
        """The events, oldest first."""
        self.rejected = rejected
        """Input records refused since the last message."""
        self.omitted = omitted
        """Events processed before these but not sent: more came than the
        console keeps."""
        self.moves = moves or Counter()
        """(segment, "entered" | "left") counts over every event, omitted too."""


class FeedState(Message):
    """A line saying what the feed is doing, for the status bar."""

    def __init__(self, text: str, running: bool = True) -> None:
        super().__init__()
        self.text = text
        """For people: "replaying 1,200 of 4,975 at 100 events/s"."""
        self.running = running
        """False once the feed has stopped for good."""


class RulesLoaded(Message):
    """The feed (re)loaded rules, or refused a rule set with errors."""

    def __init__(self, ruleset: Any, applied: bool, text: str) -> None:
        super().__init__()
        self.ruleset = ruleset
        """The RuleSet that was read."""
        self.applied = applied
        """True when the engine runs it now."""
        self.text = text
        """For people: what happened."""


class FeedError(Message):
    """Something failed where the feed runs: the replay, or the engine process."""

    def __init__(self, summary: str, where: str, detail: str) -> None:
        super().__init__()
        self.summary = summary
        """One line: what failed and why."""
        self.where = where
        """Where it failed, or what to look at."""
        self.detail = detail
        """The traceback or the process's last words, for the log panel."""


class ForgetPreview(Message):
    """What forgetting a profile would delete (``counts`` None: no such profile)."""

    def __init__(self, profile_id: str, counts: dict[str, Any] | None) -> None:
        super().__init__()
        self.profile_id = profile_id
        """The id the operator asked about."""
        self.counts = counts
        """Rows per table, as ``Store.forget_profile`` would count them."""


class Forgotten(Message):
    """The engine forgot a profile (``counts`` None: no profile answered)."""

    def __init__(self, profile_id: str, counts: dict[str, Any] | None) -> None:
        super().__init__()
        self.profile_id = profile_id
        """The id the operator asked about."""
        self.counts = counts
        """Rows deleted per table, as ``Store.forget_profile`` counts them."""


class Listening(Message):
    """The engine's HTTP collector listens."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        """Where trackers post: ``http://HOST:PORT``."""


class Notice(Message):
    """The answer to something the operator asked of the feed (retry, reload)."""

    def __init__(self, text: str, severity: str = "information") -> None:
        super().__init__()
        self.text = text
        """One or two lines for people."""
        self.severity = severity
        """"information", "warning" or "error", as Textual's notify takes it."""


class LogLine(Message):
    """One formatted log record, for the log panel."""

    def __init__(self, text: str, level: int) -> None:
        super().__init__()
        self.text = text
        """The formatted record."""
        self.level = level
        """The logging level number."""


class Loaded(Message):
    """What a screen's loader thread read, or why it could not."""

    def __init__(self, what: str, data: Any = None, error: str | None = None) -> None:
        super().__init__()
        self.what = what
        """Which load this answers (a screen may run several)."""
        self.data = data
        """The rows or documents read."""
        self.error = error
        """A message for people when reading failed, else None."""
