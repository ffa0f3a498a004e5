"""CSV input through a column mapping: rows to events, bad rows to rejects.

The mapping is compiled against the header once; each row is then a few list
lookups, so reading stays close to the csv module's own speed. Lines come
through bounded.RowSource, so a row over the size limit is never read whole.
"""

from __future__ import annotations

import copy
import csv
import difflib
import io
import math
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO

from tracsh.inputs.bounded import RowSource, RowTooLarge
from tracsh.inputs.events import stable_id
from tracsh.inputs.ids import id_problem
from tracsh.inputs.items import (
    Accepted,
    InputError,
    MappingError,
    Rejected,
    cut,
    printable,
    too_large,
)
from tracsh.inputs.mapping import Field, Mapping
from tracsh.inputs.times import epoch_number, from_epoch, utc_text

_UNDECODABLE = re.compile("[\ud800-\udfff]")
"""Bytes the encoding lacks (surrogateescape), or any other lone surrogate."""
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
"""A digit that is not ASCII: strptime would read it as one."""
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TIME_CACHE = 4096
_STOPPED = "; the rest of the file was not read"


def read_csv(
    stream: BinaryIO,
    mapping: Mapping,
    *,
    name: str | None,
    received: str,
    max_event_bytes: int,
    source: str,
) -> Iterator[Accepted | Rejected]:
    """Events and rejects from the CSV bytes of ``stream``; ``stream`` stays open."""
    encoding = "utf-8-sig" if mapping.encoding == "utf-8" else mapping.encoding
    text = io.TextIOWrapper(stream, encoding, "surrogateescape", newline="")
    try:
        lines = RowSource(text, max_event_bytes, mapping.quote)
        reader = csv.reader(lines, delimiter=mapping.delimiter, quotechar=mapping.quote)
        header = _header(reader, lines, mapping, name or "stdin")
        if header is None:
            return
        plan = Plan(mapping, header, name, received, max_event_bytes, source)
        yield from _rows(reader, lines, plan)
    finally:
        text.detach()


def _header(reader, lines: RowSource, mapping: Mapping, name: str) -> list[str] | None:
    """The column names: the mapping's, or the first row's (None: empty file)."""
    if not mapping.header:
        return list(mapping.columns)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        return None
    except csv.Error as error:
        raise InputError(f"{name}: cannot read the CSV header: {error}") from None
    except RowTooLarge as error:
        reason = too_large(error.size, lines.limit)
        raise InputError(f"{name}: cannot read the CSV header: {reason}") from None
    except UnicodeDecodeError:
        problem = f"bytes that are not {mapping.encoding}"
        raise InputError(f"{name}: cannot read the CSV header: {problem}") from None
    lines.row_over()
    if any(_UNDECODABLE.search(column) for column in header):
        raise InputError(
            f"{name}: the CSV header has bytes that are not {mapping.encoding}"
        )
    return header


def _rows(reader, lines: RowSource, plan: Plan) -> Iterator[Accepted | Rejected]:
    """Every row as an item; a row the csv module cannot split, or one over the
    size limit, is a reject. Bytes the decoder cannot even escape stop the file."""
    previous = lines.number
    while True:
        try:
            for row in reader:
                line, previous = previous + 1, lines.number
                over = lines.row_over()
                if lines.ended:
                    yield _unclosed(lines, line)
                elif row:
                    yield plan.item(row, line, over)
            return
        except csv.Error as error:
            yield Rejected(previous + 1, f"bad CSV: {error}", "")
        except RowTooLarge as error:
            reason = str(too_large(error.size, plan.limit))
            head = printable(error.head.rstrip("\r\n"))
            yield Rejected(previous + 1, reason, cut(head))
        except UnicodeDecodeError as error:
            reason = f"bytes that are not {plan.mapping.encoding} ({error.reason})"
            yield Rejected(previous + 1, reason + _STOPPED, "")
            return
        previous = lines.number
        lines.row_over()


def _unclosed(lines: RowSource, line: int) -> Rejected:
    """The reject of a row whose quoted field runs to the end of the file."""
    count = lines.number - line + 1
    reason = (
        f"unclosed quote: the row runs from here to the end of the file "
        f"({count} line{'s' if count != 1 else ''}); close the quoted field"
    )
    return Rejected(line, reason, cut(printable(lines.first.rstrip("\r\n"))))


