"""What an operator does: follow a person from an event to their deliveries,
save a rule and have it run, retry a dead letter, and the failures in between."""

from __future__ import annotations

import gc
import io
import json

import httpx
import pytest
from console_harness import (
    REPLAYED,
    SIZE,
    Receiver,
    console,
    dead_webhook_row,
    outbox_row,
    replay_done,
    replay_file,
    settle,
    shop_events,
    until,
    webhook_to,
    write_events,
)
from rich.console import Console
from textual.widgets import DataTable, Input, Static

from tracsh.config import load_config
from tracsh.runtime import memory
from tracsh.store import Store
from tracsh.tui.messages import (
    FeedEvents,
    Forgotten,
    Listening,
    LogLine,
    RulesLoaded,
    Seen,
)
from tracsh.tui.screens.dialogs import ConfirmScreen, ErrorPanel

pytestmark = pytest.mark.anyio

THRESHOLDS = gc.get_threshold()


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def steady(pilot, read, seconds: float = 0.5) -> int:
    """Wait until ``read()`` is above 0 and has not changed for ``seconds``."""
    await until(pilot, lambda: read() > 0)
    while True:
        before = read()
        await pilot.pause(seconds)
        if read() == before:
            return before


async def caught_up(pilot) -> int:
    """Wait for an attached console to read the database's latest events."""
    return await steady(pilot, lambda: pilot.app.seen_total)


def text_of(static: Static) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def test_replay_runs_the_engine_into_the_database(shop):
    replayed = replay_file(shop, 200)
    ids = [json.loads(line)["id"] for line in replayed.read_text().splitlines()]
    app = console(shop, replay=replayed, speed=0)
    async with app.run_test(size=SIZE) as pilot:
        await replay_done(pilot)
        assert app.seen_total == 200
        assert app.feed_text == (
            "replay finished: 200 events, 0 already stored, 0 rejected"
        )
    with Store.open(shop / "tracsh.db", readonly=True) as store:
        assert store.stored_events(ids) == set(ids)


async def test_the_stream_keeps_only_the_newest_rows(shop):
    app = console(shop, replay=replay_file(shop, 150), speed=0, rows=40)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await replay_done(pilot)
        stream = app.screen.stream
        assert len(app.recent) == 40 and len(stream.view) == 40
        assert [s.number for s in stream.view] == list(range(111, 151))
        assert len(app.seen_by_id) == 40


async def test_rows_in_view_stay_put_while_older_ones_drop_off(shop):
    # Once the cursor leaves the newest row the stream stops following: new
    # events push the oldest out of the bounded stream, and what the operator
    # reads must not slide away under the cursor.
    app = console(shop, replay=replay_file(shop, 150), speed=0, rows=40)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await replay_done(pilot)
        await pilot.press("up", "up")
        stream = app.screen.stream
        assert not stream.follow and stream.scroll_offset.y > 5
        top, current = stream.view[stream.scroll_offset.y], stream.current
        arrived = [
            Seen(151 + i, {"id": f"late-{i}", "type": "page-view"}, None)
            for i in range(5)
        ]
        stream.add(arrived)
        await pilot.pause()
        assert stream.view[-1] is arrived[-1] and len(stream.view) == 40
        assert stream.view[stream.scroll_offset.y] is top
        assert stream.current is current


async def test_pause_holds_new_events_back(shop):
    app = console(shop, attach=True, rows=100)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "p")
        base = await caught_up(pilot)
        write_events(shop, 30, start=1500)
        # The engine stores internal events (segment-entered, ...) too.
        await until(pilot, lambda: app.screen.stream.held >= 30)
        held = await steady(pilot, lambda: app.screen.stream.held)
        assert [s.number for s in app.screen.stream.view][-1] == base
        await pilot.press("p")
        assert [s.number for s in app.screen.stream.view][-1] == base + held


async def test_from_an_event_to_the_person_and_what_was_sent(shop):
    app = console(shop, replay=replay_file(shop, 120), speed=0)
    async with app.run_test(size=SIZE) as pilot:
        await replay_done(pilot)
        await pilot.press("2", "slash")
        app.screen.query_one("#filter", Input).value = "purchase"
        await pilot.press("enter")
        seen = app.screen.stream.current
        await until(pilot, lambda: app.screen.detailed is seen)
        detail = text_of(app.screen.query_one("#event-detail", Static))
        assert "count purchases" in detail and "order-confirmation" in detail
        await pilot.press("o")
        await settle(pilot)
        assert app.screen.AREA == "profiles"
        assert app.screen.profile["profile"]["id"] == seen.outcome.profile_id
        await pilot.press("d")
        await settle(pilot)
        sent = app.screen.query_one("#outbox", DataTable)
        rows = [sent.get_row_at(i) for i in range(sent.row_count)]
        assert any(row[2] == "order-confirmation" for row in rows)


