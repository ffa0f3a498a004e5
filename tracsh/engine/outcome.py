"""What processing one event produced: fired rules, trace, and synchronous results.

The collector turns an Outcome into the ``/track`` answer; replay folds
outcomes into its summary; the REPL's dry run and the console show the trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fired:
    """One rule that fired for an event, and what each of its actions did."""

    rule_id: str
    actions: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """The result of one event (and the internal events it caused)."""

    event_id: str
    event_type: str
    profile_id: str = ""
    session_id: str = ""
    duplicate: bool = False
    new_profile: bool = False
    new_visit: bool = False
    fired: list[Fired] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    ux: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    response: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    condition_errors: int = 0
    """Errors counted while deciding rules' conditions (division by zero, …)."""
    type_warnings: int = 0
    """Type warnings counted while deciding rules' conditions."""
    warnings: list[str] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    segments_entered: list[str] = field(default_factory=list)
    segments_left: list[str] = field(default_factory=list)
    internal: list[Outcome] = field(default_factory=list)

    def all_fired(self) -> list[Fired]:
        """Fired rules of this event and of the internal events it caused."""
        found = list(self.fired)
        for child in self.internal:
            found.extend(child.all_fired())
        return found
