"""The key registry: ids, descriptions, actions that exist, palette, help, overrides."""

from __future__ import annotations

import pytest
from console_harness import SIZE, console, settle
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

from tracsh.tui.app import ConsoleApp
from tracsh.tui.keys import AREAS, BY_ID, REGISTRY, key_problem, keymap_of
from tracsh.tui.screens.dialogs import (
    ConfirmScreen,
    ErrorPanel,
    HelpScreen,
    help_table,
)
from tracsh.tui.widgets.stream import EventStream

TARGETS: dict[str, type] = {
    **{area: screen for area, screen in ConsoleApp.MODES.items()},
    "console": ConsoleApp,
    "help": HelpScreen,
    "confirm": ConfirmScreen,
    "error": ErrorPanel,
}
WIDGETS = {"EventStream": EventStream}

pytestmark = pytest.mark.anyio


def test_every_binding_has_an_area_id_label_and_one_line_description():
    assert len(BY_ID) == len(REGISTRY), "binding ids must be unique"
    for entry in REGISTRY:
        assert entry.area in AREAS, entry.id
        assert entry.label and entry.description, entry.id
        assert "\n" not in entry.description, entry.id
        assert key_problem(entry.key) is None, entry.id


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.id)
def test_every_binding_runs_an_action_its_target_has(entry):
    target = WIDGETS[entry.widget] if entry.widget else TARGETS[entry.area]
    name = entry.action.split("(", 1)[0]
    if name in ("dismiss",) and issubclass(target, Screen):
        return
    assert hasattr(target, f"action_{name}") or (
        issubclass(target, App) and name == "command_palette"
    ), f"{entry.id}: {target.__name__} has no action_{name}"


def test_each_screen_binds_exactly_its_area_of_the_registry():
    for area, target in TARGETS.items():
        ids = {binding.id for binding in target.BINDINGS}
        expected = {e.id for e in REGISTRY if e.area == area and e.widget is None}
        assert ids == expected, area
    stream_ids = {binding.id for binding in EventStream.BINDINGS}
    assert stream_ids == {e.id for e in REGISTRY if e.widget == "EventStream"}


def test_palette_titles_read_area_colon_action():
    assert BY_ID["events.pause"].title == "events: pause"
    assert BY_ID["events.page-up"].title == "events: page up"
    assert all(entry.title.startswith(f"{entry.area}: ") for entry in REGISTRY)


@pytest.mark.parametrize(
    ("overrides", "keymap", "problems"),
    [
        ({"events.pause": "space"}, {"events.pause": "space"}, []),
        ({"events.pause": "?"}, {"events.pause": "question_mark"}, []),
        ({"console.quit": "ctrl+x, f10"}, {"console.quit": "ctrl+x,f10"}, []),
        (
            {"event.pause": "p"},
            {},
            ['console.keys.event.pause: no such binding; did you mean "events.pause"?'],
        ),
        (
            {"events.pause": "cntrl+p"},
            {},
            [
                "console.keys.events.pause: 'cntrl' is not a modifier (ctrl, shift, "
                "alt, meta)"
            ],
        ),
        (
            {"events.pause": "pausebutton"},
            {},
            [
                "console.keys.events.pause: 'pausebutton' is not a key name such as "
                '"ctrl+r", "f5", "space"'
            ],
        ),
    ],
)
def test_overrides_are_checked(overrides, keymap, problems):
    assert keymap_of(overrides) == (keymap, problems)


def test_help_lists_every_binding_with_the_overridden_key():
    table = help_table({"events.pause": "space"})
    ids = list(table.columns[1].cells)
    keys = dict(zip(ids, table.columns[0].cells, strict=True))
    assert {e.id for e in REGISTRY} <= set(ids)
    assert keys["events.pause"] == "space"
    assert keys["console.help"] == "?"


async def test_a_key_set_in_tracsh_toml_replaces_the_default(shop):
    app = console(shop, keys={"events.pause": "space", "console.events": "e"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        assert app.screen.AREA == "events"
        await pilot.press("p")
        assert not app.screen.stream.paused
        await pilot.press("space")
        assert app.screen.stream.paused


async def test_an_unknown_binding_in_tracsh_toml_is_a_notice_not_a_crash(shop):
    app = console(shop, keys={"event.pause": "p"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert messages == [
            'console.keys.event.pause: no such binding; did you mean "events.pause"?'
        ]


async def test_the_palette_offers_console_and_screen_commands(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "console: quit" in titles and "events: pause" in titles
        assert "rules: sort" not in titles
        await pilot.press("ctrl+p", *"evpause", "enter")
        await settle(pilot)
        assert app.screen.stream.paused


BOXES = [("5", "#search", "profiles.search"), ("2", "#filter", "events.filter")]
"""Screens with a search or filter box: their key, the box, the binding to it."""


@pytest.mark.parametrize(("screen", "box", "binding"), BOXES)
async def test_the_search_key_moves_to_the_box_and_is_never_typed_there(
    shop, screen, box, binding
):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(screen, "slash")
        field = app.screen.query_one(box, Input)
        assert app.focused is field
        await pilot.press("slash", *"zoe", "escape")  # move away, and back
        await pilot.press("slash", "slash")
        assert field.value == "zoe" and app.focused is field
        await pilot.press(*"ann")  # the text was selected: typing replaces it
        assert field.value == "ann"


async def test_a_condition_being_typed_can_still_divide(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5", "slash", *"profile.visits", "slash", "2")
        assert app.screen.query_one("#search", Input).value == "profile.visits/2"


async def test_slash_is_typed_when_another_key_moves_to_the_box(shop):
    app = console(shop, keys={"profiles.search": "f6"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5", "f6", "f6", "slash")
        assert app.screen.query_one("#search", Input).value == "/"
