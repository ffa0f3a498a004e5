"""The profiles, sessions and bookkeeping one batch of events works on in memory.

Events of a batch share one transaction; the working set loads each profile and
session from the store at most once per batch, collects every write, and hands
them to the store in one go at commit. Nothing here reaches the disk until
``flush``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tracsh.engine.timers import PendingTimers


def _new_stats() -> dict[str, Any]:
    return {
        "evaluations": 0,
        "matches": 0,
        "errors": 0,
        "type_warnings": 0,
        "time_ns": 0,
        "last_fired": None,
        "last_error": None,
    }


@dataclass
class WorkingSet:
    """Cached documents and pending writes for one batch."""

    store: Any
    profiles: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    new_aliases: dict[str, str] = field(default_factory=dict)
    dirty_profiles: set[str] = field(default_factory=set)
    dirty_sessions: set[str] = field(default_factory=set)
    events: list[dict] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    stored_firings: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """Stored ``once per`` firings by (scope, owner id), read once per batch."""
    internal_left: int = 0
    """Internal events the current input event may still cause (fan-out limit)."""
    stored_ids: set[str] = field(default_factory=set)
    """Ids found in the store by ``prefetch``."""
    checked_ids: set[str] = field(default_factory=set)
    """Ids ``prefetch`` asked the store about (found or not)."""
    outbox: list[dict] = field(default_factory=list)
    fired: dict[tuple[str, str, str], str] = field(default_factory=dict)
    stats: dict[str, dict[str, Any]] = field(
        default_factory=lambda: defaultdict(_new_stats)
    )
    timers: PendingTimers = field(default_factory=PendingTimers)
    """Timers set and fired in this batch (journey steps, scheduled events)."""
    merge_requests: list[Any] = field(default_factory=list)
    """Merge actions of the event being processed (merge.py applies them)."""
    merged: list[tuple[str, list[str]]] = field(default_factory=list)
    """(survivor, merged ids) of this batch's merges, re-pointed at commit."""
    merged_ids: set[str] = field(default_factory=set)

    def resolve(self, any_id: str) -> str | None:
        """The profile id an id answers to, looking at this batch first."""
        found = self.aliases.get(any_id)
        if found is None:
            found = self.store.resolve_profile_id(any_id)
            if found is not None:
                self.aliases[any_id] = found
        return found

    def profile(self, profile_id: str) -> dict | None:
        """The working copy of a stored profile (loaded once per batch)."""
        doc = self.profiles.get(profile_id)
        if doc is None:
            doc = self.store.get_profile(profile_id)
            if doc is not None:
                self.profiles[profile_id] = doc
        return doc

    def add_profile(self, doc: dict) -> None:
        """A profile created in this batch; it answers to its own id."""
        self.profiles[doc["id"]] = doc
        self.add_alias(doc["id"], doc["id"])
        self.dirty_profiles.add(doc["id"])

    def add_alias(self, alias: str, profile_id: str) -> None:
        """Make ``alias`` answer to ``profile_id`` from now on."""
        self.aliases[alias] = profile_id
        self.new_aliases[alias] = profile_id

    def session(self, session_id: str) -> dict | None:
        """The working copy of a stored session (loaded once per batch)."""
        doc = self.sessions.get(session_id)
        if doc is None:
            doc = self.store.get_session(session_id)
            if doc is not None:
                self.sessions[session_id] = doc
        return doc

    def add_session(self, doc: dict) -> None:
        """A session opened in this batch."""
        self.sessions[doc["id"]] = doc
        self.dirty_sessions.add(doc["id"])

    def prefetch(self, events: list[dict]) -> None:
        """Learn in one query which of a batch's event ids are stored already."""
        ids = [e["id"] for e in events if isinstance(e.get("id"), str)]
        self.checked_ids.update(ids)
        self.stored_ids.update(self.store.stored_events(ids))

    def seen(self, event_id: str) -> bool:
        """True when the event is stored already or earlier in this batch."""
        if event_id in self.event_ids or event_id in self.stored_ids:
            return True
        if event_id in self.checked_ids:
            return False
        return self.store.has_event(event_id)

    def refs_of(self, event_id: str) -> tuple[str, str]:
        """The profile and session ids a seen event was stored under, batch first.

        A retried event is answered with the ids it was first given, so a client
        that sent none still learns them; "" stands for an id that is not known.
        """
        for event in reversed(self.events):
            if event["id"] == event_id:
                return event["profile"]["id"], event["session"]["id"]
        profile_id, session_id = self.store.event_refs(event_id) or (None, None)
        if profile_id is not None:
            profile_id = self.resolve(profile_id) or profile_id
        return profile_id or "", session_id or ""

    def add_event(self, event: dict) -> None:
        """Queue an event for the append-only log."""
        self.events.append(event)
        self.event_ids.add(event["id"])

    def last_fired(
        self, rule_id: str, scope: str, scope_id: str, once_rules: tuple[str, ...] = ()
    ) -> str | None:
        """When a rule last fired for a profile or session, batch first.

        The first question about an owner asks the store about every rule in
        ``once_rules`` at once, so a batch costs one query per profile and
        session, not one per rule and event.
        """
        key = (rule_id, scope, scope_id)
        if key in self.fired:
            return self.fired[key]
        owner = (scope, scope_id)
        known = self.stored_firings.get(owner)
        if known is None:
            wanted = once_rules if rule_id in once_rules else (rule_id,)
            known = self.store.fired_times(scope, scope_id, wanted)
            self.stored_firings[owner] = known
        if rule_id not in known and rule_id not in once_rules:
            known.update(self.store.fired_times(scope, scope_id, (rule_id,)))
        return known.get(rule_id)

    def flush(self) -> None:
        """Write every pending change to the store (inside its transaction)."""
        store = self.store
        for alias, profile_id in self.new_aliases.items():
            store.add_alias(alias, profile_id)
        store.put_profiles([self.profiles[pid] for pid in self.dirty_profiles])
        store.put_sessions([self.sessions[sid] for sid in self.dirty_sessions])
        store.append_events(self.events)
        for row in self.outbox:
            store.add_outbox(row)
        for (rule_id, scope, scope_id), time in self.fired.items():
            store.set_fired(rule_id, scope, scope_id, time)
        if self.stats:
            store.add_rule_stats(dict(self.stats))
        self.timers.flush(store)
        # Last, so rows written above under a merged id move to the survivor too.
        for survivor, gone in self.merged:
            store.merge_into(survivor, gone)
