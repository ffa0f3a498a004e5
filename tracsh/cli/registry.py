"""The registry of tracsh commands, the one source of CLI, REPL and console help.

Each command module registers its commands with ``@command``; ``tracsh.cli.main``
builds the argument parser from the registry, and the help of every front end
reads the same entries, so help text cannot drift from what the commands do.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One command: its words (``("profile", "show")``), help, arguments, body."""

    words: tuple[str, ...]
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    @property
    def name(self) -> str:
        """The command as typed: ``profile show``."""
        return " ".join(self.words)


REGISTRY: dict[str, Command] = {}

GROUPS: dict[str, str] = {}
"""Help for command groups such as ``profile``; their commands register below."""


def group(name: str, help: str) -> None:
    """Declare a command group (a first word shared by several commands)."""
    GROUPS[name] = help


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """For commands that take no arguments."""


def command(
    name: str,
    help: str,
    *,
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments,
    description: str = "",
):
    """Register the decorated ``run(args) -> int`` as the command ``name``.

    ``help`` is one line; ``description`` (default: help) is what ``--help``
    shows above the arguments; ``arguments`` adds the command's arguments.
    """

    def register(run: Callable[[argparse.Namespace], int]):
        words = tuple(name.split())
        REGISTRY[name] = Command(words, help, description or help, arguments, run)
        return run

    return register
