"""Rules and templates as the runtime loads them: compiled aside, with a revision.

A load reads every rule file, checks and compiles it into a new RuleBook, and
builds a new template renderer, without touching the one in force; only a load
without errors is handed to the processor. The revision names what was loaded:
a hash of the rule and template files' contents, and the git commit when the
rules live in a checkout.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.errors import UserError
from tracsh.lang.loader import load_rules

log = logging.getLogger(__name__)

GIT_TIMEOUT = 2.0
"""Seconds a git query may take before the revision goes without a commit."""


class RulesRejected(UserError):
    """The rules (or templates) could not be loaded; the message lists the errors."""


@dataclass(frozen=True)
class Revision:
    """What a load produced: content hash, git commit, and how much it holds."""

    content: str
    """A hash of every rule and template file's path and text."""
    commit: str | None
    """``git rev-parse HEAD`` of the rules' checkout; None outside git."""
    dirty: bool
    """True when the checkout has uncommitted changes under the rule paths."""
    rules: int
    segments: int
    journeys: int
    loaded: str
    """When it was loaded, ISO-8601 UTC."""

    def as_dict(self) -> dict[str, Any]:
        """The revision as /healthz and the logs show it."""
        return {
            "content": self.content,
            "commit": self.commit,
            "dirty": self.dirty,
            "rules": self.rules,
            "segments": self.segments,
            "journeys": self.journeys,
            "loaded": self.loaded,
        }


@dataclass(frozen=True)
class LoadedRules:
    """A rule book and renderer ready to swap in, and what they are."""

    book: RuleBook
    renderer: Any
    revision: Revision
    warnings: list[str] = field(default_factory=list)


@dataclass
class RuleSource:
    """Where the rules and templates live, and how to build a renderer for them."""

    paths: list[Path]
    templates: Path | None = None
    renderer_factory: Callable[[], Any] | None = None
    """Builds the template renderer (None: messages are not rendered)."""

    def watched(self) -> list[Path]:
        """The existing paths whose changes call for a reload."""
        found = [Path(path) for path in self.paths]
        if self.templates is not None:
            found.append(Path(self.templates))
        return [path for path in found if path.exists()]

    def load(self) -> LoadedRules:
        """Load, check and compile everything; RulesRejected lists any errors."""
        missing = [str(path) for path in self.paths if not Path(path).exists()]
        if missing:
            raise RulesRejected(f"rules not found: {', '.join(missing)}")
        ruleset = load_rules(self.paths)
        rendered = [d.render() for d in ruleset.diagnostics]
        if not ruleset.ok:
            errors = sum(d.is_error for d in ruleset.diagnostics)
            raise RulesRejected(
                f"{errors} error(s) in the rules:\n" + "\n".join(rendered)
            )
        book = build_rulebook(ruleset)
        try:
            renderer = self.renderer_factory() if self.renderer_factory else None
        except Exception as error:  # a template error of any kind
            raise RulesRejected(f"templates: {error}") from error
        revision = self._revision(book, ruleset.revision, len(ruleset.rules))
        return LoadedRules(book, renderer, revision, rendered)

    def _revision(self, book: RuleBook, rules_hash: str, rules: int) -> Revision:
        commit, dirty = git_state(self.paths)
        return Revision(
            content=self.content_hash(rules_hash),
            commit=commit,
            dirty=dirty,
            rules=rules,
            segments=len(book.segments),
            journeys=len(book.journeys),
            loaded=datetime.now(UTC).isoformat(),
        )

    def content_hash(self, rules_hash: str) -> str:
        """The rules' hash, combined with the templates' when there are any."""
        folder = Path(self.templates) if self.templates is not None else None
        if folder is None or not folder.is_dir():
            return rules_hash
        digest = hashlib.sha256(rules_hash.encode())
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            name = path.relative_to(folder).as_posix()
            digest.update(f"{name}\0{len(data)}\0".encode() + data)
        return digest.hexdigest()[:16]


def git_state(paths: list[Path]) -> tuple[str | None, bool]:
    """The HEAD commit of the checkout holding ``paths``, and whether it is dirty.

    ``(None, False)`` when the rules are not in a git checkout or git is not
    installed.
    """
    if not paths:
        return None, False
    first = Path(paths[0])
    folder = first if first.is_dir() else first.parent
    head = _git(folder, "rev-parse", "HEAD")
    if head is None:
        return None, False
    names = [str(Path(path).resolve()) for path in paths]
    status = _git(folder, "status", "--porcelain", "--", *names)
    return head, bool(status)


def _git(folder: Path, *arguments: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *arguments],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
