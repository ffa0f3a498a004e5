"""``tracsh journeys`` and ``tracsh replay --until`` from the command line."""

from __future__ import annotations

import json

import pytest

RULES = """
journey "onboarding"
  enter when event.type == "sign-up"
  exit when event.type == "purchase"
  step "welcome"
    log "welcome"
  step "nudge" after 2 days
    log "nudge"
  step "last call" after 1 day when profile.visits >= 2
    log "last call"
end
"""


def ev(event_id, type, profile, time, session=None):
    return {
        "id": event_id, "type": type, "time": time, "profile": {"id": profile},
        "session": {"id": session or f"s-{profile}"},
    }  # fmt: skip


EVENTS = [
    ev("a1", "sign-up", "ann", "2024-05-01T09:00:00Z"),
    ev("b1", "sign-up", "bob", "2024-05-01T10:00:00Z"),
    ev("b2", "purchase", "bob", "2024-05-02T10:00:00Z"),
    ev("c1", "sign-up", "cy", "2024-05-01T11:00:00Z"),
    ev("c2", "view", "cy", "2024-05-02T11:00:00Z", session="s-cy-2"),
    ev("d1", "view", "dee", "2024-05-04T09:30:00Z"),
]


@pytest.fixture
def shop(project):
    project.rules(RULES)
    return project


def figures(project) -> dict:
    status, out, err = project.run("journeys", "--json")
    assert status == 0, err
    return json.loads(out)


def test_replay_fires_timers_by_the_events_time_and_until(shop):
    events = str(shop.events(EVENTS))
    assert shop.run("replay", events)[0] == 0
    # dee's view on May 4 09:30 comes after both nudges and ann's last call
    # (May 4 09:00, skipped: one visit) fell due, but before cy's (11:00).
    found = figures(shop)
    [journey] = found["journeys"]
    assert (journey["active"], journey["done"], journey["exited"]) == (1, 1, 1)
    steps = [
        (s["step"], s["waiting"], s["ran"], s["skipped"]) for s in journey["steps"]
    ]
    assert steps == [
        ("welcome", 0, 3, 0),
        ("nudge", 0, 2, 0),
        ("last call", 1, 0, 1),
    ]
    assert found["timers"] == 1
    status, out, _ = shop.run("replay", events, "--until", "2024-05-10T00:00:00Z")
    assert status == 0
    assert "6 already stored, 1 internal" in out
    [journey] = figures(shop)["journeys"]
    assert (journey["active"], journey["done"], journey["exited"]) == (0, 2, 1)
    assert journey["steps"][2] == {
        "step": "last call", "waiting": 0, "ran": 1, "skipped": 1
    }  # fmt: skip


def test_journeys_prints_a_table_per_journey(shop):
    shop.run("replay", str(shop.events(EVENTS[:1])))
    status, out, _ = shop.run("journeys")
    assert status == 0
    assert "journey onboarding: 1 active, 0 done, 0 exited" in out
    assert [line.split() for line in out.splitlines() if "nudge" in line] == [
        ["nudge", "1", "0", "0"]
    ]
    assert out.rstrip().endswith("1 timer(s) waiting")


def test_a_bad_until_time_is_refused_before_anything_runs(shop):
    status, _out, err = shop.run(
        "replay", str(shop.events(EVENTS)), "--until", "next week"
    )
    assert status == 1
    assert "--until: 'next week' is not an ISO-8601 time" in err
    assert not shop.db.exists()


NAMES = """
journey "[/oops] \\x1b[31mj"
  enter when event.type == "sign-up"
  step "[bold]hi[/bold]"
    log "hi"
end
segment "\\x1b]0;title\\x07s" when profile.visits >= 1
"""


def test_names_are_shown_literally_never_as_markup_or_escapes(project):
    project.rules(NAMES)
    status, out, err = project.run("replay", str(project.events(EVENTS[:1])))
    assert status == 0, err
    assert "journey [/oops] \\x1b[31mj: [bold]hi[/bold]" in out
    assert "segments   \\x1b]0;title\\x07s 1" in out
    status, out, err = project.run("journeys")
    assert status == 0, err
    assert "journey [/oops] \\x1b[31mj: 0 active, 1 done, 0 exited" in out
    assert "[bold]hi[/bold]" in out and "\x1b" not in out
    status, out, err = project.run("segment", "refresh")
    assert status == 0, err
    assert out.startswith("\\x1b]0;title\\x07s: 1 members")
