"""A throw-away engine over an in-memory store, for rule tests and the REPL's dry run.

Nothing here touches a user's database: the Sandbox opens its own ``:memory:``
store, seeds it with the documents it is given, and runs the real Engine. It
watches every rule decision and keeps a copy of what each rule saw, so a trace
can later say why a rule fired or did not.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracsh.engine.identify import new_profile
from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import Engine, EngineSettings
from tracsh.engine.rulebook import CompiledRule, RuleBook
from tracsh.lang import printer
from tracsh.lang.explain import Trace, explain_condition
from tracsh.lang.scope import MISSING, Scope, Truth
from tracsh.store import Store


@dataclass
class RuleCheck:
    """One candidate rule decided for one event, with copies of what it read."""

    rule: CompiledRule
    event: dict
    profile: Any
    session: Any
    now: datetime
    truth: Truth
    held: str | None
    """Why the rule was not evaluated at all (its source, its cooldown), or None."""
    history: Any = None
    """count()/sum()/last() as they stood when the rule was decided."""

    def scope(self) -> Scope:
        """A fresh Scope over copies of the documents the rule saw."""
        event = copy.deepcopy(self.event)
        return Scope(
            event=event,
            profile=copy.deepcopy(self.profile),
            session=copy.deepcopy(self.session),
            source=event.get("source") or {},
            now=self.now,
            history=self.history,
        )

    def explain(self) -> Trace:
        """Why the rule's condition was true, false or unknown for this event."""
        return explain_condition(self.rule.node.condition, self.scope())


class Sandbox:
    """The real Engine over a private in-memory store; closes with ``close``."""

    def __init__(
        self,
        book: RuleBook,
        settings: EngineSettings | None = None,
        renderer: Any = None,
    ) -> None:
        self.book = book
        self.store = Store.open(":memory:")
        self.engine = Engine(self.store, book, settings, renderer)
        self.engine.watch = self._watch
        self.checks: list[RuleCheck] = []

    def _watch(self, rule: CompiledRule, scope: Scope, truth: Truth, held: Any) -> None:
        self.checks.append(
            RuleCheck(
                rule=rule,
                event=copy.deepcopy(scope.event),
                profile=copy.deepcopy(scope.profile),
                session=copy.deepcopy(scope.session),
                now=scope.now,
                truth=truth,
                held=held,
                history=None
                if scope.history is None
                else scope.history.snapshot(scope),
            )
        )

    def seed(
        self,
        profile: dict | None = None,
        session: dict | None = None,
        events: Iterable[dict] = (),
        firings: Iterable[tuple[str, str, str, str]] = (),
    ) -> None:
        """Store a starting profile and session (copies) before any event runs.

        ``events`` become the profile's history (count(), sum(), last()) and
        ``firings`` the ``once per`` record, as ``(rule_id, scope, scope_id,
        time)``: a dry run copies them from the real store, read-only.
        """
        with self.store.transaction():
            if profile is not None:
                self.store.put_profile(copy.deepcopy(profile))
            if session is not None:
                self.store.put_session(copy.deepcopy(session))
            self.store.append_events([copy.deepcopy(e) for e in events])
            for rule_id, scope, scope_id, time in firings:
                self.store.set_fired(rule_id, scope, scope_id, time)

    def run(self, event: dict) -> Outcome:
        """Process one event (a copy) in its own batch and return its outcome."""
        return self.engine.process_batch([copy.deepcopy(event)])[0]

    def profile(self, profile_id: str) -> Any:
        """The stored profile that answers to ``profile_id``, or MISSING."""
        found = self.store.get_profile(profile_id)
        return MISSING if found is None else found

    def session(self, session_id: str) -> Any:
        """The stored session, or MISSING."""
        found = self.store.get_session(session_id)
        return MISSING if found is None else found

    def stats(self) -> dict[str, dict]:
        """Rule statistics so far, by rule id."""
        return {row["rule_id"]: row for row in self.store.rule_stats()}

    def close(self) -> None:
        """Drop the store."""
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def starting_profile(given: dict | None, profile_id: str, time: str) -> dict:
    """A profile as identify would create it, with ``given``'s fields over it."""
    doc = new_profile(str((given or {}).get("id") or profile_id), time)
    doc.update(copy.deepcopy(given or {}))
    if doc["id"] not in doc.get("ids", []):
        doc["ids"] = [doc["id"], *doc.get("ids", [])]
    return doc


def starting_session(given: dict, session_id: str, profile_id: str, time: str) -> dict:
    """A session already open at ``time``, with ``given``'s fields over it."""
    doc = {
        "id": session_id,
        "profile": {"id": profile_id},
        "started": time,
        "last_seen": time,
        "visits": 1,
        "events": 0,
        "context": {},
    }
    doc.update(copy.deepcopy(given))
    return doc


_KINDS = {bool: "true or false", int: "a whole number", str: "text",
          dict: "an object", list: "a list"}  # fmt: skip
_TEXT_LISTS = frozenset({"ids", "segments"})


def shape_problem(given: dict, empty: dict) -> str | None:
    """What is wrong with a starting profile or session, or None.

    The fields a new one has (``empty``: ``starting_profile(None, …)`` or
    ``starting_session({}, …)``) must keep their kind in a given document
    (``"visits"`` a number, ``"ids"`` a list of text, …): the engine relies on
    them, and an author must hear what is wrong with their own data.
    """
    for key, default in empty.items():
        if key not in given:
            continue
        found = given[key]
        wanted: Any = type(default)
        fits = type(found) is wanted or (wanted is int and type(found) is float)
        if key == "id":
            fits, wanted = isinstance(found, str) and bool(found), "non-empty text"
        elif key in _TEXT_LISTS and fits:
            fits = all(isinstance(item, str) and item for item in found)
            wanted = "a list of text"
        if not fits:
            kind = wanted if isinstance(wanted, str) else _KINDS[wanted]
            shown = printer.value(found, 40)
            return f"{printer.string(key)} must be {kind}, got {shown}"
    return None


def profile_diff(before: Any, after: Any, root: str = "profile") -> list[str]:
    """What changed between two documents, one ``+ - ~`` line per changed path."""
    lines: list[str] = []
    _diff(before, after, root, lines)
    return lines


def _diff(before: Any, after: Any, where: str, lines: list[str]) -> None:
    if before is MISSING and isinstance(after, dict) and after:
        before = {}
    if after is MISSING and isinstance(before, dict) and before:
        after = {}
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            _diff(
                before.get(key, MISSING),
                after.get(key, MISSING),
                f"{where}.{key}",
                lines,
            )
        return
    if before == after and type(before) is type(after):
        return
    if before is MISSING:
        if after not in ({}, []):
            lines.append(f"+ {where} = {_shown(after)}")
    elif after is MISSING:
        lines.append(f"- {where} (was {_shown(before)})")
    else:
        lines.append(f"~ {where}: {_shown(before)} -> {_shown(after)}")


def _shown(value: Any) -> str:
    return printer.value(value, 70)
