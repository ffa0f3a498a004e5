"""Rule files to a checked RuleSet: ids, run order, and checks across files.

``load_rules`` never raises for a user's mistake: every problem becomes a
Diagnostic on the RuleSet, and ``RuleSet.ok`` says whether it can run. The
REPL and ``tracsh eval`` use ``load_condition``, which raises RuleError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang.check import check_file, check_node
from tracsh.lang.compile import required_event_types
from tracsh.lang.errors import Diagnostic, RuleError, diagnostic_at
from tracsh.lang.parser import parse_condition, parse_expr, parse_file
from tracsh.lang.tql import translate_tree

RULE_SUFFIX = ".rules"


@dataclass(frozen=True)
class LoadedRule:
    """A rule with its id and where it came from; ``order`` is its load position."""

    id: str
    node: n.Rule
    path: str
    line: int
    order: int


@dataclass(frozen=True)
class LoadedSegment:
    """A live segment and where it came from."""

    name: str
    node: n.Segment
    path: str
    line: int


@dataclass(frozen=True)
class LoadedJourney:
    """A journey and where it came from."""

    name: str
    node: n.Journey
    path: str
    line: int


@dataclass(frozen=True)
class LoadedTest:
    """A rule test (``test "name"``) and where it came from; it never runs as a rule."""

    name: str
    node: n.RuleTest
    path: str
    line: int


@dataclass
class RuleSet:
    """Everything loaded from a set of rule files, in run order, with diagnostics."""

    rules: list[LoadedRule] = field(default_factory=list)
    """Priority descending, ties in load order (files by path, then position)."""
    segments: list[LoadedSegment] = field(default_factory=list)
    journeys: list[LoadedJourney] = field(default_factory=list)
    tests: list[LoadedTest] = field(default_factory=list)
    """Rule tests in load order, for ``tracsh test``; the engine never sees them."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    """Each loaded file's text by path, for displays that show rule source."""
    revision: str = ""
    """A hash of every file's path and content: equal texts, equal revisions."""
    unloaded: dict[str, str | None] = field(default_factory=dict)
    """Files that did not parse (their text) or could not be read (None): what
    they define is unknown, so references that may be theirs are not reported."""

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error."""
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        """The error diagnostics only."""
        return [d for d in self.diagnostics if d.is_error]

    def rule(self, rule_id: str) -> LoadedRule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """The ``*.rules`` files named by ``paths`` (directories searched), sorted."""
    found: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.update(p for p in path.rglob(f"*{RULE_SUFFIX}") if p.is_file())
        else:
            found.add(path)
    return sorted(found, key=lambda p: p.as_posix())


def read_source(path: Path) -> tuple[str | None, Diagnostic | None]:
    """A rule file's text, or a diagnostic saying why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, Diagnostic(
            str(path), 1, 1, f"cannot read the file: {err.strerror}"
        )
    try:
        return data.decode("utf-8").lstrip("\ufeff"), None
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        message = f"the file is not UTF-8: byte 0x{data[err.start]:02x} cannot be read"
        return None, Diagnostic(str(path), line, column, message)


def read_sources(
    paths: Iterable[Path], name: Callable[[Path], str] = str
) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """The rule files under ``paths`` as ``(name(path), text)``; and a Diagnostic
    for each one that cannot be read."""
    sources: list[tuple[str, str]] = []
    unreadable: list[Diagnostic] = []
    for path in rule_files(paths):
        text, problem = read_source(path)
        if problem is not None:
            unreadable.append(problem)
        else:
            sources.append((name(path), text or ""))
    return sources, unreadable


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load, check and order every rule file under ``paths``."""
    sources, unreadable = read_sources(paths)
    ruleset = load_sources(sources, [d.path for d in unreadable])
    ruleset.diagnostics[:0] = unreadable
    return ruleset


def load_sources(
    sources: Iterable[tuple[str, str]], unreadable: Iterable[str] = ()
) -> RuleSet:
    """Load rule texts given as ``(path, text)`` pairs, in the order given.

    ``unreadable`` names rule files that could not be read: references to
    names they may define are not reported, as for files that do not parse.
    """
    ruleset = RuleSet(unloaded=dict.fromkeys(unreadable))
    digest = hashlib.sha256()
    parsed: list[tuple[str, str, n.RuleFile]] = []
    for path, text in sources:
        text = text.replace("\r\n", "\n")
        ruleset.files[path] = text
        digest.update(f"{path}\0{len(text)}\0{text}".encode())
        try:
            rule_file = parse_file(text, path)
        except RuleError as err:
            ruleset.diagnostics.extend(err.diagnostics)
            ruleset.unloaded[path] = text
            continue
        rule_file, problems = translate_tree(rule_file, text, path)
        ruleset.diagnostics.extend(problems)
        ruleset.diagnostics.extend(check_file(rule_file, text))
        parsed.append((path, text, rule_file))
    ruleset.revision = digest.hexdigest()[:16]
    _collect(ruleset, parsed)
    _check_across(ruleset)
    return ruleset


def _rule_id(rule: n.Rule, path: str) -> str:
    return rule.name if rule.name is not None else f"{Path(path).stem}:{rule.span.line}"


def _collect(ruleset: RuleSet, parsed: list[tuple[str, str, n.RuleFile]]) -> None:
    """Fill the rule set's lists and report duplicate names, in load order."""
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    loaded: list[LoadedRule] = []
    for path, text, rule_file in parsed:
        for form in rule_file.forms:
            name, kind = _identity(form, path)
            earlier = seen.get((kind, name))
            if earlier is not None:
                where = f"{earlier[0]}:{earlier[1]}"
                message = f'duplicate {kind} "{name}": it is also defined at {where}'
                ruleset.diagnostics.append(
                    diagnostic_at(path, text, form.span, message, underline=False)
                )
                continue
            seen[(kind, name)] = (path, form.span.line)
            _add(ruleset, loaded, form, name, path)
    loaded.sort(key=lambda rule: (-rule.node.priority, rule.order))
    ruleset.rules = loaded


