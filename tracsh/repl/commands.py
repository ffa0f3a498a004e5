"""The REPL's commands: one registry that runs them, completes them and writes ``help``.

Each command registers with ``@repl_command`` (name, argument usage, one line of
help, optional completion source); ``.help`` and the completer read the same
entries, so help cannot drift from what the commands do. Command bodies live
in rulecmds.py, documents.py and running.py; this module owns the registry,
``.help`` and ``.quit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracsh.errors import UserError
from tracsh.repl.workspace import Workspace

Body = Callable[[Workspace, str], str]


class Quit(Exception):
    """Raised by ``.quit`` to end the session."""


class ArgumentError(UserError):
    """A mistake at a place in a command's argument (a typed JSON document's).

    The message says the place in words, for the prompt; a script shows the
    ``reason`` at that ``line`` and ``column`` of the argument instead.
    """

    def __init__(self, message: str, reason: str, line: int, column: int) -> None:
        self.reason, self.line, self.column = reason, line, column
        super().__init__(message)


@dataclass(frozen=True)
class ReplCommand:
    """One REPL command: ``.name usage`` and what it does."""

    name: str
    usage: str
    help: str
    run: Body
    complete: str = ""
    """What its argument completes from: ``rules`` (ids), ``forms`` (rules,
    segments, journeys and tests), ``paths``, ``profiles``, …"""

    def synopsis(self) -> str:
        """``.load [PATH…]``."""
        return f".{self.name} {self.usage}".rstrip()


COMMANDS: dict[str, ReplCommand] = {}
ALIASES = {"help": "help", "quit": "quit", "exit": "quit", "q": "quit", "?": "help"}


def repl_command(name: str, usage: str, help: str, complete: str = ""):
    """Register the decorated ``run(workspace, argument) -> text`` as ``.name``."""

    def register(run: Body) -> Body:
        COMMANDS[name] = ReplCommand(name, usage, help, run, complete)
        return run

    return register


def split(text: str) -> tuple[str, str]:
    """``(name, argument)`` of a command line: ``.load rules/`` gives load, rules/."""
    stripped = text.strip()
    head, _, rest = stripped.partition(" ")
    name = head[1:] if head.startswith(".") else head
    return ALIASES.get(name, name), rest.strip()


def run_command(workspace: Workspace, text: str) -> str:
    """Run one command line and return what it prints; raises UserError or Quit."""
    _load_bodies()
    name, argument = split(text)
    found = COMMANDS.get(name)
    if found is None:
        raise UserError(f"unknown command .{name}{_suggest(name)}; .help lists them")
    return found.run(workspace, argument)


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(COMMANDS), n=1)
    return f" (did you mean .{close[0]}?)" if close else ""


def _load_bodies() -> None:
    """Import the modules whose commands register here."""
    from tracsh.repl import documents, rulecmds, running  # noqa: F401


ORDER = (
    "event", "profile", "session", "eval", "explain", "fire", "why", "load", "rules",
    "show", "test", "stats", "save", "help", "quit",
)  # fmt: skip
"""The order ``.help`` lists commands in: documents, then running, then rules."""


def commands() -> list[ReplCommand]:
    """Every command, in the order ``.help`` lists them."""
    _load_bodies()
    rank = {name: index for index, name in enumerate(ORDER)}
    return sorted(COMMANDS.values(), key=lambda c: rank.get(c.name, len(rank)))


INTRO = """\
Type a condition to see why it is true, false or unknown; type a rule, segment,
journey or test (over several lines: Enter continues until the form is
complete) to add it. Commands start with a dot:"""

KEYS = """\
Keys: Enter runs a complete input and continues an unfinished one; Alt-Enter
(or Esc then Enter) always starts a new line; Tab completes; Ctrl-C clears the
input; Ctrl-D on an empty line quits. Mistakes are marked as you type."""


@repl_command("help", "[COMMAND]", "list the commands, or explain one")
def show_help(workspace: Workspace, argument: str) -> str:
    """The registry as a table, or one command's line."""
    entries = commands()
    if argument:
        name = ALIASES.get(argument.lstrip("."), argument.lstrip("."))
        found = COMMANDS.get(name)
        if found is None:
            raise UserError(f"no command .{name}{_suggest(name)}")
        return f"{found.synopsis()}\n  {found.help}"
    width = max(len(c.synopsis()) for c in entries)
    rows = [f"  {c.synopsis():<{width}}  {c.help}" for c in entries]
    return "\n".join([INTRO, *rows, KEYS])


@repl_command("quit", "", "leave the REPL (also Ctrl-D)")
def quit_repl(workspace: Workspace, argument: str) -> str:
    """End the session."""
    raise Quit()
