"""What the text at the REPL prompt is: a command, rule forms, or a condition.

The key bindings ask whether the input is complete (Enter runs it) or not
(Enter opens a new line); the validator and the lexer ask where its first
error is. The answers come from the real parser and checker, cached per text,
so what the prompt marks is exactly what running the input would report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from tracsh.lang.errors import Diagnostic, RuleError
from tracsh.lang.loader import load_condition, load_sources
from tracsh.lang.parser import oversized, unfinished

FORM_WORDS = ("rule", "when", "segment", "journey", "test")
"""Words that open a form of a rule file."""

COMMAND_WORDS = ("help", "quit", "exit")
"""Commands that may be typed without their leading dot: alone on the line
(``help`` may name a command), so ``exit now`` stays a condition."""

DOCUMENT_COMMANDS = (".event", ".profile", ".session")
"""Commands whose argument may be a JSON document over several lines."""

TYPED_PATH = "typed.rules"
"""The name forms typed at the prompt go by, in diagnostics and one-line rule ids."""


@dataclass(frozen=True)
class Entry:
    """What some input is, whether it is complete, and its first error."""

    kind: str
    """``empty``, ``command``, ``forms`` or ``condition``."""
    complete: bool
    error: Diagnostic | None = None
    """The first error that is not merely the input ending early."""

    def offset(self, text: str) -> int:
        """Where the error is, as an offset into ``text`` (0 without an error)."""
        if self.error is None:
            return 0
        lines = text.split("\n")
        line = min(max(self.error.line, 1), len(lines))
        before = sum(len(part) + 1 for part in lines[: line - 1])
        return min(before + max(self.error.column - 1, 0), len(text))


def kind_of(text: str) -> str:
    """``empty``, ``command``, ``forms`` or ``condition``."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    words = stripped.split()
    first = words[0]
    if stripped.startswith(".") or _bare_command(words):
        return "command"
    if first.startswith(FORM_WORDS):
        # No condition starts with these words: `whenprofile…` is a rule with
        # its keyword glued, and the parser says so.
        return "forms"
    return "condition"


def _bare_command(words: list[str]) -> bool:
    """``help``, ``help fire``, ``quit``, ``exit``: nothing else after the word."""
    if words[0] == "help":
        return len(words) <= 2
    return words[0] in COMMAND_WORDS and len(words) == 1


@lru_cache(maxsize=128)
def read(text: str) -> Entry:
    """Classify ``text`` and find its first error (cached: the prompt asks often).

    The size limit is checked first, so a huge paste costs a scan per keystroke,
    not a parse.
    """
    kind = kind_of(text)
    if kind == "empty":
        return Entry(kind, True)
    if kind == "command":
        return Entry(kind, _command_complete(text))
    start = "start" if kind == "forms" else "condition_input"
    too_big = oversized(text, start)
    if too_big is not None:
        span, message = too_big
        return Entry(kind, True, Diagnostic(_path(kind), span.line, 1, message))
    if unfinished(text, start):
        return Entry(kind, False, _early_error(text, kind, start))
    errors = [d for d in _problems(text, kind) if d.is_error]
    return Entry(kind, True, errors[0] if errors else None)


_CONDITION_ENDINGS = ("", " 1", " true", ")", " 1)", "))", " 1))")
"""How an unfinished condition may end: nothing more, an operand, brackets."""
_FORM_ENDINGS = ("", "\nend", " then stop", "\nthen stop\nend", "\nstop\nend")
"""How an unfinished form may end once its condition has (a segment needs
nothing more)."""


def _endings(kind: str) -> list[str]:
    """Endings tried on unfinished input, to check what is already written: a
    condition ending, then (for forms) a form ending, each pair in turn."""
    if kind == "condition":
        return list(_CONDITION_ENDINGS[1:])
    return [c + f for c in _CONDITION_ENDINGS for f in _FORM_ENDINGS]


def _path(kind: str) -> str:
    return TYPED_PATH if kind == "forms" else "<condition>"


def _early_error(text: str, kind: str, start: str) -> Diagnostic | None:
    """A mistake in what is typed so far (an unknown root, say), found by ending
    the input as it might be ended and checking that; None when no ending fits."""
    for ending in _endings(kind):
        trial = text.rstrip() + ending
        if unfinished(trial, start):
            continue
        errors = [d for d in _problems(trial, kind) if d.is_error]
        inside = [d for d in errors if _within(d, text)]
        if errors and not inside:
            continue
        return inside[0] if inside else None
    return None


def _within(problem: Diagnostic, text: str) -> bool:
    """Whether the problem lies in ``text`` itself, not in an ending added to it."""
    lines = text.rstrip().split("\n")
    if problem.line != len(lines):
        return problem.line < len(lines)
    return problem.column <= len(lines[-1])


def _problems(text: str, kind: str) -> list[Diagnostic]:
    if kind == "forms":
        return load_sources([(TYPED_PATH, text)]).diagnostics
    try:
        load_condition(text, "<condition>")
    except RuleError as err:
        return err.diagnostics
    return []


def _command_complete(text: str) -> bool:
    """A command is one line, except a JSON document given to .event, .profile or
    .session that is still open."""
    parts = text.strip().split(None, 1)
    if parts[0] not in DOCUMENT_COMMANDS:
        return True
    if len(parts) < 2 or not parts[1].lstrip().startswith(("{", "[")):
        return True
    try:
        json.loads(parts[1])
    except json.JSONDecodeError as err:
        return err.pos < len(parts[1].rstrip())
    except (RecursionError, ValueError):
        return True  # too deep, or a number too long: the command says so
    return True