class Plan:
    """A mapping compiled against one header: column indexes and converters."""

    def __init__(self, mapping, header, name, received, limit, source) -> None:
        self.mapping = mapping
        self.header = header
        self.width = len(header)
        self.name = name
        self.received = received
        self.limit = limit
        self.empty = mapping.empty_values
        self.delimiter = mapping.delimiter
        self.index = {}
        for position, column in enumerate(header):
            self.index.setdefault(column, position)
        self.repeated = {c for c in self.index if header.count(c) > 1}
        self.get_type = self.text_getter("type")
        self.id_getters = {
            name: self.text_getter(name)
            for name in ("id", "source", "session", "profile")
        }
        self.type_column = mapping.event["type"].column
        self.default_source = source
        self.time = self.time_reader(mapping.event.get("time"))
        self.properties = [
            self.value_plan(path, spec) for path, spec in mapping.properties
        ]
        self.context = [self.value_plan(path, spec) for path, spec in mapping.context]

    def compile(self, spec: Field) -> tuple[int | None, object]:
        """(column index, None) for a column, (None, constant) for a constant."""
        if spec.column is None:
            return None, spec.value
        return self.column(spec), None

    def column(self, spec: Field) -> int:
        """The index of the field's column; MappingError when the header lacks it."""
        position = self.index.get(spec.column)
        if position is None:
            known = list(self.index)
            close = [c for c in known if c.lower() == spec.column.lower()]
            close = close or difflib.get_close_matches(spec.column, known, n=1)
            hint = (
                f'; did you mean "{close[0]}"?'
                if close
                else f" (columns: {', '.join(known)})"
            )
            raise MappingError(
                f"{self.mapping.path}: {spec.key}: "
                f'no column "{spec.column}" in {self.name or "stdin"}{hint}'
            )
        if spec.column in self.repeated:
            raise MappingError(
                f"{self.mapping.path}: {spec.key}: the header of "
                f"{self.name or 'stdin'} has {self.header.count(spec.column)} "
                f'columns named "{spec.column}", so which one is meant is unclear'
            )
        return position

    def value_plan(self, path: tuple[str, ...], spec: Field) -> tuple:
        """(path, index, converter, omit when empty, constant) for one value."""
        index, constant = self.compile(spec)
        convert = CONVERTERS[spec.convert]
        return path, index, convert, spec.empty == "omit", constant, spec.column

    def time_reader(self, spec: Field | None) -> Callable[[list[str]], tuple]:
        """A function of a row giving (stored time, the raw time fields)."""
        received = self.received
        if spec is None:
            return lambda row: (received, {})
        if spec.column is None:
            try:
                stored = TimeColumn(spec).parse(str(spec.value))
            except InputError as error:
                raise MappingError(
                    f"{self.mapping.path}: {spec.key}: {error}"
                ) from None
            return lambda row: (stored, {"time": spec.value})
        parse, column, position = TimeColumn(spec), spec.column, self.column(spec)
        return lambda row: (parse(row[position]), {column: row[position]})

    def item(self, row: list[str], line: int, over: int) -> Accepted | Rejected:
        """The row as an event, or the reason it cannot be one; ``over`` is the
        row's size as read (UTF-8 bytes) when that is over the limit, else 0."""
        joined = self.delimiter.join(row)
        try:
            if len(row) != self.width:
                raise InputError(f"row has {len(row)} fields, expected {self.width}")
            if over:
                raise too_large(over, self.limit)
            if not joined.isascii():
                self.check(row, joined)
            return Accepted(self.event(row, line, joined), line)
        except InputError as error:
            return Rejected(line, str(error), cut(printable(joined)))

    def check(self, row: list[str], joined: str) -> None:
        """InputError when the row holds bytes the encoding lacks."""
        if _UNDECODABLE.search(joined):
            column = next(
                c
                for c, f in zip(self.header, row, strict=True)
                if _UNDECODABLE.search(f)
            )
            raise InputError(
                f'column "{column}": bytes that are not {self.mapping.encoding}'
            )

    def event(self, row: list[str], line: int, joined: str) -> dict:
        """The event of a row that has the right number of fields."""
        event_type = self.get_type(row)
        if event_type is None or not event_type.strip():
            raise InputError(f'column "{self.type_column}" (the event type) is empty')
        ids = {name: getter(row) for name, getter in self.id_getters.items()}
        if not all(text is None or text.isprintable() for text in ids.values()):
            self.check_ids(ids)
        event_id = ids["id"]
        if event_id is None:
            seed = None if self.name is None else f"{self.name}\x1f{line}\x1f{joined}"
            event_id = stable_id(seed) if seed else str(uuid.uuid4())
        time, raw = self.time(row)
        return {
            "id": event_id,
            "type": event_type,
            "time": time,
            "received": self.received,
            "source": {"id": ids["source"] or self.default_source},
            "session": {"id": ids["session"]},
            "profile": {"id": ids["profile"]},
            "properties": self.values(row, self.properties) if self.properties else {},
            "context": self.values(row, self.context) if self.context else {},
            "tags": list(self.mapping.tags),
            "raw": raw,
        }

    def check_ids(self, ids: dict[str, str | None]) -> None:
        """InputError naming the column of an id that breaks the id rule."""
        for name, text in ids.items():
            problem = None if text is None else id_problem(text)
            if problem is not None:
                spec = self.mapping.event[name]
                where = f'column "{spec.column}"' if spec.column else f"event.{name}"
                raise InputError(f"{where} (the {name} id) {problem}")

    def text_getter(self, name: str) -> Callable[[list[str]], str | None]:
        """A function of a row giving an id-like field as text, or None."""
        spec = self.mapping.event.get(name)
        if spec is None or spec.column is None:
            constant = None if spec is None or spec.value is None else str(spec.value)
            return lambda row: constant
        position, empty = self.column(spec), self.empty
        return lambda row: None if row[position] in empty else row[position]

    def values(self, row: list[str], plans: list[tuple]) -> dict:
        """The properties (or context) object of a row."""
        target: dict = {}
        empty = self.empty
        for path, index, convert, omit, constant, column in plans:
            if index is None:
                value = copy.deepcopy(constant)
            else:
                value = row[index]
                if value in empty:
                    if omit:
                        continue
                    value = None
                elif convert is not None:
                    value = _converted(convert, value, column)
            if len(path) == 1:
                target[path[0]] = value
            else:
                _put(target, path, value)
        return target


