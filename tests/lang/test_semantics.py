"""language.md §2 and §3 as tables: condition text, documents, expected outcome.

Each row runs through both the compiled form and the reference evaluator and
checks the truth (true, false or unknown) and the counts on ``scope.report``.
Counts default to zero: §3 rules 4 to 6 name what is counted (ordering across
types, non-ISO text against a time, failing evaluations), and we read that list
as complete, so a missing field or a null never counts anything.

SPEC rows follow from a sentence of the spec. ASSUMED rows, where the spec is
silent, are in test_semantics_assumed.py and use the Case and row() of this one.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from tracsh.lang.scope import MISSING, Scope

T, F, U = True, False, None
"""Expected truths: true, false, unknown."""

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)

# `event.nope` is missing throughout, and `event.nil` is a stored null.
EVENT = {
    "type": "purchase", "time": "2024-05-01T10:00:00+00:00",
    "count": 10, "price": 4.5, "one": 1, "one_f": 1.0, "zero": 0,
    "name": "Hello World", "digits": "10", "three": "3", "blank": "",
    "padded": "  a b  ", "yes": True, "no": False, "nil": None,
    "tags": ["vip", "new"], "nums": [1, 2, 3], "none_list": [], "no_keys": {},
    "epoch": 1714521600,  # 2024-05-01T00:00:00Z
    "properties": {
        "total": 120.5, "order id": "A-17", "a.b": "dotted key",
        "items": [{"sku": "X1"}, {"sku": "Y2"}],
    },
}  # fmt: skip
PROFILE = {
    "id": "p1",
    "visits": 5,
    "segments": ["vip", "new"],
    "last_seen": "2024-05-09T12:00:00Z",
    "traits": {"tier": "gold"},
}
SESSION = {"id": "s1", "events": 4}
SOURCE = {"id": "web-shop"}
DEFAULTS = {
    "event": EVENT,
    "profile": PROFILE,
    "session": SESSION,
    "source": SOURCE,
    "now": NOW,
}


@dataclass(frozen=True)
class Case:
    """One row: a condition, what it gives, and what it counts."""

    condition: str
    expected: bool | None
    warnings: int = 0
    errors: int = 0
    documents: dict[str, Any] = field(default_factory=dict)
    """Overrides of DEFAULTS by root name (and ``now``)."""

    def scope(self) -> Scope:
        """A scope over private copies of the row's documents."""
        given = {**DEFAULTS, **self.documents}
        return Scope(**{k: copy.deepcopy(v) for k, v in given.items()})

    def want(self) -> tuple[str, int, int]:
        names = {T: "true", F: "false", U: "unknown"}
        return names[self.expected], self.warnings, self.errors


def row(condition, expected, *, warnings=0, errors=0, id=None, **documents):
    """A table row as a pytest param, named after its condition and overrides."""
    case = Case(condition, expected, warnings, errors, documents)
    overrides = " ".join(f"{k}={v!r}" for k, v in documents.items())
    name = f"{condition} | {overrides}" if documents else condition
    return pytest.param(case, id=id or name)


# --- SPEC: comparisons (§3, rules 2 and 3) ---------------------------------------

NUMBERS = [
    row("event.count == 10", T),
    row("event.count == 10.0", T),
    row("10.0 == event.count", T),
    row("event.one == event.one_f", T),
    row("event.one_f == event.one", T),
    row("1 == 1.0", T),
    row("1.0 == 1", T),
    row("event.count != 10.0", F),
    row("event.count != 11", T),
    row("10 < 4.5", F),
    row("4.5 > 10", F),
    row("4.5 < 10", T),
    row("event.count < 4.5", F),
    row("4.5 < event.count", T),
    row("event.price < 10", T),
    row("10 < event.price", F),
    row("event.count <= 10.0", T),
    row("10.0 <= event.count", T),
    row("event.price <= 4", F),
    row("event.count > 9.99", T),
    row("9.99 > event.count", F),
    row("event.count >= 10.0", T),
    row("event.price >= 5", F),
    row("-3 < event.zero", T),
]

