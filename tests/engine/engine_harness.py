"""What the engine tests share: events, rule books, and a Harness over a real file.

A Harness loads rule text with ``load_sources``, builds the rule book, opens a
fresh SQLite file, runs batches of events and reads back profiles, sessions,
outbox rows and rule statistics exactly as they were committed. The fixture in
conftest.py makes Harnesses under ``tmp_path``.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracsh.engine.identify import new_profile
from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import Engine, EngineSettings
from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.lang.loader import load_sources
from tracsh.store import Store

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
"""The time of the first event in most tables: minute 0."""

STATS = ("evaluations", "matches", "errors", "type_warnings")
"""The rule statistics that tests compare (time_ns is never exact)."""


def at(minutes: float = 0, *, days: float = 0) -> str:
    """Stored event time ``minutes`` (and ``days``) after T0, as UTC ISO text."""
    return (T0 + timedelta(days=days, minutes=minutes)).isoformat()


def event(
    event_id: str,
    type: str = "page-view",
    *,
    profile: str | None = "p1",
    session: str | None = "s1",
    time: str | None = None,
    minutes: float = 0,
    source: str = "web-shop",
    properties: dict | None = None,
    context: dict | None = None,
) -> dict:
    """A normalized event as the readers hand it to the engine."""
    time = time or at(minutes)
    return {
        "id": event_id,
        "type": type,
        "time": time,
        "received": time,
        "source": {"id": source},
        "session": {"id": session},
        "profile": {"id": profile},
        "properties": dict(properties or {}),
        "context": dict(context or {}),
        "tags": [],
    }


def book_of(text: str | list[tuple[str, str]], checked: bool = True) -> RuleBook:
    """The rule book of one rule text, or of ``(path, text)`` pairs in that order.

    ``checked=False`` builds it even when the checker refuses a rule, to test
    the engine's own guard against what ``tracsh check`` refuses first.
    """
    sources = [("t.rules", text)] if isinstance(text, str) else text
    ruleset = load_sources(sources)
    if checked:
        assert ruleset.ok, "\n".join(d.render() for d in ruleset.diagnostics)
    return build_rulebook(ruleset)


class Harness:
    """One engine over one SQLite file, with readers for what it committed."""

    def __init__(self, path: Path, book: RuleBook, settings: EngineSettings) -> None:
        self.path = path
        self.store = Store.open(path)
        self.book = book
        self.engine = Engine(self.store, book, settings)

    def run(self, *events: dict) -> list[Outcome]:
        """Process the events as one batch (copies: the engine fills in ids)."""
        return self.engine.process_batch([copy.deepcopy(e) for e in events])

    def run_each(self, *events: dict) -> list[Outcome]:
        """Process every event in a batch of its own."""
        return [outcome for e in events for outcome in self.run(e)]

    def profile(self, profile_id: str = "p1") -> dict:
        """The committed profile document."""
        found = self.store.get_profile(profile_id)
        assert found is not None, f"no profile {profile_id!r}"
        return found

    def session(self, session_id: str = "s1") -> dict:
        """The committed session document."""
        found = self.store.get_session(session_id)
        assert found is not None, f"no session {session_id!r}"
        return found

    def put_profile(self, profile_id: str = "p1", **fields: object) -> dict:
        """Store a profile as if earlier events had made it, with ``fields`` set."""
        doc = new_profile(profile_id, at(-60))
        doc.update(visits=1, **fields)
        with self.store.transaction():
            self.store.put_profile(doc)
        return doc

    def outbox(self, *columns: str) -> list[dict]:
        """Every outbox row, in the order queued, cut down to ``columns``."""
        rows = self.store.outbox_rows(limit=100_000)
        if not columns:
            return rows
        return [{c: row[c] for c in columns} for row in rows]

    def stats(self) -> dict[str, dict[str, int]]:
        """Each rule's committed statistics, without the timing."""
        return {
            row["rule_id"]: {name: row[name] for name in STATS}
            for row in self.store.rule_stats()
        }

    def events(self) -> list[dict]:
        """The committed event log, in order."""
        return list(self.store.iter_events())


def fired(outcomes: list[Outcome]) -> list[str]:
    """The ids of the rules that fired, for these events and their internal ones."""
    return [f.rule_id for outcome in outcomes for f in outcome.all_fired()]


def errors(outcomes: list[Outcome]) -> list[str]:
    """Every error reported for these events and their internal events."""
    found: list[str] = []
    for outcome in outcomes:
        found += outcome.errors
        found += errors(outcome.internal)
    return found


def rule_text(actions: str, when: str = 'event.type == "go"', name: str = "r") -> str:
    """A named rule whose actions are given one per line or separated by ``;``."""
    body = "\n    ".join(part.strip() for part in actions.split(";"))
    return f'rule "{name}"\n  when {when}\n  then\n    {body}\nend\n'


def act(engine, actions: str, properties=None, extra: str = "", **profile):
    """Run rule "r" with ``actions`` once; return the harness and the outcome."""
    h = engine(rule_text(actions) + extra)
    h.put_profile(**profile)
    [outcome] = h.run(event("e1", "go", properties=properties))
    return h, outcome


def rule_errors(h, rule_id: str = "r") -> int:
    """The errors counted on a rule's statistics."""
    return h.stats()[rule_id]["errors"]


def key_of(event_id: str, rule_id: str, index: int) -> str:
    """The idempotency key architecture.md describes, computed independently."""
    return hashlib.sha256(f"{event_id}\x1f{rule_id}\x1f{index}".encode()).hexdigest()
