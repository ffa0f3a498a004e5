"""The tracsh console script: builds the parser from the registry and runs a command.

Results go to stdout and diagnostics to stderr. A mistake a user can make is
shown as a one- or two-line message with exit status 1 (2 for usage errors);
only ``--debug`` shows a traceback.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import logging
import pkgutil
import re
import sys

import tracsh.cli
from tracsh import __version__
from tracsh.cli.registry import GROUPS, REGISTRY, Command
from tracsh.cli.utf8 import check_arguments


def load_commands() -> dict[str, Command]:
    """Import every module of tracsh.cli (each registers its commands) and return
    the registry, so a new command module needs no list to be kept up to date."""
    for module in pkgutil.iter_modules(tracsh.cli.__path__):
        importlib.import_module(f"tracsh.cli.{module.name}")
    return REGISTRY


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are told by the command they concern.

    Each parser remembers the words it was given, so a mistake is reported with
    that command's usage: an option no command knows (``tracsh outbox --rules
    r``) is named as such, not taken for a misspelt subcommand ``r``.
    """

    given: list[str] = []

    def parse_known_args(self, args=None, namespace=None):
        """Parse as argparse does, remembering ``args`` for error messages."""
        self.given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        """Print this command's usage and ``message``, made clearer; exit 2."""
        super().error(_clearer(self, message))


def _clearer(parser: CommandParser, message: str) -> str:
    """``message``, or "unrecognized arguments" when the word refused (as a
    subcommand, or as a positional argument's value) is the value of an option
    the command lacks: ``outbox --rules r`` is not a subcommand ``r``."""
    found = _CHOICE.match(message)
    if found is None:
        return message
    choice = ast.literal_eval(found.group(1))
    words = iter(parser.given)
    for word in words:
        if word in ("--", choice):
            break
        if (
            word.startswith("-")
            and word.split("=")[0] not in parser._option_string_actions
        ):
            value = "" if "=" in word else next(words, "")
            if value == choice:
                return f"unrecognized arguments: {word} {value}"
    return message


_CHOICE = re.compile(
    r"argument [^:]+: invalid (?:choice|\w+ value): "
    r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
)
"""A refused word: a subcommand, or a positional argument of the wrong type."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every registered command."""
    parser = CommandParser(
        prog="tracsh",
        description="tracsh: customer-data automation from the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"tracsh {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and debug logging"
    )
    # --debug is accepted after the command too; SUPPRESS keeps a value given
    # before the command from being reset by the command's own default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and debug logging",
    )
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction] = {}
    commands: dict[str, argparse.ArgumentParser] = {}
    for entry in sorted(load_commands().values(), key=lambda c: c.words):
        target = top
        if len(entry.words) > 1:
            target = _group(top, groups, commands, entry.words[0])
        sub = target.add_parser(
            entry.words[-1],
            help=entry.help,
            description=entry.description,
            parents=[common],
        )
        entry.configure(sub)
        sub.set_defaults(_command=entry, _parser=sub)
        if len(entry.words) == 1:
            commands[entry.words[0]] = sub
    return parser


def _group(top, groups: dict, commands: dict, name: str):
    """The subcommands of ``name``; a command may also be a group (``outbox``)."""
    if name not in groups:
        holder = commands.get(name)
        if holder is None:
            holder = top.add_parser(name, help=GROUPS.get(name, ""))
            holder.set_defaults(_group_parser=holder, _parser=holder)
        groups[name] = holder.add_subparsers(dest="subcommand", metavar="COMMAND")
    return groups[name]


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exception classes that mean the user made a mistake."""
    from tracsh.config import ConfigError
    from tracsh.errors import UserError
    from tracsh.lang.errors import RuleError
    from tracsh.store.errors import StoreError

    return (UserError, ConfigError, RuleError, StoreError)


def _message(error: BaseException) -> str:
    render = getattr(error, "render", None)
    return render() if callable(render) else str(error)


def _with_command(given: list[str]) -> list[str]:
    """``given``, with ``repl`` first when it names no command: ``tracsh`` alone,
    or with options only (``tracsh --db shop.db``), starts the REPL."""
    if not given:
        return ["repl"]
    names = {entry.words[0] for entry in REGISTRY.values()}
    if given[0] in ("-h", "--help", "--version") or names.intersection(given):
        return given
    return ["repl", *given] if given[0].startswith("-") else given


def main(argv: list[str] | None = None) -> int:
    """Run tracsh with ``argv`` (default: the process arguments).

    With no arguments, or only options, tracsh starts the REPL, as ``tracsh
    repl`` does.
    """
    try:
        parser = build_parser()
        given = sys.argv[1:] if argv is None else argv
        args, extra = parser.parse_known_args(_with_command(given))
        if extra:
            # Told by the command they were given to, with its usage.
            told = getattr(args, "_parser", parser)
            told.error(f"unrecognized arguments: {' '.join(extra)}")
    except KeyboardInterrupt:
        print("tracsh: interrupted", file=sys.stderr)
        return 130
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    entry: Command | None = getattr(args, "_command", None)
    if entry is None:
        holder = getattr(args, "_group_parser", parser)
        holder.print_help()
        return 0 if holder is parser else 2
    try:
        check_arguments(args)
        return entry.run(args)
    except _user_errors() as error:
        if args.debug:
            raise
        print(f"tracsh {entry.name}: {_message(error)}", file=sys.stderr)
        return getattr(error, "status", 1)
    except KeyboardInterrupt:
        print("tracsh: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> int:
    """The ``tracsh`` command: this process is tracsh's alone, then ``main``."""
    from tracsh.runtime.memory import claim_process

    claim_process()
    return main()


if __name__ == "__main__":
    sys.exit(run())
