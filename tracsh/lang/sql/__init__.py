"""Conditions as SQL: one typed intermediate form, one back end per dialect.

``to_sql`` lowers a condition (lower.py, operands.py) and writes it for SQLite
(sqlite.py). The result means exactly what the compiled evaluator means, for
the documents held in the given columns; ``install_functions`` must have run on
the connection that executes it. See docs/sql.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracsh.lang.sql.functions import install_functions
from tracsh.lang.sql.lower import Lowering, SqlRefused
from tracsh.lang.sql.sqlite import json_path, nameable, write_sqlite

__all__ = [
    "SqlCondition",
    "SqlRefused",
    "install_functions",
    "json_path",
    "lower_condition",
    "nameable",
    "to_sql",
]


@dataclass(frozen=True)
class SqlCondition:
    """A condition as SQLite text: 1 (true), 0 (false) or NULL (unknown)."""

    text: str
    params: tuple[Any, ...]
    form: Any
    """The intermediate form it was written from."""


def lower_condition(
    node: Any,
    roots: frozenset[str],
    now: datetime,
    label: str = "<condition>",
    why: str = "",
) -> Any:
    """The intermediate form of ``node``; raises SqlRefused.

    ``roots`` are the documents the query has; ``now`` is the clock (parts that
    read no document are computed once); ``label`` names the condition's source
    in errors and ``why`` explains, after "cannot be read here", a missing root.
    Keys SQLite's JSON paths cannot name (``nameable``) are read by the bridge.
    """
    return Lowering(roots, now, label, why, nameable).condition(node)


def to_sql(
    node: Any,
    columns: dict[str, str],
    now: datetime,
    label: str = "<condition>",
    why: str = "",
    first: int = 1,
) -> SqlCondition:
    """``node`` as SQLite over the root documents in ``columns`` (root -> SQL).

    Parameters are numbered ``?first``, ``?first+1``…, so the text can sit in a
    statement that numbers other parameters before it. Raises SqlRefused for
    what cannot run in SQL (see lower_condition).
    """
    form = lower_condition(node, frozenset(columns), now, label, why)
    text, params = write_sqlite(form, columns, first)
    return SqlCondition(text, tuple(params), form)
