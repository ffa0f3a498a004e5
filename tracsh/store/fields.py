"""What authoring tools read from a store: field paths, recent ids, a profile's past.

The REPL completes field paths, and the texts compared with them, from what
stored events, profiles and sessions actually hold, most frequent first, and
picks documents by id. Only the newest
rows are sampled, so a large database answers as fast as a small one. A dry run
reads a profile's stored events and ``once per`` firings, to see what the
engine would see.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

SAMPLE = 2000
"""How many of the newest rows of each table are looked at for field paths."""

_TABLES = {
    "event": "SELECT doc FROM events ORDER BY seq DESC LIMIT ?",
    "profile": "SELECT doc FROM profiles ORDER BY updated DESC LIMIT ?",
    "session": "SELECT doc FROM sessions ORDER BY last_seen DESC LIMIT ?",
}
_INDEX = re.compile(r"\[\d+\]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def field_paths(store: Any, sample: int = SAMPLE) -> list[tuple[str, int]]:
    """``(path, documents holding it)`` for every field path, most frequent first.

    Paths are written as rules write them (``event.properties.total``); list
    elements appear once, as ``[0]``.
    """
    counts: Counter[str] = Counter()
    for root, sql in _TABLES.items():
        query = (
            f"SELECT fullkey, count(*) FROM ({sql}) AS d, json_tree(d.doc) "
            "WHERE fullkey != '$' GROUP BY fullkey"
        )
        for key, count in store.conn.execute(query, (sample,)):
            path = _written(root, _INDEX.sub("[0]", key))
            if path is not None:
                counts[path] += count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _written(root: str, key: str) -> str | None:
    """``$.properties."order id"`` as ``event.properties["order id"]``."""
    out = root
    for part in re.findall(r'\.("(?:[^"\\]|\\.)*"|[^.\[]+)|(\[\d+\])', key):
        name, index = part
        if name.startswith('"'):
            # SQLite quotes any key that is not plain letters and digits.
            name = json.loads(name)
        if index:
            out += index
        elif _NAME.fullmatch(name):
            out += f".{name}"
        else:
            out += f"[{json.dumps(name)}]"
    return out


def recent_ids(store: Any, kind: str, prefix: str = "", limit: int = 200) -> list[str]:
    """The newest ids of ``event``, ``profile`` or ``session`` documents that start
    with ``prefix``; the prefix is matched in SQL, before the newest are taken.
    """
    table, order = _ID_TABLES[kind]
    where, params = "", []
    if prefix:
        # Text compares by its UTF-8 bytes, so this range is exactly the prefix.
        where = "WHERE id >= ? AND id < ?"
        params = [prefix, prefix + "\U0010ffff"]
    sql = f"SELECT id FROM {table} {where} ORDER BY {order} DESC LIMIT ?"
    return [row[0] for row in store.conn.execute(sql, (*params, limit))]


_ID_TABLES = {
    "event": ("events", "seq"),
    "profile": ("profiles", "updated"),
    "session": ("sessions", "last_seen"),
}


def profile_events(store: Any, profile_ids: list[str], skip: str = "") -> list[dict]:
    """Every stored event of a profile (under any of its ids), oldest first,
    without the event whose id is ``skip``; for a dry run's history."""
    found = []
    for _seq, _time, doc in store.history_rows(profile_ids):
        event = json.loads(doc)
        if event.get("id") != skip:
            found.append(event)
    return found


def profile_firings(
    store: Any, profile_ids: list[str], session_id: str | None
) -> list[tuple[str, str, str, str]]:
    """``(rule_id, scope, scope_id, time)`` of the ``once per`` firings stored for a
    profile and for a session (each of its visits: ``id`` and ``id#visit``)."""
    marks = ", ".join("?" for _ in profile_ids) or "NULL"
    sql = (
        "SELECT rule_id, scope, scope_id, time FROM rule_fired WHERE "
        f"(scope = 'profile' AND scope_id IN ({marks}))"
    )
    params: list[Any] = list(profile_ids)
    if session_id:
        sql += (
            " OR (scope = 'session' AND (scope_id = ? OR substr(scope_id, 1, ?) = ?))"
        )
        params += [session_id, len(session_id) + 1, f"{session_id}#"]
    return [tuple(row) for row in store.conn.execute(sql, params)]


def event_by_id(store: Any, event_id: str) -> dict | None:
    """The stored event with this id, or None."""
    row = store.conn.execute(
        "SELECT doc FROM events WHERE id = ?", (event_id,)
    ).fetchone()
    return json.loads(row[0]) if row else None


_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def field_values(
    store: Any, path: str, sample: int = SAMPLE, limit: int = 100
) -> list[tuple[str, int]]:
    """``(text, documents holding it)`` for the text values at ``path``
    (``event.type``), or among its elements when it is a list; most frequent
    first, from the newest ``sample`` documents of its kind. Empty for a path
    that names no stored kind of document, or that SQLite cannot follow."""
    root = re.match(r"[a-z]*", path).group(0)
    json_path = _json_path(path[len(root) :])
    if root not in _TABLES or json_path is None:
        return []
    query = (
        f"SELECT j.value, count(*) AS n FROM ({_TABLES[root]}) AS d, "
        "json_each(d.doc, ?) AS j WHERE json_type(d.doc, ?) IN ('text', 'array') "
        "AND j.type = 'text' GROUP BY j.value ORDER BY n DESC, j.value LIMIT ?"
    )
    rows = store.conn.execute(query, (sample, json_path, json_path, limit))
    return [(value, count) for value, count in rows]


def _json_path(steps: str) -> str | None:
    """``.properties["order id"][0]`` as SQLite's ``$.properties."order id"[0]``;
    None when ``steps`` is not a path's steps (or names a key SQLite cannot)."""
    out, position = "$", 0
    for found in _STEP.finditer(steps):
        if found.start() != position:
            return None
        name, index, quoted = found.groups()
        if quoted is not None:
            name = json.loads(quoted)
            if '"' in name or "\\" in name:
                return None
            name = f'"{name}"'
        out += f"[{index}]" if index is not None else f".{name}"
        position = found.end()
    return out if position == len(steps) and out != "$" else None
