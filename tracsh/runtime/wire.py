"""What the console and its engine process say to each other, as JSON lines.

The console (tracsh/tui/feed.py) starts ``python -m tracsh.runtime.liveloop
PLAN`` with a :class:`LoopPlan` as JSON, writes commands to its stdin and reads
reports from its stdout; the engine process (tracsh/runtime/liveloop.py) does
the opposite. Both sides use this module, which needs neither textual nor a
running loop.

A report is one JSON object per line, and every key in it is optional:

- ``events``: ``[{"event": {...}, "outcome": {...}}]``, oldest first; an
  outcome is what :func:`outcome_to_wire` writes;
- ``omitted``: events processed before those but left out (the console keeps
  fewer than a busy second brings);
- ``rejected``: input records refused since the last report;
- ``moves``: ``[[segment, entered, left]]`` over every event, omitted ones too;
- ``state``: ``{"text", "running"}``, what the loop is doing;
- ``rules``: ``{"applied", "text", "revision"}``, a reload applied or refused;
- ``notices``: ``[{"text", "severity"}]``, answers to commands;
- ``previews``: ``[{"profile", "counts"}]``, what forgetting would delete;
- ``forgotten``: ``[{"profile", "counts"}]``, profiles forgotten on command;
- ``logs``: ``[{"level", "text"}]``, the engine process's log records;
- ``listening``: the collector's URL, once it listens;
- ``figures``: counters such as ``processed``, ``queued``, ``explained``;
- ``failed``: ``{"summary", "where", "traceback", "user"}``, why the loop ended.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracsh.engine.outcome import Fired, Outcome

OUTBOX_FIELDS = ("kind", "target", "recipient", "status", "reason", "rule_id")
"""What a report says of each outbox row an event queued (the console reads the
rest, the rendered message included, from the database)."""

COMMANDS = ("retry", "preview", "forget", "reload", "stop")
"""What the console may ask: ``{"command": "retry", "id": 7}``, ``{"command":
"preview", "profile": "p-1"}`` (what forgetting would delete), ``{"command":
"forget", "profile": "p-1"}``, ``{"command": "reload"}``, ``{"command": "stop"}``."""


@dataclass
class LoopPlan:
    """What the engine process runs, as the console's command line asked."""

    db: str
    """The database file."""
    rules: list[str]
    """Rule files and directories."""
    config: str | None = None
    """The tracsh.toml to read; None reads ./tracsh.toml when there is one."""
    replay: str | None = None
    """An event file to feed through the engine."""
    speed: float = 100.0
    """Replayed events per second; 0 feeds as fast as the engine goes."""
    format: str = "auto"
    """The replay file's format (as ``tracsh replay --format``)."""
    mapping: str | None = None
    """A CSV column mapping for the replay file."""
    listen: str | None = None
    """HOST:PORT for the HTTP collector; None runs none."""
    rows: int = 1000
    """The most events one report carries: the console keeps no more."""

    def to_json(self) -> str:
        """The plan as one line of JSON (the engine process's argument)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoopPlan:
        """The plan :meth:`to_json` wrote."""
        return cls(**json.loads(text))


@dataclass
class ExplainedFired(Fired):
    """A fired rule as a report carries it: with the explain trace of its
    condition at the moment it was decided, or a note saying why there is none."""

    explain: str | None = None
    note: str | None = None


ExplainOf = Callable[[str, str], tuple[str | None, str | None]]
"""``explain_of(event_id, rule_id)``: the trace text of a firing and a note
saying why there is none (either may be None)."""


def outcome_to_wire(outcome: Outcome, explain_of: ExplainOf | None = None) -> dict:
    """An Outcome as a report carries it (internal events nested), with the
    explain trace of each fired rule from ``explain_of``."""
    fired = []
    for item in outcome.fired:
        text, note = (None, None)
        if explain_of is not None:
            text, note = explain_of(outcome.event_id, item.rule_id)
        fired.append(_drop_empty({"rule": item.rule_id, "actions": item.actions,
                                  "explain": text, "note": note}))  # fmt: skip
    data = {
        "id": outcome.event_id,
        "type": outcome.event_type,
        "profile": outcome.profile_id,
        "session": outcome.session_id,
        "duplicate": outcome.duplicate,
        "new_profile": outcome.new_profile,
        "new_visit": outcome.new_visit,
        "fired": fired,
        "errors": outcome.errors,
        "warnings": outcome.warnings,
        "condition_errors": outcome.condition_errors,
        "type_warnings": outcome.type_warnings,
        "outbox": [_outbox(row) for row in outcome.outbox],
        "entered": outcome.segments_entered,
        "left": outcome.segments_left,
        "internal": [outcome_to_wire(c, explain_of) for c in outcome.internal],
    }
    return _drop_empty(data)


def outcome_from_wire(data: dict) -> Outcome:
    """The Outcome :func:`outcome_to_wire` described; fired rules are
    ExplainedFired, so they carry their explain trace."""
    return Outcome(
        event_id=data["id"],
        event_type=data["type"],
        profile_id=data.get("profile", ""),
        session_id=data.get("session", ""),
        duplicate=data.get("duplicate", False),
        new_profile=data.get("new_profile", False),
        new_visit=data.get("new_visit", False),
        fired=[
            ExplainedFired(
                item["rule"],
                item.get("actions", []),
                item.get("explain"),
                item.get("note"),
            )
            for item in data.get("fired", ())
        ],
        errors=data.get("errors", []),
        warnings=data.get("warnings", []),
        condition_errors=data.get("condition_errors", 0),
        type_warnings=data.get("type_warnings", 0),
        outbox=data.get("outbox", []),
        segments_entered=data.get("entered", []),
        segments_left=data.get("left", []),
        internal=[outcome_from_wire(child) for child in data.get("internal", ())],
    )


def _outbox(row: dict) -> dict:
    return {name: row.get(name) for name in OUTBOX_FIELDS if row.get(name)}


def _drop_empty(data: dict) -> dict:
    """Leave out falsy values: the reader's defaults say the same in fewer bytes."""
    return {key: value for key, value in data.items() if value}


def encode(message: dict) -> bytes:
    """One message as a line of JSON (values JSON lacks are written as text)."""
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """One line back into its message; ValueError when it is not one."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"not a message: {line[:80]!r}")
    return message


def command(name: str, **arguments: Any) -> bytes:
    """A command line for the engine process (``name`` is one of COMMANDS)."""
    if name not in COMMANDS:
        raise ValueError(f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
    return encode({"command": name, **arguments})
