"""``tracsh test``: run the rule tests (``test "name"`` forms) in rule files.

Each test runs the whole rule set through the real engine over a throw-away
in-memory store; nothing is written to any database. Prints PASS or FAIL per
test and, for a failure, the expected and actual values and why the rules
involved fired or did not. ``--coverage`` also reports rules that no test made
fire and sub-conditions never seen both true and false. Exit status 1 when a
test fails or coverage is under ``--fail-under``. Directories are the whole
rule set; a file named alone runs its tests against the project's rules.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.engine.pipeline import EngineSettings
from tracsh.engine.rulebook import build_rulebook
from tracsh.errors import UserError
from tracsh.lang.loader import load_rules
from tracsh.testing.coverage import measure
from tracsh.testing.report import coverage_text, json_report, summary, text_report
from tracsh.testing.runner import run_tests, select


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a percentage, got {text!r}"
        ) from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage is 0 to 100, got {text}")
    return value


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or directories"
    )
    parser.add_argument(
        "--run", metavar="REGEX", help="run only the tests whose name matches"
    )
    parser.add_argument(
        "--coverage", action="store_true", help="report rule and condition coverage"
    )
    parser.add_argument(
        "--fail-under",
        type=_percent,
        metavar="PCT",
        help="exit 1 when coverage is under PCT (implies --coverage)",
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    project.add_config_option(parser)


@command(
    "test",
    "run the rule tests in rule files against a throw-away store",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def test(args: argparse.Namespace) -> int:
    """Load the rules, run the chosen tests, print the results."""
    config = project.config_of(args)
    chosen = _choose_sources(args, config)
    if args.json:
        ruleset = load_rules(project.rule_paths(args, config))
        if not ruleset.ok:
            report = json_report([], None, ruleset.diagnostics)
            print(json.dumps(report, indent=2, ensure_ascii=False))
            return 1
    else:
        ruleset = project.load_ruleset(args, config)
    tests = [
        test
        for test in select(ruleset, _pattern(args.run))
        if chosen is None or _within(test.path, chosen)
    ]
    if not tests:
        where = f" matching {args.run!r}" if args.run else ""
        raise UserError(
            f"no rule tests{where} in {_places(args, config)}; "
            'write `test "name"` forms (docs/testing.md)'
        )
    book = build_rulebook(ruleset)
    settings = EngineSettings(session_timeout=config.session.timeout)
    results = run_tests(
        ruleset,
        tests,
        book=book,
        renderer=project.renderer_of(config),
        settings=settings,
    )
    coverage = None
    if args.coverage or args.fail_under is not None:
        coverage = measure(ruleset, book, results)
    _print(args, results, coverage, ruleset.diagnostics)
    failed = any(not result.passed for result in results)
    short = (
        coverage is not None
        and args.fail_under is not None
        and (coverage.percent < args.fail_under)
    )
    if short:
        print(
            f"coverage {coverage.percent:.1f}% is under "
            f"--fail-under {args.fail_under:g}%",
            file=sys.stderr,
        )
    return 1 if failed or short else 0


def _choose_sources(args: argparse.Namespace, config) -> list[Path] | None:
    """Set ``args.rules`` to what to load; the paths whose tests run, or None.

    Directories alone are the whole rule set, as for ``check``. A rule file
    named on its own usually tests rules kept elsewhere, so the project's rule
    directories are loaded with it and only the named paths' tests run.
    """
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        raise UserError(f"no such file or directory: {', '.join(missing)}")
    if not args.paths or all(path.is_dir() for path in args.paths):
        if args.paths:
            args.rules = args.paths
        return None
    loaded = [_shown(p) for p in project.rule_paths(args, config) if Path(p).is_dir()]
    args.rules = loaded + [path for path in args.paths if not _within(path, loaded)]
    return list(args.paths)


def _shown(path: str | Path) -> Path:
    """``path`` relative to the working directory when under it, as people type it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _within(path: str | Path, places: list[Path]) -> bool:
    """Whether ``path`` is one of ``places`` or lies under one of them."""
    resolved = Path(path).resolve()
    return any(
        resolved == place.resolve() or resolved.is_relative_to(place.resolve())
        for place in places
    )


def _places(args: argparse.Namespace, config) -> str:
    return ", ".join(str(path) for path in project.rule_paths(args, config))


def _pattern(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        re.compile(text)
    except re.error as err:
        raise UserError(f"--run: {text!r} is not a regular expression: {err}") from None
    return text


def _print(
    args: argparse.Namespace, results: list, coverage, diagnostics: list
) -> None:
    if args.json:
        report = json_report(results, coverage, diagnostics)
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(text_report(results))
    if coverage is not None:
        print(coverage_text(coverage))
    print(summary(results), file=sys.stderr)
