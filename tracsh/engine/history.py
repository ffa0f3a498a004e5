"""count(), sum() and last() over a profile's events, by the events' own time.

The engine sets a History on every Scope it builds. It sees three kinds of
events of the profile: those committed to the store (under any id merged into
the profile), those earlier in the batch and not yet committed, and the event
being processed, which counts once. Windows compare each event's own time
(``event.time``), never its arrival; an event id is counted at most once, so a
re-delivered event never counts twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from tracsh.engine.identify import event_time
from tracsh.engine.times import shifted, utc_text
from tracsh.engine.working import WorkingSet
from tracsh.lang import nodes as n
from tracsh.lang import values
from tracsh.lang.compile import required_event_types
from tracsh.lang.scope import MISSING, Scope

Check = Callable[[Scope], Any]


@lru_cache(maxsize=1024)
def _types(node: Any) -> tuple[str, ...] | None:
    """The event types a history function can only count, or None for any."""
    if isinstance(node, n.Count):
        if isinstance(node.subject, n.Literal):
            return (node.subject.value,)
        found = required_event_types(node.subject)
    else:
        found = required_event_types(node.where) if node.where is not None else None
    return None if found is None else tuple(sorted(found))


class History:
    """The history provider of one working set (see Scope.history)."""

    def __init__(self, work: WorkingSet) -> None:
        self.work = work

    def snapshot(self, scope: Scope) -> HistorySnapshot:
        """The profile's history as it stands now, kept in memory.

        Explanations decide a condition again later, after more events are
        stored (or the store is closed); a snapshot answers as this provider
        answers now.
        """
        return HistorySnapshot(self.events(scope, None, None))

    def evaluate(
        self, node: Any, where: Check | None, value: Check | None, scope: Scope
    ):
        """The value of a Count, Sum or Last node for ``scope``'s profile."""
        since = None
        if node.window is not None:
            since = shifted(scope.now, -node.window.seconds)
        if isinstance(node, n.Count) and where is None:
            return self._count_type(node, scope, since)
        matching = [
            event
            for event in self.events(scope, _types(node), since)
            if where is None or self._passes(where, event, scope)
        ]
        if isinstance(node, n.Count):
            return len(matching)
        if isinstance(node, n.Sum):
            return self._sum(matching, value, scope)
        return self._last(matching, value, scope)

    # --- which events -----------------------------------------------------------

    def _ids(self, profile: dict) -> list[str]:
        """Every id the profile answers to: its events may be stored under any."""
        ids = profile.get("ids")
        found = [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
        return found if profile["id"] in found else [profile["id"], *found]

    def _unstored(self, scope: Scope, types: Any, since: Any) -> Iterator[dict]:
        """The profile's events of this batch, and the event being processed."""
        profile_id = scope.profile["id"]
        seen: set[str] = set()
        for event in [*self.work.events, scope.event]:
            if event["id"] in seen or not _fits(event, types, since):
                continue
            owner = (event.get("profile") or {}).get("id")
            # Ids merged in this batch are aliases in the working set.
            if owner != profile_id and self.work.aliases.get(owner) != profile_id:
                continue
            seen.add(event["id"])
            yield event

    def events(self, scope: Scope, types: Any, since: Any) -> list[dict]:
        """The profile's events of these types from ``since`` on, oldest first."""
        stored = self.work.store.history_rows(
            self._ids(scope.profile),
            list(types) if types is not None else None,
            None if since is None else utc_text(since),
        )
        found = []
        for seq, _time, doc in stored:
            event = json.loads(doc)
            event["seq"] = seq
            found.append(event)
        known = {event["id"] for event in found}
        found += [
            e for e in self._unstored(scope, types, since) if e["id"] not in known
        ]
        return sorted(found, key=lambda e: event_time(e["time"]))

    def _count_type(self, node: n.Count, scope: Scope, since: Any) -> int:
        """count("type" …) without reading the stored documents."""
        types = list(_types(node) or ())
        stored = self.work.store.count_history(
            self._ids(scope.profile),
            types,
            None if since is None else utc_text(since),
        )
        return stored + sum(1 for _ in self._unstored(scope, types, since))

    # --- what to do with them ---------------------------------------------------

    @staticmethod
    def _scope(event: dict, scope: Scope) -> Scope:
        return Scope(
            event=event,
            profile=scope.profile,
            session=scope.session,
            source=event.get("source") or {},
            now=scope.now,
            report=scope.report,
        )

    def _passes(self, where: Check, event: dict, scope: Scope) -> bool:
        return where(self._scope(event, scope)) is True

    def _sum(self, events: list[dict], value: Check, scope: Scope) -> Any:
        total: Any = 0
        for event in events:
            found = value(self._scope(event, scope))
            if values.absent(found):
                continue
            if not values.is_number(found):
                scope.report.warn(f"sum() skips a {values.kind(found)}")
                continue
            total += found
        return total

    def _last(self, events: list[dict], value: Check, scope: Scope) -> Any:
        if not events:
            return MISSING
        return value(self._scope(events[-1], scope))


class HistorySnapshot(History):
    """A profile's events as they stood, answering without the store."""

    def __init__(self, events: list[dict]) -> None:
        self.saved = events

    def events(self, scope: Scope, types: Any, since: Any) -> list[dict]:
        return [event for event in self.saved if _fits(event, types, since)]

    def _count_type(self, node: n.Count, scope: Scope, since: Any) -> int:
        return len(self.events(scope, _types(node), since))


def _fits(event: dict, types: Any, since: Any) -> bool:
    if types is not None and event.get("type") not in types:
        return False
    return since is None or event_time(event["time"]) >= since
