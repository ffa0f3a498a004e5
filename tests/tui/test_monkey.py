"""A seeded monkey: 2,000 random keys while a replay feeds the engine."""

from __future__ import annotations

import asyncio
import random

import pytest
from console_harness import SIZE, console, replay_file, until
from textual import events
from textual.keys import _character_to_key

from tracsh.tui.keys import REGISTRY

pytestmark = pytest.mark.anyio

KEYS = 2000
SEED = 7

LEAVING = {"console.quit", "console.screenshot"}
"""Keys the monkey never presses: quitting ends the test, screenshots litter."""


def key_pool() -> list[str]:
    """Every key the console binds (but quitting), and ordinary typing."""
    pool = [
        key.strip()
        for entry in REGISTRY
        if entry.id not in LEAVING
        for key in entry.key.split(",")
    ]
    pool += list("abcdefghijklmnopqrstuvwxyz0123456789 .=>\"'")
    pool += ["enter", "escape", "tab", "shift+tab", "backspace", "up", "down"]
    pool += ["left", "right", "pageup", "pagedown", "home", "end"]
    return pool


def key_event(key: str) -> events.Key:
    """The event a terminal would send for ``key``."""
    if len(key) == 1:
        return events.Key(_character_to_key(key) if not key.isalnum() else key, key)
    return events.Key(key, None)


async def test_random_keys_while_the_feed_runs(shop):
    app = console(shop, replay=replay_file(shop, 1500), speed=500)
    rng = random.Random(SEED)
    pool = key_pool()
    async with app.run_test(size=SIZE) as pilot:
        for number in range(KEYS):
            app.post_message(key_event(rng.choice(pool)))
            if number % 10 == 0:
                await asyncio.sleep(0.005)
        await pilot.pause()
        assert app.is_running and app._exception is None
        assert not app.feed_text.startswith("feed stopped on an error")

        # Still answering: close whatever dialog is open, then go to the rules.
        while len(app.screen_stack) > 1:
            await pilot.press("escape")
        await pilot.press("escape", "3")
        await until(pilot, lambda: app.screen.AREA == "rules")
        # The feed ran under the keys (its process may start late on a busy
        # machine, so wait for it rather than assume it already showed events).
        await until(pilot, lambda: app.seen_total > 0, seconds=30)