def _identity(form: Any, path: str) -> tuple[str, str]:
    if isinstance(form, n.Rule):
        return _rule_id(form, path), "rule id"
    if isinstance(form, n.Segment):
        return form.name, "segment"
    if isinstance(form, n.RuleTest):
        return form.name, "test"
    return form.name, "journey"


def _add(ruleset: RuleSet, loaded: list, form: Any, name: str, path: str) -> None:
    line = form.span.line
    if isinstance(form, n.Rule):
        loaded.append(LoadedRule(name, form, path, line, len(loaded)))
    elif isinstance(form, n.Segment):
        ruleset.segments.append(LoadedSegment(name, form, path, line))
    elif isinstance(form, n.RuleTest):
        ruleset.tests.append(LoadedTest(name, form, path, line))
    else:
        ruleset.journeys.append(LoadedJourney(name, form, path, line))


# --- checks that need the whole rule set ----------------------------------------


def _check_across(ruleset: RuleSet) -> None:
    """Unknown segments and journeys, and rules that can trigger each other."""
    known_segments = {s.name for s in ruleset.segments}
    journeys = {j.name for j in ruleset.journeys}
    forms = _all_forms(ruleset)
    for _path, form in forms:
        for node, _depth in n.walk(form):
            if isinstance(node, n.SegmentAction) and node.add:
                known_segments.add(node.segment)
    unchecked = _Unchecked(ruleset.unloaded)
    for path, form in forms:
        for node, name, message, severity in _unknown_names(
            ruleset, form, known_segments, journeys
        ):
            if not unchecked.hold(path, form, node, name):
                text = ruleset.files[path]
                ruleset.diagnostics.append(
                    diagnostic_at(path, text, node.span, message, severity)
                )
    ruleset.diagnostics.extend(unchecked.notes())
    _check_cycles(ruleset)


def _all_forms(ruleset: RuleSet) -> list[tuple[str, Any]]:
    forms: list[tuple[str, Any]] = [(r.path, r.node) for r in ruleset.rules]
    forms += [(s.path, s.node) for s in ruleset.segments]
    forms += [(j.path, j.node) for j in ruleset.journeys]
    forms += [(t.path, t.node) for t in ruleset.tests]
    return forms


def _unknown_names(
    ruleset: RuleSet, form: Any, segments: set[str], journeys: set[str]
) -> Iterator[tuple[Any, str, str, str]]:
    """``(node, name, message, severity)`` for each name ``form`` uses that no
    loaded form defines."""
    for node, _depth in n.walk(form):
        if isinstance(node, n.InSegment) and node.segment not in segments:
            message = (
                f'no segment "{node.segment}" is defined, and no rule adds profiles '
                "to it, so this test is always the same"
            )
            yield node, node.segment, message, "warning"
        if isinstance(node, n.JourneyAction) and node.journey not in journeys:
            message = f'no journey "{node.journey}" is defined'
            yield node, node.journey, message, "error"
        if isinstance(node, n.ExpectRule) and ruleset.rule(node.rule) is None:
            message = f'no rule "{node.rule}" is loaded; check the id (`tracsh check`)'
            yield node, node.rule, message, "error"


