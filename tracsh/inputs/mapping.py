"""CSV column mappings: the TOML file that says which column is which event field.

``load_mapping`` checks the file once, before any row is read, and raises
MappingError naming the file and the key; docs/inputs.md describes the format.
"""

from __future__ import annotations

import codecs
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracsh.config import describe
from tracsh.inputs.items import MappingError
from tracsh.inputs.jsontext import unstorable

CONVERSIONS = ("text", "int", "number", "bool")
EMPTY_POLICIES = ("omit", "null")
EVENT_FIELDS = ("id", "type", "time", "profile", "session", "source")
SECTIONS = ("csv", "event", "properties", "context")
CSV_KEYS = ("delimiter", "quote", "encoding", "header", "columns", "empty_values")
SPEC_KEYS = ("column", "value", "as", "empty", "format", "timezone")


@dataclass(frozen=True)
class Field:
    """Where one value of an event comes from: a column, or a constant."""

    key: str
    """The mapping key, e.g. "properties.price", for error messages."""
    column: str | None = None
    """The column's name; None for a constant."""
    value: object = None
    """The constant, when ``column`` is None."""
    convert: str = "text"
    """How the column's text becomes a value: text, int, number or bool."""
    empty: str = "omit"
    """What an empty field gives: "omit" leaves the value out, "null" sets null."""
    format: str = "iso"
    """For time: "iso", "epoch" (seconds, or milliseconds when large) or strptime."""
    zone: tzinfo = UTC
    """For time: the zone of times written without an offset."""


@dataclass(frozen=True)
class Mapping:
    """A checked column mapping."""

    path: Path
    delimiter: str = ","
    quote: str = '"'
    encoding: str = "utf-8"
    header: bool = True
    columns: tuple[str, ...] = ()
    empty_values: frozenset[str] = frozenset({""})
    event: dict[str, Field] = field(default_factory=dict)
    """Event fields by name (id, type, time, profile, session, source)."""
    tags: tuple[str, ...] = ()
    properties: tuple[tuple[tuple[str, ...], Field], ...] = ()
    """(path under ``properties``, field) pairs; paths of more than one name nest."""
    context: tuple[tuple[tuple[str, ...], Field], ...] = ()


def load_mapping(path: Path) -> Mapping:
    """Read and check the mapping at ``path``; MappingError names file and key."""
    data = _read(path)
    reader = _Checker(path)
    reader.known(data, "", SECTIONS)
    options = _csv_options(reader, reader.table(data, "csv"))
    event = reader.table(data, "event")
    reader.known(event, "event", (*EVENT_FIELDS, "tags"))
    fields = {
        name: reader.spec(event[name], f"event.{name}")
        for name in EVENT_FIELDS
        if name in event
    }
    if "type" not in fields:
        reader.fail("event", 'missing required key type (e.g. type = "event_type")')
    if fields["type"].column is None:
        reader.text(fields["type"].value, "event.type.value")
    return Mapping(
        path=path,
        event=fields,
        tags=tuple(reader.texts(event.get("tags", []), "event.tags")),
        properties=tuple(reader.tree(reader.table(data, "properties"), "properties")),
        context=tuple(reader.tree(reader.table(data, "context"), "context")),
        **options,
    )


