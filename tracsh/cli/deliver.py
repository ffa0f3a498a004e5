"""``tracsh deliver``, ``tracsh outbox retry`` and ``tracsh webhook list|enable``.

``deliver`` sends what is due in the outbox once, through the channels,
webhooks and enrichers configured in tracsh.toml, and says what happened and
what still waits (and why). ``outbox retry`` makes dead or failed deliveries
due again; ``webhook enable`` re-enables a webhook whose receiver answered
410 Gone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from tracsh.cli import project
from tracsh.cli.registry import command, group
from tracsh.config import Config
from tracsh.errors import UserError

group("webhook", "configured webhooks: their state, and re-enabling them")


def _deliver_arguments(parser: argparse.ArgumentParser) -> None:
    project.add_store_option(parser)
    project.add_rules_option(parser)
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


@command(
    "deliver",
    "send what is due in the outbox once (email, SMS, push, webhooks, enrichers)",
    arguments=_deliver_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def deliver(args: argparse.Namespace) -> int:
    """Drain the outbox once and print the counts."""
    config = project.config_of(args)
    path = project.store_path(args, config)
    if not Path(path).exists():
        raise UserError(
            f"no database at {path}; run `tracsh replay` first or pass --db"
        )
    counts = drain_outbox(path, config, args)
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        print(render_counts(counts))
    return 0


def drain_outbox(path: Path, config: Config, args: argparse.Namespace) -> dict:
    """Run one drain of the outbox at ``path``; the counts as a dict.

    HTTP enrichers' answers go through the engine, so the rules are loaded
    when enrichers are configured and the rules are there.
    """
    from tracsh.delivery.worker import OutboxWorker

    engine = _engine_for_answers(path, config, args)
    apply = None
    if engine is not None:
        from tracsh.engine.enrichment import apply_enrichment

        def apply(event: dict) -> None:
            apply_enrichment(engine, event)

    worker = OutboxWorker(path, config, apply=apply)
    try:
        return asyncio.run(worker.drain()).as_dict()
    finally:
        if engine is not None:
            engine.store.close()


def _engine_for_answers(path: Path, config: Config, args: argparse.Namespace):
    if not config.enrichers:
        return None
    paths = project.rule_paths(args, config)
    if not all(Path(p).exists() for p in paths):
        return None
    book = project.load_rulebook(args, config)
    store = project.open_store(argparse.Namespace(db=path), config)
    return project.build_engine(store, book, config)


def render_counts(counts: dict) -> str:
    """The counts as lines for people."""
    lines = [
        f"delivered  {counts['sent']} sent, {counts['retry']} to retry, "
        f"{counts['dead']} dead, {counts['failed']} failed"
    ]
    for reason, count in sorted(counts["held"].items()):
        lines.append(f"waiting    {count} {reason}")
    if counts["dead"] or counts["failed"]:
        lines.append("see `tracsh outbox --status dead` and `tracsh outbox retry`")
    return "\n".join(lines)


# tracsh outbox retry


def _retry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="outbox ids")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--dead", action="store_true", help="every dead letter")
    which.add_argument("--failed", action="store_true", help="every failed row")
    project.add_store_option(parser)


@command(
    "outbox retry",
    "make dead or failed deliveries due again, with a fresh count of attempts",
    arguments=_retry_arguments,
)
def outbox_retry(args: argparse.Namespace) -> int:
    """Requeue rows by id, or all dead (or failed) rows."""
    status = "dead" if args.dead else "failed" if args.failed else None
    if bool(args.ids) == bool(status):
        raise UserError("give outbox ids, or --dead, or --failed (one of them)")
    config = project.config_of(args)
    now = datetime.now(UTC).isoformat()
    with project.open_store(args, config) as store:
        if args.ids:
            _check_retryable(store, args.ids)
        found = store.requeue_outbox(now, ids=args.ids or None, status=status)
    shown = ", ".join(str(i) for i in found[:20]) + (" …" if len(found) > 20 else "")
    print(f"{len(found)} row(s) due again{': ' + shown if found else ''}")
    return 0


def _check_retryable(store, ids: list[int]) -> None:
    for row_id in ids:
        row = store.get_outbox(row_id)
        if row is None:
            raise UserError(f"no outbox row {row_id}; see `tracsh outbox`")
        if row["status"] not in ("dead", "failed", "retry"):
            raise UserError(
                f"outbox {row_id} is {row['status']}: only dead, failed and retry "
                "rows are sent again"
            )


# tracsh webhook list | enable


@command(
    "webhook list",
    "configured webhooks, whether each is enabled, and calls waiting",
    arguments=project.add_store_option,
)
def webhook_list(args: argparse.Namespace) -> int:
    """Print each webhook with its state."""
    config = project.config_of(args)
    with project.open_store(args, config) as store:
        disabled = store.disabled_endpoints()
        waiting = store.count_outbox_by(kind="webhook")
    for name in sorted({*config.webhooks, *(n for _, n in disabled)}):
        print(_webhook_line(name, config, disabled))
    pending = sum(
        n for (_, status), n in waiting.items() if status in ("pending", "retry")
    )
    print(f"{pending} webhook call(s) waiting in the outbox")
    return 0


def _webhook_line(name: str, config: Config, disabled: dict) -> str:
    reason = disabled.get(("webhook", name))
    state = "enabled" if reason is None else f"disabled: {reason}"
    hook = config.webhooks.get(name)
    if hook is None:
        return f"{name}  -  {state} (not in the configuration)"
    return f"{name}  {hook.url}  {state}"


def _enable_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the webhook's name in tracsh.toml")
    project.add_store_option(parser)


@command(
    "webhook enable",
    "re-enable a webhook that was disabled after its receiver answered 410 Gone",
    arguments=_enable_arguments,
)
def webhook_enable(args: argparse.Namespace) -> int:
    """Clear the disabled state of one webhook."""
    config = project.config_of(args)
    with project.open_store(args, config) as store:
        known = args.name in config.webhooks or ("webhook", args.name) in (
            store.disabled_endpoints()
        )
        if not known:
            names = ", ".join(sorted(config.webhooks)) or "none configured"
            raise UserError(f"no webhook called {args.name!r} (known: {names})")
        now = datetime.now(UTC).isoformat()
        with store.transaction():
            store.set_endpoint("webhook", args.name, False, "enabled by hand", now)
    print(f"webhook {args.name} enabled; run `tracsh deliver` to send what waits")
    return 0