class _Unchecked:
    """Names that files which did not load may define, held back per file.

    A file that does not parse defines nothing, so every test naming one of its
    rules would be reported as well; those knock-on reports are replaced by one
    note per file that names them. A name counts as possibly defined by a file
    when the file's text holds it (or, for a one-line rule id, when the id has
    the file's stem); the text of an unreadable file is unknown, so it may
    define any name.
    """

    def __init__(self, unloaded: dict[str, str | None]) -> None:
        self.unloaded = unloaded
        self.held: dict[str, dict[int, Any]] = {}
        """By referring file: the forms whose names were not checked, by id."""
        self.first: dict[str, Any] = {}
        self.blamed: dict[str, list[str]] = {}
        self.kinds: dict[str, list[str]] = {}

    def hold(self, path: str, form: Any, node: Any, name: str) -> bool:
        """Whether ``name`` may be defined by a file that did not load."""
        culprit = next(
            (p for p, text in self.unloaded.items() if _may_define(p, text, name)),
            None,
        )
        if culprit is None:
            return False
        self.held.setdefault(path, {})[id(form)] = form
        self.first.setdefault(path, node)
        for found, item in ((self.blamed, culprit), (self.kinds, _name_kind(node))):
            seen = found.setdefault(path, [])
            if item not in seen:
                seen.append(item)
        return True

    def notes(self) -> list[Diagnostic]:
        """One note per referring file: how many forms were not fully checked."""
        found = []
        for path, forms in self.held.items():
            files, kinds = self.blamed[path], self.kinds[path]
            verb, owner = ("has", "it") if len(files) == 1 else ("have", "they")
            message = (
                f"{_counted(forms.values())} not fully checked because "
                f"{' and '.join(files)} {verb} errors: they name "
                f"{' and '.join(kinds)} {owner} may define"
            )
            span = self.first[path].span
            found.append(Diagnostic(path, span.line, span.column, message, "note"))
        return found


def _name_kind(node: Any) -> str:
    if isinstance(node, n.InSegment):
        return "segments"
    return "journeys" if isinstance(node, n.JourneyAction) else "rules"


def _may_define(path: str, text: str | None, name: str) -> bool:
    if text is None or name in text:
        return True
    stem, colon, line = name.rpartition(":")
    return bool(colon) and line.isdigit() and stem == Path(path).stem


_KIND_WORDS = ((n.Rule, "rule"), (n.Segment, "segment"), (n.Journey, "journey"))


def _counted(forms: Iterable[Any]) -> str:
    """``1 rule and 12 tests were``: the forms by kind, with the verb."""
    counts: dict[str, int] = {}
    for form in forms:
        word = next((w for kind, w in _KIND_WORDS if isinstance(form, kind)), "test")
        counts[word] = counts.get(word, 0) + 1
    parts = [f"{c} {w}{'' if c == 1 else 's'}" for w, c in counts.items()]
    verb = "was" if sum(counts.values()) == 1 else "were"
    return f"{' and '.join(parts)} {verb}"


def _check_cycles(ruleset: RuleSet) -> None:
    """Warn about rules that can trigger each other forever through ``emit event``."""
    emits: dict[str, set[str]] = {}
    types: dict[str, frozenset[str] | None] = {}
    for rule in ruleset.rules:
        if rule.node.disabled:
            continue
        types[rule.id] = required_event_types(rule.node.condition)
        emits[rule.id] = {
            node.event_type
            for node, _ in n.walk(rule.node)
            if isinstance(node, n.Emit) and node.delay is None and node.at is None
        }
    # Index rules by the event types they accept, so only emitting rules cost.
    accepting: dict[str, list[str]] = {}
    for rule_id, accepted in types.items():
        for event_type in accepted or ():
            accepting.setdefault(event_type, []).append(rule_id)
    edges = {
        rule_id: sorted({other for t in emitted for other in accepting.get(t, ())})
        for rule_id, emitted in emits.items()
        if emitted
    }
    for cycle in _cycles(edges):
        rule = ruleset.rule(cycle[0])
        assert rule is not None
        chain = " -> ".join(f'"{rule_id}"' for rule_id in cycle + [cycle[0]])
        message = (
            f"these rules can trigger each other through emitted events: {chain}; "
            "processing stops at the depth limit"
        )
        ruleset.diagnostics.append(
            diagnostic_at(
                rule.path, ruleset.files[rule.path], rule.node.span, message, "warning"
            )
        )


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly connected group, found by depth-first search."""
    found: list[list[str]] = []
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        on_path: set[str] = set()
        while stack:
            node, index = stack.pop()
            if index == 0:
                path.append(node)
                on_path.add(node)
            targets = edges.get(node, [])
            if index < len(targets):
                stack.append((node, index + 1))
                target = targets[index]
                if target in on_path:
                    found.append(path[path.index(target) :])
                elif target not in done:
                    stack.append((target, 0))
                continue
            path.pop()
            on_path.discard(node)
            done.add(node)
    return found


# --- single conditions and values ----------------------------------------------


def load_condition(text: str, path: str = "<input>") -> n.Condition:
    """Parse and check one condition; raises RuleError with every problem."""
    node, problems = translate_tree(parse_condition(text, path), text, path)
    if problems:
        raise RuleError(problems)
    return _checked(node, text, path)


def load_expr(text: str, path: str = "<input>") -> n.Expr:
    """Parse and check one value expression; raises RuleError."""
    return _checked(parse_expr(text, path), text, path)


def _checked(node: Any, text: str, path: str) -> Any:
    """``node`` when the checker finds no error in it; else RuleError with each."""
    problems = [d for d in check_node(node, text, path) if d.is_error]
    if problems:
        raise RuleError(problems)
    return node
