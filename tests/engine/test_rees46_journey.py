"""A journey over the real REES46 clickstream, against a computation of its own.

samples/rees46/journeys/cart.rules runs with samples/rees46/rules over the
first 17,434 events of October 2019, replayed with the events' clock and then
run on to the next midnight. The expected step counts come from the REES46 by a
simulation written here: it shares nothing with the engine but the journey's
definition, restated below.
"""

from __future__ import annotations

import csv
import heapq
from collections import Counter
from datetime import UTC, datetime, timedelta

from shared_data import REES46, ROOT, needs_data

from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.inputs import Accepted, read_items
from tracsh.lang.loader import load_rules
from tracsh.store import Store

UNTIL = datetime(2019, 10, 2, tzinfo=UTC)

REMINDER = timedelta(minutes=15)
LAST_CALL = timedelta(minutes=30)
VIEWS_NEEDED = 3
"""cart.rules: enter on cart, exit on purchase, "reminder" 15 minutes later,
"last call" 30 minutes after that when the profile has 3 views or more."""


def rows() -> list[tuple[datetime, str, str]]:
    """(time, event type, user) of every well-formed row, in file order."""
    found = []
    with REES46.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if None in row.values() or None in row:
                continue  # the truncated last row
            time = datetime.strptime(row["event_time"], "%Y-%m-%d %H:%M:%S UTC")
            found.append((time.replace(tzinfo=UTC), row["event_type"], row["user_id"]))
    return found


def expected() -> tuple[Counter, Counter]:
    """Step results and final states, simulated: a step due at or before an
    event's time runs before that event; the rest run by UNTIL."""
    views: Counter = Counter()
    state: dict[str, tuple[str, int]] = {}  # user -> (status, run number)
    runs: Counter = Counter()
    waiting: list[tuple[datetime, str, int, str]] = []  # (due, user, run, step)
    results: Counter = Counter()

    def fire_until(moment: datetime) -> None:
        while waiting and waiting[0][0] <= moment:
            due, user, run, step = heapq.heappop(waiting)
            if state.get(user) != ("active", run):
                continue  # the run was exited; its step never runs
            if step == "reminder":
                results[("reminder", "ran")] += 1
                heapq.heappush(waiting, (due + LAST_CALL, user, run, "last call"))
            else:
                ok = views[user] >= VIEWS_NEEDED
                results[("last call", "ran" if ok else "skipped")] += 1
                state[user] = ("done", run)

    for time, kind, user in rows():
        fire_until(time)
        if kind == "view":
            views[user] += 1
        active = state.get(user, ("none", 0))[0] == "active"
        if kind == "purchase" and active:
            state[user] = ("exited", state[user][1])
        elif kind == "cart" and not active:
            runs[user] += 1
            state[user] = ("active", runs[user])
            heapq.heappush(waiting, (time + REMINDER, user, runs[user], "reminder"))
    fire_until(UNTIL)
    return results, Counter(status for status, _run in state.values())


@needs_data
def test_the_cart_journey_over_the_clickstream_matches_a_simulation(tmp_path):
    ruleset = load_rules(
        [
            ROOT / "samples" / "rees46" / "rules",
            ROOT / "samples" / "rees46" / "journeys",
        ]
    )
    assert ruleset.ok, [d.render() for d in ruleset.diagnostics]
    store = Store.open(tmp_path / "rees46.db")
    engine = Engine(store, build_rulebook(ruleset))
    events = [
        item.event
        for item in read_items(REES46, "csv", ROOT / "samples/rees46/mapping.toml")
        if isinstance(item, Accepted)
    ]
    for start in range(0, len(events), 1000):
        engine.process_batch(events[start : start + 1000])
    engine.scheduler.run_due(UNTIL)

    results, statuses = expected()
    found = store.journey_step_results()
    assert {(step, result): n for (_journey, step, result), n in found.items()} == dict(
        results
    )
    states = store.journey_states()
    assert {status: n for (_j, status, _step), n in states.items()} == dict(statuses)
    assert results[("reminder", "ran")] > 40 and results[("last call", "skipped")] > 5
    assert store.count_timers() == 0
    store.close()
