"""A real SQLite file of worlds (event, profile, session, source) for SQL tests.

Each world is a row; a root that is MISSING is a NULL column, and a document is
JSON text exactly as the store writes it (non-ASCII as itself, docs/sql.md).
``truths`` runs one condition, written for SQLite, over chosen rows and names
each answer the way strategies.outcome does: ``true``, ``false`` or ``unknown``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from tracsh.lang.scope import MISSING
from tracsh.lang.sql import install_functions, to_sql
from tracsh.store.documents import encode_doc

ROOTS = ("event", "profile", "session", "source")
COLUMNS = {root: f"w.{root}" for root in ROOTS}
NAMES = {1: "true", 0: "false", None: "unknown"}


def has_nul(value: Any) -> bool:
    """Whether any text value in ``value`` holds U+0000, which SQLite's JSON
    reading cuts short (docs/sql.md, "Limits"). Keys may: no JSON path names a
    key holding it, so the bridge reads it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


class Worlds:
    """The worlds table in a SQLite file, with the language's functions installed."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        install_functions(self.conn)
        self.conn.execute(
            "CREATE TABLE w (id INTEGER PRIMARY KEY, "
            + ", ".join(f"{root} TEXT" for root in ROOTS)
            + ")"
        )

    def add(self, world: dict[str, Any]) -> int:
        """Store one world (Scope keyword arguments); returns its row id."""
        docs = [world.get(root, MISSING) for root in ROOTS]
        texts = [
            None if doc is MISSING else encode_doc(doc, root)
            for root, doc in zip(ROOTS, docs, strict=True)
        ]
        cursor = self.conn.execute(
            "INSERT INTO w (event, profile, session, source) VALUES (?, ?, ?, ?)",
            texts,
        )
        return cursor.lastrowid

    def truths(self, condition: Any, now: datetime, ids: list[int]) -> list[str]:
        """The condition's answer in each of the rows ``ids``, in that order."""
        sql = to_sql(condition, COLUMNS, now)
        marks = ", ".join(str(int(i)) for i in ids)
        rows = dict(
            self.conn.execute(
                f"SELECT id, {sql.text} FROM w WHERE id IN ({marks})", sql.params
            ).fetchall()
        )
        return [NAMES[rows[i]] for i in ids]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
