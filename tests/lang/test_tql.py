"""Tracardi conditions: translations as tables, errors pointing inside the string,
and the conformance table of docs/tql.md run row by row."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracsh.lang import printer
from tracsh.lang.compile import compile_condition
from tracsh.lang.loader import load_condition, load_sources
from tracsh.lang.scope import MISSING, Scope
from tracsh.lang.tql import TqlError, translate

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots" / "errors"
NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)

TRANSLATIONS = [
    ('profile@stats.visits > 10 AND event@type == "purchase"',
     'profile.visits > 10 and event.type == "purchase"'),
    ("profile@data.contact.email.main EXISTS", "profile.pii.email exists"),
    ("profile@metadata.time.visit.last < now.offset(-7d)",
     "profile.last_seen < now - 7 days"),
    ("profile@traits.public.tier == \"gold\" or profile@traits.private.x == 1",
     'profile.traits.tier == "gold" or profile.traits.x == 1'),
    ("event@properties.items.0.sku == \"X\"", 'event.properties.items[0].sku == "X"'),
    ("event@properties.order-id == \"A\"", 'event.properties["order-id"] == "A"'),
    ("payload@total >= 10.5", "event.properties.total >= 10.5"),
    ("session@metadata.time.insert > datetime(\"2024-05-01\")",
     'session.started > datetime("2024-05-01")'),
    ("datetime(profile@traits.since) < now()", "date(profile.traits.since) < now"),
    ("datetime.offset(profile@traits.since, 2h) < utcnow()",
     "date(profile.traits.since) + 2 hours < now"),
    ("datetime.from_timestamp(event@properties.ts) > now()",
     "date(event.properties.ts) > now"),
    ("uppercase(event@properties.code) STARTS WITH \"WELCOME\"",
     'upper(event.properties.code) starts with "WELCOME"'),
    ("profile@segments == \"vip\"", 'profile in segment "vip"'),
    ("profile@ids == \"x\"", 'profile.ids contains "x"'),
    ("event@tags.values == \"promo\"", 'event.tags contains "promo"'),
    ("profile@x == null AND profile@y != NULL",
     "profile.x is null and profile.y is not null"),
    ("profile@x NOT EMPTY and profile@y not exists",
     "not (profile.x is empty) and profile.y is missing"),
    ("profile@x => 1 and profile@y =< 2 and profile@z = 3",
     "profile.x >= 1 and profile.y <= 2 and profile.z == 3"),
    ("(profile@a == 1 OR profile@b == 2) AND profile@c == [1, 2]",
     "(profile.a == 1 or profile.b == 2) and profile.c == [1, 2]"),
]  # fmt: skip


@pytest.mark.parametrize(("tql", "expected"), TRANSLATIONS)
def test_translation(tql, expected):
    assert printer.text(translate(tql)) == expected


ERRORS = [
    ('profile@a == 1 AND profile@b == 2 OR profile@c == 3', 34, "no precedence"),
    ("profile@x in_list == 1", 10, "unexpected character `i`"),
    ("profile@a == 'x'", 13, "double quotes"),
    ("flow@a == 1", 0, "workflow state"),
    ("profile@a == foo(1)", 13, "unknown Tracardi function foo()"),
    ('profile@a < datetime("last tuesday")', 12, "ISO-8601 only"),
    ("profile@a == ", 12, "ends too early"),
    ("", 0, "empty"),
    ("now.offset(1, 2) > profile@a", 0, "takes 1 argument"),
]  # fmt: skip


@pytest.mark.parametrize(("tql", "offset", "words"), ERRORS)
def test_error(tql, offset, words):
    with pytest.raises(TqlError) as caught:
        translate(tql)
    assert caught.value.offset == offset
    assert words in caught.value.message


def test_a_rule_file_error_points_inside_the_string(snapshot):
    text = (
        'when tql "profile@stats.visits > 10 AND event@type == \\"purchase\\" '
        'OR x@y == 1" then stop\n'
        "when tql 'profile@a == 1 AND foo(1) == 2' then stop\n"
        'when tql "profile@regex == \\"\\d\\" AND profile@a = " then stop\n'
    )
    ruleset = load_sources([("rules/old.rules", text)])
    assert not ruleset.ok
    snapshot.snapshot_dir = SNAPSHOTS
    rendered = "\n".join(d.render() for d in ruleset.diagnostics) + "\n"
    snapshot.assert_match(rendered, "tql.txt")
    columns = [d.column for d in ruleset.diagnostics]
    line = text.split("\n")[0]
    assert line[columns[0] - 1 : columns[0] + 1] == "OR"


def test_translated_rules_run_and_never_show_a_tql_node():
    ruleset = load_sources(
        [("a.rules", "when tql 'profile@stats.visits > 1' then stop\n")]
    )
    assert ruleset.ok
    condition = ruleset.rules[0].node.condition
    assert printer.text(condition) == "profile.visits > 1"
    assert compile_condition(condition)(Scope(profile={"visits": 2})) is True


def test_load_condition_translates_too():
    node = load_condition('tql "event@type == \\"x\\""')
    assert printer.text(node) == 'event.type == "x"'


# --- the conformance table of docs/tql.md ---------------------------------------------

_ROW = re.compile(
    r"^\| `(?P<tql>.+?)` \| `(?P<docs>.+?)` \| (?P<tracardi>\w+) \| (?P<tracsh>\w+) \|"
)


def conformance_rows() -> list[tuple[str, dict, str]]:
    text = (ROOT / "docs" / "tql.md").read_text(encoding="utf-8")
    table = text.split("<!-- BEGIN conformance")[1].split("<!-- END conformance")[0]
    rows = []
    for line in table.splitlines():
        found = _ROW.match(line)
        if found:
            tql = found["tql"].replace("\\|", "|")
            rows.append((tql, json.loads(found["docs"]), found["tracsh"]))
    return rows


ROWS = conformance_rows()


def test_the_conformance_table_has_rows():
    assert len(ROWS) >= 20


@pytest.mark.parametrize(
    ("tql", "documents", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
def test_conformance(tql, documents, expected):
    if expected == "error":
        with pytest.raises(TqlError):
            translate(tql)
        return
    scope = Scope(
        event=documents.get("event", MISSING),
        profile=documents.get("profile", MISSING),
        session=documents.get("session", MISSING),
        now=NOW,
    )
    truth = compile_condition(translate(tql))(scope)
    assert {True: "true", False: "false", None: "unknown"}[truth] == expected
