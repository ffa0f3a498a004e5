"""Tab completion at the REPL prompt.

What completes depends on where the cursor is (cursor.py says): command names
after a dot; rule ids, paths or stored ids after a command; inside a string,
the templates, segments or rule ids after ``send email``, ``segment`` or
``rule``, the text values stored documents hold at a field the string is
compared with, the stored event types after ``count(`` or a test's ``event``,
and nothing in any other string; after ``event.``, ``profile.`` or ``session.``,
the field paths stored documents actually have, most frequent first; after a
number where a duration fits, its units; nothing in a comment; elsewhere the
grammar's keywords, the actions and the functions.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    PathCompleter,
)
from prompt_toolkit.document import Document

from tracsh.delivery.templates import SUFFIXES
from tracsh.errors import UserError
from tracsh.lang import nodes as n
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.nodes import ROOTS
from tracsh.lang.parser import ACTION_WORDS
from tracsh.repl.commands import commands, split
from tracsh.repl.cursor import Cursor, cursor
from tracsh.repl.lexer import keywords
from tracsh.repl.workspace import Workspace
from tracsh.store.errors import StoreError
from tracsh.store.fields import field_paths, field_values, recent_ids

ACTION_PHRASES = (
    "send email", "send sms", "send push", "show message", "show widget",
    "respond with", "add segment", "remove segment", "add interest",
    "grant consent", "revoke consent", "call webhook", "merge profile on",
    "emit event", "start journey", "exit journey",
)  # fmt: skip
"""Actions whose first word needs a second one."""

PROFILE_FIELDS = (
    "profile.id", "profile.ids", "profile.visits", "profile.views", "profile.created",
    "profile.updated", "profile.last_seen", "profile.traits", "profile.pii.email",
    "profile.pii.phone", "profile.pii.first_name", "profile.pii.last_name",
    "profile.segments", "profile.interests", "profile.consents", "profile.counters",
    "event.type", "event.time", "event.properties", "event.context", "event.source.id",
    "session.id", "session.started", "session.last_seen", "session.context",
)  # fmt: skip
"""Fields every profile, event and session has, offered before any are stored."""

_PATH = re.compile(r"(?:event|profile|session|source)(?:\.[A-Za-z0-9_]*|\[[^\]]*\]?)*$")
_NAMED = re.compile(
    r"(?<![A-Za-z0-9_])(send\s+(?:email|sms|push)|show\s+message|segment|journey|"
    r"rule|show\s+widget|call\s+webhook)\s+$"
)
"""Before a string that names a template, segment, journey, rule or webhook."""
_STRING = r"(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
_COMPARED = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<path>(?:event|profile|session)"
    r"(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|\"(?:[^\"\\]|\\.)*\")\])+)\s*"
    r"(?:==|!=|<=|>=|<|>|(?:contains|starts\s+with|ends\s+with)\s|"
    rf"(?:not\s+)?in\s*\[(?:\s*{_STRING}\s*,)*)\s*$"
)
"""Before a string compared with a field: ``event.type ==``, ``… in ["a",``."""
_EVENT_TYPE = re.compile(r"(?:(?<![A-Za-z0-9_])count\(|(?:^|\n)[ \t]*event[ \t]+)$")
"""Before a string that names an event type: ``count(``, a test's ``event``."""
_SOURCE = re.compile(r"(?:^|\n)[ \t]*source[ \t]+$")
"""Before a string that names an event source: a rule's or a test's ``source``."""
_DURATION = re.compile(
    r"(?:(?<![A-Za-z0-9_])(?:within|after|every|for|in)|[+-])\s*(?P<n>\d+(?:\.\d+)?)"
    r"(?P<gap>\s*)$"
)
"""A number where a duration fits, and any space after it."""
UNITS = ("seconds", "minutes", "hours", "days", "weeks", "years")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


class RuleCompleter(Completer):
    """Completions from the grammar, the loaded rules and the project's database."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._fields: list[tuple[str, int]] | None = None
        self._values: dict[str, list[tuple[str, int]]] = {}
        self.paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        line = document.current_line_before_cursor
        if before.lstrip().startswith("."):
            # A JSON document over several lines has nothing to complete.
            if "\n" not in before.strip():
                yield from self.command(document, before.lstrip())
            return
        at = cursor(before)
        if at.kind == "comment":
            return
        if at.kind == "string":
            yield from self.in_string(at)
            return
        path = _PATH.search(line)
        if path and ("." in path.group(0) or "[" in path.group(0)):
            yield from self.fields(path.group(0))
            return
        word = _WORD.search(line)
        typed = word.group(0) if word and at.kind == "code" else ""
        ahead = line[: len(line) - len(typed)]
        if at.kind == "number" or _DURATION.search(ahead):
            yield from self.units(ahead, typed)
        else:
            yield from self.words(typed)

    # --- commands ----------------------------------------------------------------

    def command(self, document: Document, text: str) -> Iterator[Completion]:
        if " " not in text:
            for entry in commands():
                if ("." + entry.name).startswith(text):
                    yield Completion(
                        "." + entry.name,
                        -len(text),
                        display_meta=entry.help,
                    )
            return
        name, argument = split(text)
        source = next((c.complete for c in commands() if c.name == name), "")
        if source == "paths":
            word = argument.rsplit(" ", 1)[-1]
            yield from self.paths.get_completions(Document(word, len(word)), None)
            return
        for choice in self.arguments(source, argument):
            if choice.startswith(argument):
                yield Completion(choice, -len(argument))

    def arguments(self, source: str, prefix: str = "") -> list[str]:
        """The values a command's argument can take (stored ids: those starting
        with ``prefix``, newest first)."""
        ruleset = self.workspace.ruleset()
        if source == "rules":
            return [r.id for r in ruleset.rules]
        if source == "forms":
            names = [r.id for r in ruleset.rules]
            names += [s.name for s in ruleset.segments]
            names += [j.name for j in ruleset.journeys]
            names += [t.name for t in ruleset.tests]
            return names
        kinds = {"events": "event", "profiles": "profile", "sessions": "session"}
        if source in kinds:
            return self.stored(recent_ids, [], kinds[source], prefix)
        return []

    def stored(self, read: Any, empty: Any, *args: Any) -> Any:
        """``read(store, *args)``, or ``empty`` when there is no usable database.

        Completion must never fail: a locked or damaged file offers nothing
        (and is not opened again on every Tab; a command names the problem).
        """
        if not self.workspace.has_store() or self.workspace.store_failed:
            return empty
        try:
            return read(self.workspace.store(), *args)
        except (UserError, StoreError, sqlite3.Error):
            return empty

    # --- strings and numbers ----------------------------------------------------

    def in_string(self, at: Cursor) -> Iterator[Completion]:
        """Names after the words that take them; stored values of a field the
        string is compared with, or event types and sources; else nothing."""
        named = _NAMED.search(at.before)
        if named:
            yield from self.names(named.group(1), at)
            return
        compared = _COMPARED.search(at.before)
        if compared:
            path = compared.group("path")
        elif _EVENT_TYPE.search(at.before):
            path = "event.type"
        elif _SOURCE.search(at.before):
            path = "event.source.id"
        else:
            return
        for value, count in self.values(path):
            if value.startswith(at.typed) and _quotable(value):
                escaped = value.replace("\\", "\\\\").replace(at.quote, "\\" + at.quote)
                yield Completion(
                    escaped + at.quote,
                    -len(at.typed),
                    display=value,
                    display_meta=f"{count:,} stored",
                )

    def values(self, path: str) -> list[tuple[str, int]]:
        """The text values stored at ``path``, most frequent first (cached)."""
        if path not in self._values:
            self._values[path] = self.stored(field_values, [], path)
        return self._values[path]

    def names(self, context: str, at: Cursor) -> Iterator[Completion]:
        context = " ".join(context.split())
        for name in self.names_for(context):
            if name.startswith(at.typed):
                yield Completion(name + at.quote, -len(at.typed), display_meta=context)

    def units(self, before: str, typed: str) -> Iterator[Completion]:
        """The units of a duration after a number where one fits (a space first
        when the cursor is right after the number)."""
        found = _DURATION.search(before)
        if found is None:
            return
        space = "" if found.group("gap") else " "
        one = found.group("n") == "1"
        for unit in UNITS:
            word = unit[:-1] if one else unit
            if word.startswith(typed):
                yield Completion(
                    space + word, -len(typed), display=word, display_meta="unit"
                )

    def names_for(self, context: str) -> list[str]:
        """Template, segment, journey, rule, widget or webhook names."""
        ruleset = self.workspace.ruleset()
        if context.startswith("send"):
            return self.templates(context.split()[-1])
        if context == "show message":
            return self.templates("message")
        if context == "segment":
            return sorted(self.segments())
        if context == "journey":
            return [j.name for j in ruleset.journeys]
        if context == "rule":
            return [r.id for r in ruleset.rules]
        if context == "call webhook":
            return sorted(self.workspace.config.webhooks)
        return []

    def templates(self, channel: str) -> list[str]:
        """The channel's message templates (``thanks.email.j2``: thanks for email);
        partials (``_footer.txt.j2``) and provider bodies (``sms.json.j2``) are
        not messages."""
        directory = Path(self.workspace.config.rules.templates)
        if not directory.is_dir():
            return []
        suffixes = [SUFFIXES[channel]]
        if channel == "email":
            suffixes.append(SUFFIXES["email-html"])
        return sorted(
            {
                path.name[: -len(suffix)]
                for suffix in suffixes
                for path in directory.glob(f"*{suffix}")
                if not path.name.startswith("_")
            }
        )

    def segments(self) -> set[str]:
        """Live segments, segments rules add, and segments stored profiles are in."""
        ruleset = self.workspace.ruleset()
        found = {s.name for s in ruleset.segments}
        for rule in ruleset.rules:
            for node, _ in n.walk(rule.node):
                if isinstance(node, n.SegmentAction):
                    found.add(node.segment)
        found.update(self.stored(lambda store: store.segment_sizes(), {}))
        return found

    # --- field paths and words -----------------------------------------------------

    def fields(self, typed: str) -> Iterator[Completion]:
        seen: set[str] = set()
        bracket = typed[:-1] + "[" if typed.endswith(".") else None
        for path, count in self.known_fields():
            fits = path.startswith(typed) or (bracket and path.startswith(bracket))
            if fits and path != typed and path not in seen:
                seen.add(path)
                meta = f"{count:,} stored" if count else "built in"
                yield Completion(path, -len(typed), display_meta=meta)

    def known_fields(self) -> list[tuple[str, int]]:
        """Stored field paths, most frequent first, then the built-in ones."""
        if self._fields is None:
            stored: list[tuple[str, int]] = self.stored(field_paths, [])
            self._fields = stored + [(p, 0) for p in PROFILE_FIELDS]
        return self._fields

    def words(self, typed: str) -> Iterator[Completion]:
        offered: set[str] = set()
        for word, meta in _vocabulary():
            if word.startswith(typed) and word not in offered and word != typed:
                offered.add(word)
                yield Completion(word, -len(typed), display_meta=meta)


def _vocabulary() -> Iterable[tuple[str, str]]:
    for root in ROOTS:
        yield root, "root"
    for phrase in ACTION_PHRASES:
        yield phrase, "action"
    for word in ACTION_WORDS:
        yield word, "action"
    for name, function in sorted(FUNCTIONS.items()):
        yield f"{name}(", function.help
    for word in keywords():
        yield word, "keyword"


def _quotable(value: str) -> bool:
    """Whether a stored text can be offered inside a one-line string."""
    return value.isprintable()


def completions(completer: RuleCompleter, text: str) -> list[Any]:
    """The completions for ``text`` with the cursor at its end (for tests)."""
    document = Document(text, len(text))
    return list(completer.get_completions(document, CompleteEvent()))
