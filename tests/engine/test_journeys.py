"""Journeys: per-profile state, steps on timers, exits, restarts, and the actions.

Each row of the shape table replays events with the event clock, fires what
is left up to a given day with the Scheduler, and reads back what every step
did (the stored journey-step events), which messages were queued, and where
the profile stands.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from engine_harness import T0, Harness, at, book_of, event

from tracsh.engine.pipeline import EngineSettings
from tracsh.engine.scheduler import SchedulerTask
from tracsh.engine.working import WorkingSet
from tracsh.lang.loader import load_sources

ONBOARDING = """
when event.type == "sign-up" then set profile.pii.email = "a@b.test"

journey "onboarding"
  enter when event.type == "sign-up"
  exit when event.type == "purchase"
  step "welcome"
    send email "welcome"
  step "nudge" after 2 days
    send email "nudge"
  step "last call" after 5 days when profile.visits < 2
    send email "last-call"
end
"""


def ev(event_id: str, type: str, days: float, session: str = "s1") -> dict:
    return event(event_id, type, time=at(days=days), session=session)


def steps(h: Harness) -> list[tuple[str, str]]:
    """What each journey step did, in the order the steps ran."""
    return [
        (e["properties"]["step"], e["properties"]["result"])
        for e in h.events()
        if e["type"] == "journey-step"
    ]


def state(h: Harness, name: str = "onboarding") -> dict:
    return h.profile()["journeys"][name]


SHAPES = [
    pytest.param(
        [ev("e1", "sign-up", 0)],
        [("welcome", "ran"), ("nudge", "ran"), ("last call", "ran")],
        "done",
        id="all steps, in order, each after its delay",
    ),
    pytest.param(
        [ev("e1", "sign-up", 0), ev("e2", "purchase", 1)],
        [("welcome", "ran")],
        "exited",
        id="exit before the first delay",
    ),
    pytest.param(
        [ev("e1", "sign-up", 0), ev("e2", "purchase", 3)],
        [("welcome", "ran"), ("nudge", "ran")],
        "exited",
        id="exit between steps",
    ),
    pytest.param(
        [ev("e1", "sign-up", 0), ev("e2", "purchase", 2)],
        [("welcome", "ran"), ("nudge", "ran")],
        "exited",
        id="a step due at an event's time runs before the event",
    ),
    pytest.param(
        [ev("e1", "sign-up", 0), ev("e2", "view", 1, session="s2")],
        [("welcome", "ran"), ("nudge", "ran"), ("last call", "skipped")],
        "done",
        id="a false guard skips its step",
    ),
    pytest.param(
        [ev("e1", "sign-up", 0), ev("e2", "sign-up", 0.01)],
        [("welcome", "ran"), ("nudge", "ran"), ("last call", "ran")],
        "done",
        id="in a journey at most once at a time",
    ),
    pytest.param(
        [ev("e1", "sign-up", 0), ev("e2", "sign-up", 8)],
        [("welcome", "ran"), ("nudge", "ran"), ("last call", "ran")]
        + [("welcome", "ran"), ("nudge", "ran"), ("last call", "skipped")],
        "done",
        id="entered again once done (a second visit by then)",
    ),
]


@pytest.mark.parametrize(("events", "ran", "status"), SHAPES)
def test_journey_shapes(engine, events, ran, status):
    h = engine(ONBOARDING)
    h.run(*events)
    h.engine.scheduler.run_due(T0 + timedelta(days=30))
    assert steps(h) == ran
    assert state(h)["status"] == status
    sent = [row["target"] for row in h.outbox("target")]
    assert sent == [
        {"welcome": "welcome", "nudge": "nudge", "last call": "last-call"}[step]
        for step, result in ran
        if result == "ran"
    ]
    assert h.store.timers() == []


def test_the_waiting_step_and_its_time_are_on_the_profile(engine):
    h = engine(ONBOARDING)
    h.run(ev("e1", "sign-up", 0))
    found = state(h)
    assert (found["status"], found["step"], found["due"]) == (
        "active",
        "nudge",
        at(days=2),
    )
    [timer] = h.store.timers()
    assert (timer["kind"], timer["due"], timer["event"]["properties"]["step"]) == (
        "journey",
        at(days=2),
        "nudge",
    )


def test_an_exit_removes_the_waiting_timer(engine):
    h = engine(ONBOARDING)
    h.run(ev("e1", "sign-up", 0))
    h.run(ev("e2", "purchase", 1))
    assert h.store.timers() == []
    assert state(h)["why"] == "exit when"


def test_rules_cannot_write_the_journey_state(engine):
    rules = ONBOARDING + 'when event.type == "x" then set profile.journeys = {}\n'
    [error] = load_sources([("t.rules", rules)]).errors
    assert error.message == "profile.journeys is kept by tracsh and cannot be written"
    h = engine(rules, checked=False)
    h.run(ev("e1", "sign-up", 0), ev("e2", "x", 0.5))
    assert state(h)["status"] == "active"
    assert h.stats()["t:14"]["errors"] == 1


ACTIONS = ONBOARDING.replace(
    'enter when event.type == "sign-up"', 'enter when event.type == "never"'
) + (
    'when event.type == "vip" then start journey "onboarding"\n'
    'when event.type == "quit" then exit journey "onboarding"\n'
)


@pytest.mark.parametrize(
    ("types", "ran", "status"),
    [
        (["sign-up", "vip"], [("welcome", "ran"), ("nudge", "ran")], "active"),
        (["sign-up", "vip", "quit"], [("welcome", "ran")], "exited"),
        (["sign-up", "vip", "vip"], [("welcome", "ran"), ("nudge", "ran")], "active"),
        (["sign-up", "quit"], [], None),
    ],
)
def test_start_and_exit_journey_actions(engine, types, ran, status):
    h = engine(ACTIONS)
    h.run(*[ev(f"e{i}", type, i * 0.5) for i, type in enumerate(types)])
    h.engine.scheduler.run_due(T0 + timedelta(days=3))
    assert steps(h) == ran
    assert h.profile()["journeys"].get("onboarding", {}).get("status") == status


def restarted(h: Harness, **settings) -> Harness:
    h.store.close()
    return Harness(h.path, book_of(WAIT), EngineSettings(**settings))


WAIT = """
journey "wait"
  enter when event.type == "sign-up"
  step "reminder" after 2 days
    send email "reminder" to "a@b.test"
