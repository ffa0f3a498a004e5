"""A running tally of what a stream of events did, for replay's closing summary.

Replay and the console fold every Outcome (and every reject) into a Summary;
``as_dict`` is the JSON form and the text form is built from it by the CLI.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tracsh.engine.outcome import Outcome

FIRST_REJECTS = 5
"""How many reject reasons a summary keeps verbatim."""


@dataclass
class Summary:
    """Counts over the events and rejects seen so far."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    internal: int = 0
    profiles_created: int = 0
    visits: int = 0
    rules_fired: int = 0
    by_rule: Counter = field(default_factory=Counter)
    outbox: Counter = field(default_factory=Counter)
    first_rejects: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    condition_errors: int = 0
    type_warnings: int = 0
    profiles: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    def reject(self, source: str, line: int, reason: str) -> None:
        """Count one rejected line."""
        self.read += 1
        self.rejected += 1
        if len(self.first_rejects) < FIRST_REJECTS:
            self.first_rejects.append(
                {"source": source, "line": line, "reason": reason}
            )

    def add(self, outcome: Outcome, internal: bool = False) -> None:
        """Count one processed event and the internal events it caused."""
        if internal:
            self.internal += 1
        else:
            self.read += 1
            self.accepted += 1
        if outcome.duplicate:
            self.duplicates += 1
            return
        self.profiles.add(outcome.profile_id)
        self.sessions.add(outcome.session_id)
        self.profiles_created += outcome.new_profile
        self.visits += outcome.new_visit
        self.errors += len(outcome.errors)
        self.condition_errors += outcome.condition_errors
        self.type_warnings += outcome.type_warnings
        for fired in outcome.fired:
            self.rules_fired += 1
            self.by_rule[fired.rule_id] += 1
        for row in outcome.outbox:
            self.outbox[(row["kind"], row["status"])] += 1
        for child in outcome.internal:
            self.add(child, internal=True)

    def finish(self) -> None:
        """Stop the clock."""
        self.elapsed = time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        """Accepted events per second of wall time."""
        return self.accepted / self.elapsed if self.elapsed > 0 else 0.0

    def as_dict(self, segment_sizes: dict[str, int] | None = None) -> dict[str, Any]:
        """The summary as JSON-shaped data."""
        outbox: dict[str, dict[str, int]] = {}
        for (kind, status), count in sorted(self.outbox.items()):
            outbox.setdefault(kind, {})[status] = count
        return {
            "events": {
                "read": self.read,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "duplicates": self.duplicates,
                "internal": self.internal,
            },
            "first_rejects": self.first_rejects,
            "profiles": {
                "created": self.profiles_created,
                "updated": len(self.profiles) - self.profiles_created,
            },
            "sessions": len(self.sessions),
            "visits": self.visits,
            "rules_fired": self.rules_fired,
            "by_rule": dict(self.by_rule.most_common()),
            "action_errors": self.errors,
            "condition_errors": self.condition_errors,
            "type_warnings": self.type_warnings,
            "segments": dict(segment_sizes or {}),
            "outbox": outbox,
            "seconds": round(self.elapsed, 3),
            "events_per_second": round(self.rate, 1),
        }
