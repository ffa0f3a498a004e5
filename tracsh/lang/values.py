"""The meaning of values in conditions: equality, ordering, times, arithmetic, tests.

Both evaluators (compile.py and reference.py) call these functions, so the rules
of language.md §3 live in one place. Every function takes the evaluation's
Report and counts type warnings and errors on it; none raises for a value it is
given. A value that cannot be computed is MISSING; a truth that cannot be
decided is None (unknown).
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import regex

from tracsh.lang.scope import MISSING, Report, Truth

NUMBER_TYPES = (int, float)
"""The number classes; bool is excluded by comparing classes, never isinstance."""

_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def is_number(value: Any) -> bool:
    """True for int and float, false for bool (booleans are not numbers)."""
    return value.__class__ in NUMBER_TYPES


def kind(value: Any) -> str:
    """The value's kind as a person would name it, for warnings."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if value.__class__ is bool:
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "time"
    if isinstance(value, timedelta):
        return "duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def absent(value: Any) -> bool:
    """True for a missing value or a stored null: operands that make a test unknown."""
    return value is MISSING or value is None


# --- times --------------------------------------------------------------------


def parse_time(text: str) -> datetime | None:
    """ISO-8601 text as an aware time (no offset means UTC), or None when not ISO.

    The accepted forms are the ones SQLite's date functions read: a date, or a
    date and a time with optional seconds, fraction and ``Z`` / ``±HH:MM``.
    """
    if not _ISO.fullmatch(text):
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def as_time(value: Any, report: Report, what: str = "a time") -> datetime | Any:
    """``value`` as a time for a test against a time; MISSING (and a warning) if not."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        found = parse_time(value)
        if found is not None:
            return found
        report.warn(
            f"text {value[:40]!r} is not an ISO-8601 time, compared with {what}"
        )
        return MISSING
    report.warn(f"a {kind(value)} is compared with {what}")
    return MISSING


def epoch_time(seconds: float, report: Report) -> datetime | Any:
    """Epoch seconds as an aware UTC time; MISSING and an error when out of range."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        report.error(f"{seconds!r} seconds since 1970 is out of the range of times")
        return MISSING


# --- equality and ordering ----------------------------------------------------


def _times_pair(a: Any, b: Any, report: Report) -> tuple[Any, Any]:
    """When one side is a time, both sides as times (text read as ISO-8601)."""
    if isinstance(a, datetime) and not isinstance(b, datetime):
        return a, as_time(b, report)
    if isinstance(b, datetime) and not isinstance(a, datetime):
        return as_time(a, report), b
    return a, b


def same(a: Any, b: Any) -> bool:
    """Deep equality of two present values without coercion (1 == 1.0, true != 1)."""
    ca, cb = a.__class__, b.__class__
    if ca in NUMBER_TYPES and cb in NUMBER_TYPES:
        return a == b
    if ca is not cb and not (isinstance(a, datetime) and isinstance(b, datetime)):
        return False
    if ca is list:
        if len(a) != len(b):
            return False
        return all(_same_item(x, y) for x, y in zip(a, b, strict=True))
    if ca is dict:
        return a.keys() == b.keys() and all(_same_item(a[k], b[k]) for k in a)
    return a == b


