"""The project's settings: tracsh.toml, its schema, defaults and error messages.

The schema is the dataclasses below: each field made with ``key()`` is one TOML
key with its type, default and a one-line description, so adding a key is one
line here; ``reference_markdown()`` turns the same table into docs/config.md
(tests/config/test_config.py checks it and rewrites it on request).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

from tracsh.errors import UserError

DEFAULT_FILE = "tracsh.toml"
"""The file ``load_config(None)`` reads from the current directory when present."""


class ConfigError(UserError):
    """The configuration file is missing, is not TOML, or has a wrong key or value."""


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


def _duration(value: Any, root: Path | None) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"expected a duration longer than zero, got {describe(value)}")
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


# --- the schema --------------------------------------------------------------


@dataclass(frozen=True)
class StoreConfig:
    """Where the database lives and how hard SQLite works to keep it."""

    path: Path = key(
        PATH, "tracsh.db", "the SQLite database file (`:memory:` for none)"
    )
    synchronous: str = key(
        choice("normal", "full"),
        "normal",
        'SQLite fsync policy: "full" also survives power loss, at some speed',
    )


@dataclass(frozen=True)
class RulesConfig:
    """Where rule files and message templates are."""

    dirs: list[Path] = key(PATHS, ["rules"], "directories (or files) of `.rules` files")
    templates: Path = key(PATH, "templates", "the directory of message templates")


@dataclass(frozen=True)
class SessionConfig:
    """How visits are cut into sessions."""

    timeout: float = key(
        DURATION, "30m", "idle time after which the next event opens a new session"
    )


@dataclass(frozen=True)
class CollectorConfig:
    """Where `tracsh daemon` listens for `POST /track` and `POST /collect/...`."""

    host: str = key(TEXT, "127.0.0.1", "address to listen on")
    port: int = key(PORT, 8686, "port to listen on (0 picks a free one)")
    queue: int = key(
        COUNT,
        5000,
        "events that may wait to be processed; beyond that requests get 503",
    )


@dataclass(frozen=True)
class ConsoleConfig:
    """How `tracsh tui` looks, how much it keeps, and which keys it answers to."""

    theme: str = key(
        choice("dark", "light"), "dark", "the colour theme at start (ctrl+t switches)"
    )
    rows: int = key(COUNT, 1000, "events the live stream keeps; older ones drop off")
    refresh: float = key(
        DURATION, "1s", "how often figures are read again from the database"
    )
    speed: float = key(
        RATE, 100, "events per second `--replay` feeds when `--speed` is not given"
    )
    keys: dict[str, str] = key(
        KEYMAP,
        {},
        "key overrides by binding id (`?` in the console lists them), e.g. "
        '`"events.pause" = "space"`',
    )


@dataclass(frozen=True)
class SourceConfig:
    """An event source; the table name is its id. With none, any id is accepted."""

    id: str
    _: KW_ONLY
    enabled: bool = key(BOOL, True, "false refuses events from this source")
    token_env: str | None = key(
        ENV, None, "environment variable holding the bearer token requests must carry"
    )


@dataclass(frozen=True)
class ChannelConfig:
    """A way to send messages (email, sms, push), by SMTP or an HTTP provider."""

    name: str
    _: KW_ONLY
    kind: str = key(choice("smtp", "http"), REQUIRED, "how messages are sent")
    host: str = key(TEXT, "127.0.0.1", "SMTP server", only=("smtp",))
    port: int = key(
        PORT, 25, "SMTP port (usually 587 with starttls, 465 with ssl)", only=("smtp",)
    )
    tls: str = key(
        choice("none", "starttls", "ssl"), "none", "SMTP encryption", only=("smtp",)
    )
    sender: str = key(TEXT, REQUIRED, "the From address", toml="from", only=("smtp",))
    user_env: str | None = key(
        ENV, None, "environment variable with the SMTP user", only=("smtp",)
    )
    password_env: str | None = key(
        ENV, None, "environment variable with the SMTP password", only=("smtp",)
    )
    url: str = key(URL, REQUIRED, "the provider's endpoint", only=("http",))
    method: str = key(METHOD, "POST", "HTTP method", only=("http",))
    body: str | None = key(
        TEXT,
        None,
        "request body template under the templates directory",
        only=("http",),
    )
    headers: dict[str, str] = key(
        HEADERS, {}, "extra request headers (no secrets)", only=("http",)
    )
    headers_env: dict[str, str] = key(
        ENV_HEADERS,
        {},
        "request headers whose values come from environment variables",
        only=("http",),
    )
    allow_private: bool = key(
        BOOL,
        False,
        "true lets the URL reach loopback and private addresses",
        only=("http",),
    )
    timeout: float = key(DURATION, "10s", "how long one attempt may take, in all")


@dataclass(frozen=True)
class WebhookConfig:
    """An HTTP endpoint rules call with `call webhook "name"`."""

    name: str
    _: KW_ONLY
    url: str = key(URL, REQUIRED, "the endpoint")
    method: str = key(METHOD, "POST", "HTTP method")
    secret_env: str | None = key(
        ENV, None, "environment variable with the key that signs each request"
    )
    timeout: float = key(DURATION, "10s", "how long one attempt may take, in all")
    allow_private: bool = key(
        BOOL, False, "true lets the URL reach loopback and private addresses"
    )
    headers: dict[str, str] = key(HEADERS, {}, "extra request headers (no secrets)")
    headers_env: dict[str, str] = key(
        ENV_HEADERS, {}, "request headers whose values come from environment variables"
    )
    body: str | None = key(
        TEXT,
        None,
        "a JSON body template under the templates directory (default: the `with` "
        "object)",
    )


@dataclass(frozen=True)
class EnricherConfig:
    """A lookup that adds data to a profile, e.g. company details by email."""

    name: str
    _: KW_ONLY
    kind: str = key(choice("http"), REQUIRED, "how the lookup is made")
    url: str = key(URL, REQUIRED, "the endpoint; a template over `profile` and `event`")
    method: str = key(METHOD, "GET", "HTTP method")
    timeout: float = key(DURATION, "5s", "how long one lookup may take, in all")
    headers: dict[str, str] = key(HEADERS, {}, "extra request headers (no secrets)")
    headers_env: dict[str, str] = key(
        ENV_HEADERS, {}, "request headers whose values come from environment variables"
    )
    fields: dict[str, str] | None = key(
        FIELDS,
        None,
        "result fields and the dotted paths in the JSON answer they come from "
        "(default: the whole answer)",
    )
    ttl: float = key(DURATION, "1h", "how long an answer is cached for the same URL")
    allow_private: bool = key(
        BOOL, False, "true lets the URL reach loopback and private addresses"
    )


@dataclass(frozen=True)
class DeliveryConfig:
    """How the outbox worker sends: attempts, backoff, concurrency and limits."""

    attempts: int = key(COUNT, 8, "attempts before a delivery becomes a dead letter")
    backoff: float = key(
        DURATION, "30s", "the wait after the first failed attempt; it doubles each time"
    )
    max_backoff: float = key(
        DURATION, "6h", "the longest wait between attempts (Retry-After included)"
    )
    concurrency: int = key(COUNT, 4, "deliveries in flight at once per endpoint")
    poll: float = key(
        DURATION, "2s", "how often a running worker looks for new outbox rows"
    )
    render_timeout: float = key(
        DURATION, "1s", "the longest one template may take to render"
    )
    render_limit: int = key(
        COUNT, 262144, "the most characters one template may produce"
    )


SECTIONS: dict[str, type] = {
    "store": StoreConfig,
    "rules": RulesConfig,
    "session": SessionConfig,
    "collector": CollectorConfig,
    "delivery": DeliveryConfig,
    "console": ConsoleConfig,
}
"""Sections that appear once: ``[store]``."""

NAMED: dict[str, type] = {
    "sources": SourceConfig,
    "channels": ChannelConfig,
    "webhooks": WebhookConfig,
    "enrichers": EnricherConfig,
}
"""Sections of named tables: ``[sources.web-shop]``."""


def keys_of(section: type) -> list[tuple[str, Key]]:
    """The (attribute name, Key) pairs of a section class, in declaration order."""
    pairs = []
    for item in dataclasses.fields(section):
        entry = item.metadata.get("key")
        if entry is not None:
            pairs.append(
                (item.name, dataclasses.replace(entry, name=entry.name or item.name))
            )
    return pairs


@dataclass(frozen=True)
class Config:
    """The whole configuration, with every default filled in and paths resolved."""

    path: Path | None
    """The file it was read from; None when no file was found."""
    root: Path
    """The project directory: the file's directory, else the current one."""
    store: StoreConfig
    rules: RulesConfig
    session: SessionConfig
    collector: CollectorConfig
    delivery: DeliveryConfig
    console: ConsoleConfig
    sources: dict[str, SourceConfig]
    channels: dict[str, ChannelConfig]
    webhooks: dict[str, WebhookConfig]
    enrichers: dict[str, EnricherConfig]


