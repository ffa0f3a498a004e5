"""Tab completion at the REPL prompt.

What completes depends on where the cursor is: command names after a dot;
rule ids, paths or stored ids after a command; inside a quoted name after
``send email``, ``segment`` or ``rule``, the templates, segments or rule ids;
after ``event.``, ``profile.`` or ``session.``, the field paths stored
documents actually have, most frequent first; elsewhere the grammar's
keywords, the actions and the functions.
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
from tracsh.repl.lexer import keywords
from tracsh.repl.workspace import Workspace
from tracsh.store.errors import StoreError
from tracsh.store.fields import field_paths, recent_ids

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
_QUOTED = re.compile(
    r"(send\s+(?:email|sms|push)|show\s+message|segment|journey|rule|show\s+widget|"
    r"call\s+webhook)\s+\"([^\"]*)$"
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


class RuleCompleter(Completer):
    """Completions from the grammar, the loaded rules and the project's database."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._fields: list[tuple[str, int]] | None = None
        self.paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        line = document.current_line_before_cursor
        if before.lstrip().startswith(".") and "\n" not in before.strip():
            yield from self.command(document, before.lstrip())
            return
        quoted = _QUOTED.search(line)
        if quoted:
            yield from self.names(quoted.group(1), quoted.group(2))
            return
        path = _PATH.search(line)
        if path and ("." in path.group(0) or "[" in path.group(0)):
            yield from self.fields(path.group(0))
            return
        word = _WORD.search(line)
        yield from self.words(word.group(0) if word else "")

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
            names = [r.id for r in ruleset.rules]
            names += [s.name for s in ruleset.segments]
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

    # --- names in quotes ----------------------------------------------------------

    def names(self, context: str, typed: str) -> Iterator[Completion]:
        context = " ".join(context.split())
        for name in self.names_for(context):
            if name.startswith(typed):
                yield Completion(name + '"', -len(typed), display_meta=context)

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


def completions(completer: RuleCompleter, text: str) -> list[Any]:
    """The completions for ``text`` with the cursor at its end (for tests)."""
    document = Document(text, len(text))
    return list(completer.get_completions(document, CompleteEvent()))