TEXT = [
    row('event.name == "Hello World"', T),
    row('event.name == "hello world"', F),
    row('event.name != "Hello World"', F),
    row("event.name != 'Hello'", T),
    row('"apple" < "banana"', T),
    row('"banana" <= "banana"', T),
    row('"banana" > "apple"', T),
    row('"apple" >= "banana"', F),
]

BOOLEANS = [
    row("event.yes == true", T),
    row("event.yes != true", F),
    row("event.no == false", T),
    row("true == 1", F),
    row("event.yes == 1", F),
    row("event.no == 0", F),
    row("event.yes > 0", U, warnings=1),
    row("event.no < 1", U, warnings=1),
]

NULL_AND_MISSING = [
    row("event.nil == 1", U),
    row("event.nil != 1", U),
    row("event.nil == null", U),
    row("null == null", U),
    row("event.nope == 1", U),
    row("1 == event.nope", U),
    row("event.nope != 10", U),
    row("event.nope < 1", U),
    row("event.nope <= 1", U),
    row("event.nope > 1", U),
    row("event.nope >= 1", U),
    row("event.nope == event.nope", U),
    row("event.nope == null", U),
    row("profile.age != 10", U),
    row("profile.age is missing or profile.age != 10", T),
    row("profile.age is missing or profile.age != 10", T, profile={"age": 11}),
    row("profile.age is missing or profile.age != 10", F, profile={"age": 10}),
]

NO_COERCION = [
    row('"3" == 3', F),
    row("event.three == 3", F),
    row("3 == event.three", F),
    row('"10" > 9', U, warnings=1),
    row('9 < "10"', U, warnings=1),
    row("event.digits > 9", U, warnings=1),
    row("event.digits <= 100", U, warnings=1),
]

MIXED_ORDERING = [
    row("event.tags > 1", U, warnings=1),
    row('event.yes < "a"', U, warnings=1),
    row("event.no_keys >= 0", U, warnings=1),
    row("event.nums < event.tags", U, warnings=1),
    row("now > 5", U, warnings=1),
    row('date("2024-05-01") < event.count', U, warnings=1),
    row("not event.digits > 9", U, warnings=1),
]

# --- SPEC: membership and text ---------------------------------------------------

MEMBERSHIP = [
    row('event.type in ["purchase", "refund"]', T),
    row('event.type in ["refund"]', F),
    row('event.type not in ["refund"]', T),
    row('event.type not in ["purchase"]', F),
    row('event.nope in ["a"]', U),
    row('event.nope not in ["a"]', U),
    row('"a" in event.nope', U),
    row("event.count in [1, 10.0]", T),
    row("event.three in [3]", F),
    row("event.three not in [3]", T),
    row("event.yes in [1]", F),
    row("event.one in [true]", F),
    row('"vip" in event.tags', T),
    row("event.type in event.tags", F),
]

CONTAINS = [
    row('event.name contains "lo W"', T),
    row('event.name contains "xyz"', F),
    row('event.name contains "hello"', F),
    row('event.tags contains "vip"', T),
    row('event.tags contains "vi"', F),
    row("event.nums contains 2.0", T),
    row('event.nums contains "2"', F),
    row("event.nums contains true", F),
    row('event.nope contains "a"', U),
    row("event.name contains event.nope", U),
    row('event.nil contains "a"', U),
]

STARTS_ENDS = [
    row('event.name starts with "Hell"', T),
    row('event.name starts with "World"', F),
    row('event.name ends with "World"', T),
    row('event.name ends with "Hello"', F),
    row('event.nope starts with "a"', U),
    row('event.nope ends with "a"', U),
    row("event.name starts with event.nope", U),
]

GOOD_PATTERN = {"name": "ab", "pattern": "a."}
BAD_PATTERN = {"name": "ab", "pattern": "("}
MATCHES = [
    row('event.name matches "Hello.*"', T),
    row('event.name matches "H.*d"', T),
    row('event.name matches "Hello"', F),  # re.match would say true
    row('event.name matches "World"', F),  # re.search would say true
    row('event.name matches "o W"', F),
    row(r'event.properties["order id"] matches "[A-Z]-\\d+"', T),
    row('event.nope matches "a"', U),
    # A bad pattern found at run time is a failed evaluation (rule 6).
    row("event.name matches event.pattern", T, event=GOOD_PATTERN),
    row("event.name matches event.pattern", U, errors=1, event=BAD_PATTERN),
]

