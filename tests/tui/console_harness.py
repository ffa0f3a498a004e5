"""Helpers for console tests: a shop project, apps over it, normalised screens.

conftest.py turns these into fixtures; test modules import the helpers. A
Receiver is a webhook endpoint on 127.0.0.1 that answers 200 and keeps what it
was sent.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from pathlib import Path

from textual.widgets import Input, TextArea

from tracsh.cli import project as cli_project
from tracsh.config import load_config
from tracsh.engine.pipeline import wall_clock
from tracsh.engine.rulebook import build_rulebook
from tracsh.inputs import Accepted, read_items
from tracsh.lang.loader import load_rules
from tracsh.store import Store
from tracsh.tui.app import DRAW_EVERY, ConsoleApp
from tracsh.tui.feed import FeedPlan

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "samples" / "shop" / "events.ndjson"
SIZE = (120, 36)
"""Every Pilot test runs at this terminal size, but those of narrow screens."""

NARROW = (80, 24)
"""The smallest terminal the console is made for."""

REPLAYED = 1500
"""Shop events in the prepared database."""


def shop_events(count: int, start: int = 0) -> list[dict]:
    """Events of the sample shop, in file order."""
    items = islice(read_items(SHOP, "ndjson", None), start, start + count)
    return [item.event for item in items if isinstance(item, Accepted)]


def build_project(directory: Path, events: int = REPLAYED) -> Path:
    """The shop's rules and a database with ``events`` of its events replayed."""
    shutil.copytree(ROOT / "rules", directory / "rules")
    ruleset = load_rules([directory / "rules"])
    with Store.open(directory / "tracsh.db") as store:
        engine = cli_project.build_engine(
            store, build_rulebook(ruleset), load_config(None)
        )
        batch = shop_events(events)
        for start in range(0, len(batch), 500):
            engine.process_batch(batch[start : start + 500])
        # Fire what is due by the wall clock now, as the console's scheduler
        # would at start: every screen then starts from the same database.
        engine.settings.clock = wall_clock
        engine.scheduler.run_due(datetime.now(UTC))
        _vary_outbox(store)
    return directory


def write_events(directory: Path, count: int, start: int) -> None:
    """Run more shop events into the project's database, as another process would."""
    ruleset = load_rules([directory / "rules"])
    with Store.open(directory / "tracsh.db") as store:
        engine = cli_project.build_engine(
            store, build_rulebook(ruleset), load_config(None)
        )
        engine.process_batch(shop_events(count, start))


def _vary_outbox(store: Store) -> None:
    """Give a few outbox rows the states a delivery worker leaves behind, and
    make rule timings fixed so screens are the same on every run."""
    rows = store.outbox_rows(limit=6)
    changes = [
        {"status": "sent", "attempts": 1, "last_status": "250 ok"},
        {"status": "dead", "attempts": 5, "reason": "connection refused"},
        {"status": "failed", "reason": "template 'welcome' is missing"},
    ]
    with store.transaction():
        for row, change in zip(rows, changes, strict=False):
            if row["status"] == "pending":
                store.update_outbox(row["id"], change)
        store.conn.execute("UPDATE rule_stats SET time_ns = evaluations * 2500")
        store.conn.execute("UPDATE events SET received = time")
        store.conn.execute("UPDATE outbox SET updated = created")


def plan_for(directory: Path, **options) -> FeedPlan:
    """A FeedPlan over the project in ``directory``."""
    options.setdefault("poll", 1.0)
    options.setdefault("config", load_config(None))
    return FeedPlan(
        db=directory / "tracsh.db", rule_paths=[directory / "rules"], **options
    )


def console(directory: Path, theme: str = "dark", keys=None, **options) -> ConsoleApp:
    """A ConsoleApp over the project in ``directory``."""
    plan = plan_for(directory, **options)
    return ConsoleApp(plan, load_rules(plan.rule_paths), theme, keys)


_GENERATED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")
_RATE = re.compile(r"[\d,]+(&#160;| )events/s")
_UNIQUE = re.compile(r"terminal-\d+")


async def screen_svg(pilot) -> str:
    """The screen as Textual exports it, with what changes per run taken out:
    clock times written by the machine, the events-per-second figure, cursor
    blink, notices (they time out) and the export's content hash. Tests look at
    notices through the app instead."""
    app = pilot.app
    app.clear_notifications()
    app.rates.append(0)  # the rate of the last second depends on the clock
    app.refresh_status()
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea):
        widget.cursor_blink = False
    await pilot.pause()
    svg = app.export_screenshot(title="tracsh")
    svg = _GENERATED_TIME.sub("2000-01-01T00:00:00.000000+00:00", svg)
    svg = _RATE.sub(r"N\1events/s", svg)
    # A path's length shows in the SVG's text and box widths, so replacing it
    # afterwards cannot make a screenshot the same in every checkout: screens
    # under test must not show where the project or the checkout lives.
    for place in (Path.cwd(), ROOT):
        assert str(place) not in svg, f"the screen shows the machine path {place}"
    return _UNIQUE.sub("terminal", svg)


async def settle(pilot, rounds: int = 3) -> None:
    """Let the feed start, loaders (every worker but the feed) finish, and the
    screen redraw."""
    await until(pilot, lambda: pilot.app.feed_text != "starting")
    for _ in range(rounds):
        loaders = [w for w in pilot.app.workers if w.group != "feed"]
        # A load that a newer one replaced ends cancelled; that is expected.
        await asyncio.gather(*(w.wait() for w in loaders), return_exceptions=True)
        await pilot.pause()


def replay_file(directory: Path, count: int, start: int = REPLAYED) -> Path:
    """A file of ``count`` shop events after those already in the database."""
    lines = SHOP.read_text(encoding="utf-8").splitlines()[start : start + count]
    path = directory / "more.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def until(pilot, test, seconds: float = 10.0) -> None:
    """Pause until ``test()`` is true (the feed runs in its own thread)."""
    for _ in range(int(seconds / 0.05)):
        if test():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"still false after {seconds} s: {test}")


async def replay_done(pilot) -> None:
    """Wait for the feed to finish its replay file, then for the screen (which
    gets new events a tick after the app)."""
    await until(pilot, lambda: pilot.app.feed_text.startswith("replay finished"))
    await pilot.pause(DRAW_EVERY * 2)
    await settle(pilot)


# Delivery: a webhook receiver, and outbox rows to retry.


@dataclass
class Received:
    """One request the receiver took."""

    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP endpoint on 127.0.0.1 answering 200; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(
                    Received(self.path, headers, self.rfile.read(length))
                )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def url(self, path: str = "/hook") -> str:
        """Where to send ``path``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def webhook_to(directory: Path, url: str) -> None:
    """Configure the shop's "crm" webhook to call ``url`` (loopback allowed)."""
    (directory / "tracsh.toml").write_text(
        f'[webhooks.crm]\nurl = "{url}"\nallow_private = true\n', encoding="utf-8"
    )


def dead_webhook_row(directory: Path) -> int:
    """Make the newest "crm" webhook row a dead letter; its id."""
    with Store.open(directory / "tracsh.db") as store:
        row = store.conn.execute(
            "SELECT max(id) FROM outbox WHERE kind = 'webhook' AND target = 'crm'"
        ).fetchone()
        with store.transaction():
            store.update_outbox(
                row[0], {"status": "dead", "attempts": 8, "reason": "503"}
            )
    return row[0]


def outbox_row(directory: Path, outbox_id: int) -> dict:
    """One outbox row as stored now."""
    with Store.open(directory / "tracsh.db", readonly=True) as store:
        return store.get_outbox(outbox_id)