def _same_item(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return same(a, b)


def equals(a: Any, b: Any, report: Report) -> Truth:
    """``a == b``: unknown with a missing or null side; no coercion between types."""
    if absent(a) or absent(b):
        return None
    a, b = _times_pair(a, b, report)
    if a is MISSING or b is MISSING:
        return None
    return same(a, b)


def not_equals(a: Any, b: Any, report: Report) -> Truth:
    """``a != b``: the three-valued negation of ``==``."""
    found = equals(a, b, report)
    return None if found is None else not found


_ORDERED = ("number", "text", "time", "duration")


def order(op: str, a: Any, b: Any, report: Report) -> Truth:
    """``a < b`` and friends: unknown for absent sides and across kinds (a warning)."""
    if absent(a) or absent(b):
        return None
    a, b = _times_pair(a, b, report)
    if a is MISSING or b is MISSING:
        return None
    ka, kb = kind(a), kind(b)
    if ka != kb or ka not in _ORDERED:
        report.warn(f"cannot order a {ka} against a {kb}")
        return None
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def compare(op: str, a: Any, b: Any, report: Report) -> Truth:
    """Any comparison operator of language.md §3."""
    if op == "==":
        return equals(a, b, report)
    if op == "!=":
        return not_equals(a, b, report)
    return order(op, a, b, report)


# --- membership and text tests ------------------------------------------------


def member(item: Any, items: Any, report: Report) -> Truth:
    """``item in items``, as SQL's IN: true on a match, unknown when a null blocks.

    ``items`` must be a list; any other present value is a type warning.
    """
    if absent(item) or absent(items):
        return None
    if not isinstance(items, list):
        report.warn(f"`in` needs a list on its right, got a {kind(items)}")
        return None
    result: Truth = False
    for candidate in items:
        found = equals(item, candidate, report)
        if found:
            return True
        if found is None:
            result = None
    return result


def negate(truth: Truth) -> Truth:
    """Three-valued ``not``."""
    return None if truth is None else not truth


def contains(whole: Any, part: Any, report: Report) -> Truth:
    """``whole contains part``: a substring of text, or an element of a list."""
    if absent(whole) or absent(part):
        return None
    if isinstance(whole, list):
        return member(part, whole, report)
    if isinstance(whole, str) and isinstance(part, str):
        return part in whole
    report.warn(
        f"`contains` needs text in text or a list, got {kind(whole)}, {kind(part)}"
    )
    return None


def text_test(op: str, left: Any, right: Any, report: Report) -> Truth:
    """``starts with`` / ``ends with`` / ``contains`` (``matches`` is in match())."""
    if op == "contains":
        return contains(left, right, report)
    if absent(left) or absent(right):
        return None
    if not (isinstance(left, str) and isinstance(right, str)):
        report.warn(f"`{op}` needs text on both sides, got {kind(left)}, {kind(right)}")
        return None
    return left.startswith(right) if op == "starts with" else left.endswith(right)


MATCH_SECONDS = 0.1
"""How long one ``matches`` test may run before it counts as an error.

Patterns are run by the ``regex`` module, which can stop a match that
backtracks without end (``([a-z]+)+@`` on a long text); Python's ``re`` cannot.
"""

_PATTERNS: dict[str, regex.Pattern[str]] = {}


def pattern(text: str) -> regex.Pattern[str]:
    """The compiled regular expression for ``text`` (cached); raises regex.error."""
    found = _PATTERNS.get(text)
    if found is None:
        with warnings.catch_warnings():
            # Patterns from documents may trip FutureWarnings; they still work.
            warnings.simplefilter("ignore", FutureWarning)
            found = regex.compile(text)
        if len(_PATTERNS) < 1024:
            _PATTERNS[text] = found
    return found


def match(value: Any, text: Any, report: Report) -> Truth:
    """``value matches text``: the whole value must match (a full match)."""
    if absent(value) or absent(text):
        return None
    if not isinstance(text, str):
        report.warn(f"`matches` needs a text pattern, got a {kind(text)}")
        return None
    if not isinstance(value, str):
        report.warn(f"`matches` needs text on its left, got a {kind(value)}")
        return None
    try:
        compiled = pattern(text)
    except regex.error as err:
        report.error(f"invalid regular expression {text!r}: {err}")
        return None
    try:
        return compiled.fullmatch(value, timeout=MATCH_SECONDS) is not None
    except TimeoutError:
        report.error(
            f"the regular expression {text[:40]!r} took over {MATCH_SECONDS} s "
            "on one value; simplify it (nested repeats backtrack without end)"
        )
        return None


def between(value: Any, low: Any, high: Any, report: Report) -> Truth:
    """``value between low and high``, inclusive: ``value >= low and value <= high``."""
    warned = report.type_warnings
    first = order(">=", value, low, report)
    if first is False:
        return False
    # One operator, one warning: a value of the wrong kind is not counted twice.
    quiet = report.type_warnings > warned
    second = order("<=", value, high, Report() if quiet else report)
    return and3(first, second)


def and3(a: Truth, b: Truth) -> Truth:
    """Three-valued ``and`` of two truths."""
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def presence(value: Any, test: str) -> bool:
    """The two-valued presence tests of language.md §3 rule 1."""
    if test == "exists":
        return value is not MISSING
    if test == "is missing":
        return value is MISSING
    if test == "is null":
        return value is None
    if test == "is not null":
        return value is not MISSING and value is not None
    return value is MISSING or value is None or value in ("", [], {})


def truthy(value: Any, report: Report) -> Truth:
    """A bare value used as a condition: true only for ``true``, false for ``false``."""
    if value is True or value is False:
        return value
    if absent(value):
        return None
    report.warn(f"a {kind(value)} is used as a condition; only true and false are")
    return None


def in_segment(profile: Any, name: str) -> bool:
    """Whether the profile's ``segments`` list holds ``name``."""
    if not isinstance(profile, dict):
        return False
    segments = profile.get("segments")
    return isinstance(segments, list) and name in segments


# --- arithmetic ---------------------------------------------------------------


INT_LIMIT = 2**63 - 1
"""Integers that arithmetic produces stay within 64 bits, as SQLite's do."""


def _number_result(value: float | int, report: Report) -> Any:
    if value.__class__ is int:
        if -INT_LIMIT - 1 <= value <= INT_LIMIT:
            return value
    elif value == value and value not in (_INF, -_INF):
        return value
    report.error("the arithmetic overflowed")
    return MISSING


_INF = float("inf")


def _divide(a: Any, b: Any, report: Report) -> Any:
    if b == 0:
        report.error("division by zero")
        return MISSING
    if a.__class__ is int and b.__class__ is int and a % b == 0:
        return _number_result(a // b, report)
    return _number_result(a / b, report)


def _numbers(op: str, a: Any, b: Any, report: Report) -> Any:
    try:
        if op == "+":
            return _number_result(a + b, report)
        if op == "-":
            return _number_result(a - b, report)
        if op == "*":
            return _number_result(a * b, report)
        if op == "/":
            return _divide(a, b, report)
        if b == 0:
            report.error("division by zero")
            return MISSING
        return _number_result(a % b, report)
    except OverflowError:
        report.error("the arithmetic overflowed")
        return MISSING


def _timeish(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_time(value)
    return None


def _time_arith(op: str, a: Any, b: Any, report: Report) -> Any:
    """Arithmetic with times and durations; MISSING when the kinds do not fit."""
    try:
        if isinstance(b, timedelta) and op in "+-":
            start = _timeish(a)
            if start is not None:
                return start + b if op == "+" else start - b
            if isinstance(a, timedelta):
                return a + b if op == "+" else a - b
        if op == "+" and isinstance(a, timedelta):
            start = _timeish(b)
            if start is not None:
                return start + a
        if op == "-" and isinstance(a, datetime) and isinstance(b, datetime):
            return a - b
        if op == "-" and (isinstance(a, datetime) or isinstance(b, datetime)):
            start, other = _timeish(a), _timeish(b)
            if start is not None and other is not None:
                return start - other
        if op == "*" and isinstance(a, timedelta) and is_number(b):
            return a * b
        if op == "*" and is_number(a) and isinstance(b, timedelta):
            return b * a
        if op == "/" and isinstance(a, timedelta) and is_number(b):
            if b == 0:
                report.error("division by zero")
                return MISSING
            return a / b
    except (OverflowError, ValueError):
        report.error("the time arithmetic went out of the range of times")
        return MISSING
    report.warn(f"cannot compute {kind(a)} {op} {kind(b)}")
    return MISSING


def arith(op: str, a: Any, b: Any, report: Report) -> Any:
    """``a op b`` for ``+ - * / %``: numbers, or times and durations."""
    if absent(a) or absent(b):
        return MISSING
    if a.__class__ in NUMBER_TYPES and b.__class__ in NUMBER_TYPES:
        return _numbers(op, a, b, report)
    return _time_arith(op, a, b, report)


def negative(value: Any, report: Report) -> Any:
    """Unary minus of a number or a duration."""
    if absent(value):
        return MISSING
    if is_number(value) or isinstance(value, timedelta):
        return -value
    report.warn(f"cannot negate a {kind(value)}")
    return MISSING


# --- conversions used by functions --------------------------------------------


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
"""Numbers as text: digits, an optional point and exponent; no ``_``, inf or NaN."""


def to_number(value: Any, report: Report) -> Any:
    """``number(x)``: text to int or float, explicitly; MISSING when it is not one."""
    if absent(value):
        return MISSING
    if is_number(value):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            if len(text) > 4000:
                report.error(f"number() of a text of {len(text)} digits is too large")
                return MISSING
            return int(text)
        if _DECIMAL.fullmatch(text):
            found = float(text)
            if found not in (_INF, -_INF):
                return found
        report.warn(f"text {value[:40]!r} is not a number")
        return MISSING
    report.warn(f"number() cannot convert a {kind(value)}")
    return MISSING


def to_text(value: Any, report: Report) -> Any:
    """``text(x)``: a value's text form (times as ISO-8601, JSON for lists/objects)."""
    if absent(value):
        return MISSING
    if isinstance(value, str):
        return value
    if value.__class__ is bool:
        return "true" if value else "false"
    if is_number(value):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))


def plain(value: Any) -> Any:
    """A JSON-shaped copy of ``value``: times as ISO-8601 text, durations in seconds.

    MISSING inside lists and objects is dropped; MISSING at the top stays, so a
    caller can tell that nothing was produced. Writes to profiles, outbox
    arguments and ``text()`` of a list all pass through here.
    """
    if value is MISSING or value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if v is not MISSING}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value if v is not MISSING]
    return str(value)