def _read(path: Path) -> dict:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise MappingError(
            f"{path}: cannot read the mapping: {error.strerror}"
        ) from None
    except UnicodeDecodeError as error:
        raise MappingError(f"{path}: not UTF-8 text (byte {error.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = re.search(r" \(at line ([0-9]+), column ([0-9]+)\)$", message)
        if where:
            message = message[: where.start()]
            path = f"{path}:{where.group(1)}:{where.group(2)}"
        raise MappingError(f"{path}: invalid TOML: {message}") from None


def _csv_options(reader: _Checker, table: dict) -> dict:
    reader.known(table, "csv", CSV_KEYS)
    options = {
        "delimiter": reader.char(table.get("delimiter", ","), "csv.delimiter"),
        "quote": reader.char(table.get("quote", '"'), "csv.quote"),
        "encoding": reader.encoding(table.get("encoding", "utf-8")),
        "header": reader.flag(table.get("header", True), "csv.header"),
        "columns": tuple(reader.texts(table.get("columns", []), "csv.columns")),
    }
    empty = reader.texts(table.get("empty_values", [""]), "csv.empty_values")
    options["empty_values"] = frozenset(empty)
    if options["header"] == bool(options["columns"]):
        reader.fail(
            "csv.columns",
            "give the column names when header = false, and only then",
        )
    return options


class _Checker:
    """Checks one mapping file's values, raising MappingError naming the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> None:
        """Raise the MappingError for ``key``."""
        raise MappingError(f"{self.path}: {key}: {message}")

    def known(self, table: dict, where: str, names: tuple[str, ...]) -> None:
        """Every key of ``table`` is one of ``names``, else the closest is named."""
        for name in table:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f'did you mean "{close[0]}"?' if close else ", ".join(names)
                what = "key" if where else "section"
                key = f"{where}.{name}" if where else name
                self.fail(key, f"unknown {what}; {hint}")

    def table(self, data: dict, name: str) -> dict:
        """The section ``name`` of the file (empty when absent)."""
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(name, f"expected a table, got {describe(value)}")
        return value

    def text(self, value: object, key: str) -> str:
        """Non-empty text."""
        if not isinstance(value, str) or not value:
            self.fail(key, f"expected non-empty text, got {describe(value)}")
        return value

    def char(self, value: object, key: str) -> str:
        """A single character (a delimiter or quote)."""
        if not isinstance(value, str) or len(value) != 1:
            self.fail(key, f"expected one character, got {describe(value)}")
        return value

    def flag(self, value: object, key: str) -> bool:
        """true or false."""
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {describe(value)}")
        return value

    def texts(self, value: object, key: str) -> list[str]:
        """A list of text."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"expected a list of text, got {describe(value)}")
        return value

    def encoding(self, value: object) -> str:
        """The canonical name of a Python codec."""
        name = self.text(value, "csv.encoding")
        try:
            return codecs.lookup(name).name
        except LookupError:
            self.fail("csv.encoding", f'unknown encoding "{name}"')

    def spec(self, value: object, key: str) -> Field:
        """A field from ``"column"`` or ``{column = …, …}`` / ``{value = …}``."""
        if isinstance(value, str):
            return Field(key, column=self.text(value, key))
        if not isinstance(value, dict):
            self.fail(
                key,
                'expected a column name or a table like {column = "c"}, '
                f"got {describe(value)}",
            )
        self.known(value, key, SPEC_KEYS)
        if ("column" in value) == ("value" in value):
            self.fail(key, "give either column or value")
        return Field(key, **self.options(value, key))

    def options(self, spec: dict, key: str) -> dict:
        """The Field arguments of one spec table, each checked."""
        options: dict = {}
        if "column" in spec:
            options["column"] = self.text(spec["column"], f"{key}.column")
        else:
            options["value"] = self.constant(spec["value"], f"{key}.value")
        self.applies(spec, key)
        if "as" in spec:
            options["convert"] = self.one_of(spec["as"], CONVERSIONS, f"{key}.as")
        if "empty" in spec:
            options["empty"] = self.one_of(
                spec["empty"], EMPTY_POLICIES, f"{key}.empty"
            )
        if "format" in spec:
            options["format"] = self.time_format(spec["format"], f"{key}.format")
        if "timezone" in spec:
            options["zone"] = self.zone(spec["timezone"], f"{key}.timezone")
        return options

    def applies(self, spec: dict, key: str) -> None:
        """``as`` and ``empty`` are for properties and context, the rest for time."""
        is_value = key.startswith(("properties.", "context."))
        for name in ("as", "empty"):
            if name in spec and not is_value:
                self.fail(f"{key}.{name}", "only properties and context fields take it")
        for name in ("format", "timezone"):
            if name in spec and key != "event.time":
                self.fail(f"{key}.{name}", "only event.time takes it")

    def one_of(self, value: object, allowed: tuple[str, ...], key: str) -> str:
        """One of ``allowed``."""
        if value not in allowed:
            listed = ", ".join(f'"{item}"' for item in allowed)
            self.fail(key, f"expected one of {listed}, got {describe(value)}")
        return value

    def constant(self, value: object, key: str) -> object:
        """A constant the store can keep: JSON values, finite numbers."""
        if isinstance(value, date | time):
            self.fail(key, f"write the {_TOML_TIMES[type(value)]} as text in quotes")
        reason = unstorable(value)
        if reason is not None:
            self.fail(key, reason)
        return value

    def time_format(self, value: object, key: str) -> str:
        """The time format: iso, epoch or a strptime pattern that strptime takes."""
        if not isinstance(value, str) or (
            value not in ("iso", "epoch") and "%" not in value
        ):
            self.fail(
                key,
                f'expected "iso", "epoch" or a strptime format, got {describe(value)}',
            )
        if value in ("iso", "epoch"):
            return value
        try:
            datetime.strptime("", value)
        except ValueError as error:
            # Any valid format fails on empty text with "time data …".
            message = str(error)
            if not message.startswith("time data"):
                self.fail(
                    key, f"bad strptime format {describe(value)}: {_why(message)}"
                )
        return value

    def zone(self, value: object, key: str) -> tzinfo:
        """A time zone by its IANA name."""
        if value == "UTC":
            return UTC
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, TypeError, ValueError):
            self.fail(
                key,
                f"unknown time zone {describe(value)} "
                '(use a name like "Europe/Warsaw")',
            )

    def tree(self, table: dict, where: str) -> list[tuple[tuple[str, ...], Field]]:
        """(path, field) pairs of a properties or context table, nested ones too."""
        pairs = []
        for name, value in table.items():
            key = f"{where}.{name}"
            if (
                isinstance(value, dict)
                and "column" not in value
                and "value" not in value
            ):
                pairs += [((name, *path), spec) for path, spec in self.tree(value, key)]
            else:
                pairs.append(((name,), self.spec(value, key)))
        return pairs


_TOML_TIMES = {datetime: "date and time", date: "date", time: "time"}


def _why(message: str) -> str:
    """What strptime found wrong in a format, without the format repeated."""
    bad = re.match(r"'(.+)' is a bad directive", message)
    if bad:
        return f"%{bad.group(1)} is not a directive"
    return re.sub(r" in format '.*'$", "", message)
