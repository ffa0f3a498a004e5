"""Every screen at 120x36, the busiest ones at 80x24 too, exported by Textual and
compared as SVG snapshots.

Run ``pytest tests/tui --snapshot-update`` after a deliberate change of looks,
and look at the new SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from console_harness import (
    NARROW,
    SIZE,
    console,
    replay_done,
    replay_file,
    screen_svg,
    settle,
    until,
)
from textual.widgets import Input

pytestmark = pytest.mark.anyio


async def search(pilot, text: str) -> None:
    """Go to Profiles and search, as typing would (the box takes the text whole)."""
    await pilot.press("5")
    pilot.app.screen.query_one("#search", Input).value = text
    await pilot.press("enter")


async def test_dashboard(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "dashboard.svg")


async def test_dashboard_in_the_light_theme(shop, snapshot):
    app = console(shop, theme="light")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "dashboard-light.svg")


async def test_live_events_filtered_with_a_purchase_open(shop, snapshot):
    app = console(shop, replay=replay_file(shop, 120), speed=0)
    async with app.run_test(size=SIZE) as pilot:
        await replay_done(pilot)
        await pilot.press("2", "slash")
        app.screen.query_one("#filter", Input).value = "type:purchase"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.stream.current.event["type"] == "purchase"
        await until(pilot, lambda: app.screen.detailed is app.screen.stream.current)
        snapshot.assert_match(await screen_svg(pilot), "events.svg")


async def test_rules_with_one_open(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "down")
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "rules.svg")


async def test_rules_at_80_by_24_show_the_rule_under_the_table(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("3", "down")
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "rules-80x24.svg")


async def test_rule_editor_marks_a_mistake_in_place(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4", "down", "down", "enter")
        app.screen.editor.insert("when event.type = 1 then stop\n")
        await pilot.pause(0.4)
        await settle(pilot)
        assert [p.line for p in app.screen.editor.problems] == [1]
        await pilot.press("escape")  # to the file list: no blinking cursor
        snapshot.assert_match(await screen_svg(pilot), "editor.svg")


async def test_profiles_found_by_condition_with_deliveries(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "profile.counters.purchases >= 2")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "profiles.svg")


async def test_a_profile_read_at_80_by_24(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await search(pilot, "zoe dubois")
        await settle(pilot)
        assert app.screen.profile["profile"]["pii"]["email"] == (
            "zoe.dubois@example.test"
        )
        await pilot.press("t", "down")
        await settle(pilot)
        assert app.screen.has_class("-narrow", "-reading")
        snapshot.assert_match(await screen_svg(pilot), "profiles-80x24.svg")
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.has_class("-reading")
        assert app.focused is app.screen.query_one("#results")


async def test_live_events_at_80_by_24(shop, snapshot):
    app = console(shop, replay=replay_file(shop, 120), speed=0)
    async with app.run_test(size=NARROW) as pilot:
        await replay_done(pilot)
        await pilot.press("2", "up", "up")
        await settle(pilot)
        await until(pilot, lambda: app.screen.detailed is app.screen.stream.current)
        snapshot.assert_match(await screen_svg(pilot), "events-80x24.svg")


async def test_profile_search_mistake_is_shown_under_the_box(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "profile.visits >")
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "profiles-mistake.svg")


async def test_outbox_dead_letters(shop, snapshot):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6", *"ssssss")
        await settle(pilot)
        assert app.screen.status == "dead"
        snapshot.assert_match(await screen_svg(pilot), "outbox.svg")


async def shot_after(shop, snapshot, key: str, name: str) -> None:
    """Open the console over ``shop``, press ``key`` and compare the screen."""
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), name)


async def test_segments(shop, snapshot):
    await shot_after(shop, snapshot, "7", "segments.svg")


async def test_journeys(shop, snapshot):
    await shot_after(shop, snapshot, "8", "journeys.svg")


async def test_help(shop, snapshot):
    await shot_after(shop, snapshot, "question_mark", "help.svg")


async def test_error_panel_when_the_feed_fails(shop, snapshot):
    missing = replay_file(shop, 10)
    app = console(shop, replay=Path(missing.name), speed=0)
    missing.unlink()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "stopped on an error" in app.feed_text)
        await settle(pilot)
        snapshot.assert_match(await screen_svg(pilot), "error-panel.svg")


async def test_a_table_refill_widens_a_column_for_a_wider_cell(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#rules")
        keys = [table.coordinate_to_cell_key((i, 0))[0] for i in range(table.row_count)]
        rows = [(key.value, list(table.get_row(key))) for key in keys]
        last = len(rows[0][1]) - 1
        column = table.ordered_columns[last]
        before = column.content_width
        rows[0][1][last] = "9" * (before + 5)
        screen.fill(rows)
        await settle(pilot)  # DataTable measures updated cells when idle
        assert column.content_width == before + 5
        rows[0][1][last] = "1"
        screen.fill(rows)
        assert table.get_cell_at((0, last)) == "1"
        assert table.row_count == len(keys)