MAX_NESTING = 64
"""How many lists and objects deep a value an action uses may nest: input
records nest at most that deep, and deeper values, built up by rules event
after event, would overflow the recursion of plain() and the store's JSON."""


def nests_past(value: Any, limit: int = MAX_NESTING) -> bool:
    """True when ``value`` holds lists and objects more than ``limit`` deep."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            current = current.values()
        elif not isinstance(current, (list, tuple)):
            continue
        if depth > limit:
            return True
        stack.extend((item, depth + 1) for item in current)
    return False


def format_duration(value: timedelta) -> str:
    """A duration as the language writes it, in its largest whole unit."""
    seconds = value.total_seconds()
    for unit, size in (
        ("week", 604800),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if seconds and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}" + ("" if abs(count) == 1 else "s")
    whole = int(seconds) if seconds == int(seconds) else seconds
    return f"{whole} second" + ("" if whole in (1, -1) else "s")


def to_time(value: Any, report: Report) -> Any:
    """``date(x)``: ISO-8601 text or epoch seconds to a time."""
    if absent(value):
        return MISSING
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        found = parse_time(value.strip())
        if found is None:
            report.warn(f"text {value[:40]!r} is not an ISO-8601 date or time")
            return MISSING
        return found
    if is_number(value):
        return epoch_time(value, report)
    report.warn(f"date() cannot convert a {kind(value)}")
    return MISSING


def round_half_up(value: Any, places: Any, report: Report) -> Any:
    """``round(x, n)``: half away from zero; an int when ``n`` is 0 or less."""
    if absent(value) or absent(places):
        return MISSING
    if not is_number(value) or places.__class__ is not int:
        report.warn(f"round() needs a number and a whole number, got {kind(value)}")
        return MISSING
    if not -20 <= places <= 20:
        report.error(f"round() to {places} places is out of range")
        return MISSING
    try:
        exact = Decimal(repr(value) if isinstance(value, float) else value)
        step = Decimal(1).scaleb(-places)
        rounded = exact.quantize(step, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        report.error(f"cannot round {value!r}")
        return MISSING
    return int(rounded) if places <= 0 else float(rounded)
