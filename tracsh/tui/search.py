"""What the Profiles search box means: an id, an e-mail address, or a condition.

A condition is read with the rule language's own loader, so a typing mistake
comes back as the usual diagnostic, cut to the two lines the search box shows.
Until conditions compile to SQL, a condition search evaluates the compiled
condition over each stored profile, in the reader's thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tracsh.lang.compile import compile_condition
from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import Scope

_CONDITION_SIGNS = re.compile(r"""\s|[=<>!()"'\[\]]|^(profile|event|session)\.""")


class SearchError(ValueError):
    """A search the operator typed that cannot be run; the message says why."""


@dataclass(frozen=True)
class Query:
    """A parsed search."""

    kind: str
    """"id", "email" or "condition"."""
    text: str
    """What was typed, trimmed."""
    check: Callable[[Scope], bool | None] | None = None
    """The compiled condition, for condition searches."""


def parse_query(text: str) -> Query:
    """Decide what ``text`` asks for; SearchError for a condition that is wrong."""
    text = text.strip()
    if not text:
        raise SearchError("type an id, an e-mail address or a condition")
    if _CONDITION_SIGNS.search(text):
        return Query("condition", text, _compile(text))
    if "@" in text:
        return Query("email", text.lower())
    return Query("id", text)


def _compile(text: str) -> Callable[[Scope], bool | None]:
    try:
        node = load_condition(text, "search")
    except RuleError as err:
        first = err.diagnostics[0]
        caret = " " * (first.column - 1) + "^"
        raise SearchError(f"{first.message} (column {first.column})\n{caret}") from None
    return compile_condition(node)


def matching(query: Query, profiles: Iterable[dict], limit: int) -> list[dict]:
    """The profiles a condition is true for, at most ``limit`` of them."""
    now = datetime.now(UTC)
    found = []
    for doc in profiles:
        if query.check(Scope(profile=doc, now=now)) is True:
            found.append(doc)
            if len(found) >= limit:
                break
    return found
