"""Value kinds of tracsh.toml keys (durations, paths, URLs, tables) and ``key()``."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- durations ---------------------------------------------------------------

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_UNIT_WORDS = {"millisecond": "ms", "sec": "s", "second": "s", "min": "m"}
_UNIT_WORDS |= {"minute": "m", "hour": "h", "hr": "h", "day": "d", "week": "w"}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*")


def _unit(word: str) -> float | None:
    """Seconds per unit for ``word`` ("m", "min", "minutes"), None if unknown."""
    if word in _UNITS:
        return _UNITS[word]
    short = _UNIT_WORDS.get(word.removesuffix("s") if len(word) > 3 else word)
    return _UNITS[short] if short else None


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration: "30s", "15m", "2h", "7d", "2w", "1.5h", "1h30m".

    Units may be written out ("10 seconds", "2 days"); a bare number, or text
    holding only a number, is seconds. Raises ValueError for anything else,
    including negative durations.
    """
    if isinstance(value, str):
        seconds = _text_seconds(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        seconds = _bad_duration(value)
    if not 0 <= seconds < math.inf:
        raise ValueError(f"expected a duration of zero or more, got {describe(value)}")
    return seconds


def _text_seconds(value: str) -> float:
    """The seconds in a duration written as text, or ValueError."""
    text = value.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    total, position = 0.0, 0
    while position < len(text) or not text:
        match = _PART.match(text, position)
        seconds = _unit(match.group(2)) if match else None
        if seconds is None:
            _bad_duration(value)
        total += float(match.group(1)) * seconds
        position = match.end()
    return total


def _bad_duration(value: object) -> float:
    raise ValueError(f'expected a duration like "30m", got {describe(value)}')


def describe(value: object) -> str:
    """A TOML value as an error message shows it after "got"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, int | float | str | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__} ({value})"


# --- value kinds -------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A type of configuration value: how it reads and how docs name it."""

    name: str
    """The type as docs/config.md shows it, e.g. "duration"."""
    expected: str
    """What an error says was expected, e.g. 'a duration like "30m"'."""
    convert: Callable[[Any, Path | None], Any]
    """TOML value and project root to Python value; ValueError when unusable."""

    def read(self, value: Any, root: Path | None) -> Any:
        """The Python value for ``value``; ValueError with a message for people."""
        try:
            return self.convert(value, root)
        except (ValueError, TypeError) as error:
            detail = str(error)
            if detail.startswith("expected"):
                raise ValueError(detail) from None
            raise ValueError(
                f"expected {self.expected}, got {describe(value)}"
            ) from None


def _text(value: Any, root: Path | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError()
    return value


def _bool(value: Any, root: Path | None) -> bool:
    if not isinstance(value, bool):
        raise ValueError()
    return value


def _port(value: Any, root: Path | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 65536:
        raise ValueError()
    return value


def _count(value: Any, root: Path | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError()
    return value


# Ten years: longer waits mean nothing here, and far longer ones overflow the
# dates that leases, retries and timers are computed as.
LONGEST_WAIT = 3650 * 86400.0


def _duration(value: Any, root: Path | None) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"expected a duration longer than zero, got {describe(value)}")
    if seconds > LONGEST_WAIT:
        raise ValueError(
            f'expected a duration of at most 10 years ("3650d"), got {describe(value)}'
        )
    return seconds


def _path(value: Any, root: Path | None) -> Path:
    text = _text(value, root)
    if text == ":memory:":
        return Path(text)
    path = Path(text).expanduser()
    return path if root is None or path.is_absolute() else root / path


def _paths(value: Any, root: Path | None) -> list[Path]:
    if not isinstance(value, list) or not value:
        raise ValueError()
    return [_path(item, root) for item in value]


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env(value: Any, root: Path | None) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise ValueError()
    return value


def _rate(value: Any, root: Path | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError()
    if not 0 <= value < math.inf:
        raise ValueError()
    return float(value)


def _keymap(value: Any, root: Path | None, prefix: str = "") -> dict[str, str]:
    """Binding ids to keys; nested tables join with dots (``events.pause``)."""
    if not isinstance(value, dict):
        raise ValueError()
    found: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, dict):
            found.update(_keymap(item, root, f"{prefix}{name}."))
        elif isinstance(item, str) and item.strip():
            found[f"{prefix}{name}"] = item.strip()
        else:
            raise ValueError(
                f'expected a key such as "ctrl+r" for {prefix}{name}, '
                f"got {describe(item)}"
            )
    return found


def _url(value: Any, root: Path | None) -> str:
    text = _text(value, root)
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError()
    return text


def _headers(value: Any, root: Path | None) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(v, str) for v in value.values()
    ):
        raise ValueError()
    return dict(value)


def _env_headers(value: Any, root: Path | None) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(v, str) and _ENV_NAME.fullmatch(v) for v in value.values()
    ):
        raise ValueError()
    return dict(value)


def _fields(value: Any, root: Path | None) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(v, str) and v.strip() for v in value.values()
    ):
        raise ValueError()
    return dict(value)


