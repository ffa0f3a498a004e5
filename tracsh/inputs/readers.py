"""Choosing a reader for a file or stdin: by ``--format``, else by file extension."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tracsh.inputs.csvfile import read_csv
from tracsh.inputs.document import read_document
from tracsh.inputs.items import (
    MAX_EVENT_BYTES,
    Accepted,
    InputError,
    MappingError,
    Rejected,
    now_text,
)
from tracsh.inputs.lines import read_lines
from tracsh.inputs.mapping import load_mapping

FORMATS = ("auto", "ndjson", "json", "track", "csv")
"""What ``--format`` accepts."""

STDIN = Path("-")
"""The path that means standard input."""

DEFAULT_SOURCE = "file"
"""The source id of events from files that name none."""


def format_of(path: Path, format: str = "auto") -> str:
    """The reader for ``path``: "csv", "json" (a document) or "ndjson" (lines).

    "auto" goes by extension: .csv, .json, anything else NDJSON. "track" is
    read as a document for .json files and as lines otherwise.
    """
    if format not in FORMATS:
        raise InputError(
            f"unknown input format {format!r} (one of {', '.join(FORMATS)})"
        )
    if format in ("csv", "json", "ndjson"):
        return format
    suffix = "" if path == STDIN else path.suffix.lower()
    if suffix == ".csv" and format == "auto":
        return "csv"
    return "json" if suffix == ".json" else "ndjson"


def read_items(
    path: Path,
    format: str = "auto",
    mapping: Path | None = None,
    *,
    max_event_bytes: int = MAX_EVENT_BYTES,
    received: str | None = None,
    source: str | None = None,
) -> Iterator[Accepted | Rejected]:
    """Accepted events and rejects from the file at ``path`` (``-``: stdin).

    ``mapping`` (TOML) is needed for CSV and ignored otherwise. ``received``
    defaults to now. Generated ids come from the file's name, the line and the
    record's text, so replaying a file again gives the same ids; records from
    stdin without an id get random ones. A mapping or format mistake raises
    InputError (a UserError) before anything is read.
    """
    reader = format_of(path, format)
    options = {
        "name": None if path == STDIN else path.name,
        "received": received or now_text(),
        "max_event_bytes": max_event_bytes,
        "source": source or DEFAULT_SOURCE,
    }
    if reader == "csv":
        if mapping is None:
            raise MappingError(
                f"{path}: CSV input needs a column mapping: pass --map FILE "
                "(see docs/inputs.md)"
            )
        return _read_csv(path, load_mapping(mapping), options)
    payloads = format if format in ("ndjson", "track") else "auto"
    if reader == "json":
        return _read_document(path, payloads, options)
    return _read_lines(path, payloads, options)


def _read_csv(path: Path, mapping, options: dict) -> Iterator[Accepted | Rejected]:
    with _opened(path) as stream:
        yield from read_csv(stream, mapping, **options)


def _read_document(path: Path, format: str, options: dict):
    with _opened(path) as stream:
        data = stream.read()
    yield from read_document(data, format=format, **options)


def _read_lines(path: Path, format: str, options: dict):
    with _opened(path) as stream:
        yield from read_lines(stream, format=format, **options)


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """The file (or stdin, left open) as a binary stream.

    InputError, naming the file and the system's reason, when it cannot be
    opened or a read fails part way (a device, a file on a failing disk).
    """
    name = "stdin" if path == STDIN else str(path)
    try:
        stream = sys.stdin.buffer if path == STDIN else path.open("rb")
    except OSError as error:
        raise InputError(f"{name}: cannot read: {_why(error)}") from None
    try:
        yield stream
    except OSError as error:
        raise InputError(f"{name}: cannot read: {_why(error)}") from None
    finally:
        if path != STDIN:
            stream.close()


def _why(error: OSError) -> str:
    return error.strerror or str(error)