# --- loading -----------------------------------------------------------------


def load_config(path: Path | None = None) -> Config:
    """Read ``path`` (default ./tracsh.toml when it exists) into a Config.

    Raises ConfigError naming the file, the key and what was expected.
    """
    if path is None:
        candidate = Path(DEFAULT_FILE)
        if not candidate.is_file():
            return build_config({}, None, Path.cwd())
        path = candidate
    elif not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    data = _read_toml(path)
    return build_config(data, path, path.resolve().parent)


def _read_toml(path: Path) -> dict:
    """The parsed TOML of ``path``; errors name the file, line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_toml_message(path, text, str(error))) from None


_AT = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


def _toml_message(path: Path, text: str, message: str) -> str:
    """tomllib's message as ``file:line:column: invalid TOML: what``."""
    match = _AT.search(message)
    if match is None:
        return f"{path}: invalid TOML: {message}"
    if match.group(1):
        line, column = int(match.group(1)), int(match.group(2))
    else:
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return f"{path}:{line}:{column}: invalid TOML: {message[: match.start()]}"


def build_config(data: dict, path: Path | None, root: Path) -> Config:
    """A Config from parsed TOML ``data``; ``path`` names the file in errors."""
    reader = _Reader(str(path) if path else DEFAULT_FILE, root)
    for name in data:
        if name not in SECTIONS and name not in NAMED:
            reader.unknown(name, name, [*SECTIONS, *NAMED], "section")
    single = {
        name: reader.section(cls, data.get(name, {}), name)
        for name, cls in SECTIONS.items()
    }
    named = {
        name: reader.named(cls, data.get(name, {}), name) for name, cls in NAMED.items()
    }
    _check_channels(reader, named["channels"])
    _check_enrichers(reader, named["enrichers"])
    return Config(path=path, root=root, **single, **named)