BETWEEN = [
    row("event.count between 1 and 10", T),
    row("event.count between 10 and 20", T),
    row("event.count between 10.0 and 10.0", T),
    row("event.count between 11 and 20", F),
    row("event.count between 1 and 9.99", F),
    row("event.price between 4 and 5", T),
    row('"b" between "a" and "c"', T),
    row("event.nope between 1 and 10", U),
    row("event.nil between 1 and 10", U),
    row("event.count between event.nope and 20", U),
    row('event.time between date("2024-05-01") and date("2024-05-02")', T),
]

# --- SPEC: presence (rule 1), every test against every kind of value -------------

PRESENCE_VALUES = ["missing", None, "", [], {}, 0, False, "x"]
PRESENCE_TABLE = {
    #               missing null  ""  []  {}  0  false "x"
    "exists":      (F,      T,    T,  T,  T,  T, T,    T),
    "is missing":  (T,      F,    F,  F,  F,  F, F,    F),
    "is null":     (F,      T,    F,  F,  F,  F, F,    F),
    "is not null": (F,      F,    T,  T,  T,  T, T,    T),
    "is empty":    (T,      T,    T,  T,  T,  F, F,    F),
}  # fmt: skip
PRESENCE = [
    row(f"event.x {test}", expected, event={} if value == "missing" else {"x": value})
    for test, truths in PRESENCE_TABLE.items()
    for value, expected in zip(PRESENCE_VALUES, truths, strict=True)
]
PRESENCE += [
    row("profile.age exists", T, profile={"age": None}),
    row("event.properties.items[5].sku is missing", T),
    row("session.id is not null", T),
    row("source.id exists", F, source=MISSING),
]

SEGMENTS = [
    row('profile in segment "vip"', T),
    row('profile in segment "gold"', F),
    row('profile not in segment "vip"', F),
    row('profile not in segment "gold"', T),
]

# --- SPEC: three-valued logic (rule 2) and precedence ----------------------------

OPERAND = {T: "event.one == 1", F: "event.one == 2", U: "event.nope == 1"}
NAME = {T: "true", F: "false", U: "unknown"}
NOT_TABLE = [(T, F), (F, T), (U, U)]
AND_TABLE = [
    (T, T, T), (T, F, F), (T, U, U),
    (F, T, F), (F, F, F), (F, U, F),
    (U, T, U), (U, F, F), (U, U, U),
]  # fmt: skip
OR_TABLE = [
    (T, T, T), (T, F, T), (T, U, T),
    (F, T, T), (F, F, F), (F, U, U),
    (U, T, T), (U, F, U), (U, U, U),
]  # fmt: skip
LOGIC = (
    [row(f"not {OPERAND[a]}", r, id=f"not {NAME[a]}") for a, r in NOT_TABLE]
    + [
        row(f"{OPERAND[a]} and {OPERAND[b]}", r, id=f"{NAME[a]} and {NAME[b]}")
        for a, b, r in AND_TABLE
    ]
    + [
        row(f"{OPERAND[a]} or {OPERAND[b]}", r, id=f"{NAME[a]} or {NAME[b]}")
        for a, b, r in OR_TABLE
    ]
    + [
        row("not (event.one == 1 and event.nope == 1)", U),
        row("event.nope == 1 or event.one == 2 or event.one == 1", T),
        row("event.one == 1 and event.one == 1 and event.nope == 1", U),
    ]
)

