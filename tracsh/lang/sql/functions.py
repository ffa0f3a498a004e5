"""The deterministic Python functions SQLite calls where SQL cannot say it exactly.

``install_functions`` registers them on a connection; the SQLite back end calls
them by these names. Each one applies values.py, so its answer is the
language's by construction: reading ISO-8601 text as a time, regular
expressions, deep equality of lists and objects, numbers beyond 64 bits, and
whole tests (``tracsh_test``) that have no SQL form, such as arithmetic on
fields or function calls.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
from datetime import UTC, datetime
from typing import Any

from tracsh.lang import values
from tracsh.lang.compile import Check, compile_condition
from tracsh.lang.scope import MISSING, Report, Scope

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

NAMES = {
    "time_of": "tracsh_time",
    "matches": "tracsh_match",
    "same_json": "tracsh_same",
    "compare_json": "tracsh_compare",
    "test": "tracsh_test",
}
"""The SQL name of each function of form.FUNCTIONS that runs in Python."""


def microseconds(moment: datetime) -> int:
    """An aware time as whole microseconds since 1970 UTC (exact)."""
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _truth(found: Any) -> int | None:
    return None if found is None else int(bool(found))


def _decode(text: Any) -> Any:
    """A JSON text argument as a value; SQL NULL is a missing value."""
    return MISSING if text is None else json.loads(text)


def time_of(value: Any) -> int | None:
    """``tracsh_time(x)``: ISO-8601 text as microseconds; NULL for anything else."""
    if not isinstance(value, str):
        return None
    found = values.parse_time(value)
    return None if found is None else microseconds(found)


def match(value: Any, pattern: Any) -> int | None:
    """``tracsh_match(text, pattern)``: the language's ``matches``."""
    return _truth(values.match(value, pattern, Report()))


def same(left: Any, right: Any) -> int | None:
    """``tracsh_same(json, json)``: deep equality without coercion."""
    if left is None or right is None:
        return None
    return _truth(values.equals(_decode(left), _decode(right), Report()))


def compare(op: str, left: Any, right: Any) -> int | None:
    """``tracsh_compare(op, json, json)``: any comparison, numbers exact."""
    return _truth(values.compare(op, _decode(left), _decode(right), Report()))


_PLANS: dict[str, tuple[Check, datetime, bool]] = {}
_PLAN_LIMIT = 512


def bridge_plan(node: Any, now: datetime, segments: bool) -> tuple[str, bytes]:
    """The first two arguments of ``tracsh_test`` for a test lower.py rewrote.

    ``node`` reads its fields as ``event.f0``, ``event.f1``… in argument order;
    with ``segments``, the last argument is the profile's ``segments``. The
    plan travels with the query, so any connection can run it; its key (a
    digest of the plan) finds it compiled after the first row.
    """
    blob = pickle.dumps((node, now, segments), protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(blob).hexdigest()[:24], blob


def _plan(key: str, blob: bytes) -> tuple[Check, datetime, bool]:
    found = _PLANS.get(key)
    if found is None:
        node, now, segments = pickle.loads(blob)
        found = (compile_condition(node, "sql test"), now, segments)
        if len(_PLANS) >= _PLAN_LIMIT:
            _PLANS.clear()
        _PLANS[key] = found
    return found


def run_test(key: str, blob: bytes, *args: Any) -> int | None:
    """``tracsh_test(key, plan, json…)``: one test by the compiled evaluator."""
    check, now, segments = _plan(key, blob)
    fields = list(args[:-1] if segments else args)
    event = {f"f{i}": _decode(text) for i, text in enumerate(fields)}
    profile: Any = MISSING
    if segments:
        profile = {"segments": _decode(args[-1])}
    scope = Scope(
        event={key: value for key, value in event.items() if value is not MISSING},
        profile=profile,
        now=now,
    )
    return _truth(check(scope))


def install_functions(conn: sqlite3.Connection) -> None:
    """Register every function the SQLite back end may call (idempotent)."""
    conn.create_function(NAMES["time_of"], 1, time_of, deterministic=True)
    conn.create_function(NAMES["matches"], 2, match, deterministic=True)
    conn.create_function(NAMES["same_json"], 2, same, deterministic=True)
    conn.create_function(NAMES["compare_json"], 3, compare, deterministic=True)
    conn.create_function(NAMES["test"], -1, run_test, deterministic=True)
