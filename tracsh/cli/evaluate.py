"""``tracsh eval``: decide one condition against documents given on the command line.

The last line of stdout is ``true``, ``false`` or ``unknown``; type warnings and
evaluation errors are reported on stderr. A condition that does not parse or
check is reported on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracsh.cli.registry import command
from tracsh.errors import UserError
from tracsh.lang.compile import compile_condition
from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import MISSING, Scope
from tracsh.lang.values import parse_time

WORDS = {True: "true", False: "false", None: "unknown"}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("condition", help="the condition, e.g. 'profile.visits > 3'")
    for root in ("event", "profile", "session"):
        parser.add_argument(
            f"--{root}",
            metavar="JSON|@FILE",
            help=f"the {root} document, as JSON text or @file.json",
        )
    parser.add_argument(
        "--now", metavar="ISO-TIME", help="the current time (default: the clock)"
    )


def document(option: str, given: str | None) -> Any:
    """The document given to ``--option`` as JSON text or ``@path``, else MISSING."""
    if given is None:
        return MISSING
    text = given
    if given.startswith("@"):
        try:
            text = Path(given[1:]).read_text(encoding="utf-8")
        except OSError as err:
            raise UserError(
                f"--{option}: cannot read {given[1:]}: {err.strerror}"
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(
            f"--{option}: not valid JSON: {err.msg} at line {err.lineno} "
            f"column {err.colno}"
        ) from None


def clock(given: str | None, option: str = "--now") -> datetime:
    """``--now`` (or ``option``) as an aware time (the machine's clock when absent)."""
    if given is None:
        return datetime.now(UTC)
    found = parse_time(given)
    if found is None:
        raise UserError(
            f"{option}: {given!r} is not an ISO-8601 time such as 2024-05-01T10:00:00Z"
        )
    return found


def scope_of(args: argparse.Namespace) -> Scope:
    """The Scope that ``--event``, ``--profile``, ``--session`` and ``--now`` make."""
    event = document("event", args.event)
    source = event.get("source", MISSING) if isinstance(event, dict) else MISSING
    return Scope(
        event=event,
        profile=document("profile", args.profile),
        session=document("session", args.session),
        source=source,
        now=clock(args.now),
    )


@command(
    "eval",
    "decide a condition against JSON documents: true, false or unknown",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def evaluate(args: argparse.Namespace) -> int:
    """Print the truth of the condition; warnings go to stderr."""
    try:
        node = load_condition(args.condition, "<condition>")
    except RuleError as err:
        print(err.render(), file=sys.stderr)
        return 2
    scope = scope_of(args)
    truth = compile_condition(node)(scope)
    report = scope.report
    for message in report.messages:
        print(f"note: {message}", file=sys.stderr)
    print(WORDS[truth])
    return 0
