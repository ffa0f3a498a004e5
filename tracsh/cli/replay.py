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
from tracsh.cli.terminal import printable
from tracsh.engine.summary import Summary
from tracsh.errors import UserError
from tracsh.inputs import Accepted, read_items
from tracsh.runtime.memory import settle_after_start

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
        "--batch",
        type=project.positive_int,
        default=BATCH,
        metavar="N",
        help=f"events per transaction (default {BATCH})",
    )
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="then send what the replay queued (as `tracsh deliver` does)",
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
            outcomes = engine.process_batch(batch)
        # Counted once committed, so an interrupted replay reports what is stored.
        for outcome in outcomes:
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
    check_inputs(args)
    until = None if args.until is None else clock(args.until, "--until")
    config = project.config_of(args)
    book = project.load_rulebook(args, config)
    summary = Summary()
    with project.open_store(args, config) as store:
        engine = project.build_engine(store, book, config)
        settle_after_start()
        try:
            with progress_for(args.files) as bar:
                _feed(engine, store, args.files, args, summary, bar)
        except KeyboardInterrupt:
            raise UserError(
                f"interrupted: {summary.accepted} events were committed and the "
                "rest were not; replaying the same files again skips stored ones",
                status=130,
            ) from None
        if until is not None:
            for outcome in engine.scheduler.run_due(until):
                summary.add(outcome, internal=True)
        summary.finish()
        data = summary.as_dict(store.segment_sizes())
    if args.deliver:
        from tracsh.cli.deliver import drain_outbox, render_counts

        delivered = drain_outbox(project.store_path(args, config), config, args)
        data["delivery"] = delivered
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(render_summary(data))
        if args.deliver:
            print(render_counts(delivered))
    return 0


def check_inputs(args: argparse.Namespace) -> None:
    """Refuse input paths that cannot be read as files, and a stray ``--map``."""
    for path in args.files:
        if str(path) == "-":
            continue
        if path.is_dir():
            raise UserError(f"{path} is a directory; give the event files inside it")
        if not path.exists():
            raise UserError(f"no such file: {path}")
    if args.map is not None and args.format not in ("auto", "csv"):
        raise UserError(f"--map applies to CSV input only, not --format {args.format}")
    if args.map is not None and args.format == "auto":
        others = [p for p in args.files if p.suffix.lower() != ".csv"]
        if len(others) == len(args.files):
            names = ", ".join(str(p) for p in others[:3])
            raise UserError(f"--map applies to CSV input only; {names} is not .csv")


def render_summary(data: dict) -> str:
    """The summary as the lines a person reads after a replay."""
    events = data["events"]
    lines = [
        f"events     {events['read']} read, {events['accepted']} accepted, "
        f"{events['rejected']} rejected, {events['duplicates']} already stored, "
        f"{events['internal']} internal",
    ]
    for reject in data["first_rejects"]:
        where = printable(f"{reject['source']}:{reject['line']}")
        lines.append(f"  rejected {where}: {printable(reject['reason'])}")
    if events["rejected"] > len(data["first_rejects"]):
        lines.append("  (see all with `tracsh rejects`)")
    profiles = data["profiles"]
    lines.append(
        f"profiles   {profiles['created']} created, {profiles['updated']} updated"
    )
    lines.append(f"sessions   {data['sessions']} ({data['visits']} new visits)")
    lines.append(f"rules      {data['rules_fired']} fired")
    for rule_id, count in list(data["by_rule"].items())[:10]:
        lines.append(f"  {count:>8}  {printable(rule_id)}")
    problems = [
        f"{data[key]} {words}"
        for key, words in (
            ("action_errors", "action error(s)"),
            ("condition_errors", "condition error(s)"),
            ("type_warnings", "type warning(s)"),
        )
        if data[key]
    ]
    if problems:
        lines.append(f"  {', '.join(problems)}: see `tracsh stats`")
    lines.append(
        "segments   "
        + (
            ", ".join(
                f"{printable(name)} {size}"
                for name, size in sorted(data["segments"].items())
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
