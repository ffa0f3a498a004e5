"""``tracsh daemon``: the production process, an HTTP collector over the rules.

It prints the address it listens on; serves Tracardi's ``POST /track``,
webhooks on ``POST /collect/TYPE/SOURCE``, ``GET /healthz`` and ``GET
/metrics``; answers only after the events are committed; reloads rules/ and
templates/ when they change; logs JSON lines on stderr; and on SIGTERM or
SIGINT stops accepting, drains, commits and exits 0. Journey timers and
scheduled events fire on the wall clock, and the outbox worker delivers what
the rules queue (``--no-deliver`` leaves it in the outbox).
"""

from __future__ import annotations

import argparse
import asyncio

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.config import Config
from tracsh.runtime import Runtime, RuntimeSettings
from tracsh.runtime.background import add_outbox_worker, add_scheduler
from tracsh.runtime.logs import LEVELS, configure_logging
from tracsh.runtime.memory import settle_after_start
from tracsh.runtime.rulesource import RuleSource


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the commands that run the runtime."""
    project.add_rules_option(parser)
    project.add_store_option(parser)
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        default="info",
        help="the least important log lines to write (default: info)",
    )
    parser.add_argument(
        "--no-reload",
        action="store_true",
        help="do not watch rules/ and templates/ for changes",
    )


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", metavar="HOST", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=project.port_number,
        metavar="PORT",
        help="port to listen on (default: 8686)",
    )
    parser.add_argument(
        "--no-deliver",
        action="store_true",
        help="queue deliveries in the outbox without sending them",
    )
    add_runtime_options(parser)


def rule_source(args: argparse.Namespace, config: Config) -> RuleSource:
    """The rules and templates of the project, as the runtime loads them."""
    return RuleSource(
        paths=project.rule_paths(args, config),
        templates=config.rules.templates,
        renderer_factory=lambda: project.renderer_of(config),
    )


def runtime_settings(args: argparse.Namespace, config: Config) -> RuntimeSettings:
    """Settings from the configuration, with the command line winning."""
    return RuntimeSettings(
        db=project.store_path(args, config),
        rules=rule_source(args, config),
        synchronous=config.store.synchronous,
        session_timeout=config.session.timeout,
        sources=config.sources,
        queue_events=config.collector.queue,
        reload=not args.no_reload,
        # Measured: a writer thread costs some 20% more CPU per event in GIL
        # hand-overs, and requests wait on them (docs/daemon.md).
        batches_on_loop=True,
    )


@command(
    "daemon",
    "run the HTTP collector and the event processor until stopped",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def daemon(args: argparse.Namespace) -> int:
    """Run the daemon in the foreground until SIGTERM or SIGINT."""
    config = project.config_of(args)
    configure_logging(args.log_level)
    settings = runtime_settings(args, config)
    host = args.host or config.collector.host
    port = config.collector.port if args.port is None else args.port
    settings.listen = (host, port)
    deliver = None if args.no_deliver else config
    asyncio.run(_serve(Runtime(settings), deliver))
    return 0


async def _serve(runtime: Runtime, deliver: Config | None) -> None:
    """Start, say where the collector listens (on stdout, for scripts), run.

    Journey timers and scheduled events always run; the outbox worker runs
    unless ``deliver`` is None (``--no-deliver``).
    """
    await runtime.start()
    settle_after_start()
    add_scheduler(runtime)
    if deliver is not None:
        add_outbox_worker(runtime, deliver)
    host, port = runtime.address
    print(f"listening on http://{host}:{port}", flush=True)
    await runtime.run(handle_signals=True)
