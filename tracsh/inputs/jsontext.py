"""Strict JSON text: values the store can keep, and syntax errors said for people.

The NDJSON and document readers parse with ``DECODER``, which fails on NaN,
Infinity, numbers too large for a float and integers past Python's digit limit.
The rare text that fails that way is parsed again with markers in place of the
bad values, and ``unstorable`` then names where each one is; events.py runs it
on every record that did not come cleanly through ``DECODER``.
"""

from __future__ import annotations

import json
import math
import re
import sys

_SURROGATE = re.compile("[\ud800-\udfff]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SHOWN = 40
"""How many characters of a value or key a reason quotes."""
MAX_NESTING = 64
"""How many objects and arrays deep a record may nest, as documents in tests and
``tracsh eval`` may: the engine walks values by recursion, so deeper ones would
stop the whole run with a RecursionError instead of rejecting one record."""


class NotStorable(ValueError):
    """Raised by DECODER's hooks for a value the store cannot keep."""


class Marker:
    """A value the store cannot keep, left in place while locating it."""

    __slots__ = ("problem", "text")

    def __init__(self, text: str, problem: str) -> None:
        self.text = text
        """The value's literal text, as written."""
        self.problem = problem
        """What is wrong: "constant" (NaN, Infinity), "range" or "digits"."""

    def __repr__(self) -> str:
        return self.text


def _refuse_constant(text: str) -> float:
    raise NotStorable(text)


def _finite(text: str, _float=float, _isinf=math.isinf) -> float:
    value = _float(text)
    if _isinf(value):
        raise NotStorable(text)
    return value


def _mark_float(text: str) -> float | Marker:
    value = float(text)
    return Marker(text, "range") if math.isinf(value) else value


def _mark_int(text: str) -> int | Marker:
    try:
        return int(text)
    except ValueError:
        return Marker(text, "digits")


DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
"""Strict JSON: every value it returns can be stored (except lone surrogates)."""

LOCATOR = json.JSONDecoder(
    parse_constant=lambda text: Marker(text, "constant"),
    parse_float=_mark_float,
    parse_int=_mark_int,
)
"""JSON with a Marker for each value DECODER refuses, to find where it is."""


def decode(text: str) -> tuple[object, bool]:
    """JSON text's value and whether it is storable as it stands.

    DECODER's value when it accepts the text (storable unless a lone surrogate
    may hide in it); for text it refuses (NaN, numbers out of range), LOCATOR's
    value with markers where the bad numbers were, and False, so the caller can
    say where. Syntax errors raise json.JSONDecodeError.
    """
    try:
        value = DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        return LOCATOR.decode(text), False
    return value, not may_hold_surrogates(text) and not may_nest_deeply(text)


def may_hold_surrogates(text: str) -> bool:
    """True when ``text`` has a ``\\uD…`` escape, which may decode to half a pair."""
    # Most text has no backslash at all, and one character is found fastest.
    return "\\" in text and ("\\ud" in text or "\\uD" in text)


def may_nest_deeply(text: str) -> bool:
    """True when ``text`` has enough brackets to nest past MAX_NESTING."""
    return text.count("[") + text.count("{") > MAX_NESTING


def syntax_reason(error: json.JSONDecodeError) -> str:
    """The parser's complaint as a complete sentence part: what is wrong there."""
    message = error.msg
    if message.startswith("Invalid control character"):
        char = error.doc[error.pos : error.pos + 1] or "?"
        escape = _ESCAPES.get(char, f"\\u{ord(char):04x}")
        return f"control character U+{ord(char):04X} in text; write it as {escape}"
    if message.startswith("Unterminated string"):
        return "text starting here has no closing quote"
    if message.startswith("Invalid \\uXXXX"):
        return "\\u in text must be followed by four hex digits"
    if message.startswith("Invalid \\escape"):
        return 'bad escape in text: after \\ comes one of " \\ / b f n r t u'
    return message.removesuffix(" at")


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def unstorable(value: object) -> str | None:
    """Why ``value`` cannot be stored as JSON, naming where; None when it can.

    Catches Markers, NaN and infinite floats, integers past the digit limit,
    lone surrogates in text or keys, keys that are not text, values that are
    not JSON at all and nesting past MAX_NESTING. The first problem in
    document order is reported.
    """
    stack: list[tuple[object, tuple]] = [(value, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict | list) and len(path) >= MAX_NESTING:
            return _nesting_reason(path)
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                if not isinstance(key, str) or (
                    not key.isascii() and _SURROGATE.search(key)
                ):
                    return _key_reason(key, path)
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((value[i], (*path, i)) for i in range(len(value) - 1, -1, -1))
        elif (reason := _scalar_reason(value, path)) is not None:
            return reason
    return None


def _scalar_reason(value: object, path: tuple) -> str | None:
    """Why a value that is not an object or array cannot be stored, or None."""
    if isinstance(value, str):
        if value.isascii() or not (bad := _SURROGATE.search(value)):
            return None
        where = _where(path)
        return f"text{where} is not valid Unicode: lone surrogate {_escaped(bad[0])}"
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if _fits(value) else _digits_reason(path)
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        shown = "nan" if math.isnan(value) else repr(value)
        return f"number out of range{_where(path)}: {shown}"
    if isinstance(value, Marker):
        return _marker_reason(value, path)
    return f"not a JSON value{_where(path)}: {type(value).__name__}"


def _fits(value: int) -> bool:
    """True when ``value`` can be written out in digits (see sys.int_info)."""
    limit = sys.get_int_max_str_digits()
    # An int of b bits has at most b * log10(2) + 1 digits.
    if limit == 0 or value.bit_length() * 0.30103 < limit - 1:
        return True
    try:
        str(value)
    except ValueError:
        return False
    return True


def _marker_reason(marker: Marker, path: tuple) -> str:
    if marker.problem == "constant":
        return f"bad JSON: {marker.text}{_where(path)} is not a JSON number"
    if marker.problem == "digits":
        return _digits_reason(path)
    return f"number out of range{_where(path)}: {_cut(marker.text)}"


def _nesting_reason(path: tuple) -> str:
    where = path_text(path[:4]) + "…"
    return (
        f"nested more than {MAX_NESTING} levels deep at {where}; "
        f"tracsh takes records up to {MAX_NESTING} levels"
    )


def _digits_reason(path: tuple) -> str:
    limit = sys.get_int_max_str_digits()
    return f"a number{_where(path)} has more than {limit} digits"


def _where(path: tuple) -> str:
    return f" at {path_text(path)}" if path else ""


def _key_reason(key: object, path: tuple) -> str:
    where = f" in {path_text(path)}" if path else ""
    if isinstance(key, str):
        bad = _escaped(_SURROGATE.search(key)[0])
        return f"a key{where} is not valid Unicode: lone surrogate {bad}"
    return f"a key{where} is not text: {_cut(repr(key))}"


def path_text(path: tuple) -> str:
    """A path of keys and indexes as people write it: ``events[0].properties.x``."""
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif len(part) <= _SHOWN and _NAME.fullmatch(part):
            parts.append(f".{part}" if parts else part)
        else:
            # Escaped as JSON, so that no lone surrogate gets into a reason.
            quoted = json.dumps(part[:_SHOWN])
            if len(part) > _SHOWN:
                quoted = quoted[:-1] + '…"'
            parts.append(f"[{quoted}]")
    return "".join(parts)


def record_text(value: object) -> str:
    """``value`` as JSON text for a reject's ``raw``, whatever it holds."""
    try:
        return json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        return f"({type(value).__name__} that JSON cannot show)"


def _escaped(char: str) -> str:
    return f"\\u{ord(char):04x}"


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