async def test_a_bad_condition_in_the_search_box_is_two_lines_not_a_panel(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        app.screen.query_one("#search", Input).value = "profile.visits >> 3"
        await pilot.press("enter")
        await settle(pilot)
        problem = text_of(app.screen.query_one("#search-result", Static)).strip()
        assert len(problem.splitlines()) == 2 and "column 17" in problem
        assert not isinstance(app.screen, ErrorPanel)


async def test_search_by_email_by_part_of_it_and_by_id_prefix(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        with Store.open(shop / "tracsh.db", readonly=True) as store:
            doc = next(p for p in store.iter_profiles() if p["pii"].get("email"))
        email = doc["pii"]["email"]
        for text, by in (
            (email.upper(), "by e-mail"),
            (email.split("@")[0], "by e-mail"),
            (doc["id"][:-1], "by id"),
        ):
            await pilot.press("slash")  # enter in the results would open a row
            app.screen.query_one("#search", Input).value = text
            await pilot.press("enter")
            await settle(pilot)
            table = app.screen.query_one("#results", DataTable)
            found = [table.get_row_at(i)[0] for i in range(table.row_count)]
            assert doc["id"] in found, text
            said = text_of(app.screen.query_one("#search-result", Static))
            assert by in said, text


async def test_a_saved_rule_runs_on_the_next_events(shop):
    rule = 'when event.type == "page-view" then add segment "saw a page"\n'
    app = console(shop, listen="127.0.0.1:0")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.listening is not None, seconds=20)
        await settle(pilot)
        await pilot.press("4", "down", "enter")
        app.screen.editor.insert(rule, (0, 0))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.ruleset.rule("consent:1") is not None)
        # The engine process says when it runs the new rules; events sent after
        # that must meet them.
        await until(pilot, lambda: any("rules reloaded" in n for n in notices(app)))
        payload = {
            "source": {"id": "web-shop"},
            "profile": {"id": "p-after-save"},
            "events": [{"id": "after-save", "type": "page-view"}],
        }
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{app.listening}/track", json=payload)
        assert answer.status_code == 200, answer.text
        await until(pilot, lambda: "after-save" in app.seen_by_id)
    with Store.open(shop / "tracsh.db", readonly=True) as store:
        assert "saw a page" in store.get_profile("p-after-save")["segments"]


async def test_a_saved_rule_file_with_errors_leaves_the_old_rules_running(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.ruleset
        await pilot.press("4", "down", "enter")
        app.screen.editor.insert("when then\n", (0, 0))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("not reloaded" in n for n in notices(app)))
        assert app.ruleset is before


async def test_retry_sends_a_dead_letter_through_the_delivery_worker(shop):
    with Receiver() as receiver:
        webhook_to(shop, receiver.url())
        dead = dead_webhook_row(shop)
        app = console(shop, config=load_config(shop / "tracsh.toml"))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("6", *"ssssss")
            await settle(pilot)
            assert app.screen.current_id() == dead
            await pilot.press("r")
            await until(pilot, lambda: f"outbox {dead} is sent" in notices(app))
            assert f"outbox {dead} (dead) is due again; sending it" in notices(app)
        key = outbox_row(shop, dead)["key"]
        assert outbox_row(shop, dead)["status"] == "sent"
        assert key in [r.headers.get("idempotency-key") for r in receiver.requests]


