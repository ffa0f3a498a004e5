"""What a condition is evaluated against: the documents, the clock, and a report.

Both the compiled form and the reference evaluator take a Scope. Documents are
plain JSON-shaped values (dicts, lists, str, int, float, bool, None) as stored;
times inside them are ISO-8601 text. ``MISSING`` stands for a path that does not
resolve, and is distinct from ``None`` (a stored null).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


class _Missing:
    """The type of MISSING: a path that resolves to nothing."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()
"""A path that does not resolve; never stored, never equal to null."""

Truth = bool | None
"""A three-valued truth: True, False, or None for unknown."""


@dataclass
class Report:
    """Counts what went wrong quietly while evaluating one rule for one event."""

    type_warnings: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Record a type warning (an ordering or time test across types)."""
        self.type_warnings += 1
        if len(self.messages) < 20:
            self.messages.append(message)

    def error(self, message: str) -> None:
        """Record an evaluation error (division by zero, a failing function)."""
        self.errors += 1
        if len(self.messages) < 20:
            self.messages.append(message)


@dataclass
class Scope:
    """The documents a condition reads, the current time, and where to report.

    ``segments`` is the profile's current segment membership; when None it is
    read from ``profile["segments"]``.
    """

    event: Any = MISSING
    profile: Any = MISSING
    session: Any = MISSING
    source: Any = MISSING
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    report: Report = field(default_factory=Report)
    history: Any = None
    """Answers count/sum/last for the profile; None where history is unavailable."""

    def root(self, name: str) -> Any:
        """The document for a path root (event, profile, session, source)."""
        return getattr(self, name)
