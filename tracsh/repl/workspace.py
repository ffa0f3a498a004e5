"""What a REPL session holds: loaded rule files, typed forms, and the current documents.

Headless, so the commands can be tested without a terminal. Forms typed at the
prompt live next to the loaded files; a typed rule, segment, journey or test
with the name of a loaded one replaces it (its lines are blanked in the loaded
text, so every other one-line rule keeps its id). The project's database is
only ever opened read-only, and only to read documents and field names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracsh.config import Config
from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.errors import UserError
from tracsh.lang.errors import Diagnostic, RuleError
from tracsh.lang.format import format_source
from tracsh.lang.loader import RuleSet, load_sources, read_source, rule_files
from tracsh.lang.parser import parse_file
from tracsh.lang.scope import MISSING, Scope
from tracsh.repl.entry import TYPED_PATH
from tracsh.store import Store


@dataclass
class Documents:
    """The event, profile and session the REPL evaluates against, and their origin."""

    event: Any = MISSING
    profile: Any = MISSING
    session: Any = MISSING
    origin: dict[str, str] = field(default_factory=dict)
    """Where each came from: ``typed``, ``stored p-123``, ``@file.json``."""


def default_event() -> dict:
    """The event the REPL starts with: a page view (timed when it fires)."""
    return {"type": "page-view"}


class Workspace:
    """Rule files, typed forms and documents of one REPL session."""

    def __init__(self, config: Config, db: Path | None = None) -> None:
        self.config = config
        self.db = Path(db) if db is not None else Path(config.store.path)
        self.sources: dict[str, str] = {}
        """Loaded rule files by path: their text (replaced forms blanked out)."""
        self.typed: list[str] = []
        """Forms typed at the prompt, each as formatted text."""
        self.documents = Documents(event=default_event(), origin={"event": "default"})
        self.last_run: Any = None
        """The last dry run, for ``.why``."""
        self._ruleset: RuleSet | None = None
        self._book: RuleBook | None = None
        self._store: Store | None = None

    # --- rules -----------------------------------------------------------------

    def load(self, paths: list[Path]) -> list[Diagnostic]:
        """Replace the loaded files with the rule files under ``paths``."""
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"no such file or directory: {', '.join(missing)}")
        sources: dict[str, str] = {}
        problems: list[Diagnostic] = []
        for path in rule_files(paths):
            text, problem = read_source(path)
            if problem is not None:
                problems.append(problem)
            else:
                sources[_shown_path(path)] = text or ""
        self.sources = sources
        self.changed()
        return problems + self.ruleset().diagnostics

    def add(self, text: str) -> tuple[list[Any], list[Diagnostic]]:
        """Add typed forms; with errors nothing is added and the errors come back.

        Positions in the errors are lines of ``text``. A form named like a
        loaded or earlier typed one replaces it.
        """
        try:
            forms = list(parse_file(text, "<input>").forms)
        except RuleError as err:
            return [], err.diagnostics
        sources, typed = self._without(forms)
        earlier = "\n\n".join(typed)
        start = earlier.count("\n") + 3 if earlier else 1
        combined = (earlier + "\n\n" if earlier else "") + text.strip("\n") + "\n"
        trial = load_sources([*sources.items(), (TYPED_PATH, combined)])
        mine = [
            _shifted(d, start)
            for d in trial.diagnostics
            if d.path == TYPED_PATH and d.line >= start
        ]
        if any(d.is_error for d in mine):
            return [], [d for d in mine if d.is_error]
        self.sources = sources
        self.typed = [*typed, format_source(text, TYPED_PATH).rstrip("\n")]
        self.changed()
        return forms, mine

    def _typed_text(self) -> str:
        return "\n\n".join(self.typed) + "\n"

    def _loaded(self) -> list[tuple[str, str]]:
        return list(self.sources.items())

    def _without(self, forms: list[Any]) -> tuple[dict[str, str], list[str]]:
        """Loaded texts and typed forms, less the forms ``forms`` replace by name."""
        sources = dict(self.sources)
        typed = list(self.typed)
        for form in forms:
            name = getattr(form, "name", None)
            if name is None:
                continue
            kind = type(form)
            sources = {p: _blank_form(t, p, kind, name) for p, t in sources.items()}
            typed = [t for t in typed if not _defines(t, kind, name)]
        return sources, typed

    def changed(self) -> None:
        """Forget the compiled rule set after the rules changed."""
        self._ruleset = None
        self._book = None

    def ruleset(self) -> RuleSet:
        """The loaded files and typed forms, loaded together (cached)."""
        if self._ruleset is None:
            sources = self._loaded()
            if self.typed:
                sources.append((TYPED_PATH, self._typed_text()))
            self._ruleset = load_sources(sources)
        return self._ruleset

    def book(self) -> RuleBook:
        """The compiled rules; an error in the rules stops here with its message."""
        ruleset = self.ruleset()
        if not ruleset.ok:
            raise RuleError(ruleset.errors)
        if self._book is None:
            self._book = build_rulebook(ruleset)
        return self._book

    def save(self, path: Path) -> int:
        """Append the typed forms to ``path`` and load them from there from now on."""
        if not self.typed:
            raise UserError("nothing typed to save yet; type a rule, segment or test")
        text = self._typed_text()
        if path.exists():
            existing = path.read_text(encoding="utf-8")
            joined = existing.rstrip("\n") + "\n\n" + text if existing.strip() else text
        else:
            joined = text
        formatted = format_source(joined, str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(formatted, encoding="utf-8")
        count = len(self.typed)
        self.typed = []
        self.sources[str(path)] = formatted
        self.changed()
        return count

    # --- documents ---------------------------------------------------------------

    def scope(self) -> Scope:
        """A Scope over copies of the current documents, at the event's time or now."""
        docs = self.documents
        event = copy.deepcopy(docs.event)
        source = event.get("source", MISSING) if isinstance(event, dict) else MISSING
        if isinstance(source, str):
            source = {"id": source}
        return Scope(
            event=event,
            profile=copy.deepcopy(docs.profile),
            session=copy.deepcopy(docs.session),
            source=source,
            now=datetime.now(UTC),
        )

    def store(self) -> Store:
        """The project's database, opened read-only on first use."""
        if self._store is None:
            if str(self.db) == ":memory:" or not self.db.exists():
                raise UserError(
                    f"no database at {self.db}; run `tracsh replay` first or start "
                    "the REPL with --db"
                )
            self._store = Store.open(self.db, readonly=True)
        return self._store

    def has_store(self) -> bool:
        """Whether there is a database to read from."""
        return self._store is not None or (
            str(self.db) != ":memory:" and self.db.exists()
        )

    def close(self) -> None:
        """Close the database if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None


def _shown_path(path: Path) -> str:
    """``path`` relative to the current directory when it is under it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _defines(text: str, kind: type, name: str) -> bool:
    forms = parse_file(text, TYPED_PATH).forms
    return any(type(f) is kind and getattr(f, "name", None) == name for f in forms)


def _shifted(problem: Diagnostic, start: int) -> Diagnostic:
    """A diagnostic of the combined typed text, as a line of the new input."""
    return replace(problem, path="<input>", line=problem.line - start + 1)


def _blank_form(text: str, path: str, kind: type, name: str) -> str:
    """``text`` with the lines of its form of ``kind`` called ``name`` blanked."""
    try:
        forms = parse_file(text, path).forms
    except RuleError:
        return text
    lines = text.split("\n")
    for form in forms:
        if type(form) is kind and getattr(form, "name", None) == name:
            for number in range(form.span.line, form.span.end_line + 1):
                lines[number - 1] = ""
    return "\n".join(lines)
