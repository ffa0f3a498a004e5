"""The ``/track`` answer: ids, and what the rules decided for the request's events.

Tracardi's tracker reads ``profile.id`` and ``session.id`` back (and stores them
for its next request), and shows ``ux``; tracsh adds ``messages`` and the ids of
the events it stored. Internal events that an event caused contribute what
their rules decided too, in the order they ran.
"""

from __future__ import annotations

import json
from typing import Any

from tracsh.engine.outcome import Outcome


def _walk(outcome: Outcome):
    """The outcome and every internal outcome under it, depth first, in order."""
    yield outcome
    for child in outcome.internal:
        yield from _walk(child)


def _first(values: list[str], fallback: str | None) -> str | None:
    return next((value for value in values if value), fallback)


def track_answer(
    outcomes: list[Outcome],
    rejected: list[str],
    *,
    profile_id: str | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """The answer body for a request whose events produced ``outcomes``.

    ``rejected`` are the reasons of entries that did not become events; they
    lead the ``errors``. ``profile_id``/``session_id`` (as the client sent
    them) stand in when no outcome names one.
    """
    answer: dict[str, Any] = {
        "profile": {"id": _first([o.profile_id for o in outcomes], profile_id)},
        "session": {"id": _first([o.session_id for o in outcomes], session_id)},
        "events": [outcome.event_id for outcome in outcomes],
        "ux": [],
        "messages": [],
        "response": {},
        "errors": list(rejected),
        "warnings": [],
    }
    for outcome in outcomes:
        if outcome.duplicate:
            answer["warnings"].append(
                f"event {outcome.event_id}: already received; not applied again"
            )
        for part in _walk(outcome):
            answer["ux"].extend(part.ux)
            answer["messages"].extend(part.messages)
            answer["response"].update(part.response)
            answer["errors"].extend(part.errors)
            answer["warnings"].extend(part.warnings)
    return answer


_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":")
).encode


def answer_bytes(answer: dict[str, Any]) -> bytes:
    """An answer as the JSON body Starlette's JSONResponse would send."""
    return _encode(answer).encode("utf-8")
