"""``tracsh repl`` (and ``tracsh`` with no arguments): the rule author's REPL.

Loads the project's rules, then reads conditions, rules, tests and dot
commands (``.help`` lists them). The project's database is opened read-only,
for picking documents, completing field names and giving dry runs the stored
history of a profile; a dry run (``.fire``) never writes to it. With input from
a pipe, runs each complete input in turn; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.cli.utf8 import stdin_lines


def _arguments(parser: argparse.ArgumentParser) -> None:
    project.add_store_option(parser)
    project.add_rules_option(parser)


@command(
    "repl",
    "write and try rules interactively (also: tracsh with no arguments)",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def repl(args: argparse.Namespace) -> int:
    """Build the workspace and hand it to the REPL loop."""
    from tracsh.repl.app import run
    from tracsh.repl.workspace import Workspace

    config = project.config_of(args)
    workspace = Workspace(config, project.store_path(args, config))
    paths = [p for p in project.rule_paths(args, config) if Path(p).exists()]
    if paths:
        problems = workspace.load(paths)
        for problem in problems:
            print(problem.render(), file=sys.stderr)
    try:
        return run(workspace, debug=args.debug, lines=stdin_lines())
    finally:
        workspace.close()