def choice(*values: str, fold: bool = False) -> Kind:
    """A kind that accepts one of ``values`` (case-insensitively when ``fold``)."""
    listed = ", ".join(f'"{value}"' for value in values)

    def convert(value: Any, root: Path | None) -> str:
        if isinstance(value, str) and fold:
            value = value.upper()
        if value not in values:
            raise ValueError()
        return value

    return Kind(" \\| ".join(values), f"one of {listed}", convert)


TEXT = Kind("text", "non-empty text", _text)
BOOL = Kind("boolean", "true or false", _bool)
PORT = Kind("port", "a port number from 0 to 65535", _port)
COUNT = Kind("count", "a whole number of 1 or more", _count)
DURATION = Kind("duration", 'a duration like "30m"', _duration)
PATH = Kind("path", 'a path like "tracsh.db"', _path)
PATHS = Kind("list of paths", 'a list of paths like ["rules"]', _paths)
ENV = Kind("env name", "the name of an environment variable (letters, digits, _)", _env)
URL = Kind("URL", 'an http:// or https:// URL like "https://example.test/hook"', _url)
RATE = Kind("number", "a number of 0 or more", _rate)
KEYMAP = Kind(
    "table of keys",
    'a table of binding ids and keys like {"events.pause" = "p"}',
    _keymap,
)
HEADERS = Kind("table of text", 'a table of text values like {X-Key = "v"}', _headers)
ENV_HEADERS = Kind(
    "table of env names",
    'a table of environment variable names like {Authorization = "SMS_AUTH"}',
    _env_headers,
)
FIELDS = Kind(
    "table of JSON paths",
    'a table of JSON paths like {company = "data.company.name"}',
    _fields,
)
METHOD = choice("GET", "POST", "PUT", "PATCH", "DELETE", fold=True)

REQUIRED: Any = object()
"""The default of a key that must be given."""


@dataclass(frozen=True)
class Key:
    """One TOML key of a section: its name, kind, default and documentation."""

    name: str
    kind: Kind
    default: Any
    """The default as written in TOML (None: unset; REQUIRED: must be given)."""
    doc: str
    only: tuple[str, ...] = ()
    """The values of the section's ``kind`` key this key applies to (all if empty)."""


def key(
    kind: Kind,
    default: Any,
    doc: str,
    *,
    toml: str | None = None,
    only: tuple[str, ...] = (),
) -> Any:
    """A dataclass field that is also one row of the schema table."""
    entry = Key(toml or "", kind, default, doc, only)
    if default is None or default is REQUIRED:
        return field(default=None, metadata={"key": entry})
    value = kind.read(default, None)
    if isinstance(value, list | dict):
        return field(
            default_factory=lambda: kind.read(default, None), metadata={"key": entry}
        )
    return field(default=value, metadata={"key": entry})