end
"""


def test_a_two_day_wait_over_restarts_sends_exactly_one_message(engine):
    h = engine(WAIT)
    h.run(ev("e1", "sign-up", 0))
    h = restarted(h)
    assert h.engine.scheduler.run_due(T0 + timedelta(days=1)) == []
    h = restarted(h)
    dying = WorkingSet(h.store)  # fires, then the process dies before commit
    assert len(h.engine.scheduler.fire_due(dying, T0 + timedelta(days=2))) == 1
    h = restarted(h)
    assert len(h.engine.scheduler.run_due(T0 + timedelta(days=2))) == 1
    h = restarted(h)
    assert h.engine.scheduler.run_due(T0 + timedelta(days=9)) == []
    h.run(ev("e1", "sign-up", 0))
    assert h.outbox("target", "recipient") == [
        {"target": "reminder", "recipient": "a@b.test"}
    ]
    assert state(h, "wait")["status"] == "done"
    h.store.close()


def test_the_scheduler_task_fires_with_its_clock_until_stopped(engine):
    h = engine(WAIT, clock=lambda event: T0)
    h.run(ev("e1", "sign-up", 0))
    stop = asyncio.Event()
    ticks = []

    async def submit(call, now):
        ticks.append(now)
        stop.set()
        return call(now)

    task = SchedulerTask(
        h.engine.scheduler,
        clock=lambda: datetime(2024, 5, 3, 9, tzinfo=UTC),
        submit=submit,
    )
    asyncio.run(task.run(stop))
    assert ticks == [datetime(2024, 5, 3, 9, tzinfo=UTC)]
    assert steps(h) == [("reminder", "ran")]


def test_under_a_wall_clock_events_do_not_fire_timers(engine):
    h = engine(WAIT, clock=lambda event: T0)
    h.run(ev("e1", "sign-up", 0), ev("e2", "view", 5))
    assert steps(h) == []
    assert len(h.store.timers()) == 1


def test_a_journey_step_counts_in_the_rule_statistics(engine):
    h = engine(ONBOARDING)
    h.run(ev("e1", "sign-up", 0), ev("e2", "view", 1, session="s2"))
    h.engine.scheduler.run_due(T0 + timedelta(days=30))
    stats = h.stats()
    assert stats["journey onboarding: last call"]["evaluations"] == 1
    assert stats["journey onboarding: last call"]["matches"] == 0
    assert stats["journey onboarding: enter"]["matches"] == 1


JOURNEY_SEGMENTS = """
journey "onb"
  enter when event.type == "sign-up"
  exit when event.type == "purchase"
  step "welcome"
    increment profile.counters.welcome
  step "nudge" after 2 days
    increment profile.counters.nudge
end
segment "in onb" when profile.journeys.onb.status == "active"
segment "nudged" when profile.counters.nudge >= 1
when event.type == "segment-entered"
  then append event.properties.segment to profile.traits.seen
"""


@pytest.mark.parametrize(
    ("events", "until_days", "members", "seen"),
    [
        ([ev("e1", "sign-up", 0)], 0, ["in onb"], ["in onb"]),
        ([ev("e1", "sign-up", 0), ev("e2", "purchase", 1)], 1, [], ["in onb"]),
        ([ev("e1", "sign-up", 0)], 3, ["nudged"], ["in onb", "nudged"]),
    ],
    ids=["entering", "exiting", "a step's action"],
)
def test_journeys_move_live_segments_when_they_change_the_profile(
    engine, events, until_days, members, seen
):
    h = engine(JOURNEY_SEGMENTS)
    h.run(*events)
    h.engine.scheduler.run_due(T0 + timedelta(days=until_days))
    profile = h.profile()
    assert sorted(profile["segments"]) == members
    assert profile["traits"].get("seen", []) == seen
    entered = [e for e in h.events() if e["type"] == "segment-entered"]
    nudged = [e for e in entered if e["properties"]["segment"] == "nudged"]
    if "nudged" in seen:
        # Announced at the step's own time, not at some later event's.
        assert nudged[0]["time"] == at(days=2)
