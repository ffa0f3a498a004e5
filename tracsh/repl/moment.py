"""What the REPL evaluates against, as the engine would see it.

``.fire``, ``.eval``, ``.explain`` and ``.why`` all start here: the current event
normalized as the readers normalize it and timed (a minute after the profile was
last seen, when it has no time), the clock at that time, and the past the real
engine would consult — the profile's stored events for count(), sum() and
last() (the current event counting once) and its stored ``once per`` firings.
The past is read from the project's database read-only and copied into
throw-away stores; nothing here writes to the database.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracsh.engine.history import HistorySnapshot
from tracsh.engine.identify import event_time
from tracsh.engine.times import shifted
from tracsh.errors import UserError
from tracsh.inputs import MAX_EVENT_BYTES, InputError, normalize_event
from tracsh.inputs.items import too_large
from tracsh.lang import nodes as n
from tracsh.lang.check import HISTORY
from tracsh.lang.scope import MISSING, Scope
from tracsh.lang.values import parse_time
from tracsh.repl.workspace import Workspace
from tracsh.store.errors import StoreError
from tracsh.store.fields import profile_events, profile_firings

log = logging.getLogger(__name__)

PROFILE_ID = "repl-profile"
"""The id a typed profile without one gets in a dry run."""
SESSION_ID = "repl-session"


@dataclass
class Moment:
    """The documents of one evaluation, the clock, and the past they come with."""

    event: dict
    profile: dict | None
    session: dict | None
    events: list[dict] = field(default_factory=list)
    """The profile's stored events, without the current one."""
    firings: list[tuple[str, str, str, str]] = field(default_factory=list)
    """Its stored ``once per`` firings: (rule id, scope, scope id, time)."""
    note: str | None = None
    """Why the past could not be read, when it could not."""

    @property
    def now(self) -> datetime:
        """The clock: the event's own time, as under replay."""
        return event_time(self.event["time"])

    def scope(self) -> Scope:
        """A Scope over copies of the documents, with the profile's history."""
        event = copy.deepcopy(self.event)
        return Scope(
            event=event,
            profile=copy.deepcopy(self.profile) if self.profile else MISSING,
            session=copy.deepcopy(self.session) if self.session else MISSING,
            source=event.get("source") or MISSING,
            now=self.now,
            history=HistorySnapshot([*self.events, event]),
        )


def moment(workspace: Workspace, past: bool = True) -> Moment:
    """The current documents as the engine would meet them, and (with ``past``)
    the profile's stored events and firings."""
    docs = workspace.documents
    profile = with_id(docs.profile, PROFILE_ID)
    session = with_id(docs.session, SESSION_ID)
    if profile is not None and session is not None:
        session.setdefault("profile", {"id": profile["id"]})
    event = engine_event(docs.event, profile, session)
    found = Moment(event, profile, session)
    if past and _has_own_id(docs.profile):
        _read_past(workspace, found)
    return found


def uses_history(node: Any) -> bool:
    """Whether a condition reads count(), sum() or last()."""
    return any(isinstance(item, HISTORY) for item, _depth in n.walk(node))


def with_id(doc: Any, fallback: str) -> dict | None:
    """A copy of ``doc`` with an ``id`` (``fallback`` when it has none); None for
    a document that is not there."""
    if doc is MISSING or not isinstance(doc, dict):
        return None
    found = copy.deepcopy(doc)
    found.setdefault("id", fallback)
    return found


def engine_event(given: Any, profile: dict | None, session: dict | None) -> dict:
    """The current event in stored shape, for this profile and session; within
    the size limit replay and ingest keep to (64 KiB as JSON)."""
    if not isinstance(given, dict):
        raise UserError('no current event; set one: .event {"type": "purchase"}')
    record = {k: v for k, v in copy.deepcopy(given).items() if k not in ("raw", "seq")}
    if profile is not None:
        record["profile"] = {"id": profile["id"]}
    if session is not None:
        record["session"] = {"id": session["id"]}
    record.setdefault("source", "repl")
    if "time" not in record and "timestamp" not in record:
        record["time"] = next_moment(profile)
    now = datetime.now(UTC).isoformat()
    try:
        size = len(json.dumps(record, ensure_ascii=False).encode())
        if size > MAX_EVENT_BYTES:
            raise too_large(size, MAX_EVENT_BYTES)
        return normalize_event(record, received=now)
    except InputError as err:
        raise UserError(f"the current event cannot be used: {err}") from None


def next_moment(profile: dict | None) -> str:
    """When an event without a time happens: a minute after the profile was last
    seen, so a stored profile meets it as its next event would; else now."""
    seen = parse_time(str(profile.get("last_seen"))) if profile else None
    if seen is None:
        return datetime.now(UTC).isoformat()
    return shifted(seen, 60).isoformat()


def _has_own_id(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("id"), str)


def _read_past(workspace: Workspace, found: Moment) -> None:
    """Fill in the profile's stored events and firings; a note when unreadable."""
    if not workspace.has_store() or found.profile is None:
        return
    profile = found.profile
    ids = [i for i in profile.get("ids") or () if isinstance(i, str)]
    ids = [profile["id"], *(i for i in ids if i != profile["id"])]
    session_id = found.session["id"] if found.session else None
    try:
        store = workspace.store()
        found.events = profile_events(store, ids, skip=found.event["id"])
        found.firings = profile_firings(store, ids, session_id)
    except (UserError, StoreError, OSError, sqlite3.Error) as err:
        log.debug("reading the past of %s", profile["id"], exc_info=True)
        found.note = f"the stored history was not read: {err}"
