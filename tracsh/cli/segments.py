"""``tracsh segment refresh``: live segments re-evaluated over the whole store in SQL.

Each live segment's condition runs as one SQL statement over every stored
profile; profiles that now match enter, profiles that no longer match leave,
and each change is announced with a ``segment-entered`` / ``segment-left``
event through the rules (``--no-events`` skips that). ``now`` in a condition is
the machine's clock unless ``--now`` says otherwise.
"""

from __future__ import annotations

import argparse
import json

from tracsh.cli import project
from tracsh.cli.evaluate import clock
from tracsh.cli.registry import command, group
from tracsh.cli.terminal import printable
from tracsh.engine.refresh import refresh_segments
from tracsh.engine.rulebook import build_rulebook
from tracsh.errors import UserError

group("segment", "live segments over the whole store")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="segments to refresh (default: all)"
    )
    project.add_rules_option(parser)
    project.add_store_option(parser)
    parser.add_argument(
        "--now", metavar="ISO-TIME", help="the time `now` means (default: the clock)"
    )
    parser.add_argument(
        "--no-events",
        action="store_true",
        help="change membership without segment-entered/left events",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def chosen(book, names: list[str]) -> list:
    """The live segments named (all when none is), in the order of the rules."""
    known = {segment.name: segment for segment in book.segments}
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise UserError(
            f"no live segment {unknown[0]!r} in the rules (live segments: {listed})"
        )
    return [s for s in book.segments if not names or s.name in names]


@command(
    "segment refresh",
    "re-evaluate live segments over every stored profile, in SQL",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def segment_refresh(args: argparse.Namespace) -> int:
    """Refresh the segments and print what changed."""
    config = project.config_of(args)
    ruleset = project.load_ruleset(args, config)
    book = build_rulebook(ruleset)
    segments = chosen(ruleset, args.names)
    now = clock(args.now)
    with project.open_store(args, config) as store:
        engine = project.build_engine(store, book, config)
        changes, _outcomes = refresh_segments(
            engine, segments, now, events=not args.no_events
        )
    rows = [
        {
            "segment": c.segment,
            "members": c.members,
            "entered": len(c.entered),
            "left": len(c.left),
            "seconds": round(c.seconds, 4),
        }
        for c in changes
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(
                f"{printable(row['segment'])}: {row['members']} members, "
                f"{row['entered']} "
                f"entered, {row['left']} left ({row['seconds'] * 1000:.0f} ms)"
            )
    return 0
