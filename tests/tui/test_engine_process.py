"""The engine in its own process: explain traces, the collector, and failures."""

from __future__ import annotations

import contextlib
import os
import signal
import socket

import httpx
import pytest
from console_harness import SIZE, console, replay_done, replay_file, settle, until
from test_console import notices, text_of
from textual.widgets import Input, Static

from tracsh.tui.screens.dialogs import ErrorPanel
from tracsh.tui.widgets.details import event_detail

pytestmark = pytest.mark.anyio

MARKER = """
rule "mark first visitors"
  when event.type == "page-view" and profile.traits.marked is missing
  then set profile.traits.marked = true
end
"""


def fired(seen, rule_id: str):
    """The firing of ``rule_id`` in an event's outcome."""
    return next(f for f in seen.outcome.all_fired() if f.rule_id == rule_id)


async def test_a_fired_rule_carries_why_it_was_true_when_it_fired(shop):
    (shop / "rules" / "marker.rules").write_text(MARKER, encoding="utf-8")
    app = console(shop, replay=replay_file(shop, 100), speed=0)
    async with app.run_test(size=SIZE) as pilot:
        await replay_done(pilot)
        seen = next(
            s for s in app.recent if any(
                f.rule_id == "mark first visitors" for f in s.outcome.all_fired()
            )
        )  # fmt: skip
        # Its own action set the field; the trace is of the moment before.
        trace = fired(seen, "mark first visitors").explain
        assert trace.splitlines() == [
            'true     event.type == "page-view" and profile.traits.marked is missing'
            " — every item is true",
            '  true     event.type == "page-view" — "page-view" == "page-view"',
            '             event.type = "page-view"',
            "  true     profile.traits.marked is missing"
            " — profile.traits.marked is missing",
        ]
        detail = text_of(Static(event_detail(seen, app.ruleset, [])))
        assert "true     profile.traits.marked is missing" in detail
        assert app.feed.figures["explained"] > 0


async def test_the_events_screen_shows_the_trace_under_each_fired_rule(shop):
    app = console(shop, replay=replay_file(shop, 120), speed=0)
    async with app.run_test(size=SIZE) as pilot:
        await replay_done(pilot)
        await pilot.press("2", "slash")
        app.screen.query_one("#filter", Input).value = "type:purchase"
        await pilot.press("enter")
        seen = app.screen.stream.current
        await until(pilot, lambda: app.screen.detailed is seen)
        detail = text_of(app.screen.query_one("#event-detail", Static))
        lines = detail.splitlines()
        at = lines.index(next(x for x in lines if x.startswith("▸ count purchases")))
        assert lines[at + 1].startswith("  when (true): event.type == ")
        assert lines[at + 2].startswith("    true     event.type == ")
        assert "event.properties.total >= 0" in lines[at + 2]


async def test_the_collector_takes_a_tracker_payload_into_the_stream(shop):
    app = console(shop, listen="127.0.0.1:0")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.listening is not None, seconds=20)
        assert app.mode_text.endswith(f"collector {app.listening}")
        payload = {
            "source": {"id": "web-shop"},
            "profile": {"id": "p-from-the-wire"},
            "session": {"id": "s-from-the-wire"},
            "events": [
                {"id": "wire-1", "type": "page-view", "properties": {"path": "/"}},
                {"id": "wire-2", "type": "product-view",
                 "properties": {"sku": "TB-305", "category": "tea/bags"}},
            ],
        }  # fmt: skip
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{app.listening}/track", json=payload)
        assert answer.status_code == 200
        assert answer.json()["profile"]["id"] == "p-from-the-wire"
        await until(pilot, lambda: "wire-2" in app.seen_by_id)
        seen = app.seen_by_id["wire-2"]
        assert seen.event["source"]["id"] == "web-shop"
        assert seen.outcome.profile_id == "p-from-the-wire"
        (action,) = fired(seen, "engagement:82").actions
        assert action.startswith("interest") and "tea" in action


async def test_a_port_in_use_is_an_error_panel_not_a_traceback(shop):
    with taken_port() as port:
        app = console(shop, listen=f"127.0.0.1:{port}")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ErrorPanel), 20)
            assert app.screen.summary.startswith(
                f"the engine failed: cannot listen on 127.0.0.1:{port}"
            )
            await until(pilot, lambda: app.feed_text.startswith("engine stopped"))


async def test_an_engine_that_dies_shows_a_panel_and_the_console_goes_on(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        os.kill(app.feed.process.pid, signal.SIGKILL)
        await until(pilot, lambda: isinstance(app.screen, ErrorPanel))
        assert app.screen.summary == (
            "the engine process ended unexpectedly (killed by SIGKILL)"
        )
        await until(pilot, lambda: "engine stopped" in app.feed_text)
        await pilot.press("escape", "6", "r")
        await until(pilot, lambda: "not running" in " ".join(notices(app)))
        assert app.screen.AREA == "outbox"


@contextlib.contextmanager
def taken_port():
    """A port something else listens on, for as long as the block runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]
