"""Hypothesis strategies for condition nodes and the documents they run against.

The differential test (compiled form against reference evaluator) draws from
here, and so will the SQL back end's agreement test. Nodes are built directly
from ``tracsh.lang.nodes``, never parsed, so the evaluators see shapes the
parser's own habits would never produce.

Documents keep one kind of value per key most of the time (numbers under
``n``, text under ``s``, times under ``time``, lists under ``tags``, booleans
under ``flag``) and anything under ``a`` and ``b``; expressions come in the
same kinds. Tests mostly compare like with like, so true and false answers are
common, and sometimes mix kinds, so the unknown and type-warning paths run too.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from tracsh.lang import nodes as n
from tracsh.lang.scope import MISSING

NOWS = (
    datetime(2024, 5, 10, 12, 0, tzinfo=UTC),
    datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))),
    datetime(2019, 10, 1, 0, 0, 30, tzinfo=UTC),
)
"""The clocks a world can have; one is not UTC, to catch naive arithmetic."""

SEGMENTS = ("vip", "new", "gold")

# --- the values documents and literals are made of -----------------------------------

NUMBERS = (0, 1, -1, 3, 10, 1.0, 2.5, 4.5, -3.0, 0.1, 1714521600, 1714521600.5)
HUGE_NUMBERS = (2**53 + 1, -(10**12), 10**20)
"""Numbers past a float's precision or past any datetime, for the edges."""

NUMERIC_TEXTS = ("3", "10", "3.5", "-1", "0", " 7 ", "1e3")
PLAIN_TEXTS = ("", "hello", "Hello World", "HeLLo ", "vip", "a", "2024-13-45", "now")
ISO_TEXTS = (
    "2024-05-01T10:00:00+02:00",
    "2024-05-01T08:00:00Z",
    "2024-05-01T10:00:00",
    "2024-05-01",
    "2024-05-10T12:00:00+00:00",
    "2019-10-01T00:00:00.250000+00:00",
)
"""ISO-8601 text with an offset, with ``Z``, without an offset, and a bare date."""

PATTERNS = ("h.*", "[0-9]+", "Hello.*", "", "a|vip", ".*o.*", r"\d+(\.\d+)?")
BAD_PATTERNS = ("(", "a[")
"""Invalid regular expressions; only documents hold them, since a literal one
is a load error and never reaches an evaluator."""

TEXTS = NUMERIC_TEXTS + PLAIN_TEXTS + PATTERNS
LITERAL_TEXTS = TEXTS + ISO_TEXTS
for _text in LITERAL_TEXTS:
    re.compile(_text)  # any literal may land after `matches`, so each must compile

LISTS = (
    [], ["vip", "new"], ["vip"], [1, 2, 3], [1.0, "2", None], [None], ["a", None],
    [[1], []], ["2024-05-01T08:00:00Z"],
)  # fmt: skip
OBJECTS = (
    {},
    {"n": 1, "s": "vip", "flag": True},
    {"n": None, "s": "Hello World", "time": "2024-05-01T10:00:00+02:00"},
    {"tags": ["vip"], "a": {"n": 10}},
    {"order id": "A-17", "s": ""},
    {'say "hi"': 3, "a.b": "vip", "[0]": ["vip"], "$": "2024-05-01", "*": True},
    [{"n": 3, "s": "a"}, {"n": 4.5, "s": "hello"}],
)
"""Nested values holding the typed keys, so paths two or three deep resolve."""

KINDS = {
    "n": NUMBERS + HUGE_NUMBERS[:1],
    "s": TEXTS + BAD_PATTERNS,
    "time": ISO_TEXTS + ("yesterday", 1714521600),
    "tags": LISTS,
    "flag": (True, False),
    "a": OBJECTS,
    "b": OBJECTS + LISTS,
}
"""What each document key usually holds."""

KEYS = (*KINDS, "order id")
ODD_KEYS = {
    "n": ('say "hi"', ""),
    "s": ("a.b", "a\\b", "x\x00y"),
    "time": ("é", "$"),
    "tags": ("[0]", "line\nbreak"),
    "flag": ("*", '\\"'),
    "a": ("$.a", "tab\there"),
    "b": ("k" * 300,),
}
"""Keys a SQLite JSON path must quote, or cannot name at all, standing in for
the typed key they hold the values of; paths and documents use them now and
then."""
ODD = {odd: key for key, odds in ODD_KEYS.items() for odd in odds}
VALUE_POOL = (
    None, True, False, *NUMBERS, *HUGE_NUMBERS, *TEXTS, *BAD_PATTERNS, *ISO_TEXTS,
    *LISTS, *OBJECTS,
)  # fmt: skip
"""Every value a key may hold when it breaks its habit (and ``order id`` always)."""


