"""Arguments and standard input as UTF-8 text, refused with a place when they are not.

Python decodes both with ``surrogateescape``, so a byte that is not UTF-8 turns
into a lone surrogate that fails far away (SQLite, hashing, printing) with a
traceback. Rule files are refused when they are not UTF-8 (tracsh.lang.loader);
text typed on the command line or piped in is held to the same rule here.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator

from tracsh.errors import UserError

_ESCAPED = re.compile("[\udc80-\udcff]")
"""A byte that was not UTF-8, as surrogateescape decodes it."""

PATH_ARGUMENTS = frozenset({"paths", "file"})
"""Arguments that name files given as text ("-" is stdin); file names need not
be UTF-8, so they are not checked."""


def check_arguments(args: argparse.Namespace) -> None:
    """UserError naming the first text argument that is not UTF-8."""
    for name, value in vars(args).items():
        if name.startswith("_") or name in PATH_ARGUMENTS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or item.startswith("@"):
                continue
            found = _ESCAPED.search(item)
            if found is not None:
                shown = _ESCAPED.sub("\ufffd", item)
                shown = shown if len(shown) <= 40 else shown[:39] + "…"
                byte = ord(found[0]) - 0xDC00
                raise UserError(
                    f'the argument "{shown}" is not UTF-8: byte 0x{byte:02x} at '
                    f"character {found.start() + 1}; tracsh reads arguments as "
                    "UTF-8 text",
                    status=2,
                )


def decoded(data: bytes, name: str = "<stdin>") -> str:
    """``data`` as text; UserError with the line and column of a bad byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise UserError(_where(data, err.start, 1, name)) from None


def _stdin_bytes() -> Iterable[bytes]:
    """Standard input's lines as bytes, also when it was replaced by a text
    stream (which holds any bad byte as a surrogate, as Python's stdin does)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer
    return (line.encode("utf-8", "surrogateescape") for line in sys.stdin)


def stdin_text() -> str:
    """All of standard input as UTF-8 text, or UserError."""
    return decoded(b"".join(_stdin_bytes()))


def stdin_lines(stream: Iterable[bytes] | None = None) -> Iterator[str]:
    """Lines of standard input as UTF-8 text; UserError at a bad byte."""
    lines = _stdin_bytes() if stream is None else stream
    for number, line in enumerate(lines, 1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UserError(_where(line, err.start, number, "<stdin>")) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def _where(data: bytes, start: int, first_line: int, name: str) -> str:
    line = first_line + data.count(b"\n", 0, start)
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return (
        f"{name}:{line}:{column}: error: the input is not UTF-8: "
        f"byte 0x{data[start]:02x} cannot be read"
    )
