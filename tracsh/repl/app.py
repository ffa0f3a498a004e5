"""The REPL itself: a prompt_toolkit session over a Workspace, and the loop.

``tracsh`` with no arguments and ``tracsh repl`` start it. On a terminal the
prompt highlights, completes, validates and keeps history in the user's XDG
state directory; with input from a pipe it reads complete inputs line by line,
so a script of REPL commands runs the same way.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.shortcuts import print_formatted_text

from tracsh.errors import UserError
from tracsh.lang.errors import RuleError
from tracsh.repl import script
from tracsh.repl.commands import Quit
from tracsh.repl.completer import RuleCompleter
from tracsh.repl.keys import keep_in_place, key_bindings
from tracsh.repl.lexer import RuleLexer
from tracsh.repl.running import respond
from tracsh.repl.style import STYLE
from tracsh.repl.toolbar import toolbar
from tracsh.repl.validator import RuleValidator
from tracsh.repl.workspace import Workspace
from tracsh.store.errors import StoreError

log = logging.getLogger(__name__)

GREETING = "tracsh: rules, conditions and dry runs. .help lists the commands."
VERDICT_WORDS = ("true", "false", "unknown", "skipped")


def history_path() -> Path:
    """``$XDG_STATE_HOME/tracsh/history`` (``~/.local/state`` when unset)."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "tracsh" / "history"


def answer(
    workspace: Workspace, text: str, debug: bool = False, line: int | None = None
) -> tuple[str, bool]:
    """What one complete input prints, and whether it failed. Raises Quit.

    No input ends the session: a mistake is one or two lines; anything else is
    a bug in tracsh, said in a line (its traceback too with ``debug``). With
    ``line``, the input is a script's from that line on, and each error says
    where in the script it is.
    """
    try:
        return respond(workspace, text, line or 1), False
    except Quit:
        raise
    except RuleError as err:
        if line is None:
            return err.render(), True
        return script.rule_error(err, script.Input(text, line)), True
    except Exception as err:
        prelude, message = _problem(workspace, text, err, debug)
        if line is None:
            return f"{prelude}error: {message}", True
        return prelude + script.error(script.Input(text, line), message, err), True


def _problem(
    workspace: Workspace, text: str, err: Exception, debug: bool
) -> tuple[str, str]:
    """What went wrong, in words: anything to show first, and the message."""
    if isinstance(err, (UserError, StoreError)):
        return "", str(err)
    if isinstance(err, sqlite3.Error):
        return "", f"the database {workspace.db} cannot be read: {err}"
    if isinstance(err, RecursionError):
        return "", "this input nests too deeply to follow; make it simpler"
    if isinstance(err, OSError):
        where = f"{err.filename} " if err.filename else ""
        return "", f"{where}{err.strerror or err}"
    log.debug("the REPL failed on %r", text, exc_info=True)
    shown = traceback.format_exc().rstrip() + "\n" if debug else ""
    where = "" if debug else " (--debug shows where)"
    return shown, (
        f"tracsh failed on this input ({type(err).__name__}: {err}); that is a bug "
        f"in tracsh{where}; the session goes on"
    )


def run_terminal(workspace: Workspace, debug: bool = False) -> int:
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
    session.default_buffer.on_text_changed += keep_in_place
    _print(GREETING, False)
    while True:
        try:
            text = session.prompt(FormattedText([("class:prompt", "tracsh> ")]))
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        try:
            shown, failed = answer(workspace, text, debug)
        except Quit:
            return 0
        except KeyboardInterrupt:
            shown, failed = "interrupted", True
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


def run_plain(
    workspace: Workspace,
    stream: Iterable[str],
    write: Callable[[str], object],
    debug: bool = False,
) -> int:
    """Inputs from a pipe, answers to ``write``; exit status 1 if any input failed.

    The input is a script: typed forms load under its name at their own lines,
    and every error says where in it it is.
    """
    status = 0
    workspace.script = script.SCRIPT
    for source in script.inputs(stream):
        try:
            shown, failed = answer(workspace, source.text, debug, source.line)
        except Quit:
            break
        if shown:
            write(shown + "\n")
        status = status or int(failed)
    return status


def run(
    workspace: Workspace, debug: bool = False, lines: Iterable[str] | None = None
) -> int:
    """Start on a terminal, or read a pipe (``lines``, default: stdin as text)."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return run_terminal(workspace, debug)
    return run_plain(workspace, lines or sys.stdin, sys.stdout.write, debug)
