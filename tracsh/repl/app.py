"""The REPL itself: a prompt_toolkit session over a Workspace, and the loop.

``tracsh`` with no arguments and ``tracsh repl`` start it. On a terminal the
prompt highlights, completes, validates and keeps history in the user's XDG
state directory; with input from a pipe it reads complete inputs line by line,
so a script of REPL commands runs the same way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.shortcuts import print_formatted_text

from tracsh.errors import UserError
from tracsh.lang.errors import RuleError
from tracsh.repl.commands import Quit
from tracsh.repl.completer import RuleCompleter
from tracsh.repl.entry import read
from tracsh.repl.keys import key_bindings
from tracsh.repl.lexer import RuleLexer
from tracsh.repl.running import respond
from tracsh.repl.style import STYLE
from tracsh.repl.toolbar import toolbar
from tracsh.repl.validator import RuleValidator
from tracsh.repl.workspace import Workspace

GREETING = "tracsh: rules, conditions and dry runs. .help lists the commands."
VERDICT_WORDS = ("true", "false", "unknown", "skipped")


def history_path() -> Path:
    """``$XDG_STATE_HOME/tracsh/history`` (``~/.local/state`` when unset)."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "tracsh" / "history"


def answer(workspace: Workspace, text: str) -> tuple[str, bool]:
    """What one complete input prints, and whether it is an error. Raises Quit."""
    try:
        return respond(workspace, text), False
    except RuleError as err:
        return err.render(), True
    except UserError as err:
        return f"error: {err}", True


def run_terminal(workspace: Workspace) -> int:
    """The interactive prompt, until .quit or Ctrl-D."""
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(path)),
        lexer=RuleLexer(),
        completer=RuleCompleter(workspace),
        complete_while_typing=False,
        validator=RuleValidator(),
        validate_while_typing=True,
        multiline=True,
        key_bindings=key_bindings(),
        prompt_continuation=lambda width, line, wrap: FormattedText(
            [("class:continuation", "...".ljust(width))]
        ),
        bottom_toolbar=lambda: toolbar(workspace),
        style=STYLE,
        color_depth=ColorDepth.DEPTH_8_BIT,
    )
    _print(GREETING, False)
    while True:
        try:
            text = session.prompt(FormattedText([("class:prompt", "tracsh> ")]))
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        try:
            shown, failed = answer(workspace, text)
        except Quit:
            return 0
        if shown:
            _print(shown, failed)


def _print(text: str, failed: bool) -> None:
    """Print one answer, verdict words and errors in colour."""
    fragments: list[tuple[str, str]] = []
    for line in text.split("\n"):
        fragments.extend(_styled(line, failed))
        fragments.append(("", "\n"))
    print_formatted_text(FormattedText(fragments), style=STYLE, end="")


def _styled(line: str, failed: bool) -> list[tuple[str, str]]:
    if failed:
        return [("class:output.error", line)]
    stripped = line.lstrip()
    word = stripped.split(" ", 1)[0]
    if word in VERDICT_WORDS:
        indent = line[: len(line) - len(stripped)]
        return [
            ("", indent),
            (f"class:verdict.{word}", word),
            ("", stripped[len(word) :]),
        ]
    if stripped.startswith(("note:", "warning:")):
        return [("class:output.note", line)]
    if stripped.startswith("error:"):
        return [("class:output.error", line)]
    return [("", line)]


def inputs(stream: TextIO) -> Iterator[str]:
    """Complete inputs from a stream: lines gathered until each one is complete."""
    pending: list[str] = []
    for line in stream:
        pending.append(line.rstrip("\n"))
        text = "\n".join(pending)
        if read(text).complete or not text.strip():
            pending = []
            yield text
    if any(part.strip() for part in pending):
        yield "\n".join(pending)


def run_plain(
    workspace: Workspace, stream: TextIO, write: Callable[[str], object]
) -> int:
    """Inputs from a pipe, answers to ``write``; exit status 1 if any input failed."""
    status = 0
    for text in inputs(stream):
        try:
            shown, failed = answer(workspace, text)
        except Quit:
            break
        if shown:
            write(shown + "\n")
        status = status or int(failed)
    return status


def run(workspace: Workspace) -> int:
    """Start on a terminal, or read a pipe."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return run_terminal(workspace)
    return run_plain(workspace, sys.stdin, sys.stdout.write)
