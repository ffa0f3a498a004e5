"""Scheduled events (``emit … in/at``) and the Scheduler that fires timers.

The clock is injected everywhere: the event clock under replay, and the time
handed to ``Scheduler.run_due``. A restart is a new Store and Engine over the
same file.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine_harness import T0, Harness, at, book_of, errors, event

from tracsh.engine.pipeline import EngineSettings
from tracsh.engine.working import WorkingSet

LATER = (
    'when event.type == "go" then emit event "later" with {"n": 1} {WHEN}\n'
    'when event.type == "later" then increment profile.counters.later\n'
)


def later(when: str) -> str:
    return LATER.replace("{WHEN}", when)


def counted(h: Harness) -> int:
    return h.profile()["counters"].get("later", 0)


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("in 3 days", at(days=3)),
        ("in 90 minutes", at(90)),
        ("at event.time + 1 day", at(days=1)),
        ('at "2024-05-03T09:00:00Z"', at(days=2)),
        ('at date("2024-05-01T11:00:00+02:00") + 1 hour', at(60)),
    ],
)
def test_a_scheduled_event_waits_for_its_time(engine, when, due):
    h = engine(later(when))
    h.run(event("e1", "go"))
    [timer] = h.store.timers()
    assert (timer["due"], timer["kind"], timer["profile_id"]) == (due, "event", "p1")
    assert timer["event"]["type"] == "later"
    assert timer["event"]["properties"] == {"n": 1}
    assert counted(h) == 0


def test_the_scheduler_fires_a_timer_once_at_its_time(engine):
    h = engine(later("in 3 days"))
    h.run(event("e1", "go"))
    scheduler = h.engine.scheduler
    assert scheduler.run_due(T0 + timedelta(days=2, hours=23)) == []
    [outcome] = scheduler.run_due(T0 + timedelta(days=3))
    assert (outcome.event_type, outcome.profile_id) == ("later", "p1")
    assert counted(h) == 1
    assert h.store.timers() == []
    assert scheduler.run_due(T0 + timedelta(days=30)) == []
    assert counted(h) == 1


@pytest.mark.parametrize("when", ["in 0 seconds", "at event.time - 1 day", "at now"])
def test_a_time_already_come_emits_at_once(engine, when):
    h = engine(later(when))
    [outcome] = h.run(event("e1", "go"))
    assert [child.event_type for child in outcome.internal] == ["later"]
    assert counted(h) == 1
    assert h.store.timers() == []


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("at profile.traits.when", "the time after `at` is missing"),
        ('at "next week"', 'the value after `at` is not a time: "next week"'),
        ("at 12", 'the value after `at` is not a time: "12"'),
    ],
)
def test_a_time_that_is_not_one_is_an_error_of_the_rule(engine, when, message):
    h = engine(later(when))
    outcomes = h.run(event("e1", "go"))
    assert errors(outcomes) == [f't:1: emit event "later": {message}']
    assert h.stats()["t:1"]["errors"] >= 1
    assert h.store.timers() == []


def test_under_the_event_clock_timers_fire_before_a_later_event(engine):
    h = engine(
        later("in 1 day") + 'when event.type == "look" then set profile.traits.seen = '
        "profile.counters.later\n"
    )
    outcomes = h.run(
        event("e1", "go"),
        event("e2", "look", time=at(days=0.5)),
        event("e3", "look", time=at(days=1)),
    )
    assert [child.event_type for child in outcomes[2].internal] == ["later"]
    assert outcomes[1].internal == []
    assert h.profile()["traits"]["seen"] == 1
    assert h.store.timers() == []


def test_a_timer_set_and_fired_in_one_batch_leaves_nothing_behind(engine):
    h = engine(later("in 1 hour"))
    h.run(event("e1", "go"), event("e2", "view", minutes=61))
    assert counted(h) == 1
    assert h.store.timers() == []
    assert [e["type"] for e in h.events()] == ["go", "later", "view"]


def test_a_scheduled_event_opens_no_visit_and_moves_no_last_seen(engine):
    h = engine(later("in 2 days"))
    h.run(event("e1", "go"))
    before_profile, before_session = h.profile(), h.session()
    h.engine.scheduler.run_due(T0 + timedelta(days=2))
    after_profile, after_session = h.profile(), h.session()
    assert after_profile["visits"] == before_profile["visits"] == 1
    assert after_profile["last_seen"] == before_profile["last_seen"]
    assert after_session == before_session
    assert counted(h) == 1


def restarted(h: Harness, text: str, **settings) -> Harness:
    """The same database opened again, as a new process would."""
    h.store.close()
    return Harness(h.path, book_of(text), EngineSettings(**settings))


def test_a_restart_neither_loses_nor_repeats_a_timer(engine):
    text = later("in 2 days").replace(
        "increment profile.counters.later", 'send email "later"'
    )
    h = engine(text)
    h.put_profile(pii={"email": "a@b.test"})
    h.run(event("e1", "go"))
    h = restarted(h, text)
    # Fired but never committed: the process died before the transaction.
    dying = WorkingSet(h.store)
    assert len(h.engine.scheduler.fire_due(dying, T0 + timedelta(days=2))) == 1
    h = restarted(h, text)
    assert len(h.engine.scheduler.run_due(T0 + timedelta(days=2))) == 1
    h = restarted(h, text)
    assert h.engine.scheduler.run_due(T0 + timedelta(days=9)) == []
    h.run(event("e1", "go"))  # the same event again: a duplicate
    assert h.store.timers() == []
    assert h.outbox("target", "recipient") == [
        {"target": "later", "recipient": "a@b.test"}
    ]
    h.store.close()


def test_run_due_commits_in_batches_and_fires_in_time_order(engine):
    h = engine(
        'when event.type == "go" then emit event "later" with '
        '{"n": event.properties.n} at event.time + event.properties.wait * 1 hour\n'
        'when event.type == "later" then append event.properties.n to '
        "profile.traits.order\n"
    )
    waits = [5, 1, 4, 2, 3]
    h.run(*[
        event(f"e{n}", "go", properties={"n": n, "wait": wait})
        for n, wait in enumerate(waits)
    ])  # fmt: skip
    fired = h.engine.scheduler.run_due(T0 + timedelta(hours=10), batch=2)
    assert len(fired) == 5
    assert h.profile()["traits"]["order"] == [1, 3, 4, 2, 0]


EDGE_RULES = """
when event.type == "go" then emit event "later" in 9000 years
when event.type == "go" then grant consent "email" for 2 days
when event.type == "go" and count("go" within 30 days) >= 1 then set profile.x = 1
journey "far"
  enter when event.type == "go"
  step "s" after 1 week
    log "step"
end
"""


LAST = "9999-12-31T23:59:59.999999+00:00"


@pytest.mark.parametrize(
    ("time", "expires", "due"),
    [
        ("9999-12-31T12:00:00+00:00", LAST, [LAST, LAST]),
        (
            "0001-01-01T00:00:00+00:00",
            "0001-01-03T00:00:00+00:00",
            ["0001-01-08T00:00:00+00:00", "8995-01-10T00:00:00+00:00"],
        ),
    ],
)
def test_times_past_either_end_of_the_calendar_stop_there(engine, time, expires, due):
    h = engine(EDGE_RULES)
    [outcome] = h.run(event("e1", "go", time=time))
    assert outcome.errors == []
    profile = h.profile()
    assert profile["x"] == 1
    assert profile["consents"]["email"]["expires"] == expires
    assert sorted(row["due"] for row in h.store.timers()) == due
