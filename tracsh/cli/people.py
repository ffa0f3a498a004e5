"""``tracsh profile list|export|forget``: finding, printing and deleting people.

``profile list --where`` runs a condition over every stored profile in SQL;
``profile export ID`` prints everything stored about one person (all profiles
as JSON lines without an ID); ``profile forget ID`` deletes a person and says
what went.
"""

from __future__ import annotations

import argparse
import json
import sys

from tracsh.cli import project
from tracsh.cli.evaluate import clock
from tracsh.cli.registry import command
from tracsh.cli.terminal import printable
from tracsh.errors import UserError
from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_condition
from tracsh.lang.sql import to_sql

WHY = (
    "; profile list reads stored profiles, and only profile fields are stored "
    "(event, session and source exist while an event is processed)"
)


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--where", metavar="CONDITION", help="only profiles for which this is true"
    )
    parser.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N (default 50)"
    )
    parser.add_argument(
        "--now", metavar="ISO-TIME", help="the time `now` means (default: the clock)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    project.add_store_option(parser)


def _condition(text: str | None, now) -> tuple[str, tuple]:
    if text is None:
        return "1", ()
    try:
        node = load_condition(text, "--where")
    except RuleError as err:
        raise UserError(err.render()) from None
    sql = to_sql(node, {"profile": "doc"}, now, label="--where", why=WHY)
    return sql.text, sql.params


@command(
    "profile list",
    "profiles for which a condition is true, found in SQL",
    arguments=_list_arguments,
)
def profile_list(args: argparse.Namespace) -> int:
    """Print the matching profiles: a line each, or JSON lines."""
    if args.limit < 0:
        raise UserError("--limit: give a number of profiles, 0 or more")
    condition, params = _condition(args.where, clock(args.now))
    with project.open_store(args, project.config_of(args), readonly=True) as store:
        docs = store.profiles_where(condition, params, args.limit)
        matching = len(docs)
        if not args.json and len(docs) == args.limit:
            matching = store.count_profiles_where(condition, params)
    for doc in docs:
        if args.json:
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        else:
            print(_line(doc))
    if not args.json:
        shown = f"{len(docs)} of {matching}" if matching > len(docs) else len(docs)
        print(f"{shown} profile(s)", file=sys.stderr)
    return 0


def _line(doc: dict) -> str:
    """One profile as a line; what events wrote there is shown literally."""
    pii = doc.get("pii") if isinstance(doc.get("pii"), dict) else {}
    segments = ",".join(str(s) for s in doc.get("segments") or []) or "-"
    return printable(
        f"{doc['id']}  visits={doc.get('visits')}  last_seen={doc.get('last_seen')}"
        f"  segments={segments}  email={pii.get('email', '-')}"
    )


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "id", nargs="?", help="one person (any id they answer to); default: everyone"
    )
    project.add_store_option(parser)


@command(
    "profile export",
    "everything stored about one person, or every profile as JSON lines",
    arguments=_export_arguments,
)
def profile_export(args: argparse.Namespace) -> int:
    """Print one person's data as JSON, or all profiles as JSON lines."""
    with project.open_store(args, project.config_of(args), readonly=True) as store:
        if args.id is None:
            for doc in store.iter_profiles():
                sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
            return 0
        found = store.export_profile(args.id)
    if found is None:
        raise UserError(f"no profile answers to {args.id!r}")
    print(json.dumps(found, indent=2, ensure_ascii=False))
    return 0


def _forget_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="the person to forget (any id they answer to)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    project.add_store_option(parser)


FORGOTTEN = (
    ("profiles", "profile"),
    ("aliases", "alias(es)"),
    ("sessions", "session(s)"),
    ("events", "event(s)"),
    ("outbox", "unsent outbox row(s)"),
    ("outbox_scrubbed", "sent outbox row(s) stripped of recipient and message"),
    ("delivery_attempts", "delivery attempt record(s)"),
    ("attempts_scrubbed", "attempt record(s) stripped of their error text"),
    ("enricher_cache", "cached enricher answer(s)"),
    ("timers", "timer(s)"),
    ("firings", "once-per record(s)"),
    ("rule_errors", "rules' last error message(s) cleared"),
)


@command(
    "profile forget",
    "delete a person: profile, aliases, sessions, events, unsent outbox rows",
    arguments=_forget_arguments,
)
def profile_forget(args: argparse.Namespace) -> int:
    """Delete everything stored about one person and say how much went."""
    with project.open_store(args, project.config_of(args)) as store:
        with store.transaction():
            counts = store.forget_profile(args.id)
    if counts is None:
        raise UserError(f"no profile answers to {args.id!r}; nothing was deleted")
    if args.json:
        print(json.dumps(counts, indent=2))
        return 0
    print(f"forgot profile {counts['profile']}:")
    for key, words in FORGOTTEN:
        print(f"  {counts[key]:>8}  {words}")
    return 0
