"""Modal screens close once, however fast keys come, and a failing key action
shows the error panel instead of ending the console."""

from __future__ import annotations

import pytest
from console_harness import SIZE, console, settle
from textual import events

from tracsh.tui.palette import ConsolePalette
from tracsh.tui.screens.dialogs import ConfirmScreen, ErrorPanel, HelpScreen
from tracsh.tui.screens.events import EventsScreen

pytestmark = pytest.mark.anyio


def keys_at_once(app, *keys: str) -> None:
    """Queue keys as a terminal delivers them when typed quickly: all of them
    before the app handles the first (Pilot's press waits after each key)."""
    for key in keys:
        app.post_message(events.Key(key, "\r" if key == "enter" else None))


async def test_enter_twice_in_the_palette_leaves_the_console_running(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        keys_at_once(app, "enter", "enter")
        await pilot.pause(0.5)
        assert app.is_running and app._exception is None
        assert len(app.screen_stack) == 1


async def test_enter_twice_on_a_palette_command_runs_it_once(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "ctrl+p", *"evpause")
        await pilot.pause(0.5)
        keys_at_once(app, "enter", "enter")
        await pilot.pause(0.5)
        assert app._exception is None and len(app.screen_stack) == 1
        assert app.screen.stream.paused  # toggled once, not twice


@pytest.mark.parametrize(
    "dialog",
    [
        lambda: HelpScreen({}),
        lambda: ConfirmScreen("go ahead?"),
        lambda: ErrorPanel("it failed", "somewhere"),
        lambda: ConsolePalette(),
    ],
    ids=["help", "confirm", "error", "palette"],
)
async def test_a_second_dismiss_is_ignored(shop, dialog):
    app = console(shop)
    answers = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dashboard = app.screen
        screen = dialog()
        app.push_screen(screen, answers.append)
        await pilot.pause()
        screen.dismiss(True)
        screen.dismiss(False)
        await pilot.pause()
        assert answers == [True]
        assert app.screen_stack == [dashboard]


async def test_a_covered_dialog_does_not_close_the_one_over_it(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        question, panel = ConfirmScreen("go ahead?"), ErrorPanel("failed", "here")
        app.push_screen(question)
        app.push_screen(panel)
        await pilot.pause()
        question.dismiss(True)
        await pilot.pause()
        assert app.screen is panel
        await pilot.press("escape")
        assert app.screen is question


async def test_a_failing_key_action_shows_the_error_panel(shop, monkeypatch):
    def fails(self) -> None:
        raise RuntimeError("the stream is gone")

    monkeypatch.setattr(EventsScreen, "action_pause", fails)
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "p")
        await pilot.pause()
        assert app.is_running and app._exception is None
        assert isinstance(app.screen, ErrorPanel)
        assert app.screen.summary == (
            "action pause failed: RuntimeError: the stream is gone"
        )
        assert "in fails" in app.screen.detail
        assert any("the stream is gone" in line for line in app.log_lines)
        await pilot.press("escape", "3")
        assert app.screen.AREA == "rules"