async def test_retry_refuses_a_row_that_was_sent(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6", *"sss")
        await settle(pilot)
        assert app.screen.status == "sent"
        sent = app.screen.current_id()
        await pilot.press("r")
        await until(
            pilot, lambda: any(f"outbox {sent} is sent:" in n for n in notices(app))
        )
    assert outbox_row(shop, sent)["status"] == "sent"


async def test_attached_the_console_refuses_to_write_and_says_how(shop):
    app = console(shop, attach=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6", *"ssssss")
        await settle(pilot)
        await pilot.press("r")
        assert "attached read-only: run `tracsh outbox retry" in notices(app)[-1]


async def test_forget_asks_with_what_goes_then_says_what_went(shop):
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        app.screen.query_one("#search", Input).value = "profile.visits > 3"
        await pilot.press("enter")
        await settle(pilot)
        profile_id = app.screen.profile["profile"]["id"]
        with Store.open(shop / "tracsh.db") as store:
            preview = store.forget_preview(profile_id)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question
        assert f"Forget profile {profile_id}?" in question
        assert f"{preview['events']:>7,}  event(s)" in question
        await pilot.press("n")
        assert app.screen.AREA == "profiles"
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(
            pilot, lambda: any(n.startswith("forgot profile") for n in notices(app))
        )
        said = next(n for n in notices(app) if n.startswith("forgot profile"))
        assert f"{preview['events']:,} event(s)" in said
        await settle(pilot)
        table = app.screen.query_one("#results", DataTable)
        found = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert profile_id not in found
        shown = app.screen.profile
        assert shown is None or shown["profile"]["id"] != profile_id
    with Store.open(shop / "tracsh.db", readonly=True) as store:
        assert store.get_profile(profile_id) is None


async def test_attached_the_console_refuses_to_forget_and_says_how(shop):
    app = console(shop, attach=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        app.screen.query_one("#search", Input).value = "profile.visits > 3"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")
        assert "run `tracsh profile forget" in notices(app)[-1]
        assert not isinstance(app.screen, ConfirmScreen)


async def test_attached_the_console_shows_what_another_process_writes(shop):
    app = console(shop, attach=True, rows=500)
    async with app.run_test(size=SIZE) as pilot:
        base = await caught_up(pilot)
        write_events(shop, 50, start=1500)
        await until(pilot, lambda: "ev-01550" in app.seen_by_id)
        assert all(seen.outcome is None for seen in app.recent)
        new = [s.event["id"] for s in app.recent if s.number > base]
        assert [i for i in new if i.startswith("ev-")] == [
            f"ev-{n:05d}" for n in range(1501, 1551)
        ]


def why_not_known(app, event: dict) -> str:
    """What the detail says when it cannot say which rules an event fired."""
    app.screen.show_event(event["id"])
    detail = text_of(app.screen.query_one("#event-detail", Static))
    return " ".join(detail.split())


async def test_an_event_the_console_no_longer_keeps_says_why(shop):
    earlier = {(e.get("profile") or {}).get("id") for e in shop_events(REPLAYED)}
    replayed = shop_events(60, start=REPLAYED)
    person = next(
        e["profile"]["id"]
        for e in replayed[:50]
        if (e.get("profile") or {}).get("id") in earlier
    )
    app = console(shop, replay=replay_file(shop, 60), speed=0, rows=5)
    async with app.run_test(size=SIZE) as pilot:
        await replay_done(pilot)
        await app.open_profile(person)
        await settle(pilot)
        said = {"ran": 0, "before": 0}
        for event in app.screen.profile["events"]:
            if event["id"] in app.seen_by_id:
                continue
            detail = why_not_known(app, event)
            assert "Watching another process" not in detail
            assert "What it queued is below." in detail or "queued nothing" in detail
            if event["seq"] > app.first_seq:
                said["ran"] += 1
                assert "this console ran this event, but keeps only the last 5 " in (
                    detail
                )
            else:
                said["before"] += 1
                assert "stored before this console started" in detail
        assert said["ran"] and said["before"]


async def test_attached_an_event_says_another_process_ran_it(shop):
    app = console(shop, attach=True, rows=50)
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        await pilot.press("2", "up")
        await settle(pilot)
        detail = " ".join(
            text_of(app.screen.query_one("#event-detail", Static)).split()
        )
        assert "Watching another process (--attach)" in detail


async def test_a_failing_replay_shows_a_panel_and_the_console_goes_on(shop):
    missing = replay_file(shop, 10)
    app = console(shop, replay=missing, speed=0)
    missing.unlink()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ErrorPanel))
        assert app.screen.summary.startswith("replay failed: ")
        assert app.screen.summary.endswith(
            "more.ndjson: cannot read: No such file or directory"
        )
        await pilot.press("escape", "3")
        await settle(pilot)
        assert app.screen.AREA == "rules"
        assert app.feed_text.startswith("replay stopped on an error")
        assert any("cannot read" in line for line in app.log_lines)


async def test_events_are_shown_once_however_screens_switch(shop):
    app = console(shop, replay=replay_file(shop, 400), speed=200)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        for key in "3232":
            await pilot.press(key)
        await replay_done(pilot)
        numbers = [seen.number for seen in app.screen.stream.view]
        assert numbers == sorted(set(numbers)) and len(numbers) == 400


async def test_what_arrives_after_the_last_screen_left_is_dropped(shop):
    # A timer or a feed message can still run while the app ends, after the
    # screen stack emptied, where Textual's App.screen raises.
    app = console(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ruleset = app.ruleset
    assert not app.screen_stack
    event = {"id": "late", "type": "page-view"}
    app.on_feed_events(FeedEvents([Seen(1, event, None)]))
    app._draw_seen()
    app.on_log_line(LogLine("late line", 20))
    app.on_listening(Listening("http://127.0.0.1:1"))
    app.on_forgotten(Forgotten("p-late", None))
    app.on_rules_loaded(RulesLoaded(ruleset, True, "rules reloaded"))
    app.action_toggle_log()
    assert app.seen_total == 1


@pytest.mark.parametrize("owned", [True, False])
async def test_only_a_console_owning_its_process_freezes_start_up(
    shop, owned, monkeypatch
):
    # The tracsh command freezes what start-up made out of the cycle collector,
    # so full collections stop walking every widget; a console hosted by
    # another program (these tests) must leave the host's collector alone.
    monkeypatch.setattr(memory, "_owned", owned)
    gc.unfreeze()
    app = console(shop)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert (gc.get_freeze_count() > 0) is owned
    finally:
        gc.unfreeze()
        gc.set_threshold(*THRESHOLDS)
