"""``tracsh replay``: run files of past events through the rules into the store.

The clock is each event's own time, so weeks of history replay in seconds and
``now`` in a rule means the moment the event happened; a timer (a journey step,
a scheduled event) fires before the first event at or after its time, and
``--until`` fires those still due by then once the files are read. Rules are loaded and
checked before any event is read; a rule error stops the command.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.evaluate import clock
from tracsh.cli.progress import progress_for
from tracsh.cli.registry import command
from tracsh.engine.summary import Summary
from tracsh.errors import UserError
from tracsh.inputs import Accepted, read_items

FORMATS = ("auto", "ndjson", "json", "track", "csv")

BATCH = 1000
"""Events per transaction: large enough that fsync does not dominate."""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    project.add_rules_option(parser)
    project.add_store_option(parser)
    parser.add_argument(
        "--map", type=Path, metavar="FILE", help="column mapping (TOML) for CSV input"
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="auto", help="input format (default: auto)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON on stdout"
    )
    parser.add_argument(
        "--batch", type=int, default=BATCH, metavar="N", help="events per transaction"
    )
    parser.add_argument(
        "--until",
        metavar="ISO-TIME",
        help="then fire the timers (journey steps, scheduled events) due by then",
    )


def _feed(engine, store, files, args, summary: Summary, bar) -> None:
    """Read every file and process its events in batches."""
    batch: list[dict] = []
    rejects: list[tuple[str, int, str, str]] = []

    def commit() -> None:
        with store.transaction():
            for source, line, reason, raw in rejects:
                store.add_reject(source, line, reason, raw)
            for outcome in engine.process_batch(batch):
                summary.add(outcome)
        bar.advance(len(batch) + len(rejects))
        batch.clear()
        rejects.clear()

    for path in files:
        for item in read_items(path, args.format, args.map):
            if isinstance(item, Accepted):
                batch.append(item.event)
            else:
                rejects.append((str(path), item.line, item.reason, item.raw))
                summary.reject(str(path), item.line, item.reason)
            if len(batch) + len(rejects) >= args.batch:
                commit()
    commit()


@command(
    "replay",
    "replay event files through the rules into the store",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def replay(args: argparse.Namespace) -> int:
    """Replay the files and print the summary."""
    for path in args.files:
        if str(path) != "-" and not path.is_file():
            raise UserError(f"no such file: {path}")
    until = None if args.until is None else clock(args.until, "--until")
    config = project.config_of(args)
    book = project.load_rulebook(args, config)
    summary = Summary()
    with project.open_store(args, config) as store:
        engine = project.build_engine(store, book, config)
        with progress_for(args.files) as bar:
            _feed(engine, store, args.files, args, summary, bar)
        if until is not None:
            for outcome in engine.scheduler.run_due(until):
                summary.add(outcome, internal=True)
        summary.finish()
        data = summary.as_dict(store.segment_sizes())
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(render_summary(data))
    return 0


def render_summary(data: dict) -> str:
    """The summary as the lines a person reads after a replay."""
    events = data["events"]
    lines = [
        f"events     {events['read']} read, {events['accepted']} accepted, "
        f"{events['rejected']} rejected, {events['duplicates']} already stored, "
        f"{events['internal']} internal",
    ]
    for reject in data["first_rejects"]:
        lines.append(
            f"  rejected {reject['source']}:{reject['line']}: {reject['reason']}"
        )
    if events["rejected"] > len(data["first_rejects"]):
        lines.append("  (see all with `tracsh rejects`)")
    profiles = data["profiles"]
    lines.append(
        f"profiles   {profiles['created']} created, {profiles['updated']} updated"
    )
    lines.append(f"sessions   {data['sessions']} ({data['visits']} new visits)")
    lines.append(f"rules      {data['rules_fired']} fired")
    for rule_id, count in list(data["by_rule"].items())[:10]:
        lines.append(f"  {count:>8}  {rule_id}")
    if data["action_errors"]:
        lines.append(f"  {data['action_errors']} action error(s): see `tracsh stats`")
    lines.append(
        "segments   "
        + (
            ", ".join(
                f"{name} {size}" for name, size in sorted(data["segments"].items())
            )
            or "none"
        )
    )
    lines.append(
        "outbox     "
        + (
            ", ".join(
                f"{kind} " + "/".join(f"{n} {status}" for status, n in statuses.items())
                for kind, statuses in data["outbox"].items()
            )
            or "nothing queued"
        )
    )
    lines.append(
        f"speed      {data['events_per_second']:.0f} events/s ({data['seconds']:.2f} s)"
    )
    return "\n".join(lines)