AB = {"event": {"a": 1, "b": 2}}
PRECEDENCE = [
    row("event.a + 1 == 2", T, **AB),
    row("1 + 2 * 3 == 7", T),
    row("(1 + 2) * 3 == 9", T),
    row("10 - 4 - 3 == 3", T),
    row("2 * 3 % 4 == 2", T),
    row("12 / 2 / 3 == 2", T),
    row("event.a * 2 in [2]", T, **AB),
    row("not event.a == 2", T, **AB),
    row("not event.a == 2 and event.b == 1", F, **AB),
    row("not event.a == 1 or event.b == 2", T, **AB),
    row("event.a == 1 or event.a == 2 and event.b == 3", T, **AB),
    row("(event.a == 1 or event.a == 2) and event.b == 3", F, **AB),
]

# --- SPEC: arithmetic (§2) and failed evaluations (rule 6) -----------------------

ARITHMETIC = [
    row("event.count + event.price == 14.5", T),
    row("event.count - event.price == 5.5", T),
    row("event.count * event.price == 45", T),
    row("event.count / 5 == 2", T),
    row("event.count % 4 == 2", T),
    row("-event.count < 0", T),
    row("event.count / 0 > 1", U, errors=1),
    row("event.count % 0 == 0", U, errors=1),
    row("event.count / event.zero == 0", U, errors=1),
    row("event.price / 0.0 > 0", U, errors=1),
    row("not event.count / 0 > 1", U, errors=1),
    row("event.nope + 1 == 1", U),
    row("1 - event.nope < 5", U),
    row("event.nope * 0 == 0", U),
]

# --- SPEC: times and durations (§2, rule 5) --------------------------------------

NO_OFFSET = {"t": "2024-05-01T10:00:00"}
TIMES = [
    row('now == datetime("2024-05-10T12:00:00+00:00")', T),
    row('now > date("2024-05-01")', T),
    row(
        'datetime("2024-05-01T10:00:00+02:00") == '
        'datetime("2024-05-01T08:00:00+00:00")',
        T,
    ),
    row('datetime("2024-05-01T10:00:00+02:00") < date("2024-05-01") + 9 hours', T),
    row('date("2024-05-01") == datetime("2024-05-01T00:00:00+00:00")', T),
    row("now - 7 days > event.time", T),
    row('event.time + 1 hour == datetime("2024-05-01T11:00:00+00:00")', T),
    row("event.time + 1 hour > now", F),
    row("event.time > now - 30 days", T),
    row("event.time > now - 7 days", F),
    row('event.time == datetime("2024-05-01T12:00:00+02:00")', T),
    row('event.time == datetime("2024-05-01T10:00:01+00:00")', F),
    row('event.time != date("2024-05-01")', T),
    row("event.time < now", T),
    row("now > event.time", T),
    row("profile.last_seen == now - 1 day", T),  # stored with a Z
    row('event.t == datetime("2024-05-01T10:00:00+00:00")', T, event=NO_OFFSET),
    row('event.t > datetime("2024-05-01T11:00:00+02:00")', T, event=NO_OFFSET),
    row("event.name < now", U, warnings=1),
    row("event.name == now", U, warnings=1),
    row("now != event.blank", U, warnings=1),
    row("event.digits > now - 1 day", U, warnings=1),
    row("event.epoch < now", U, warnings=1),
    row("date(event.epoch) < now", T),
    row("event.nope < now", U),
    row("event.nope + 1 hour > now", U),
    row("event.nil > now", U),
]

DURATIONS = [
    row(f'now - {written} == datetime("2024-05-10T{clock}+00:00")', T)
    for written, clock in [
        ("30 seconds", "11:59:30"),
        ("15 minutes", "11:45:00"),
        ("2 hours", "10:00:00"),
        ("1 second", "11:59:59"),
        ("1 minute", "11:59:00"),
        ("1 hour", "11:00:00"),
        ("30s", "11:59:30"),
        ("15m", "11:45:00"),
        ("2h", "10:00:00"),
    ]
] + [
    row(f'now - {written} == datetime("{day}T12:00:00+00:00")', T)
    for written, day in [
        ("7 days", "2024-05-03"),
        ("2 weeks", "2024-04-26"),
        ("1 day", "2024-05-09"),
        ("1 week", "2024-05-03"),
        ("7d", "2024-05-03"),
        ("2w", "2024-04-26"),
    ]
]

