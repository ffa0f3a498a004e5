"""What a REPL session holds: loaded rule files, typed forms, and the current documents.

Headless, so the commands can be tested without a terminal. Forms typed at the
prompt live next to the loaded files; a typed rule, segment, journey or test
with the name of a loaded one replaces it (its lines are blanked in the loaded
text, so every other one-line rule keeps its id). The project's database is
only ever opened read-only, and only to read documents and field names.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tracsh.config import Config
from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.errors import UserError
from tracsh.lang import printer
from tracsh.lang.errors import Diagnostic, RuleError
from tracsh.lang.format import format_source
from tracsh.lang.loader import RuleSet, load_sources, read_sources
from tracsh.lang.parser import parse_file
from tracsh.lang.scope import MISSING
from tracsh.repl.entry import TYPED_PATH
from tracsh.repl.saving import KINDS, identity, merge, split_forms
from tracsh.store import Store
from tracsh.store.errors import StoreError


@dataclass
class Documents:
    """The event, profile and session the REPL evaluates against, and their origin."""

    event: Any = MISSING
    profile: Any = MISSING
    session: Any = MISSING
    origin: dict[str, str] = field(default_factory=dict)
    """Where each came from: ``typed``, ``stored p-123``, ``@file.json``."""


@dataclass(frozen=True)
class Typed:
    """A form (or several) typed at the prompt or read from a script, as written."""

    text: str
    line: int = 1
    """The line it starts on: in the script, or in its input at the prompt."""


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
        self.unreadable: list[str] = []
        """Rule files of the last load that could not be read."""
        self.typed: list[Typed] = []
        """Forms typed at the prompt or read from a script, in the order given."""
        self.script: str | None = None
        """The name of the script the session reads (``<stdin>``), or None at the
        prompt. A script's typed forms load under its name at their own lines, so
        every place reported in them is a place in the script."""
        self.replaced: dict[tuple[type, str], tuple[str, int]] = {}
        """Loaded forms the typed ones replace, by (kind, name): (path, line)."""
        self.documents = Documents(event=default_event(), origin={"event": "default"})
        self.last_run: Any = None
        """The last dry run, for ``.why``."""
        self._ruleset: RuleSet | None = None
        self._book: RuleBook | None = None
        self._store: Store | None = None
        self.store_failed = False
        """Whether the last attempt to open the database failed."""

    # --- rules -----------------------------------------------------------------

    def load(self, paths: list[Path], keep: bool = False) -> list[Diagnostic]:
        """Replace the loaded files with the rule files under ``paths``.

        Typed forms go on replacing the loaded forms of their names. With
        ``keep``, files that do not load (or no files at all) raise LoadRefused
        and the rules loaded before stay.
        """
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"no such file or directory: {', '.join(missing)}")
        found, problems = read_sources(paths, _shown_path)
        sources, replaced = self._blank_typed(dict(found))
        unreadable = [d.path for d in problems]
        trial = load_sources([*sources.items(), *self._typed_source()], unreadable)
        problems += trial.diagnostics
        if keep and (not sources or any(d.is_error for d in problems)):
            raise LoadRefused(problems, self.ruleset(), [str(p) for p in paths])
        self.sources, self.replaced = sources, replaced
        self.unreadable = unreadable
        self.changed()
        self._ruleset = trial
        return problems

    def add(self, text: str, line: int = 1) -> tuple[list[Any], list[Diagnostic]]:
        """Add typed forms; with errors nothing is added and the errors come back.

        At the prompt, positions in the errors are lines of ``text`` (``<input>``);
        in a script, ``text`` starts on the script's ``line`` and positions are
        the script's. A form named like a loaded or earlier typed one replaces it.
        """
        line += len(text) - len(text.lstrip("\n"))
        new = Typed(text.strip("\n"), line)
        try:
            forms = list(parse_file(*self._parsed(new)).forms)
        except RuleError as err:
            return [], err.diagnostics
        sources, typed, origins = self._without(forms)
        combined, starts = self._layout([*typed, new])
        trial = load_sources(
            [*sources.items(), (self.typed_path(), combined)], self.unreadable
        )
        mine = [
            d
            for d in trial.diagnostics
            if d.path == self.typed_path() and d.line >= starts[-1]
        ]
        if self.script is None:
            mine = [_shifted(d, starts[-1] - line + 1) for d in mine]
        if any(d.is_error for d in mine):
            return [], [d for d in mine if d.is_error]
        self.sources = sources
        self.replaced.update(origins)
        self.typed = [*typed, new]
        self.changed()
        return forms, mine

    def typed_path(self) -> str:
        """The name typed forms load under: the script's, or ``typed.rules``."""
        return TYPED_PATH if self.script is None else self.script

    def _parsed(self, typed: Typed) -> tuple[str, str]:
        """What to parse a typed input as: at its own line, named for reports."""
        path = "<input>" if self.script is None else self.script
        return "\n" * (typed.line - 1) + typed.text, path

    def _layout(self, typed: list[Typed]) -> tuple[str, list[int]]:
        """The typed forms as one text, and the line each starts on: in a script
        at their own lines, at the prompt one after another with a blank line
        between."""
        lines: list[str] = []
        starts = []
        for form in typed:
            if self.script is not None and len(lines) < form.line:
                lines += [""] * (form.line - 1 - len(lines))
            elif lines:
                lines.append("")
            starts.append(len(lines) + 1)
            lines += form.text.split("\n")
        return "\n".join(lines) + "\n", starts

    def _typed_text(self) -> str:
        return self._layout(self.typed)[0]

    def _loaded(self) -> list[tuple[str, str]]:
        return list(self.sources.items())

    def _typed_source(self) -> list[tuple[str, str]]:
        return [(self.typed_path(), self._typed_text())] if self.typed else []

    def _without(
        self, forms: list[Any], loaded: dict[str, str] | None = None
    ) -> tuple[dict[str, str], list[str], dict[tuple[type, str], tuple[str, int]]]:
        """Loaded texts (``loaded``, else the loaded files) and typed forms, less
        the forms ``forms`` replace by name, and where each replaced form was."""
        sources = dict(self.sources if loaded is None else loaded)
        typed = list(self.typed)
        origins: dict[tuple[type, str], tuple[str, int]] = {}
        for form in forms:
            name = getattr(form, "name", None)
            if name is None:
                continue
            kind = type(form)
            for path, text in sources.items():
                sources[path], line = _blank_form(text, path, kind, name)
                if line:
                    origins[(kind, name)] = (path, line)
            typed = [t for t in typed if not _defines(t.text, kind, name)]
        return sources, typed, origins

    def _blank_typed(
        self, sources: dict[str, str]
    ) -> tuple[dict[str, str], dict[tuple[type, str], tuple[str, int]]]:
        """``sources`` less the forms the typed forms replace, and where they were."""
        forms = [f for t in self.typed for f in parse_file(t.text, TYPED_PATH).forms]
        blanked, _typed, origins = self._without(forms, sources)
        return blanked, origins

    def changed(self) -> None:
        """Forget the compiled rule set after the rules changed."""
        self._ruleset = None
        self._book = None

    def ruleset(self) -> RuleSet:
        """The loaded files and typed forms, loaded together (cached)."""
        if self._ruleset is None:
            self._ruleset = load_sources(
                [*self._loaded(), *self._typed_source()], self.unreadable
            )
        return self._ruleset

    def book(self) -> RuleBook:
        """The compiled rules; an error in the rules stops here with its message."""
        ruleset = self.ruleset()
        if not ruleset.ok:
            raise RuleError(ruleset.errors)
        if self._book is None:
            self._book = build_rulebook(ruleset)
        return self._book

    def save(self, path: Path) -> tuple[int, list[str]]:
        """Put the typed forms into ``path`` and load them from there from now on.

        A typed form named like a form of ``path`` takes its place; one that
        replaced a form of another file is refused, since the two would clash.
        The file must load with the other loaded files, or nothing is written.
        Returns how many forms were saved and the names replaced in the file.
        """
        if not self.typed:
            raise UserError("nothing typed to save yet; type a rule, segment or test")
        key = _shown_path(path)
        pieces = split_forms(self._typed_text(), self.typed_path())
        self._refuse_elsewhere(pieces, key)
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        joined, replaced = merge(existing, str(path), pieces)
        formatted = format_source(joined, str(path))
        sources = {p: t for p, t in self.sources.items() if not _same(p, path)}
        sources[key] = formatted
        trial = load_sources(list(sources.items()), self.unreadable)
        if not trial.ok:
            raise SaveRefused(trial.errors, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(formatted, encoding="utf-8")
        self.sources, self.typed = sources, []
        self.replaced = {}
        self.changed()
        self._ruleset = trial
        names = [f"{KINDS[kind]} {printer.string(name)}" for kind, name in replaced]
        return len(pieces), names

    def _refuse_elsewhere(self, pieces: list[tuple[Any, str]], key: str) -> None:
        """A typed form that stands for a form of another file belongs there."""
        for form, _piece in pieces:
            found = identity(form)
            origin = self.replaced.get(found) if found else None
            if origin is not None and origin[0] != key:
                path, line = origin
                word = f"{KINDS[found[0]]} {printer.string(found[1])}"
                raise UserError(
                    f"{word} comes from {path}:{line}; saving it in {key} too would "
                    f"define it twice: .save {path} puts it back there, or give it "
                    "another name"
                )

    # --- documents ---------------------------------------------------------------

    def store(self) -> Store:
        """The project's database, opened read-only on first use.

        A file that cannot be opened (locked, not a database, too old) raises
        StoreError each time it is asked for; ``store_failed`` says so, for
        callers that must not wait on it (completion).
        """
        if self._store is None:
            if str(self.db) == ":memory:" or not self.db.exists():
                raise UserError(
                    f"no database at {self.db}; run `tracsh replay` first or start "
                    "the REPL with --db"
                )
            try:
                self._store = Store.open(self.db, readonly=True)
            except StoreError:
                self.store_failed = True
                raise
            except sqlite3.Error as err:
                self.store_failed = True
                message = f"{self.db}: cannot read the database: {err}"
                raise StoreError(message) from None
            self.store_failed = False
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


def _blank_form(text: str, path: str, kind: type, name: str) -> tuple[str, int]:
    """``text`` with the lines of its form of ``kind`` called ``name`` blanked, and
    the line that form started on (0 when there is none)."""
    try:
        forms = parse_file(text, path).forms
    except RuleError:
        return text, 0
    lines = text.split("\n")
    found = 0
    for form in forms:
        if type(form) is kind and getattr(form, "name", None) == name:
            found = found or form.span.line
            for number in range(form.span.line, form.span.end_line + 1):
                lines[number - 1] = ""
    return "\n".join(lines), found


def _same(shown: str, path: Path) -> bool:
    """Whether a loaded file's shown path is ``path``."""
    return Path(shown).resolve() == path.resolve()


class Refused(RuleError):
    """A command refused for problems in rule files: the problems, then what
    happened, which is an error of the command itself."""

    def __init__(self, problems: list[Diagnostic], message: str) -> None:
        self.message = message
        """What happened, as one line without the ``error:`` prefix."""
        super().__init__(problems)

    def render(self) -> str:
        """The problems, then what happened."""
        shown = super().render()
        return f"{shown}\nerror: {self.message}" if shown else f"error: {self.message}"


class LoadRefused(Refused):
    """``.load`` of files that do not load: their problems, and the rules kept."""

    def __init__(self, problems: list[Diagnostic], kept: RuleSet, paths: list) -> None:
        message = (
            f"nothing was loaded from {', '.join(paths)}"
            + ("" if problems else ": it holds no rule files (*.rules)")
            + f"; the {len(kept.rules)} rules loaded before stay"
        )
        super().__init__(problems, message)


class SaveRefused(Refused):
    """``.save`` whose file would not load with the others: nothing is written."""

    def __init__(self, problems: list[Diagnostic], path: Path) -> None:
        super().__init__(problems, f"nothing was saved: {path} would not load as shown")