CHANNEL_KINDS = {"email": ("smtp", "http"), "sms": ("http",), "push": ("http",)}
"""The channels a rule can send through (``send email``…) and how each may send."""

BUILTIN_ENRICHERS = ("user-agent", "url", "email")
"""Enrichers tracsh has built in; ``[enrichers.<name>]`` cannot reuse these names."""


def _check_channels(reader: _Reader, channels: dict[str, ChannelConfig]) -> None:
    """Channels are named after what they send, and SMTP sends only email."""
    for name, channel in channels.items():
        if name not in CHANNEL_KINDS:
            reader.unknown(f"channels.{name}", name, list(CHANNEL_KINDS), "channel")
        if channel.kind not in CHANNEL_KINDS[name]:
            reader.fail(
                f"channels.{name}.kind",
                f'{channel.kind} cannot send {name}; use kind = "http"',
            )


def _check_enrichers(reader: _Reader, enrichers: dict[str, EnricherConfig]) -> None:
    """A configured enricher must not hide a built-in one."""
    for name in enrichers:
        if name in BUILTIN_ENRICHERS:
            reader.fail(
                f"enrichers.{name}",
                f'"{name}" is a built-in enricher; give this one another name',
            )


class _Reader:
    """Turns TOML tables into section objects, raising ConfigError on mistakes."""

    def __init__(self, filename: str, root: Path) -> None:
        self.filename = filename
        self.root = root

    def fail(self, where: str, message: str) -> None:
        raise ConfigError(f"{self.filename}: {where}: {message}")

    def unknown(self, where: str, name: str, known: list[str], what: str) -> None:
        """Raise the error for an unknown key, with the closest known one."""
        if f"{name}_env" in known:
            self.fail(
                where,
                "secrets are not read from the file; set "
                f"{name}_env to the name of an environment variable",
            )
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            prefix = where[: len(where) - len(name)]
            self.fail(where, f'unknown {what}; did you mean "{prefix}{close[0]}"?')
        self.fail(where, f"unknown {what} (known: {', '.join(known)})")

    def named(self, cls: type, table: Any, where: str) -> dict:
        """The ``[where.<name>]`` tables as section objects keyed by name."""
        if not isinstance(table, dict):
            self.fail(where, f"expected a table of named tables, got {describe(table)}")
        first = dataclasses.fields(cls)[0].name
        return {
            name: self.section(cls, body, f"{where}.{name}", {first: name})
            for name, body in table.items()
        }

    def section(self, cls: type, table: Any, where: str, extra: dict | None = None):
        """One section object from its TOML table, with defaults filled in."""
        if not isinstance(table, dict):
            self.fail(where, f"expected a table, got {describe(table)}")
        keys = keys_of(cls)
        by_name = {entry.name: (attr, entry) for attr, entry in keys}
        for name in table:
            if name not in by_name:
                self.unknown(f"{where}.{name}", name, list(by_name), "key")
        values = dict(extra or {})
        for attr, entry in keys:
            values[attr] = self.value(entry, table, where)
        self.check_kind(keys, table, values, where)
        return cls(**values)

    def value(self, entry: Key, table: dict, where: str) -> Any:
        """The value of one key: given, else its default (paths resolved)."""
        raw = table.get(entry.name, entry.default)
        if raw is None or raw is REQUIRED:
            return None
        try:
            return entry.kind.read(raw, self.root)
        except ValueError as error:
            self.fail(f"{where}.{entry.name}", str(error))

    def check_kind(self, keys: list, table: dict, values: dict, where: str) -> None:
        """Required keys are present and no key is given that its ``kind`` ignores."""
        kind = values.get("kind")
        for _attr, entry in keys:
            applies = not entry.only or kind in entry.only
            if entry.name in table and not applies:
                self.fail(f"{where}.{entry.name}", f'not used by kind = "{kind}"')
            if entry.default is REQUIRED and applies and entry.name not in table:
                self.fail(where, f"missing required key {entry.name}")


