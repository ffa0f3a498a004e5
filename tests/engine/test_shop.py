"""The real rules/ directory over the generated shop sample: invariants, not totals.

The sample is generated with ``samples/shop/generate.py`` into a temporary
folder and normalised here just enough for the engine (UTC times, defaults for
missing keys); the file readers are tested elsewhere. Every expected figure is
recomputed from the events by code that shares nothing with the engine.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracsh.engine.outcome import Outcome
from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import RuleBook, build_rulebook
from tracsh.lang.loader import load_rules
from tracsh.lang.scope import Scope
from tracsh.store import Store

ROOT = Path(__file__).resolve().parents[2]
BATCH = 500
IDLE = timedelta(minutes=30)
STAFF_EMAIL = re.compile(r".+@shop\.example\.test")
VIEWS = {"page-view", "product-view"}


def normalise(raw: dict) -> dict:
    """The minimum the readers will do: UTC time text and every key present."""
    time = datetime.fromisoformat(raw["time"]).astimezone(UTC).isoformat()
    return {
        "id": raw["id"],
        "type": raw["type"],
        "time": time,
        "received": time,
        "source": raw.get("source") or {"id": "web-shop"},
        "session": raw.get("session") or {"id": None},
        "profile": raw.get("profile") or {"id": None},
        "properties": raw.get("properties") or {},
        "context": raw.get("context") or {},
        "tags": raw.get("tags") or [],
    }


@dataclass
class Replay:
    """The sample's events and what replaying them committed."""

    events: list[dict]
    store: Store
    engine: Engine
    book: RuleBook
    outcomes: list[Outcome]

    def run(self) -> list[Outcome]:
        outcomes = []
        for start in range(0, len(self.events), BATCH):
            batch = copy.deepcopy(self.events[start : start + BATCH])
            outcomes += self.engine.process_batch(batch)
        return outcomes

    def profiles(self) -> dict[str, dict]:
        return {doc["id"]: doc for doc in self.store.iter_profiles()}


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Replay:
    folder = tmp_path_factory.mktemp("shop")
    script = ROOT / "samples" / "shop" / "generate.py"
    raw = subprocess.run(
        [sys.executable, str(script)], capture_output=True, check=True
    ).stdout
    (folder / "events.ndjson").write_bytes(raw)
    events = [normalise(json.loads(line)) for line in raw.decode().splitlines()]
    ruleset = load_rules([ROOT / "rules"])
    assert ruleset.ok, "\n".join(d.render() for d in ruleset.errors)
    book = build_rulebook(ruleset)
    store = Store.open(folder / "tracsh.db")
    replay = Replay(events, store, Engine(store, book), book, [])
    replay.outcomes = replay.run()
    yield replay
    store.close()


# --- independent recomputations from the events ------------------------------------


def visits_by_profile(events: list[dict]) -> Counter:
    """A visit starts at a session's first event and after 30 idle minutes."""
    last_seen: dict[str, datetime] = {}
    visits: Counter = Counter()
    for e in events:
        time = datetime.fromisoformat(e["time"])
        previous = last_seen.get(e["session"]["id"])
        if previous is None or time - previous > IDLE:
            visits[e["profile"]["id"]] += 1
        last_seen[e["session"]["id"]] = max(time, previous or time)
    return visits


def customer_orders(events: list[dict]) -> tuple[Counter, Counter, dict]:
    """Purchases by customers (and those with total >= 0), and money kept, by profile.

    A profile is staff from its sign-up with a shop address on; staff orders
    and refunds count for nothing.
    """
    staff: set[str] = set()
    orders, counted, money = Counter(), Counter(), defaultdict(float)
    for e in events:
        who, props = e["profile"]["id"], e["properties"]
        email = str(props.get("email", "")).strip().lower()
        if e["type"] == "sign-up" and STAFF_EMAIL.fullmatch(email):
            staff.add(who)
        if who in staff:
            continue
        if e["type"] == "purchase":
            orders[who] += 1
            if props["total"] >= 0:
                counted[who] += 1
                money[who] += props["total"]
        if e["type"] == "refund" and props["amount"] > 0:
            money[who] -= props["amount"]
    return orders, counted, money


# --- invariants ---------------------------------------------------------------------


def test_every_profiles_visits_match_the_30_minute_rule(shop):
    expected = visits_by_profile(shop.events)
    assert max(expected.values()) > 1  # the sample has returning visitors
    profiles = shop.profiles()
    assert set(profiles) == set(expected)
    assert {pid: doc["visits"] for pid, doc in profiles.items()} == dict(expected)
    sessions = {e["session"]["id"] for e in shop.events}
    assert shop.store.count_sessions() == len(sessions)


def test_views_and_last_seen_follow_the_events(shop):
    views, last = Counter(), {}
    for e in shop.events:
        views[e["profile"]["id"]] += e["type"] in VIEWS
        last[e["profile"]["id"]] = max(last.get(e["profile"]["id"], ""), e["time"])
    for pid, doc in shop.profiles().items():
        assert (doc["views"], doc["last_seen"]) == (views[pid], last[pid]), pid


