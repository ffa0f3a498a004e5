"""Reading tracsh.toml into a Config, and errors naming the file, key and mistake."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from tracsh.config.kinds import REQUIRED, Key, describe
from tracsh.config.schema import (
    NAMED,
    SECTIONS,
    ChannelConfig,
    Config,
    EnricherConfig,
    keys_of,
)
from tracsh.errors import UserError

DEFAULT_FILE = "tracsh.toml"
"""The file ``load_config(None)`` reads from the current directory when present."""


class ConfigError(UserError):
    """The configuration file is missing, is not TOML, or has a wrong key or value."""


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
