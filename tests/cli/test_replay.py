"""``tracsh replay`` end to end: real files in, summary and store out."""

import json
import sqlite3
from pathlib import Path

import pytest

from tracsh.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
REES46 = (
    ROOT.parent / "shared/data/rees46-multicategory-oct2019/2019-Oct-first17k.csv"
).resolve()


def replay(capsys, *argv):
    status = main(["replay", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    return status, (json.loads(captured.out) if status == 0 else None), captured.err


@pytest.mark.skipif(not REES46.exists(), reason=f"{REES46} is absent")
def test_the_real_clickstream_replays_to_the_known_figures(tmp_path, capsys):
    db = tmp_path / "rees46.db"
    status, summary, _ = replay(
        capsys,
        REES46,
        "--map",
        ROOT / "samples/rees46/mapping.toml",
        "--rules",
        ROOT / "samples/rees46/rules",
        "--db",
        db,
    )
    assert status == 0
    assert summary["events"]["accepted"] == 17434
    assert summary["events"]["rejected"] == 1
    assert summary["first_rejects"][0]["line"] == 17436
    assert summary["profiles"]["created"] == 4504
    assert summary["segments"] == {"buyer": 193}

    with sqlite3.connect(db) as conn:
        purchases, buyers = conn.execute(
            "SELECT sum(json_extract(doc, '$.counters.purchases')), "
            "count(json_extract(doc, '$.counters.purchases')) FROM profiles"
        ).fetchone()
        rejects = conn.execute("SELECT source, line FROM rejects").fetchall()
    assert (purchases, buyers) == (214, 193)
    assert rejects == [(str(REES46), 17436)]


def test_a_second_replay_of_the_shop_changes_nothing(tmp_path, capsys):
    db = tmp_path / "shop.db"
    sample = ROOT / "samples/shop/events.ndjson"
    rules = ROOT / "rules"
    status, first, _ = replay(capsys, sample, "--rules", rules, "--db", db)
    assert status == 0 and first["events"]["accepted"] == 4975
    before = _profiles(db)

    status, second, _ = replay(capsys, sample, "--rules", rules, "--db", db)
    assert status == 0
    assert second["events"]["duplicates"] == 4975
    assert second["rules_fired"] == 0
    assert _profiles(db) == before


def _profiles(db: Path) -> list:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, doc FROM profiles ORDER BY id").fetchall()


BAD_LINES = [
    ('{"type": "view", "id": "a1"}', None),
    ("{not json", "bad JSON"),
    ("[1, 2]", "JSON object"),
    ('{"id": "a2"}', "type"),
    (
        '{"type": "view", "id": "a3", "properties": {"pad": "' + "x" * 70000 + '"}}',
        "limit",
    ),
    ('{"type": "view", "id": "a4"}', None),
]


def test_malformed_lines_are_rejected_with_file_line_and_reason(tmp_path, capsys):
    source = tmp_path / "events.ndjson"
    lines = [text for text, _ in BAD_LINES]
    data = ("\n".join(lines) + "\n").encode() + b'{"type": "\xff"}\n'
    source.write_bytes(data)
    db = tmp_path / "t.db"
    rules = tmp_path / "rules"
    rules.mkdir()
    status, summary, _ = replay(capsys, source, "--rules", rules, "--db", db)
    assert status == 0
    assert summary["events"]["accepted"] == 2
    assert summary["events"]["rejected"] == 5

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT source, line, reason FROM rejects ORDER BY line")
        stored = rows.fetchall()
    expected = [(n, word) for n, (_, word) in enumerate(BAD_LINES, 1) if word]
    expected.append((len(BAD_LINES) + 1, "UTF-8"))
    assert [(line, src) for src, line, _ in stored] == [
        (n, str(source)) for n, _ in expected
    ]
    for (_, _, reason), (_, word) in zip(stored, expected, strict=True):
        assert word.lower() in reason.lower()


def test_an_event_nested_too_deeply_is_a_reject_not_a_crash(tmp_path, capsys):
    deep = '{"type": "a", "properties": {"x": ' + "[" * 900 + "]" * 900 + "}}"
    source = tmp_path / "events.ndjson"
    source.write_text(deep + '\n{"type": "b"}\n')
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/r.rules").write_text(
        'when event.type == "a" then set profile.traits.x = event.properties.x\n'
    )
    args = ("--rules", tmp_path / "rules", "--db", tmp_path / "t.db")
    status, summary, _ = replay(capsys, source, *args)
    assert status == 0
    assert (summary["events"]["accepted"], summary["events"]["rejected"]) == (1, 1)
    with sqlite3.connect(tmp_path / "t.db") as conn:
        [(reason,)] = conn.execute("SELECT reason FROM rejects").fetchall()
    assert reason.startswith("nested more than 64 levels deep at properties.x")


def test_a_rule_error_stops_replay_before_any_event_is_read(tmp_path, capsys):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.rules").write_text('when event.type = "x" then stop\n')
    db = tmp_path / "t.db"
    status, _, err = replay(
        capsys, ROOT / "samples/shop/events.ndjson", "--rules", rules, "--db", db
    )
    assert status == 1
    assert "bad.rules:1:17: error: `=` assigns a value" in err
    assert "nothing was run" in err
    assert not db.exists()
