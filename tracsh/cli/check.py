"""``tracsh check``: load and check rule files without running anything.

For CI of a rules repository: exit status 0 when the rules load cleanly, 1 when
any file has an error. Every problem is printed as ``file:line:column`` with the
line and a caret; warnings are printed too but do not fail the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.errors import UserError
from tracsh.lang.loader import load_rules


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
    paths = args.paths or project.rule_paths(args, project.config_of(args))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"no such file or directory: {', '.join(missing)}")
    ruleset = load_rules(paths)
    for diagnostic in ruleset.diagnostics:
        print(diagnostic.render())
    errors = sum(d.severity == "error" for d in ruleset.diagnostics)
    warnings = len(ruleset.diagnostics) - errors
    print(
        f"{len(ruleset.rules)} rules, {len(ruleset.segments)} segments, "
        f"{len(ruleset.journeys)} journeys, {len(ruleset.tests)} tests: "
        f"{errors} error(s), {warnings} warning(s)",
        file=sys.stderr,
    )
    return 1 if errors else 0
