"""REPL input read from a pipe as a script: its inputs, and their errors placed in it.

``tracsh repl < session.txt`` runs a script (app.run_plain). Typed forms load
at their own lines of the script (workspace.py); this module places every
other error a script can hold, in conditions, commands and the JSON documents
given to them, as ``<stdin>:LINE:COLUMN`` with the line and a caret under the
fault, the way rule files' errors are shown (language.md §7).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from tracsh.lang.errors import Diagnostic, RuleError, source_line
from tracsh.repl.commands import COMMANDS, ArgumentError, commands, split
from tracsh.repl.entry import Entry, kind_of, read
from tracsh.repl.workspace import Refused

SCRIPT = "<stdin>"
"""The name a script's places go by (standard input names no file)."""

_WITHIN_INPUT = ("<input>", "<condition>")
"""Names of diagnostics whose places count from the start of (part of) the input."""


@dataclass(frozen=True)
class Input:
    """One complete input of a script and the script line it starts on."""

    text: str
    line: int


def inputs(stream: Iterable[str]) -> Iterator[Input]:
    """Complete inputs from a stream: lines gathered until each one is complete.

    A rule, journey or test with a mistake is read on to its ``end``, so the
    mistake is reported once for the whole form and the lines after it are not
    taken for inputs of their own. Lines may end in CRLF.
    """
    pending: list[str] = []
    start = number = 0
    to_end = False
    for raw in stream:
        number += 1
        line = raw.rstrip("\n").removesuffix("\r")
        if not pending:
            start = number
        pending.append(line)
        if to_end and line.strip() != "end":
            continue
        text = "\n".join(pending)
        entry = read(text)
        if not to_end and _needs_end(text, entry) and line.strip() != "end":
            to_end = True
            continue
        if entry.complete or to_end or not text.strip():
            pending, to_end = [], False
            yield Input(text, start)
    if any(part.strip() for part in pending):
        yield Input("\n".join(pending), start)


def _needs_end(text: str, entry: Entry) -> bool:
    """A block form (rule, journey, test) cut short by a mistake."""
    first = text.split(None, 1)[0] if text.strip() else ""
    return entry.error is not None and first in ("rule", "journey", "test")


def rule_error(err: RuleError, source: Input) -> str:
    """A RuleError with its places in the input placed in the script.

    Places in rule files stay theirs; what a refused command did is an error of
    the command.
    """
    offset = 0
    if kind_of(source.text) == "command":
        offset = _argument(source.text)[0]
    shown = []
    for problem in err.diagnostics:
        if problem.path in _WITHIN_INPUT:
            problem = place(problem, source, offset)
        shown.append(problem.render())
    if isinstance(err, Refused):
        shown.append(error(source, err.message, err))
    return "\n".join(shown)


def place(problem: Diagnostic, source: Input, offset: int = 0) -> Diagnostic:
    """``problem``, found in ``source.text[offset:]``, at its place in the script."""
    before = source.text[:offset]
    line = before.count("\n") + problem.line
    shift = offset - (before.rfind("\n") + 1) if problem.line == 1 else 0
    end = problem.end_column
    return replace(
        problem,
        path=SCRIPT,
        line=source.line + line - 1,
        column=problem.column + shift,
        end_column=None if end is None else end + shift,
        source_line=source_line(source.text, line),
    )


def error(source: Input, message: str, err: Exception | None = None) -> str:
    """``message`` as an error at its place in the script, with the line and a caret.

    A mistake in a command's argument is placed where it is; any other error
    of a command is placed at its argument (or at the command, when it has
    none or is unknown), and an error of a condition or form at its first line.
    Lines of the message after the first follow the caret.
    """
    start, end = _span(source.text)
    if isinstance(err, ArgumentError):
        start = _argument(source.text)[0]
        start += _offset(source.text[start:], err.line, err.column)
        end, message = start + 1, err.reason
    line, column = _line_column(source.text, start)
    first, *rest = message.split("\n")
    width = source.text.find("\n", start)
    end = min(end, len(source.text) if width < 0 else width)
    problem = Diagnostic(
        SCRIPT,
        source.line + line - 1,
        column,
        first,
        source_line=source_line(source.text, line),
        end_column=column + max(end - start, 1),
    )
    return "\n".join([problem.render(), *rest])


def _span(text: str) -> tuple[int, int]:
    """Where an input's error points when it names no place itself."""
    start = len(text) - len(text.lstrip())
    if kind_of(text) != "command":
        end = text.find("\n", start)
        return start, len(text.rstrip()) if end < 0 else end
    argument = _argument(text)
    word = start + len(text[start:].split(" ", 1)[0])
    commands()  # the registry fills as the command modules load
    if argument[0] == argument[1] or split(text)[0] not in COMMANDS:
        return start, word
    return argument


def _argument(text: str) -> tuple[int, int]:
    """Start and end of a command's argument in ``text`` (as commands.split cuts it)."""
    start = len(text) - len(text.lstrip())
    head, gap, rest = text[start:].rstrip().partition(" ")
    begin = start + len(head) + len(gap) + len(rest) - len(rest.lstrip())
    return begin, len(text.rstrip())


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(part) + 1 for part in lines[: line - 1]) + column - 1


def _line_column(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