def _put(target: dict, path: tuple[str, ...], value: object) -> None:
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value


# --- conversions -------------------------------------------------------------


class _OutOfRange(ValueError):
    """A value that is well written but too large to keep; the message says how."""


def _integer(text: str) -> int:
    """An integer of ASCII digits, with a sign and spaces around allowed."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError(text)
    try:
        return int(text)
    except ValueError:
        limit = sys.get_int_max_str_digits()
        raise _OutOfRange(f"a number has more than {limit} digits") from None


def _number(text: str) -> float:
    """A decimal number of ASCII digits; NaN, infinities and overflows refused."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        raise ValueError(text)
    value = float(text)
    if math.isinf(value):
        raise _OutOfRange("number out of range")
    return value


_TRUE = frozenset(("true", "t", "yes", "y", "1"))
_FALSE = frozenset(("false", "f", "no", "n", "0"))


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise ValueError(text)


CONVERTERS: dict[str, tuple[Callable[[str], object], str] | None] = {
    "text": None,
    "int": (_integer, "an integer"),
    "number": (_number, "a number"),
    "bool": (_bool, "true or false"),
}
"""``as`` in a mapping: the function and what an error says was expected."""


def _converted(convert: tuple, text: str, column: str) -> object:
    function, expected = convert
    try:
        return function(text)
    except _OutOfRange as error:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InputError(f'column "{column}": {error}: "{shown}"') from None
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InputError(
            f'column "{column}": expected {expected}, got "{shown}"'
        ) from None


# --- times -------------------------------------------------------------------


_ISO_SHAPED = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def _split_literal_suffix(format: str) -> tuple[str, str]:
    """``format`` split before the text that follows its last directive."""
    end = format.rfind("%") + 2
    return format[:end], format[end:] if "%" not in format[end:] else ""


class TimeColumn:
    """Reads one time column; repeated texts (common in logs) are parsed once."""

    def __init__(self, spec: Field) -> None:
        self.spec = spec
        self.cache: dict[str, str] = {}
        head, suffix = _split_literal_suffix(spec.format)
        self.suffix = suffix if head in _ISO_SHAPED else None
        self.separator = head[8:9]
        """Set when the format is an ISO date and time plus fixed text (" UTC")."""

    def strptime(self, text: str) -> datetime:
        """``datetime.strptime`` with a fast path for ISO-shaped formats."""
        suffix = self.suffix
        if (
            suffix is not None
            and len(text) == 19 + len(suffix)
            and text.endswith(suffix)
            and text[10] == self.separator
        ):
            return datetime.fromisoformat(text[:19])
        if not text.isascii() and _OTHER_DIGIT.search(text):
            raise ValueError(text)
        return datetime.strptime(text, self.spec.format)

    def __call__(self, text: str) -> str:
        stored = self.cache.get(text)
        if stored is None:
            stored = self.parse(text)
            if len(self.cache) >= _TIME_CACHE:
                self.cache.clear()
            self.cache[text] = stored
        return stored

    def parse(self, text: str) -> str:
        """The stored time of ``text``, or InputError naming the column."""
        spec, label = self.spec, self.spec.column or self.spec.key
        if not text.strip():
            raise InputError(f'column "{label}" (the event time) is empty')
        try:
            if spec.format == "epoch":
                number = epoch_number(text)
                if number is None:
                    raise ValueError(text)
                return utc_text(from_epoch(number, label))
            if spec.format == "iso":
                return utc_text(datetime.fromisoformat(text), spec.zone)
            return utc_text(self.strptime(text), spec.zone)
        except (ValueError, OverflowError):
            shown = text if len(text) <= 40 else text[:40] + "…"
            wanted = "ISO-8601" if spec.format == "iso" else f'"{spec.format}"'
            raise InputError(
                f'column "{label}": "{shown}" does not match {wanted}'
            ) from None
