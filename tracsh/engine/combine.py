"""How the documents of merged profiles become one, field by field.

The rules (docs/identity.md): ids are united; ``created`` is the earliest,
``updated`` and ``last_seen`` the latest; views, counters and interest scores
add up (each event counted them for one profile only); segments are united;
each consent keeps its latest decision; a journey keeps its run in progress.
Everything else, traits and PII included, takes the value of the most recently
updated profile that has it: objects merge key by key, lists are united, and a
scalar is never turned into a list. A PII value that loses is kept under
``pii_alternates``, so no PII is lost.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tracsh.engine.identify import derived_id, event_time
from tracsh.lang import values
from tracsh.lang.scope import MISSING

SPECIAL = frozenset(
    {
        "id", "ids", "created", "updated", "last_seen", "visits", "views",
        "counters", "interests", "segments", "consents", "journeys", "merges",
        "pii", "pii_alternates",
    }
)  # fmt: skip
"""Fields with a rule of their own; every other field takes the newest value."""


def _times(docs: list[dict], field: str) -> list[tuple[datetime, str]]:
    found = []
    for doc in docs:
        try:
            found.append((event_time(doc.get(field)), doc[field]))
        except ValueError:
            continue
    return found


def _united(lists: list[Any]) -> list:
    """The items of several lists, each once, in the order first seen."""
    seen: set[str] = set()
    found = []
    for items in lists:
        for item in items if isinstance(items, list) else []:
            key = json.dumps(item, sort_keys=True)
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found


def newest(found: list[Any], path: str = "", lost: dict | None = None) -> Any:
    """Combine one field's values, least recently updated first (MISSING: absent).

    Objects merge key by key, lists are united, and otherwise the last present
    value wins; with ``lost``, the other distinct values are recorded under
    their dotted path.
    """
    present = [value for value in found if value is not MISSING]
    if not present:
        return MISSING
    if all(isinstance(value, dict) for value in present):
        keys = list(dict.fromkeys(key for value in present for key in value))
        merged = {}
        for key in keys:
            inner = [value.get(key, MISSING) for value in present]
            combined = newest(inner, f"{path}.{key}".lstrip("."), lost)
            if combined is not MISSING:
                merged[key] = combined
        return merged
    if all(isinstance(value, list) for value in present):
        return _united(present)
    winner = present[-1]
    if lost is not None:
        others = [v for v in present[:-1] if not _same(v, winner)]
        if others:
            lost.setdefault(path, [])
            lost[path] = _united([lost[path], others])
    return winner


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return values.same(a, b)


def _added(docs: list[dict], field: str) -> dict:
    """Per-key sums of number maps (counters, interests); other values: newest."""
    maps = [doc.get(field) if isinstance(doc.get(field), dict) else {} for doc in docs]
    merged = newest(maps) or {}
    for key in merged:
        numbers = [m.get(key) for m in maps if values.is_number(m.get(key))]
        if numbers and len(numbers) == sum(key in m for m in maps):
            merged[key] = sum(numbers)
    return merged


def _consents(docs: list[dict]) -> dict:
    """Each consent's latest decision (by its ``time``; ties: the newest profile)."""
    merged: dict[str, Any] = {}
    for doc in docs:
        for name, consent in (doc.get("consents") or {}).items():
            if name not in merged or _decided(consent) >= _decided(merged[name]):
                merged[name] = consent
    return merged


def _decided(consent: Any) -> tuple:
    try:
        return 1, event_time(consent.get("time"))
    except (AttributeError, ValueError):
        return (0,)


def _journeys(docs: list[dict]) -> tuple[dict, list[str]]:
    """One state per journey: a run in progress wins, the earliest entered one.

    Also returns the timer keys of runs in progress that lost: their waiting
    steps must not run.
    """
    merged: dict[str, Any] = {}
    cancelled: list[str] = []
    for doc in docs:
        for name, state in (doc.get("journeys") or {}).items():
            kept = merged.get(name)
            if kept is None or (_active(state) and not _active(kept)):
                merged[name] = state
            elif _active(state) and _active(kept):
                first, second = sorted((kept, state), key=_entered)
                merged[name] = first
                cancelled.append(_waiting_key(name, second))
            elif not _active(kept):
                merged[name] = state
    return merged, [key for key in cancelled if key]


def _active(state: Any) -> bool:
    return isinstance(state, dict) and state.get("status") == "active"


def _entered(state: dict) -> tuple:
    try:
        return 0, event_time(state.get("entered"))
    except ValueError:
        return (1,)


def _waiting_key(name: str, state: dict) -> str | None:
    """The timer key of the step an active run waits for (see journeys.py)."""
    if state.get("step") is None:
        return None
    return derived_id("journey-step", name, state["run"], state["step"])


def combine_profiles(
    docs: list[dict], survivor: str, now: datetime
) -> tuple[dict, list[str]]:
    """Merge profile documents (least recently updated first) into ``survivor``.

    Returns the merged document (``visits`` is the caller's, from sessions) and
    the timer keys of journey runs that the merge ended.
    """
    merged = newest([{k: v for k, v in d.items() if k not in SPECIAL} for d in docs])
    by_id = {doc["id"]: doc for doc in docs}
    merged["id"] = survivor
    merged["ids"] = _united(
        [by_id[survivor].get("ids", [survivor])]
        + [[doc["id"], *(doc.get("ids") or [])] for doc in docs]
    )
    for field, pick in (("created", min), ("updated", max), ("last_seen", max)):
        found = _times(docs, field)
        if found:
            merged[field] = pick(found)[1]
    merged["views"] = sum(d["views"] for d in docs if values.is_number(d.get("views")))
    merged["counters"] = _added(docs, "counters")
    merged["interests"] = _added(docs, "interests")
    merged["segments"] = _united([doc.get("segments") for doc in docs])
    merged["consents"] = _consents(docs)
    merged["journeys"], cancelled = _journeys(docs)
    merged["merges"] = _united([doc.get("merges") for doc in docs])
    lost: dict[str, list] = {}
    pii = newest(
        [d.get("pii") if isinstance(d.get("pii"), dict) else {} for d in docs], "", lost
    )
    merged["pii"] = pii or {}
    alternates = newest([doc.get("pii_alternates", MISSING) for doc in docs])
    alternates = dict(alternates) if isinstance(alternates, dict) else {}
    for path, lost_values in lost.items():
        alternates[path] = _united([alternates.get(path), lost_values])
    if alternates:
        merged["pii_alternates"] = alternates
    return merged, cancelled
