"""Benchmark: compiled conditions against hand-written Python for the same predicates.

The hand-written functions are what a careful programmer writes for each
predicate over the same documents: ``dict.get`` chains and type checks so that
missing fields and wrong types give the same answer the language gives. They are
the limit for Python. The goal is the compiled form at no more than 2x their
time, as the median over the ten predicates. Both run in the same process on the
same documents, so the ratio is meaningful on a noisy machine; absolute times
are printed for context only.

Run: ``python benchmarks/conditions.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime

from tracsh.lang.compile import compile_condition
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import Scope

NUM = (int, float)
NOW = datetime(2024, 12, 1, tzinfo=UTC)
TYPES = ["page-view", "product-view", "add-to-cart", "purchase", "search", "sign-up"]
CATEGORIES = ["coffee/beans", "tea/loose", "equipment/grinders", "gifts/cards"]


def _number(value):
    return value if value.__class__ in NUM else None


def h1(s):
    return s.event.get("type") == "purchase"


def h2(s):
    visits = _number(s.profile.get("visits"))
    return s.event.get("type") == "purchase" and visits is not None and visits > 3


def h3(s):
    total = _number((s.event.get("properties") or {}).get("total"))
    return total is not None and total >= 50


def h4(s):
    event = s.event
    if event.get("type") not in ("product-view", "add-to-cart"):
        return False
    category = (event.get("properties") or {}).get("category")
    return isinstance(category, str) and category.startswith("coffee/")


def h5(s):
    value = _number((s.profile.get("traits") or {}).get("lifetime_value"))
    return value is not None and 200 <= value <= 999.99


def h6(s):
    profile = s.profile
    if "email" not in (profile.get("pii") or {}):
        return False
    newsletter = (profile.get("consents") or {}).get("newsletter") or {}
    return newsletter.get("granted") is True


def h7(s):
    query = (s.event.get("properties") or {}).get("query")
    return isinstance(query, str) and "decaf" in query.lower()


def h8(s):
    visits = _number(s.profile.get("visits"))
    purchases = _number((s.profile.get("counters") or {}).get("purchases"))
    return (
        visits is not None and visits >= 5 and purchases is not None and purchases >= 2
    )


def h9(s):
    items = (s.event.get("properties") or {}).get("items")
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return False
    category = items[0].get("category")
    return isinstance(category, str) and category.startswith("coffee/")


def h10(s):
    profile = s.profile
    if "age" not in profile:
        return True
    age = profile["age"]
    if age is None:
        return False
    return age != 10 if age.__class__ in NUM else True


PREDICATES = [
    ('event.type == "purchase"', h1),
    ('event.type == "purchase" and profile.visits > 3', h2),
    ("event.properties.total >= 50", h3),
    (
        'event.type in ["product-view", "add-to-cart"] '
        'and event.properties.category starts with "coffee/"',
        h4,
    ),
    ("profile.traits.lifetime_value between 200 and 999.99", h5),
    ("profile.pii.email exists and profile.consents.newsletter.granted == true", h6),
    ('lower(event.properties.query) contains "decaf"', h7),
    ("profile.visits >= 5 and profile.counters.purchases >= 2", h8),
    ('event.properties.items[0].category starts with "coffee/"', h9),
    ("profile.age is missing or profile.age != 10", h10),
]


def documents(count: int, seed: int = 7) -> list[Scope]:
    """Scopes over generated shop events and profiles, with gaps and odd types."""
    rng = random.Random(seed)
    scopes = []
    for _ in range(count):
        event = {"type": rng.choice(TYPES), "properties": {}}
        props = event["properties"]
        if rng.random() < 0.7:
            props["total"] = round(rng.uniform(1, 200), 2)
        props["category"] = rng.choice(CATEGORIES)
        if rng.random() < 0.3:
            props["query"] = rng.choice(["Decaf beans", "grinder", "DECAF", "tea"])
        if rng.random() < 0.5:
            props["items"] = [{"category": rng.choice(CATEGORIES)}]
        profile = {"visits": rng.randint(0, 9), "traits": {}, "counters": {}}
        if rng.random() < 0.6:
            profile["traits"]["lifetime_value"] = rng.uniform(0, 1500)
        if rng.random() < 0.5:
            profile["counters"]["purchases"] = rng.randint(0, 4)
        if rng.random() < 0.5:
            profile["pii"] = {"email": "a@b.test"}
            profile["consents"] = {"newsletter": {"granted": rng.random() < 0.5}}
        if rng.random() < 0.3:
            profile["age"] = rng.choice([10, 31, "forty"])
        scopes.append(Scope(event=event, profile=profile, now=NOW))
    return scopes


def best_of(function, scopes: list[Scope], repeat: int) -> float:
    """The fastest of ``repeat`` passes over the scopes, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for scope in scopes:
            function(scope)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="passes per measurement")
    parser.add_argument("--documents", type=int, default=20000)
    args = parser.parse_args(argv)
    scopes = documents(args.documents)
    ratios = []
    print(f"{'predicate':<66} {'hand ns':>8} {'tracsh ns':>9} {'ratio':>6}")
    for text, hand in PREDICATES:
        compiled = compile_condition(load_condition(text))
        wrong = [s for s in scopes if (compiled(s) is True) != bool(hand(s))]
        if wrong:
            print(f"disagreement on {text!r}: {wrong[0].event} {wrong[0].profile}")
            return 1
        hand_time = best_of(hand, scopes, args.repeat)
        ours = best_of(compiled, scopes, args.repeat)
        ratios.append(ours / hand_time)
        per = 1e9 / len(scopes)
        print(
            f"{text[:66]:<66} {hand_time * per:8.0f} {ours * per:9.0f} "
            f"{ours / hand_time:6.2f}"
        )
    median = statistics.median(ratios)
    print(f"median ratio tracsh/hand-written: {median:.2f} (goal: at most 2.00)")
    return 0 if median <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