def outcome(truth: Any, report: Any) -> tuple[str, int, int]:
    """``(truth, type warnings, errors)`` with the truth named, for assertions.

    Naming the truth (``true``, ``false``, ``unknown``) keeps ``1`` from passing
    for ``True`` or ``0`` for ``False``, and makes failures read like the tables.
    """
    names = {True: "true", False: "false", None: "unknown"}
    name = next((v for k, v in names.items() if truth is k), f"not a truth: {truth!r}")
    return name, report.type_warnings, report.errors


# --- documents and worlds ------------------------------------------------------------

floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
any_value = st.one_of(
    st.sampled_from(VALUE_POOL),
    st.sampled_from(VALUE_POOL),
    floats,
    st.text(max_size=4),
)
"""Any JSON value: mostly from VALUE_POOL, some random decimals and text."""


def _stored(key: str) -> st.SearchStrategy[Any]:
    usual = st.sampled_from(KINDS.get(key, VALUE_POOL))
    return st.one_of(usual, usual, usual, any_value)


def _odd_keys() -> st.SearchStrategy[dict[str, Any]]:
    """Up to two keys of ODD, each holding what its typed key usually holds."""
    pair = st.sampled_from(tuple(ODD)).flatmap(
        lambda key: st.tuples(st.just(key), _stored(ODD[key]))
    )
    return st.lists(pair, max_size=2).map(dict)


def _with_odd_keys(typed: st.SearchStrategy[dict[str, Any]]) -> Any:
    return st.builds(lambda doc, odd: {**doc, **odd}, typed, _odd_keys())


def documents() -> st.SearchStrategy[dict[str, Any]]:
    """A document whose keys, each maybe absent, come from KEYS (a few from ODD)."""
    typed = st.fixed_dictionaries({}, optional={k: _stored(k) for k in KEYS})
    return _with_odd_keys(typed)


def profiles() -> st.SearchStrategy[dict[str, Any]]:
    """A profile document; ``segments`` is usually a list of names, sometimes not."""
    segments = st.one_of(
        st.lists(st.sampled_from(SEGMENTS), max_size=3, unique=True), any_value
    )
    optional = {**{k: _stored(k) for k in KEYS}, "segments": segments}
    return _with_odd_keys(st.fixed_dictionaries({}, optional=optional))


