"""``tracsh import tql``: a Tracardi condition in tracsh's own language.

Prints the translation of a Tracardi TQL condition (``profile@stats.visits > 10
AND event@type == "purchase"``), ready to paste into a rule. docs/tql.md lists
the field mapping and where tracsh's rules for missing values differ. The same
translation runs for ``when tql "…"`` in rule files.
"""

from __future__ import annotations

import argparse

from tracsh.cli.registry import command, group
from tracsh.cli.utf8 import stdin_text
from tracsh.errors import UserError
from tracsh.lang import printer
from tracsh.lang.check import check_node
from tracsh.lang.tql import TqlError, translate

group("import", "bring conditions written for other systems into tracsh")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "condition", help="the Tracardi condition, or - to read it from stdin"
    )


@command(
    "import tql",
    "translate a Tracardi TQL condition into tracsh's language",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def import_tql(args: argparse.Namespace) -> int:
    """Print the translated condition; a condition that does not parse is an error."""
    text = stdin_text().strip() if args.condition == "-" else args.condition
    try:
        node = translate(text)
    except TqlError as err:
        raise UserError(_pointed(text, err), status=2) from None
    shown = printer.text(node)
    problems = [d for d in check_node(node, shown, "<tql>") if d.is_error]
    if problems:
        raise UserError(problems[0].message, status=2)
    print(shown)
    return 0


def _pointed(text: str, err: TqlError) -> str:
    """The message, the condition, and a caret under the fault (first line only)."""
    line = text.split("\n", 1)[0]
    caret = " " * min(err.offset, len(line)) + "^"
    return f"{err.message}\n  {line}\n  {caret}"
