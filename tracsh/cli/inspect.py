"""Commands that read the store: ``stats``, ``profile show``, ``outbox``, ``rejects``.

Each prints a table for people by default and JSON with ``--json``; none of them
writes to the database, which is opened read-only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from tracsh.cli import project
from tracsh.cli.registry import command, group
from tracsh.cli.terminal import cell
from tracsh.errors import UserError
from tracsh.store import OUTBOX_STATUSES

group("profile", "look at stored profiles")


def _json_option(parser: argparse.ArgumentParser) -> None:
    project.add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def _limit_option(parser: argparse.ArgumentParser) -> None:
    _json_option(parser)
    parser.add_argument(
        "--limit",
        type=project.positive_int,
        default=50,
        metavar="N",
        help="rows to show (default 50)",
    )


def _print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]):
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for header in headers:
        numeric = header in {"evaluations", "matches", "errors", "warnings", "size"}
        table.add_column(header, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    Console(file=sys.stdout, soft_wrap=True).print(table)


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


@command(
    "stats", "per-rule statistics, segment sizes and totals", arguments=_json_option
)
def stats(args: argparse.Namespace) -> int:
    """Print what the rules have done so far."""
    with project.open_store(args, project.config_of(args), readonly=True) as store:
        data = {
            "totals": store.totals(),
            "rules": store.rule_stats(),
            "segments": store.segment_sizes(),
        }
    if args.json:
        _dump(data)
        return 0
    _print_table("totals", ("what", "count"), sorted(data["totals"].items()))
    _print_table(
        "rules",
        (
            "rule",
            "evaluations",
            "matches",
            "errors",
            "warnings",
            "mean µs",
            "last error",
        ),
        (_rule_row(row) for row in data["rules"]),
    )
    _print_table("segments", ("segment", "size"), sorted(data["segments"].items()))
    return 0


def _rule_row(row: dict) -> tuple:
    evaluations = row["evaluations"]
    mean = row["time_ns"] / evaluations / 1000 if evaluations else 0
    return (
        row["rule_id"],
        evaluations,
        row["matches"],
        row["errors"],
        row["type_warnings"],
        f"{mean:.1f}",
        (row.get("last_error") or "")[:80],
    )


def _profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="a profile id or any id it answers to")
    _json_option(parser)


@command(
    "profile show", "show one profile by any of its ids", arguments=_profile_arguments
)
def profile_show(args: argparse.Namespace) -> int:
    """Print one profile."""
    with project.open_store(args, project.config_of(args), readonly=True) as store:
        doc = store.get_profile(args.id)
    if doc is None:
        raise UserError(f"no profile answers to {args.id!r}")
    if args.json:
        _dump(doc)
    else:
        Console(file=sys.stdout).print_json(data=doc)
    return 0


OUTBOX_COLUMNS = ("id", "kind", "target", "recipient", "status", "reason", "rule_id")


def _outbox_arguments(parser: argparse.ArgumentParser) -> None:
    _limit_option(parser)
    parser.add_argument(
        "--status", choices=OUTBOX_STATUSES, help="only rows with this status"
    )


@command(
    "outbox", "messages and webhook calls, queued or done", arguments=_outbox_arguments
)
def outbox(args: argparse.Namespace) -> int:
    """Print outbox rows, newest first."""
    with project.open_store(args, project.config_of(args), readonly=True) as store:
        rows = store.outbox_rows(status=args.status, limit=args.limit)
    if args.json:
        _dump(rows)
    else:
        _print_table(
            "outbox",
            OUTBOX_COLUMNS,
            ([row.get(c) for c in OUTBOX_COLUMNS] for row in rows),
        )
    return 0


@command(
    "rejects",
    "input that was refused, with file, line and reason",
    arguments=_limit_option,
)
def rejects(args: argparse.Namespace) -> int:
    """Print rejected input."""
    with project.open_store(args, project.config_of(args), readonly=True) as store:
        rows = store.rejects(limit=args.limit)
    if args.json:
        _dump(rows)
    else:
        _print_table(
            "rejects",
            ("source", "line", "reason"),
            ((r["source"], r["line"], r["reason"]) for r in rows),
        )
    return 0