# --- SPEC: functions (§2) --------------------------------------------------------

FUNCTIONS = [
    row('lower(event.name) == "hello world"', T),
    row('upper(event.name) == "HELLO WORLD"', T),
    row('trim(event.padded) == "a b"', T),
    row("len(event.name) == 11", T),
    row("len(event.tags) == 2", T),
    row("len(event.blank) == 0", T),
    row("len(event.none_list) == 0", T),
    row("number(event.three) == 3", T),
    row("number(event.digits) > 9", T),
    row('number("4.5") == 4.5', T),
    row("number(event.three) == event.three", F),
    row('text(event.count) == "10"', T),
    row("text(event.count) == event.digits", T),
    row('text(4.5) == "4.5"', T),
    row('date(1714521600) == datetime("2024-05-01T00:00:00+00:00")', T),
    row('date(1714521600 + 3600) == datetime("2024-05-01T01:00:00+00:00")', T),
    row('date(event.epoch) == date("2024-05-01")', T),
    row('days_since(date("2024-05-03") + 12 hours) == 7', T),
    row("days_since(now - 7 days) == 7", T),
    row('hours_since(datetime("2024-05-10T10:00:00+00:00")) == 2', T),
    row("hours_since(now - 2 hours) == 2", T),
    row("coalesce(event.nope, event.count) == 10", T),
    row('coalesce(event.nope, profile.nope, "x") == "x"', T),
    row('coalesce(event.name, "x") == "Hello World"', T),
    row("coalesce(event.nope, profile.nope) == 1", U),
    row("round(3.14159, 2) == 3.14", T),
    row("round(event.count / 3, 2) == 3.33", T),
    row("round(event.properties.total, 0) == 120", F),
    # Missing arguments give unknown and count nothing.
    row('lower(event.nope) == "a"', U),
    row('upper(event.nope) == "A"', U),
    row('trim(event.nope) == ""', U),
    row("len(event.nope) == 0", U),
    row("number(event.nope) == 0", U),
    row('text(event.nope) == ""', U),
    row("date(event.nope) < now", U),
    row("days_since(event.nope) > 1", U),
    row("hours_since(event.nope) > 1", U),
    row("round(event.nope, 2) == 0", U),
]

# --- SPEC: paths (§2) ------------------------------------------------------------

PATHS = [
    row("event.properties.total == 120.5", T),
    row('event.properties["order id"] == "A-17"', T),
    row("event.properties['order id'] == 'A-17'", T),
    row('event.properties["a.b"] == "dotted key"', T),
    row('event.properties.items[0].sku == "X1"', T),
    row('event.properties.items[1].sku == "Y2"', T),
    row('event.properties["items"][0]["sku"] == "X1"', T),
    row("event.properties.items[2].sku is missing", T),
    row('event.properties.items[2].sku == "X1"', U),
    row("event.properties.total.value is missing", T),
    row("event.properties.items.sku is missing", T),
    row("event.properties[0] is missing", T),
    row("event.nil.x is missing", T),
    row('session.id == "s1"', T),
    row('source.id == "web-shop"', T),
    row('profile.traits.tier == "gold"', T),
]

BARE_VALUES = [
    row("event.yes", T),
    row("event.no", F),
    row("true", T),
    row("false", F),
    row("not event.no", T),
    row("event.yes and event.one == 1", T),
]

SPEC_ROWS = (
    NUMBERS + TEXT + BOOLEANS + NULL_AND_MISSING + NO_COERCION + MIXED_ORDERING
    + MEMBERSHIP + CONTAINS + STARTS_ENDS + MATCHES + BETWEEN + PRESENCE
    + SEGMENTS + LOGIC + PRECEDENCE + ARITHMETIC + TIMES + DURATIONS + FUNCTIONS
    + PATHS + BARE_VALUES
)  # fmt: skip


@pytest.mark.parametrize("case", SPEC_ROWS)
def test_spec(case: Case, run_condition) -> None:
    scope = case.scope()
    assert run_condition(case.condition, scope) == case.want()
