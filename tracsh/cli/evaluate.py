"""``tracsh eval``: decide one condition against documents given on the command line.

The last line of stdout is ``true``, ``false`` or ``unknown``; type warnings and
evaluation errors are reported on stderr. A condition that does not parse or
check is reported on stderr with exit status 2. ``--rule ID`` decides a loaded
rule's condition instead; ``--explain`` first prints the condition fully
parenthesised and every sub-expression with its value and verdict, and why.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.errors import UserError
from tracsh.lang.compile import compile_condition
from tracsh.lang.errors import RuleError
from tracsh.lang.explain import explain_condition, render
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import MISSING, Scope
from tracsh.lang.values import parse_time
from tracsh.testing.documents import DocumentError, parse_object

WORDS = {True: "true", False: "false", None: "unknown"}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "condition", nargs="?", help="the condition, e.g. 'profile.visits > 3'"
    )
    parser.add_argument(
        "--rule", metavar="ID", help="decide this loaded rule's condition instead"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="show every sub-expression with its value, and why",
    )
    project.add_rules_option(parser)
    project.add_config_option(parser)
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
    """The document given to ``--option`` as JSON text or ``@path``, else MISSING.

    Documents nest at most MAX_DEPTH levels (tracsh.testing.documents).
    """
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
        except UnicodeDecodeError:
            raise UserError(f"--{option}: {given[1:]} is not UTF-8 text") from None
    try:
        return parse_object(text)
    except DocumentError as err:
        raise UserError(f"--{option}: {err}{_file_hint(option, given)}") from None


def _file_hint(option: str, given: str) -> str:
    """A hint when text that is not JSON looks like a file's path: files take @."""
    text = given.strip()
    if given.startswith("@") or text.startswith(("{", "[", '"')) or not text:
        return ""
    path = Path(text)
    if not (path.exists() or "/" in text or "\\" in text or path.suffix):
        return ""
    missing = "" if path.exists() else " (there is no such file either)"
    return f"; to read the file {text}, write --{option} @{text}{missing}"


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


class NoHistory:
    """History for ``tracsh eval``, which reads no database: it says where to go."""

    def evaluate(self, node: Any, where: Any, value: Any, scope: Scope) -> Any:
        """Refuse, with the way to a profile's stored events in the message."""
        raise LookupError(
            "needs the event history, which tracsh eval does not read; to count a "
            "profile's stored events, use the REPL with a database (tracsh repl "
            "--db FILE, then .profile ID)"
        )


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
        history=NoHistory(),
    )


@command(
    "eval",
    "decide a condition against JSON documents: true, false or unknown",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def evaluate(args: argparse.Namespace) -> int:
    """Print the truth of the condition; warnings go to stderr."""
    if (args.condition is None) == (args.rule is None):
        raise UserError("give a condition or --rule ID (one of them)", status=2)
    try:
        node = _condition(args)
    except RuleError as err:
        print(err.render(), file=sys.stderr)
        return 2
    scope = scope_of(args)
    if args.explain:
        trace = explain_condition(node, scope)
        print(render(trace))
        truth = trace.value
    else:
        truth = compile_condition(node)(scope)
    report = scope.report
    for message in report.messages:
        print(f"note: {message}", file=sys.stderr)
    print(WORDS[truth])
    return 0


def _condition(args: argparse.Namespace):
    """The condition typed, or the condition of the rule named by ``--rule``."""
    if args.rule is None:
        return load_condition(args.condition, "<condition>")
    ruleset = project.load_ruleset(args, project.config_of(args))
    loaded = ruleset.rule(args.rule)
    if loaded is None:
        close = difflib.get_close_matches(args.rule, [r.id for r in ruleset.rules], n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise UserError(f'--rule: no rule "{args.rule}" is loaded{hint}', status=2)
    return loaded.node.condition
