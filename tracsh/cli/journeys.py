"""``tracsh journeys``: how many profiles wait at each step, and what steps did.

For every journey in the rules: per step, the profiles whose run waits for it,
and how often it ran or was skipped (its guard was not true); per journey, the
profiles in a run now, finished, and exited, and the timers still waiting.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich import box
from rich.console import Console
from rich.table import Table

from tracsh.cli import project
from tracsh.cli.registry import command
from tracsh.cli.terminal import cell


def _arguments(parser: argparse.ArgumentParser) -> None:
    project.add_rules_option(parser)
    project.add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def journey_report(store, journeys) -> list[dict]:
    """Per journey (rule order): totals and per-step figures, from the store."""
    states = store.journey_states()
    results = store.journey_step_results()
    report = []
    for journey in journeys:
        name = journey.name

        def total(status: str, name: str = name) -> int:
            return sum(n for (j, s, _), n in states.items() if (j, s) == (name, status))

        report.append(
            {
                "journey": name,
                "active": total("active"),
                "done": total("done"),
                "exited": total("exited"),
                "steps": [
                    {
                        "step": step.name,
                        "waiting": states[(name, "active", step.name)],
                        "ran": results[(name, step.name, "ran")],
                        "skipped": results[(name, step.name, "skipped")],
                    }
                    for step in journey.node.steps
                ],
            }
        )
    return report


@command(
    "journeys",
    "profiles per journey step: waiting, ran, skipped; runs active, done, exited",
    arguments=_arguments,
    description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
)
def journeys(args: argparse.Namespace) -> int:
    """Print the journey figures."""
    config = project.config_of(args)
    ruleset = project.load_ruleset(args, config)
    with project.open_store(args, config, readonly=True) as store:
        report = journey_report(store, ruleset.journeys)
        timers = store.count_timers()
    if args.json:
        print(json.dumps({"journeys": report, "timers": timers}, indent=2))
        return 0
    if not report:
        print("no journeys in the rules")
        return 0
    console = Console(file=sys.stdout, soft_wrap=True)
    for entry in report:
        title = (
            f"journey {entry['journey']}: {entry['active']} active, "
            f"{entry['done']} done, {entry['exited']} exited"
        )
        table = Table(title=cell(title), box=box.SIMPLE_HEAD, title_justify="left")
        for header in ("step", "waiting", "ran", "skipped"):
            table.add_column(header, justify="left" if header == "step" else "right")
        for step in entry["steps"]:
            table.add_row(
                cell(step["step"]),
                str(step["waiting"]),
                str(step["ran"]),
                str(step["skipped"]),
            )
        console.print(table)
    print(f"{timers} timer(s) waiting")
    return 0
