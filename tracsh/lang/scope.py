"""What a condition is evaluated against: the documents, the clock, and a report.

Both the compiled form and the reference evaluator take a Scope. Documents are
plain JSON-shaped values (dicts, lists, str, int, float, bool, None) as stored;
times inside them are ISO-8601 text. ``MISSING`` stands for a path that does not
resolve, and is distinct from ``None`` (a stored null).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
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


@dataclass(slots=True)
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


@dataclass(slots=True)
class Scope:
    """The documents a condition reads, the current time, and where to report.

    Segment tests read the profile's ``segments`` list.
    """

    event: Any = MISSING
    profile: Any = MISSING
    session: Any = MISSING
    source: Any = MISSING
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    report: Report = field(default_factory=Report)
    history: Any = None
    """Answers count/sum/last for the profile; None where history is unavailable.

    A history provider has ``evaluate(node, where, value, scope)``: ``node`` is
    the Count, Sum or Last node, ``where`` a check over a scope whose ``event``
    is a stored event (None when the node has no condition; a Count of a bare
    event type has its type in ``node.subject``), ``value`` the compiled value
    of sum()/last() over such a scope.
    """

    def root(self, name: str) -> Any:
        """The document for a path root (event, profile, session, source)."""
        return getattr(self, name)

    def ask_history(self, node: Any, where: Any, value: Any) -> Any:
        """count(), sum() or last() through ``history``; MISSING when it cannot answer.

        Without a provider (a dry run with no store) the rule cannot be decided:
        the value is missing and an error is counted.
        """
        name = type(node).__name__.lower()
        if self.history is None:
            self.report.error(f"{name}() needs the event history, which is not here")
            return MISSING
        try:
            return self.history.evaluate(node, where, value, self)
        except Exception as err:  # a store failure must not stop event processing
            self.report.error(f"{name}(): {err}")
            return MISSING
