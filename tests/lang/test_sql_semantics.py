"""The SQL back end against the semantic tables, and what only SQL has.

Every row of test_semantics.py and test_semantics_assumed.py runs through SQLite
too and must give the same truth (SQL does not count type warnings). Further
tables pin down how tests are written (natively or through ``tracsh_test``), what
is refused and why, and that an equality test can use an expression index.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from sql_worlds import Worlds
from strategies import outcome
from test_semantics import SPEC_ROWS, Case
from test_semantics_assumed import ASSUMED_ROWS

from tracsh.errors import UserError
from tracsh.lang.compile import compile_condition
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import Report, Scope
from tracsh.lang.sql import SqlRefused, install_functions, json_path, to_sql
from tracsh.lang.sql import form as f

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def worlds(tmp_path):
    found = Worlds(tmp_path / "worlds.db")
    yield found
    found.close()


@pytest.mark.parametrize("case", SPEC_ROWS + ASSUMED_ROWS)
def test_sql_gives_every_semantic_row_its_truth(case: Case, worlds) -> None:
    scope = case.scope()
    world = {r: scope.root(r) for r in ("event", "profile", "session", "source")}
    row = worlds.add(world)
    [truth] = worlds.truths(load_condition(case.condition), scope.now, [row])
    assert truth == case.want()[0]


def _calls(form) -> list[str]:
    found = []
    stack = [form]
    while stack:
        node = stack.pop()
        if isinstance(node, f.Call):
            found.append(node.function)
        if isinstance(node, tuple):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(getattr(node, name) for name in node.__dataclass_fields__)
    return found


@pytest.mark.parametrize(
    ("condition", "bridged"),
    [
        ("profile.visits > 3", False),
        ('profile.pii.email == "a@b.test"', False),
        ('profile.traits.tier in ["gold", "silver"]', False),
        ("profile.last_seen < now - 30 days", False),
        ('profile.tags contains "vip"', False),
        ('profile.pii.email ends with "@b.test"', False),
        ("profile.traits.ltv between 10 and 1000", False),
        ("profile.traits.x is empty", False),
        ('profile in segment "vip"', False),
        ("profile.visits == 2 * 3 + profile.views", True),
        ("profile.visits + 1 > 3", True),
        ('lower(profile.pii.email) == "a@b.test"', True),
        ("days_since(profile.last_seen) > 30", True),
        ("profile.traits.ltv > profile.traits.limit * 2", True),
        ("[profile.visits, 1] == [2, 1]", True),
        ("profile.tags contains now", False),
        ("profile.tags == [now]", True),
    ],
)
def test_tests_with_fields_and_constants_are_written_in_sql(condition, bridged):
    sql = to_sql(load_condition(condition), {"profile": "doc"}, NOW)
    assert ("test" in _calls(sql.form)) is bridged
    assert ("tracsh_test" in sql.text) is bridged


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            'event.type == "purchase"',
            "<condition>:1:1: event.type cannot be read here; only profiles are stored",
        ),
        (
            "profile.visits > 1 and session.events > 2",
            "<condition>:1:24: session.events cannot be read here; only profiles "
            "are stored",
        ),
        (
            'count("purchase") > 2',
            "<condition>:1:1: count() reads the event history, which segment "
            "refresh and profile queries do not evaluate; test a field kept on the "
            "profile instead (for example one a rule increments)",
        ),
    ],
)
def test_what_sql_cannot_evaluate_is_refused_with_its_place(condition, message):
    with pytest.raises(SqlRefused) as caught:
        to_sql(
            load_condition(condition),
            {"profile": "doc"},
            NOW,
            why="; only profiles are stored",
        )
    assert str(caught.value) == message
    assert isinstance(caught.value, UserError)


@pytest.mark.parametrize(
    ("parts", "path"),
    [
        (("pii", "email"), "$.pii.email"),
        (("items", 0, "sku"), "$.items[0].sku"),
        (("order id",), '$."order id"'),
        (("a.b",), '$."a.b"'),
        (("it's",), '$."it\'s"'),
        (("é",), '$."é"'),
        ((), "$"),
    ],
)
def test_json_paths_are_written_as_literals(parts, path):
    assert json_path(parts) == path


@pytest.mark.parametrize("key", ['say "hi"', "a\\b", "line\nbreak", "x\x00y"])
def test_no_json_path_is_written_for_a_key_it_would_not_find(key):
    with pytest.raises(ValueError, match="no SQLite JSON path names the key"):
        json_path(("traits", key))


ODD_KEYS = [
    'say "hi"', "a.b", "a[0]", "[0]", "$", "*", "$.a", "a\\b", '\\"', "",
    "x\x00y", "line\nbreak", "tab\there", "é", "ключ", "'", "k" * 3000,
]  # fmt: skip
"""Keys a JSON path must quote, cannot name at all, or would misread unquoted."""

ODD_TESTS = [
    "profile.t[{k}] == 1",
    "profile.t[{k}] exists",
    "profile.t[{k}] is empty",
    "profile.t[{k}].n > 2",
    "profile.t[{k}][0] == 'vip'",
    "'vip' in profile.t[{k}]",
    "profile.t[{k}] == profile.t.other",
    "profile.t[{k}] + 1 == 2 or profile.t.x == 1",
]

ODD_DOCS = [
    {},
    {"t": {}},
    {"t": {"a": {"b": 1, "0": 1}, "say": 1, "x": 1, "line": 1, "k": 1, "": 2}},
    {"t": {"other": 1}},
    {"t": {"other": ["vip"]}},
    {"t": {"other": ""}},
    {"t": {"n": 3, "other": {"n": 3}}},
]
"""Documents for each key: with the key added (except the first three), and
decoys where a path that split or cut the key short would land."""


@pytest.mark.parametrize("key", ODD_KEYS, ids=lambda key: repr(key)[:20])
@pytest.mark.parametrize("template", ODD_TESTS)
def test_any_key_reads_as_the_compiled_form_reads_it(worlds, key, template):
    condition = load_condition(template.format(k=json.dumps(key, ensure_ascii=False)))
    compiled = compile_condition(condition)
    docs = ODD_DOCS[:3] + [
        {"t": {**doc["t"], key: doc["t"]["other"]}} for doc in ODD_DOCS[3:]
    ]
    rows = [worlds.add({"profile": doc}) for doc in docs]
    want = [outcome(compiled(Scope(profile=doc, now=NOW)), Report())[0] for doc in docs]
    assert worlds.truths(condition, NOW, rows) == want


def test_only_the_tests_of_keys_no_path_can_name_are_bridged():
    condition = load_condition('profile.t["a\\"b"] == 1 and profile.t["a.b"] == 1')
    sql = to_sql(condition, {"profile": "doc"}, NOW)
    assert sql.text.count("tracsh_test(") == 1
    assert "(doc -> '$.t')" in sql.text
    assert "json_extract(doc, '$.t.\"a.b\"')" in sql.text


@pytest.mark.parametrize(
    ("doc", "truth"),
    [
        ({"k": {"it's": "x"}}, "true"),
        ({"k": {"it's": "y"}}, "false"),
        ({"k": {"its": "x"}}, "unknown"),
    ],
)
def test_keys_with_quotes_reach_the_right_field(worlds, doc, truth):
    row = worlds.add({"profile": doc})
    condition = load_condition("profile.k[\"it's\"] == 'x'")
    assert worlds.truths(condition, NOW, [row]) == [truth]


def test_an_equality_test_can_use_an_expression_index(tmp_path):
    conn = sqlite3.connect(tmp_path / "index.db")
    install_functions(conn)
    conn.execute("CREATE TABLE profiles (id TEXT PRIMARY KEY, doc TEXT)")
    conn.execute("CREATE INDEX by_email ON profiles (json_extract(doc, '$.pii.email'))")
    sql = to_sql(
        load_condition('profile.pii.email == "a@b.test"'), {"profile": "doc"}, NOW
    )
    plan = conn.execute(
        f"EXPLAIN QUERY PLAN SELECT id FROM profiles WHERE {sql.text}", sql.params
    ).fetchall()
    assert any("USING INDEX by_email" in row[-1] for row in plan), plan
    conn.close()


def test_text_with_a_nul_character_is_cut_short_by_sqlite(worlds):
    """The documented limit (docs/sql.md): SQLite's JSON functions stop text at
    U+0000, so SQL reads "a\\x00b" as "a" where the language reads all three."""
    row = worlds.add({"profile": {"s": "a\x00b"}})
    condition = load_condition('profile.s == "a"')
    assert worlds.truths(condition, NOW, [row]) == ["true"]


BIG = 10**20
"""An integer beyond 64 bits: SQLite reads it from JSON as the nearest decimal."""


@pytest.mark.parametrize(
    ("condition", "profile", "truth"),
    [
        ("profile.n > 100000000000000000000.0", {"n": BIG + 1}, "true"),
        ("profile.n == 100000000000000000000.0", {"n": BIG + 1}, "false"),
        ("profile.n == 100000000000000000000.0", {"n": BIG}, "true"),
        ("profile.n <= 1e20", {"n": BIG + 1}, "false"),
        ("profile.n > profile.m", {"n": BIG + 1, "m": BIG}, "true"),
        ("profile.n == profile.m", {"n": BIG + 1, "m": BIG}, "false"),
        ("profile.n == profile.m", {"n": BIG, "m": float(BIG)}, "true"),
        ("profile.n in profile.list", {"n": BIG, "list": [BIG + 1]}, "false"),
        ("profile.list contains 1e20", {"list": [BIG + 1]}, "false"),
        ("profile.n > 9223372036854775807", {"n": 2**63}, "true"),
        ("profile.n < 3", {"n": -BIG}, "true"),
    ],
)
def test_integers_beyond_64_bits_compare_exactly(worlds, condition, profile, truth):
    row = worlds.add({"profile": profile})
    node = load_condition(condition.replace("1e20", "100000000000000000000.0"))
    assert worlds.truths(node, NOW, [row]) == [truth]


ARRAYS = [
    # (stored tags, `profile.tags contains "vip"`, `"vip" in profile.tags`)
    (["vip"], "true", "true"),
    (["a", "vip", "b"], "true", "true"),
    (["vipx", "xvip"], "false", "false"),
    (['a","vip'], "false", "false"),  # the quote is escaped inside the string
    (['x\\",\\"vip'], "false", "false"),
    ([["vip"]], "false", "false"),  # nested: the element is a list, not the text
    ([{"vip": 1}], "false", "false"),
    ([None], "unknown", "unknown"),
    ([None, "vip"], "true", "true"),
    (["a,null,b"], "false", "false"),  # looks like a null to a text search
    (["[vip]", "{"], "false", "false"),
    ([1, True, "VIP"], "false", "false"),
    ([], "false", "false"),
    ("vip", "true", "unknown"),  # text: `contains` is a substring test
    ({"vip": 1}, "unknown", "unknown"),
]


@pytest.mark.parametrize(("tags", "contains", "member"), ARRAYS)
def test_a_text_in_an_array_is_found_exactly(worlds, tags, contains, member):
    row = worlds.add({"profile": {"tags": tags, "segments": tags}})
    assert worlds.truths(load_condition('profile.tags contains "vip"'), NOW, [row]) == [
        contains
    ]
    assert worlds.truths(load_condition('"vip" in profile.tags'), NOW, [row]) == [
        member
    ]
    segment = worlds.truths(load_condition('profile in segment "vip"'), NOW, [row])
    assert segment == ["true" if isinstance(tags, list) and "vip" in tags else "false"]


@pytest.mark.parametrize(
    "name", ["vip", 'say "hi"', "back\\slash", "é", "tab\there", ""]
)
def test_segment_names_of_any_text_are_found(worlds, name):
    rows = [
        worlds.add({"profile": {"segments": segments}})
        for segments in ([name], ["other", name], ["other"], [f"x{name}"], [[name]])
    ]
    condition = load_condition(f"profile in segment {json.dumps(name)}")
    found = worlds.truths(condition, NOW, rows)
    assert found == ["true", "true", "false", "false", "false"]


TIMES = [
    # (stored text, truth of `profile.t < date("2024-05-01T10:00:00Z")`)
    ("2024-05-01T09:59:59+00:00", "true"),
    ("2024-05-01T09:59:59.999999+00:00", "true"),
    ("2024-05-01T10:00:00+00:00", "false"),
    ("2024-05-01T10:00:00.000001+00:00", "false"),
    ("2024-05-01T10:00:00.000000+00:00", "false"),  # not how tracsh writes it
    ("2024-05-01T11:59:59+02:00", "true"),  # an offset: read by Python
    ("2024-05-01T09:00:00Z", "true"),
    ("2024-05-01", "true"),
    ("2024-02-30T00:00:00+00:00", "unknown"),  # no such day
    ("2024-05-01T24:00:00+00:00", "unknown"),
    ("0000-01-01T00:00:00+00:00", "unknown"),  # year 0 does not exist
    ("2024-05-01T09:60:00+00:00", "unknown"),
    ("2024-5-1T09:00:00+00:00", "unknown"),
    ("yesterday", "unknown"),
]


@pytest.mark.parametrize(("text", "truth"), TIMES)
def test_stored_time_text_compares_as_the_language_reads_it(worlds, text, truth):
    row = worlds.add({"profile": {"t": text}})
    for condition, want in (
        ('profile.t < date("2024-05-01T10:00:00Z")', truth),
        ('date("2024-05-01T10:00:00Z") > profile.t', truth),
    ):
        assert worlds.truths(load_condition(condition), NOW, [row]) == [want]