def _maybe(documents: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A document three times in four, otherwise MISSING (no such root)."""
    return st.one_of(documents, documents, documents, st.just(MISSING))


def worlds() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for ``Scope`` (all but the report): documents and a clock."""
    return st.fixed_dictionaries(
        {
            "event": documents(),
            "profile": _maybe(profiles()),
            "session": _maybe(documents()),
            "source": _maybe(documents()),
            "now": st.sampled_from(NOWS),
        }
    )


def _document_pool(seed: int, size: int, segments: bool) -> tuple[Any, ...]:
    """``size`` documents made by a seeded generator the way ``documents()`` makes
    them; the first is empty."""
    rng = random.Random(seed)

    def value(key: str) -> Any:
        roll = rng.random()
        if roll < 0.05:
            return rng.uniform(-1e3, 1e3)
        if roll < 0.1:
            return "".join(rng.choice("aZ9 .-:é") for _ in range(rng.randint(0, 4)))
        if roll < 0.25:
            return rng.choice(VALUE_POOL)
        return rng.choice(KINDS.get(key, VALUE_POOL))

    pool: list[Any] = [{}]
    for _ in range(size - 1):
        doc = {key: value(key) for key in KEYS if rng.random() < 0.7}
        doc.update((odd, value(key)) for odd, key in ODD.items() if rng.random() < 0.1)
        if segments and rng.random() < 0.8:
            doc["segments"] = rng.sample(SEGMENTS, rng.randint(0, 2))
        pool.append(doc)
    return tuple(pool)


def _world_pool(size: int) -> tuple[dict[str, Any], ...]:
    """``size`` worlds (Scope keyword arguments) built from the document pools."""
    events = _document_pool(1, size, segments=False)
    profiles = (MISSING, *_document_pool(2, size - 1, segments=True))
    others = (MISSING, *_document_pool(3, size // 2, segments=False))
    rng = random.Random(4)
    return tuple(
        {
            "event": event,
            "profile": rng.choice(profiles),
            "session": rng.choice(others),
            "source": rng.choice(others),
            "now": rng.choice(NOWS),
        }
        for event in events
    )


WORLD_POOL = _world_pool(400)
"""Fixed worlds: shared, so never to be changed by a test (copy before use)."""


def pooled_worlds(count: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    """``count`` different worlds from WORLD_POOL, for the price of one draw.

    Drawing documents whole from a pool lets a test afford many worlds per
    condition; ``worlds()`` still covers the shapes the pool misses.
    """
    size = len(WORLD_POOL)
    step = size // count

    def pick(start: int) -> list[dict[str, Any]]:
        return [WORLD_POOL[(start + i * step) % size] for i in range(count)]

    return st.integers(0, size - 1).map(pick)


# --- expressions, by kind ------------------------------------------------------------

ROOT_NAMES = st.sampled_from(("event", "event", "profile", "session", "source"))
PREFIXES = st.sampled_from(((), (), (), ("a",), ("b", 0), ("b", 1)))
"""Where a typed key is looked up: at the top, or inside ``a`` or ``b``."""


def paths_to(*keys: str) -> st.SearchStrategy[n.Path]:
    """Paths ending in one of ``keys`` (or, one time in six, a key of ODD standing
    in for it), at the top of a document or nested."""
    typed = st.sampled_from(keys)
    odd = st.sampled_from([o for key in keys for o in ODD_KEYS.get(key, ())] or keys)
    return st.builds(
        lambda root, prefix, key: n.Path(root, (*prefix, key)),
        ROOT_NAMES,
        PREFIXES,
        st.one_of(typed, typed, typed, typed, typed, odd),
    )


_any_key = st.sampled_from(KEYS)
any_paths = st.builds(
    lambda root, parts: n.Path(root, tuple(parts)),
    ROOT_NAMES,
    st.lists(
        st.one_of(_any_key, _any_key, st.sampled_from(tuple(ODD)), st.integers(0, 2)),
        max_size=3,
    ),
)


def _literal(values: st.SearchStrategy[Any]) -> st.SearchStrategy[n.Literal]:
    return st.builds(n.Literal, values)


def _call(name: str, *args: st.SearchStrategy[Any]) -> st.SearchStrategy[n.Call]:
    return st.builds(lambda *a: n.Call(name, a), *args)


durations = st.builds(
    n.Duration,
    st.sampled_from((0, 1, 2, 7, 30, 1.5)),
    st.sampled_from(tuple(n.DURATION_UNITS)),
)

number_literals = _literal(
    st.one_of(st.sampled_from(NUMBERS), st.integers(-5, 12), floats)
)
text_literals = _literal(st.sampled_from(LITERAL_TEXTS))
time_leaves = st.one_of(
    st.just(n.Now()),
    _call("date", _literal(st.sampled_from(ISO_TEXTS))),
    _call("datetime", _literal(st.sampled_from(ISO_TEXTS))),
    _call("date", _literal(st.sampled_from(NUMBERS + HUGE_NUMBERS))),
    paths_to("time"),
)
"""Times: ``now``, ``date(...)``, ``datetime(...)``, and stored ISO text."""


def _numbers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    since = st.sampled_from(("days_since", "hours_since"))
    places = st.one_of(_literal(st.integers(-1, 4)), inner)
    return st.one_of(
        st.builds(n.Arith, st.sampled_from("+-*/%"), inner, inner),
        st.builds(n.Neg, inner),
        _call("round", inner, places),
        _call("len", st.one_of(text_expressions, paths_to("tags", "a"))),
        _call("number", text_expressions),
        st.builds(lambda f, t: n.Call(f, (t,)), since, time_expressions),
    )


def _texts(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    name = st.sampled_from(("lower", "upper", "trim"))
    return st.one_of(
        st.builds(lambda f, x: n.Call(f, (x,)), name, inner),
        _call("text", st.one_of(number_literals, paths_to("n", "flag"))),
        st.builds(
            lambda args: n.Call("coalesce", tuple(args)),
            st.lists(inner, min_size=1, max_size=3),
        ),
    )


text_expressions = st.recursive(
    st.one_of(text_literals, paths_to("s", "s", "order id")), _texts, max_leaves=3
)
"""Text: literals, stored text, lower/upper/trim/text/coalesce of text."""

time_expressions = st.one_of(
    time_leaves,
    st.builds(n.Arith, st.sampled_from("+-"), time_leaves, durations),
    _call("date", st.one_of(paths_to("time", "n"), text_expressions)),
)
"""Times, and times plus or minus a duration."""

number_expressions = st.recursive(
    st.one_of(number_literals, paths_to("n", "n", "a")), _numbers, max_leaves=3
)
"""Numbers: literals, stored numbers, arithmetic, len/number/round/*_since."""

boolean_expressions = st.one_of(
    _literal(st.booleans()), paths_to("flag"), paths_to("flag", "a")
)


def _mixed(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Any function over any value, arithmetic across kinds, lists and objects."""
    one = st.sampled_from(
        ("lower", "upper", "trim", "len", "number", "text", "date", "datetime",
         "days_since", "hours_since")
    )  # fmt: skip
    return st.one_of(
        st.builds(n.Arith, st.sampled_from("+-*/%"), inner, inner),
        st.builds(n.Neg, inner),
        st.builds(lambda f, x: n.Call(f, (x,)), one, inner),
        st.builds(
            lambda args: n.Call("coalesce", tuple(args)),
            st.lists(inner, min_size=1, max_size=3),
        ),
        _call("round", inner, inner),
        st.builds(lambda items: n.ListExpr(tuple(items)), st.lists(inner, max_size=3)),
        st.builds(
            lambda pairs: n.ObjectExpr(tuple(pairs.items())),
            st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
        ),
    )


mixed_expressions = st.recursive(
    st.one_of(
        number_literals, text_literals, _literal(st.sampled_from((None, True))),
        any_paths, durations, time_leaves,
    ),
    _mixed,
    max_leaves=3,
)  # fmt: skip
"""Anything: values of every kind, nested in functions and arithmetic."""

KINDS_OF_EXPRESSION = (
    number_expressions, text_expressions, time_expressions, boolean_expressions
)  # fmt: skip
expressions = st.one_of(*KINDS_OF_EXPRESSION, mixed_expressions)
"""Any value expression, of one kind or mixed."""


# --- conditions ----------------------------------------------------------------------


def _same_kind(count: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """``count`` expressions of one kind, or (one time in five) of any kinds."""
    alike = [st.tuples(*[kind] * count) for kind in KINDS_OF_EXPRESSION]
    return st.one_of(*alike, st.tuples(*[expressions] * count))


def _membership() -> st.SearchStrategy[n.InList]:
    def build(kinds: tuple[Any, ...], path: Any, use_path: bool, negated: bool):
        operand, *items = kinds
        options = path if use_path else n.ListExpr(tuple(items))
        return n.InList(operand, options, negated)

    return st.builds(
        build,
        st.one_of(_same_kind(3), _same_kind(1)),
        st.one_of(paths_to("tags", "b"), expressions),
        st.booleans(),
        st.booleans(),
    )


def _text_tests() -> st.SearchStrategy[n.TextTest]:
    ops = st.sampled_from(n.TEXT_OPS[:3])
    patterns = st.one_of(_literal(st.sampled_from(PATTERNS)), text_expressions)
    return st.one_of(
        st.builds(n.TextTest, ops, text_expressions, text_expressions),
        st.builds(n.TextTest, st.just("contains"), paths_to("tags", "b"), expressions),
        st.builds(n.TextTest, st.just("matches"), text_expressions, patterns),
        st.builds(n.TextTest, st.sampled_from(n.TEXT_OPS), expressions, expressions),
    )


tests = st.one_of(
    st.builds(
        lambda op, pair: n.Compare(op, *pair),
        st.sampled_from(n.COMPARE_OPS),
        _same_kind(2),
    ),
    _membership(),
    _text_tests(),
    st.builds(lambda triple: n.Between(*triple), _same_kind(3)),
    st.builds(
        n.Presence,
        st.one_of(any_paths, paths_to(*KEYS), expressions),
        st.sampled_from(n.PRESENCE_TESTS),
    ),
    st.builds(n.InSegment, st.sampled_from(SEGMENTS), st.booleans()),
    st.builds(n.Truthy, st.one_of(boolean_expressions, expressions)),
)
"""Every kind of test of language.md §3 except history and ``tql``."""


def _flat(kind: type, items: list[Any]) -> tuple[Any, ...]:
    """Items with nested ``kind`` nodes spliced in, as the parser builds chains."""
    out: list[Any] = []
    for item in items:
        out.extend(item.items if isinstance(item, kind) else (item,))
    return tuple(out)


def _logic(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    two_or_three = st.lists(inner, min_size=2, max_size=3)
    return st.one_of(
        st.builds(n.Not, inner),
        st.builds(lambda items: n.And(_flat(n.And, items)), two_or_three),
        st.builds(lambda items: n.Or(_flat(n.Or, items)), two_or_three),
    )


conditions = st.recursive(tests, _logic, max_leaves=6)
"""Conditions: the tests above under nested ``not``, ``and`` and ``or``."""