def read_secret(env: str | None, where: str) -> str | None:
    """The value of the environment variable ``env`` names (None when ``env`` is).

    ``where`` is the key that named it, e.g. "webhooks.crm.secret_env"; an
    unset or empty variable is a ConfigError saying which one to set.
    """
    if env is None:
        return None
    value = os.environ.get(env)
    if value is None:
        raise ConfigError(f"{where}: environment variable {env} is not set")
    if not value.strip():
        raise ConfigError(
            f"{where}: environment variable {env} is set but empty; "
            "set it to the value to use"
        )
    return value


# --- documentation -----------------------------------------------------------


def reference_markdown() -> str:
    """The key reference of docs/config.md, generated from the schema."""
    parts = []
    for name, cls in SECTIONS.items():
        parts.append(_section_markdown(f"[{name}]", cls))
    for name, cls in NAMED.items():
        parts.append(_section_markdown(f"[{name}.<{_id_word(cls)}>]", cls))
    return "\n".join(parts)


def _id_word(cls: type) -> str:
    return dataclasses.fields(cls)[0].name


def _section_markdown(title: str, cls: type) -> str:
    lines = [f"### `{title}`", "", cls.__doc__.strip(), ""]
    lines += ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for _attr, entry in keys_of(cls):
        only = f" ({', '.join(entry.only)} only)" if entry.only else ""
        cells = [f"`{entry.name}`", entry.kind.name, _default_text(entry)]
        lines.append(f"| {' | '.join(cells)} | {entry.doc}{only} |")
    return "\n".join(lines) + "\n"


def _default_text(entry: Key) -> str:
    if entry.default is REQUIRED:
        return "required"
    if entry.default is None:
        return "unset"
    if isinstance(entry.default, dict) and not entry.default:
        return "`{}`"
    return f"`{describe(entry.default)}`"


BEGIN = "<!-- BEGIN reference: generated from tracsh/config.py by its tests -->"
END = "<!-- END reference -->"
"""The markers around the generated part of docs/config.md."""
