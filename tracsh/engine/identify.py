"""Pipeline step 2: find or create the event's profile and session, count visits.

A profile is found by any id it answers to; an unknown id creates a profile
under that id, and an event with no profile id gets a new one (derived from
the event id, so a replay of the same file makes the same ids), unless the
event's session is known, whose profile it then is. A new session is a visit;
a known session idle past the timeout starts a new visit in the same session,
and so does a session handed to another profile.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from tracsh.engine.working import WorkingSet
from tracsh.lang.printer import value as shown
from tracsh.lang.values import parse_time

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


def _given_profile_id(work: WorkingSet, event: dict) -> str | None:
    """The profile id the event names, or else the owner of the session it names.

    A client that has not stored the profile id it was given still sends its
    session id; the session's profile is the one it was given.
    """
    given = _ref_id(event.get("profile"))
    if given is None:
        session_id = _ref_id(event.get("session"))
        session = work.session(session_id) if session_id else None
        if session is not None:
            given = _ref_id(session.get("profile"))
    return given


def find_profile(work: WorkingSet, event: dict) -> tuple[dict, bool]:
    """The event's profile (created when unknown) and whether it is new."""
    given = _given_profile_id(work, event)
    profile_id = work.resolve(given) if given else None
    if profile_id is not None:
        doc = work.profile(profile_id)
        if doc is not None:
            return doc, False
    profile_id = given or derived_id("profile", event["id"])
    doc = new_profile(profile_id, event["time"])
    work.add_profile(doc)
    return doc, True


@lru_cache(maxsize=4096)
def event_time(text: str) -> datetime:
    """A stored time as an aware datetime; text without an offset is UTC.

    Cached: a batch compares the same few times again and again.
    """
    found = parse_time(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{shown(text)} is not an ISO-8601 time")
    return found


def latest(stored: str | None, time: str) -> str:
    """The later of two stored times, compared as times (offsets may differ)."""
    if stored is None or event_time(time) > event_time(stored):
        return time
    return stored


def _elapsed(earlier: str, later: str) -> float:
    return (event_time(later) - event_time(earlier)).total_seconds()


def find_session(
    work: WorkingSet, event: dict, profile: dict, timeout: float, internal: bool = False
) -> tuple[dict, bool]:
    """The event's session and whether this event starts a new visit."""
    time = event["time"]
    session_id = _ref_id(event.get("session"))
    if internal:
        return _internal_session(work, session_id, profile), False
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
    if not _owned_by(work, doc, profile):
        # A sign-in mid-session hands the session to another profile; for that
        # profile it is a new session, so a visit.
        doc["profile"] = {"id": profile["id"]}
        return doc, True
    if _elapsed(doc["last_seen"], time) > timeout:
        doc["visits"] = doc.get("visits", 1) + 1
        doc["started"] = time
        return doc, True
    return doc, False


def _internal_session(work: WorkingSet, session_id: str | None, profile: dict) -> dict:
    """The session an internal event names, as it is: never a new one, never a visit.

    A scheduled event or journey step may fall due days after its session
    ended; it is not the visitor's doing, so it neither reopens the session nor
    counts a visit. When the session is not stored (a segment refresh has
    none), the event gets a session of its own that is never written.
    """
    doc = work.session(session_id) if session_id else None
    if doc is not None:
        work.dirty_sessions.add(doc["id"])
        return doc
    return {
        "id": session_id or derived_id("session", profile["id"], "internal"),
        "profile": {"id": profile["id"]},
        "visits": 0,
        "events": 0,
        "context": {},
    }


def _owned_by(work: WorkingSet, session: dict, profile: dict) -> bool:
    owner = _ref_id(session.get("profile"))
    return owner == profile["id"] or (
        owner is not None and work.resolve(owner) == profile["id"]
    )


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


def identify(
    work: WorkingSet, event: dict, timeout: float, internal: bool = False
) -> Identity:
    """Resolve the profile and session of ``event`` and record the visit.

    An ``internal`` event (emitted by a rule, a segment change, a timer) is not
    the visitor's doing, so it counts towards neither the session's events nor
    the profile's views, opens no visit and moves no ``last_seen``.
    """
    profile, created = find_profile(work, event)
    session, new_visit = find_session(work, event, profile, timeout, internal)
    work.dirty_profiles.add(profile["id"])

    # Fill in the ids the client did not send, so they can be returned to it.
    event["profile"] = {"id": profile["id"]}
    event["session"] = {"id": session["id"]}

    time = event["time"]
    if new_visit:
        profile["visits"] = profile.get("visits", 0) + 1
    if event.get("type") in VIEW_TYPES and not internal:
        profile["views"] = profile.get("views", 0) + 1
    if not internal:
        session["events"] = session.get("events", 0) + 1
        profile["last_seen"] = latest(profile.get("last_seen"), time)
        session["last_seen"] = latest(session.get("last_seen"), time)
    return Identity(profile, session, created, new_visit)
