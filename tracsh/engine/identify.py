"""Pipeline step 2: find or create the event's profile and session, count visits.

A profile is found by any id it answers to; an unknown id creates a profile
under that id, and an event with no profile id gets a new one (derived from
the event id, so a replay of the same file makes the same ids). A new session
is a visit; a known session idle past the timeout starts a new visit in the
same session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tracsh.engine.working import WorkingSet

_IDS = uuid.UUID("6f1d2a3c-7f0e-4c59-9a55-1f2b7d0e9c11")

VIEW_TYPES = frozenset({"page-view", "view", "product-view", "screen-view"})
"""Event types that count towards ``profile.views``."""


@dataclass
class Identity:
    """The profile and session documents an event is processed against."""

    profile: dict
    session: dict
    new_profile: bool
    new_visit: bool


def derived_id(*parts: str) -> str:
    """A stable id made from other ids (same inputs, same id)."""
    return str(uuid.uuid5(_IDS, "\x1f".join(parts)))


def new_profile(profile_id: str, time: str) -> dict:
    """An empty profile document, created at ``time``."""
    return {
        "id": profile_id,
        "ids": [profile_id],
        "visits": 0,
        "views": 0,
        "created": time,
        "updated": time,
        "last_seen": time,
        "traits": {},
        "pii": {},
        "segments": [],
        "interests": {},
        "consents": {},
        "journeys": {},
        "counters": {},
    }


def _ref_id(ref: object) -> str | None:
    if isinstance(ref, dict):
        value = ref.get("id")
        return str(value) if value not in (None, "") else None
    return None


def find_profile(work: WorkingSet, event: dict) -> tuple[dict, bool]:
    """The event's profile (created when unknown) and whether it is new."""
    given = _ref_id(event.get("profile"))
    profile_id = work.resolve(given) if given else None
    if profile_id is not None:
        doc = work.profile(profile_id)
        if doc is not None:
            return doc, False
    profile_id = given or derived_id("profile", event["id"])
    doc = new_profile(profile_id, event["time"])
    work.add_profile(doc)
    return doc, True


def _elapsed(earlier: str, later: str) -> float:
    return (
        datetime.fromisoformat(later) - datetime.fromisoformat(earlier)
    ).total_seconds()


def find_session(
    work: WorkingSet, event: dict, profile: dict, timeout: float
) -> tuple[dict, bool]:
    """The event's session and whether this event starts a new visit."""
    time = event["time"]
    session_id = _ref_id(event.get("session"))
    if session_id is None:
        session_id = _current_session(work, profile, time, timeout)
    doc = work.session(session_id)
    if doc is None:
        doc = {
            "id": session_id,
            "profile": {"id": profile["id"]},
            "started": time,
            "last_seen": time,
            "visits": 1,
            "events": 0,
            "context": dict(event.get("context") or {}),
        }
        work.add_session(doc)
        return doc, True
    work.dirty_sessions.add(session_id)
    if _elapsed(doc["last_seen"], time) > timeout:
        doc["visits"] = doc.get("visits", 1) + 1
        doc["started"] = time
        return doc, True
    return doc, False


def _current_session(work: WorkingSet, profile: dict, time: str, timeout: float) -> str:
    """For an event without a session id: the profile's open session, or a new one.

    Generated session ids are numbered by the profile's visits, so they are the
    same on every replay of the same input.
    """
    visits = profile.get("visits", 0)
    current = derived_id("session", profile["id"], str(visits))
    doc = work.session(current) if visits else None
    if doc is not None and _elapsed(doc["last_seen"], time) <= timeout:
        return current
    return derived_id("session", profile["id"], str(visits + 1))


def identify(work: WorkingSet, event: dict, timeout: float) -> Identity:
    """Resolve the profile and session of ``event`` and record the visit."""
    profile, created = find_profile(work, event)
    session, new_visit = find_session(work, event, profile, timeout)
    work.dirty_profiles.add(profile["id"])

    # Fill in the ids the client did not send, so they can be returned to it.
    event["profile"] = {"id": profile["id"]}
    event["session"] = {"id": session["id"]}

    time = event["time"]
    if new_visit:
        profile["visits"] = profile.get("visits", 0) + 1
    if event.get("type") in VIEW_TYPES:
        profile["views"] = profile.get("views", 0) + 1
    profile["last_seen"] = max(profile.get("last_seen") or time, time)
    session["last_seen"] = max(session.get("last_seen") or time, time)
    session["events"] = session.get("events", 0) + 1
    return Identity(profile, session, created, new_visit)
