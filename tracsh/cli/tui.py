"""``tracsh tui``: the operator console, which also runs the live loop.

The console runs the engine in a process of its own: with ``--replay FILE``
over the file at ``--speed`` events per second, with ``--listen HOST:PORT``
behind the HTTP collector, and always with the outbox worker, the scheduler
and hot reload. With ``--attach`` it watches another process's database
read-only instead. Keys, theme and sizes come from ``[console]`` in
tracsh.toml.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.errors import UserError
from tracsh.inputs import FORMATS
from tracsh.lang.loader import RuleSet, load_rules
from tracsh.store import Store


def _arguments(parser: argparse.ArgumentParser) -> None:
    project.add_rules_option(parser)
    project.add_store_option(parser)
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="run the HTTP collector on this address too (as `tracsh daemon`)",
    )
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="feed this event file through"
    )
    parser.add_argument(
        "--speed",
        type=float,
        metavar="X",
        help="replayed events per second; 0 is as fast as possible "
        "(default: [console] speed, 100)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="auto", help="the replay file's format"
    )
    parser.add_argument("--map", type=Path, metavar="FILE", help="CSV column mapping")
    parser.add_argument(
        "--attach",
        action="store_true",
        help="watch the database of another process read-only",
    )


def plan_of(args: argparse.Namespace, config):
    """The FeedPlan the options ask for; UserError for options that cannot be."""
    from tracsh.tui.feed import FeedPlan

    db = Path(project.store_path(args, config))
    if str(db) == ":memory:":
        raise UserError("the console needs a database file; pass --db PATH")
    if args.attach and (args.replay or args.listen):
        raise UserError("--attach watches another process; drop --replay/--listen")
    if args.replay is not None and not args.replay.is_file():
        raise UserError(f"no such file: {args.replay}")
    if args.speed is not None and args.speed < 0:
        raise UserError("--speed: expected events per second, 0 or more")
    if args.listen is not None:
        check_address(args.listen)
    return FeedPlan(
        db=db,
        rule_paths=project.rule_paths(args, config),
        config=config,
        replay=args.replay,
        speed=config.console.speed if args.speed is None else args.speed,
        input_format=args.format,
        mapping=args.map,
        attach=args.attach,
        listen=args.listen,
        rows=config.console.rows,
        poll=config.console.refresh,
    )


def check_address(text: str) -> None:
    """Refuse a ``--listen`` value that is not ``HOST:PORT`` with a usable port."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UserError(
            f"--listen {text}: expected HOST:PORT, for example 127.0.0.1:8686 "
            "(port 0 picks a free one)"
        )


def ruleset_of(args: argparse.Namespace, config, attach: bool) -> RuleSet:
    """The rules: checked strictly when the engine runs them, shown as they are
    when only watching (a daemon may run other rules than this directory has)."""
    if not attach:
        return project.load_ruleset(args, config)
    paths = [p for p in project.rule_paths(args, config) if Path(p).exists()]
    return load_rules(paths)


def prepare_store(plan) -> None:
    """Create or migrate the database, or check it exists when watching."""
    if plan.attach:
        if not plan.db.exists():
            raise UserError(f"no database at {plan.db} to watch; pass --db PATH")
        Store.open(plan.db, readonly=True).close()
        return
    Store.open(plan.db, synchronous=plan.config.store.synchronous).close()


@command(
    "tui",
    "the operator console: live events, rules, profiles, outbox, editor",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def tui(args: argparse.Namespace) -> int:
    """Run the console until the operator quits."""
    from tracsh.tui.app import ConsoleApp

    config = project.config_of(args)
    plan = plan_of(args, config)
    ruleset = ruleset_of(args, config, plan.attach)
    prepare_store(plan)
    app = ConsoleApp(plan, ruleset, config.console.theme, config.console.keys)
    app.run()
    return app.return_code or 0
