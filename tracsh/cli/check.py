"""``tracsh check``: load and check rule files without running anything.

For CI of a rules repository: exit status 0 when the rules load cleanly, 1 when
any file has an error. Every problem is printed as ``file:line:column`` with the
line and a caret; warnings are printed too but do not fail the check. Against
the project, it also warns about message templates missing from the templates
directory, channels and webhooks tracsh.toml does not configure, and unknown
enrichers.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.config import Config
from tracsh.delivery.enrichers import BUILTIN
from tracsh.delivery.templates import SUFFIXES
from tracsh.errors import UserError
from tracsh.lang import nodes as n
from tracsh.lang.errors import Diagnostic, diagnostic_at
from tracsh.lang.loader import RuleSet, load_rules


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or directories"
    )
    project.add_config_option(parser)


@command(
    "check",
    "check rule files for errors (exit 1 when there are any)",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def check(args: argparse.Namespace) -> int:
    """Load the rules, print every diagnostic, and say how it went."""
    config = project.config_of(args)
    paths = args.paths or project.rule_paths(args, config)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"no such file or directory: {', '.join(missing)}")
    ruleset = load_rules(paths)
    found = ruleset.diagnostics + project_warnings(ruleset, config)
    for diagnostic in found:
        print(diagnostic.render())
    errors = sum(d.severity == "error" for d in found)
    warnings = sum(d.severity == "warning" for d in found)
    notes = len(found) - errors - warnings
    print(
        f"{len(ruleset.rules)} rules, {len(ruleset.segments)} segments, "
        f"{len(ruleset.journeys)} journeys, {len(ruleset.tests)} tests: "
        f"{errors} error(s), {warnings} warning(s)"
        + (f", {notes} note(s)" if notes else ""),
        file=sys.stderr,
    )
    return 1 if errors else 0


# --- names the project must provide --------------------------------------------------


def project_warnings(ruleset: RuleSet, config: Config) -> list[Diagnostic]:
    """Warnings for templates, channels, webhooks and enrichers the project lacks.

    Templates are checked when the templates directory exists; channels and
    webhooks when there is a tracsh.toml (or it configures any webhook); an
    enricher must be built in or configured. They are warnings: a project may
    leave delivery to another system, and messages wait in the outbox.
    """
    directory = Path(config.rules.templates)
    templates = directory if directory.is_dir() else None
    found = []
    for path, form in _forms(ruleset):
        text = ruleset.files[path]
        for node, _depth in n.walk(form):
            for unknown in _unknown(node, templates, config):
                found.append(_at_name(path, text, node, *unknown))
    return found


def _forms(ruleset: RuleSet) -> Iterator[tuple[str, Any]]:
    yield from ((r.path, r.node) for r in ruleset.rules)
    yield from ((j.path, j.node) for j in ruleset.journeys)


def _unknown(
    node: Any, templates: Path | None, config: Config
) -> Iterator[tuple[str, str]]:
    """Each name ``node`` gives that the project lacks, and why."""
    known_file = config.path is not None
    if isinstance(node, (n.Send, n.ShowMessage)) and templates is not None:
        channel = node.channel if isinstance(node, n.Send) else "message"
        why = _missing_template(templates, channel, node.template)
        if why is not None:
            yield node.template, why
    if isinstance(node, n.Send) and known_file and node.channel not in config.channels:
        yield (
            node.channel,
            (
                f"no [channels.{node.channel}] in {config.path.name}: these messages "
                "wait in the outbox until one is configured"
            ),
        )
    if isinstance(node, n.CallWebhook) and (config.webhooks or known_file):
        if node.webhook not in config.webhooks:
            known = sorted(config.webhooks)
            yield node.webhook, _not_known("webhook", node.webhook, known)
    if isinstance(node, n.Enrich):
        known = sorted({*BUILTIN, *config.enrichers})
        if node.enricher not in known:
            yield node.enricher, _not_known("enricher", node.enricher, known)


def _missing_template(directory: Path, channel: str, name: str) -> str | None:
    suffixes = [SUFFIXES[channel]]
    if channel == "email":
        suffixes.append(SUFFIXES["email-html"])
    if any((directory / f"{name}{suffix}").is_file() for suffix in suffixes):
        return None
    have = sorted(
        p.name[: -len(s)]
        for s in suffixes
        for p in directory.glob(f"*{s}")
        if not p.name.startswith("_")
    )
    close = difflib.get_close_matches(name, have, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    kind = "in-app message" if channel == "message" else channel
    files = " or ".join(f"{name}{suffix}" for suffix in suffixes)
    return f'no {kind} template "{name}" in {_shown(directory)} (no {files}){hint}'


def _not_known(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    where = "built in or configured"
    if kind == "webhook":
        where = "configured in tracsh.toml"
    listed = f"{kind}s: {', '.join(known)}" if known else f"it configures no {kind}s"
    return f'no {kind} "{name}" is {where} ({listed}){hint}'


def _at_name(path: str, text: str, node: Any, name: str, message: str) -> Diagnostic:
    """A warning with its caret under the quoted name in the action."""
    span = node.span
    line = text.split("\n")[span.line - 1] if span.line else ""
    for quoted in (f'"{name}"', f"'{name}'"):
        start = line.find(quoted, max(span.column - 1, 0))
        if start >= 0:
            span = n.Span(span.line, start + 1, span.line, start + 1 + len(quoted))
            break
    return diagnostic_at(path, text, span, message, "warning", underline=True)


def _shown(directory: Path) -> str:
    try:
        return str(directory.resolve().relative_to(Path.cwd().resolve())) + "/"
    except ValueError:
        return str(directory)