def test_purchase_counters_count_customer_orders_with_a_total(shop):
    orders, counted, money = customer_orders(shop.events)
    staff_orders = sum(e["type"] == "purchase" for e in shop.events) - orders.total()
    assert counted.total() > 0 and staff_orders > 0  # both kinds are in the sample
    profiles = shop.profiles()
    found = {
        pid: doc["counters"].get("purchases", 0)
        for pid, doc in profiles.items()
        if doc["counters"].get("purchases", 0) or counted[pid]
    }
    assert found == {pid: n for pid, n in counted.items() if n}
    for pid, amount in money.items():
        stored = profiles[pid]["traits"].get("lifetime_value", 0)
        assert stored == pytest.approx(amount, abs=1e-6), pid


def test_every_customer_purchase_gets_one_order_confirmation(shop):
    orders, _, _ = customer_orders(shop.events)
    rows = shop.store.outbox_rows(limit=1_000_000)
    confirmations = Counter(
        row["profile_id"] for row in rows if row["rule_id"] == "order confirmation"
    )
    assert confirmations == +orders
    assert all(
        row["kind"] == "email" and row["target"] == "order-confirmation"
        for row in rows
        if row["rule_id"] == "order confirmation"
    )


def test_live_segments_agree_with_their_conditions_on_the_final_profiles(shop):
    sizes = shop.store.segment_sizes()
    assert sum(sizes.get(s.name, 0) for s in shop.book.segments) > 0
    for pid, doc in shop.profiles().items():
        now = datetime.fromisoformat(doc["last_seen"])
        for segment in shop.book.segments:
            member = segment.check(Scope(profile=doc, now=now)) is True
            assert (segment.name in doc["segments"]) is member, (pid, segment.name)


def test_outbox_rows_come_from_stored_events_and_once_rules_hold(shop):
    rows = shop.store.outbox_rows(limit=1_000_000)
    stored = {e["id"] for e in shop.store.iter_events()}
    assert {row["event_id"] for row in rows} <= stored
    assert len({row["key"] for row in rows}) == len(rows)
    once = {r.id for r in shop.book.rules if r.once and r.once.every is None}
    by_scope = Counter(
        (row["rule_id"], row["profile_id"], row["target"])
        for row in rows
        if row["rule_id"] in once
    )
    assert max(by_scope.values(), default=1) == 1


def test_the_rules_run_without_errors(shop):
    assert [row["rule_id"] for row in shop.store.rule_stats() if row["errors"]] == []

    def collect(outcome: Outcome) -> list[str]:
        return outcome.errors + [m for c in outcome.internal for m in collect(c)]

    assert [m for outcome in shop.outcomes for m in collect(outcome)] == []


def customer_purchases(events: list[dict]) -> list[dict]:
    """Purchases the rules act on: not by staff (their orders stop every rule)."""
    staff: set[str] = set()
    found = []
    for e in events:
        email = str(e["properties"].get("email", "")).strip().lower()
        if e["type"] == "sign-up" and STAFF_EMAIL.fullmatch(email):
            staff.add(e["profile"]["id"])
        if e["type"] == "purchase" and e["profile"]["id"] not in staff:
            found.append(e)
    return found


def frequent_buyers(events: list[dict]) -> set[str]:
    """Profiles with a customer purchase when they had three purchases (any,
    staff ones too, all stored) from 30 days before it on, in replay order."""
    seen: dict[str, list[datetime]] = defaultdict(list)
    acted = {e["id"] for e in customer_purchases(events)}
    found = set()
    for e in events:
        if e["type"] != "purchase":
            continue
        time = datetime.fromisoformat(e["time"])
        mine = seen[e["profile"]["id"]]
        mine.append(time)
        recent = sum(1 for t in mine if t >= time - timedelta(days=30))
        if e["id"] in acted and recent >= 3:
            found.add(e["profile"]["id"])
    return found


def test_frequent_buyers_are_counted_from_the_event_history(shop):
    members = {
        pid for pid, doc in shop.profiles().items()
        if "frequent-buyer" in doc["segments"]
    }  # fmt: skip
    assert members
    assert members == frequent_buyers(shop.events)


def test_reorder_reminders_wait_three_weeks_after_a_coffee_order(shop):
    coffee = [
        e for e in customer_purchases(shop.events)
        if str(e["properties"]["items"][0].get("category", "")).startswith("coffee/")
    ]  # fmt: skip
    last = max(datetime.fromisoformat(e["time"]) for e in shop.events)
    waiting = {t["event"]["properties"]["order_id"]: t for t in shop.store.timers()}
    fired = {
        e["properties"]["order_id"]: e
        for e in shop.store.iter_events()
        if e["type"] == "reorder-reminder"
    }
    assert coffee
    for order in coffee:
        due = datetime.fromisoformat(order["time"]) + timedelta(weeks=3)
        order_id = order["properties"]["order_id"]
        found = fired.get(order_id) if due <= last else waiting.get(order_id)
        assert found is not None, order_id
        assert datetime.fromisoformat(found.get("due") or found["time"]) == due
    assert len(waiting) + len(fired) == len(coffee)


def test_a_second_replay_changes_nothing(shop):
    before = (
        shop.profiles(),
        shop.store.totals(),
        shop.store.rule_stats(),
        [
            shop.store.get_session(s)
            for s in sorted({e["session"]["id"] for e in shop.events})
        ],
    )
    outcomes = shop.run()
    assert all(outcome.duplicate for outcome in outcomes)
    after = (
        shop.profiles(),
        shop.store.totals(),
        shop.store.rule_stats(),
        [
            shop.store.get_session(s)
            for s in sorted({e["session"]["id"] for e in shop.events})
        ],
    )
    assert after == before
