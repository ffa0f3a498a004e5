"""What the Profiles search box means: an id, an e-mail, a name, or a condition.

Words find profiles whose id starts with them, whose e-mail address holds them
or whose name holds every one of them; Found says which matched by what. A
condition is read with the rule language's own loader and run in SQL
(tracsh.lang.sql, as ``tracsh profile list --where`` runs it), so a search
over many profiles costs the console's process one query, not a decode of
every profile. A typing mistake, or a condition SQL cannot run (one that reads
the event, or count()), comes back as a two-line message for the box.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_condition
from tracsh.lang.sql import SqlCondition, SqlRefused, to_sql

_CONDITION_SIGNS = re.compile(r"""[=<>!()"'\[\]]""")
"""What only a condition has: an operator, a quote, a bracket. A name (``Zoë
Dubois``) has spaces, so spaces alone do not make a condition."""

_DOCUMENT_PATH = re.compile(r"\b(profile|event|session)\.")
"""A condition without operators still reads a field (``profile.email exists``);
an e-mail address may look like one (``event.planner@example.test``)."""

WHY = (
    "; the search reads stored profiles, and only profile fields are stored "
    "(event, session and source exist while an event is processed)"
)
"""What a refusal to read a document other than the profile adds."""


class SearchError(ValueError):
    """A search the operator typed that cannot be run; the message says why."""


@dataclass(frozen=True)
class Query:
    """A parsed search."""

    kind: str
    """"words" (an id, an e-mail, a name) or "condition"."""
    text: str
    """What was typed, trimmed."""
    sql: SqlCondition | None = None
    """The condition in SQL over the profile's ``doc``, for condition searches."""


def parse_query(text: str, now: datetime | None = None) -> Query:
    """Decide what ``text`` asks for; SearchError for a condition that is wrong
    or that SQL cannot run. ``now`` is what the condition's ``now`` means."""
    text = text.strip()
    if not text:
        raise SearchError("type an id, part of an e-mail or a name, or a condition")
    path = _DOCUMENT_PATH.search(text) and "@" not in text
    if _CONDITION_SIGNS.search(text) or path:
        return Query("condition", text, _sql(text, now or datetime.now(UTC)))
    return Query("words", text)


@dataclass(frozen=True)
class Found:
    """What a search found, and by what each profile matched."""

    query: Query
    """The search."""
    profiles: list[dict]
    """The profiles, those found by id first, then by e-mail, then by name."""
    by: list[str]
    """For each profile: "id", "e-mail", "name" or "condition"."""
    limit: int
    """The most profiles a search shows."""

    def summary(self) -> str:
        """One line for under the search box: how many, found by what."""
        count = len(self.profiles)
        more = " (the most a search shows)" if count >= self.limit else ""
        if self.query.kind == "condition":
            if not count:
                return "no profile matches the condition"
            return f"{_profiles(count)} match the condition{more}"
        if not count:
            return f"no profile's id, e-mail or name has {self.query.text!r}"
        kinds = Counter(self.by)
        if len(kinds) == 1:
            return f"{_profiles(count)} by {self.by[0]}{more}"
        parts = ", ".join(f"{n} by {kind}" for kind, n in kinds.items())
        return f"{_profiles(count)}: {parts}{more}"


def _profiles(count: int) -> str:
    return f"{count:,} profile" + ("" if count == 1 else "s")


def _sql(text: str, now: datetime) -> SqlCondition:
    try:
        node = load_condition(text, "search")
    except RuleError as err:
        first = err.diagnostics[0]
        caret = " " * (first.column - 1) + "^"
        raise SearchError(f"{first.message} (column {first.column})\n{caret}") from None
    try:
        return to_sql(node, {"profile": "doc"}, now, label="search", why=WHY)
    except SqlRefused as err:
        raise SearchError(_two_lines(str(err))) from None


def _two_lines(message: str) -> str:
    """A refusal as the box shows it: what, then what to do, at most two lines.

    ``search:1:24: count() reads the event history…; test a field…`` becomes
    ``column 24: count() reads the event history…`` and its advice below.
    """
    found = re.match(r"search:\d+:(\d+): (.*)", message, re.S)
    if found:
        message = f"column {found[1]}: {found[2]}"
    head, sep, advice = message.partition("; ")
    return f"{head}\n{advice}" if sep else head
