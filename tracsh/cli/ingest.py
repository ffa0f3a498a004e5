"""``tracsh ingest``: read NDJSON events or tracker payloads continuously.

Lines come from stdin or a file and are committed in groups, each group with
the byte offset where it ends. For a file that offset is stored, so running the
same command again, after a crash or a stop, resumes after the last committed
line; ``--from-offset`` starts elsewhere (for stdin it skips that many bytes).
``--follow`` keeps reading as the file grows. SIGTERM or SIGINT stops reading,
commits what was read, prints the summary and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from tracsh.cli import project
from tracsh.cli.daemon import add_runtime_options, runtime_settings
from tracsh.cli.registry import command
from tracsh.cli.replay import render_summary
from tracsh.engine.pipeline import event_clock, wall_clock
from tracsh.engine.summary import Summary
from tracsh.errors import UserError
from tracsh.runtime import Runtime
from tracsh.runtime.feed import LineFeed, Position
from tracsh.runtime.logs import configure_logging
from tracsh.runtime.memory import settle_after_start
from tracsh.runtime.processor import ProcessorError
from tracsh.store import Store

CLOCKS = {"wall": wall_clock, "event": event_clock}
"""What ``now`` is for the rules: the machine's time, or each event's own."""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="an NDJSON file (default: - for stdin)",
    )
    parser.add_argument(
        "--from-offset",
        type=int,
        metavar="BYTES",
        help="start at this byte offset instead of the stored one",
    )
    parser.add_argument(
        "--follow", action="store_true", help="keep reading as the file grows"
    )
    parser.add_argument(
        "--format",
        choices=("auto", "ndjson", "track"),
        default="auto",
        help="auto (events and tracker payloads), ndjson (events) or track",
    )
    parser.add_argument(
        "--source",
        default="file",
        metavar="ID",
        help='source id of events that name none (default: "file")',
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="what `now` is for the rules (default: wall, the machine's time)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON on stdout"
    )
    add_runtime_options(parser)


@command(
    "ingest",
    "read NDJSON events from stdin or a file continuously into the store",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def ingest(args: argparse.Namespace) -> int:
    """Run the feed to the end of its input (or a signal) and print the summary."""
    if args.from_offset is not None and args.from_offset < 0:
        raise UserError("--from-offset must be 0 or more")
    if args.follow and args.file == "-":
        raise UserError("--follow needs a FILE: stdin is read until it ends anyway")
    config = project.config_of(args)
    configure_logging(args.log_level)
    settings = runtime_settings(args, config)
    settings.clock = CLOCKS[args.clock]
    summary = Summary()
    with _opened(args.file) as stream:
        feed = asyncio.run(_run(args, settings, stream, summary))
    summary.finish()
    _print(args, settings.db, summary, feed)
    return 0


@contextlib.contextmanager
def _opened(name: str):
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = Path(name).open("rb")
    except OSError as error:
        raise UserError(f"{name}: cannot read: {error.strerror}") from None
    with stream:
        yield stream


async def _run(args, settings, stream: BinaryIO, summary: Summary) -> LineFeed:
    runtime = Runtime(settings)
    await runtime.start()
    settle_after_start()
    try:
        feed = await _feed(args, runtime, stream, summary)
    except BaseException:
        await runtime.close()
        raise
    runtime.add_input(feed)
    try:
        await runtime.run(handle_signals=True)
    except ProcessorError as error:
        where = f"byte {feed.committed.offset:,}, line {feed.committed.line:,}"
        raise UserError(f"{error}; input is committed up to {where}") from None
    return feed


async def _feed(args, runtime: Runtime, stream, summary: Summary) -> LineFeed:
    """The feed for the input, placed where reading should start."""
    if args.file == "-":
        start = Position(args.from_offset or 0, 1)
        _skip(stream, start.offset)
        label, name, key = "stdin", None, None
    else:
        path = Path(args.file)
        label, name, key = str(path), path.name, f"ingest:{path.resolve()}"
        start = await _file_start(runtime, stream, key, args.from_offset)
        stream.seek(start.offset)

    def settled(outcomes, rejects) -> None:
        for outcome in outcomes:
            summary.add(outcome)
        for row in rejects:
            summary.reject(row.source, row.line, row.reason)

    return LineFeed(
        runtime.processor,
        stream,
        label=label,
        name=name,
        position_key=key,
        start=start,
        follow=args.follow,
        format=args.format,
        source=args.source,
        settled=settled,
    )


async def _file_start(runtime: Runtime, stream, key: str, offset: int | None):
    """The stored position of a file, or ``offset`` checked against the file."""
    if offset is None:
        offset, line = await runtime.with_store(
            lambda store: (store.get_position(key), store.get_position(f"{key}:line"))
        )
        _check_stored(stream, offset)
        return Position(offset, line or 1)
    head = stream.read(offset)
    if len(head) < offset:
        raise UserError(f"--from-offset {offset:,} is past the end of the file")
    if offset and not head.endswith(b"\n"):
        raise UserError(f"--from-offset {offset:,} is not at the start of a line")
    return Position(offset, head.count(b"\n") + 1)


def _check_stored(stream: BinaryIO, offset: int) -> None:
    """UserError when the file no longer reaches the stored position with a
    line end, as after it was truncated or replaced: resuming there would
    skip its new lines without a word."""
    if not offset:
        return
    size = os.fstat(stream.fileno()).st_size
    stream.seek(offset - 1)
    if size < offset or stream.read(1) != b"\n":
        found = f"is {size:,} bytes long" if size < offset else "has changed"
        raise UserError(
            f"{stream.name} {found}, but the last ingest of it stopped at byte "
            f"{offset:,}: the file was truncated or replaced; pass --from-offset 0 "
            "to read it from the start (lines already stored are not stored twice)"
        )


def _skip(stream: BinaryIO, offset: int) -> None:
    """Read and drop the first ``offset`` bytes of stdin."""
    left = offset
    while left:
        chunk = stream.read(min(left, 1 << 16))
        if not chunk:
            raise UserError(f"--from-offset {offset:,} is past the end of stdin")
        left -= len(chunk)


def _print(args, db: Path, summary: Summary, feed: LineFeed) -> None:
    sizes = {}
    if str(db) != ":memory:":
        with Store.open(db, readonly=True) as store:
            sizes = store.segment_sizes()
    data = summary.as_dict(sizes)
    position = feed.committed
    data["position"] = {"offset": position.offset, "line": position.line}
    if args.json:
        print(json.dumps(data, indent=2))
        return
    print(render_summary(data))
    print(f"position   byte {position.offset:,}, line {position.line:,}")
