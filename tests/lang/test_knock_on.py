"""A file that does not load reports its own errors, not every name it defined.

Tests and rules that name what a broken (or unreadable) file may define are
not reported one by one; each referring file gets one note instead. Names no
failed file can define are still reported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tracsh.cli.main import main
from tracsh.lang.loader import load_rules, load_sources
from tracsh.runtime.rulesource import RuleSource, RulesRejected
from tracsh.tui.screens.editor import check_text

ROOT = Path(__file__).resolve().parents[2]
BROKEN = 'when event.type == "x" then set profile.y = foo(\n'

RULES = (
    'rule "count"\n  when event.type == "buy"\n  then increment profile.n\nend\n'
    'segment "big" when profile.n > 3\n'
    'journey "onboard"\n  enter when event.type == "x"\n  step "a"\n    stop\nend\n'
    'when event.type == "y" then add segment "manual"\n'
)
TESTS = (
    'test "t1"\n  event "buy"\n  expect rule "count" fired\nend\n'
    'test "t2"\n  event "buy"\n  expect profile in segment "big"\n'
    '  expect profile in segment "manual"\nend\n'
    'test "t3"\n  event "y"\n  expect rule "main:12" fired\nend\n'
)
USES = 'when event.type == "z" then start journey "onboard"\n'

# (files, the diagnostics expected as "path:line: severity: start of message")
CASES = [
    (
        {"main.rules": RULES + BROKEN, "tests.rules": TESTS},
        [
            "main.rules:12: error: this ends too early",
            "tests.rules:3: note: 3 tests were not fully checked because main.rules "
            "has errors: they name rules and segments it may define",
        ],
    ),
    (
        {"main.rules": RULES + BROKEN, "uses.rules": USES},
        [
            "main.rules:12: error: this ends too early",
            "uses.rules:1: note: 1 rule was not fully checked because main.rules has "
            "errors: they name journeys it may define",
        ],
    ),
    # A name the broken file does not hold is reported as before.
    (
        {
            "main.rules": RULES + BROKEN,
            "tests.rules": 'test "t"\n  event "a"\n  expect rule "other" fired\nend\n',
        },
        [
            "main.rules:12: error: this ends too early",
            'tests.rules:3: error: no rule "other" is loaded',
        ],
    ),
    # Two broken files: both named once.
    (
        {
            "a.rules": 'rule "count"\n  when event.type == "buy"\n  then stop\n',
            "b.rules": 'segment "big" when profile.n >\n',
            "tests.rules": TESTS,
        },
        [
            "a.rules:3: error: ",
            "b.rules:1: error: this ends too early",
            "tests.rules:3: note: 2 tests were not fully checked because a.rules and "
            "b.rules have errors: they name rules and segments they may define",
            'tests.rules:12: error: no rule "main:12" is loaded',
            'tests.rules:8: warning: no segment "manual" is defined',
        ],
    ),
    # Nothing broken: every unknown name is reported.
    (
        {"tests.rules": TESTS},
        [
            'tests.rules:3: error: no rule "count" is loaded',
            'tests.rules:7: warning: no segment "big" is defined',
            'tests.rules:8: warning: no segment "manual" is defined',
            'tests.rules:12: error: no rule "main:12" is loaded',
        ],
    ),
]


def _shown(diagnostic) -> str:
    return f"{diagnostic.path}:{diagnostic.line}: {diagnostic.severity}: "


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_knock_on_errors_become_one_note(files, expected):
    ruleset = load_sources(list(files.items()))
    found = [_shown(d) + d.message for d in ruleset.diagnostics]
    assert len(found) == len(expected), found
    for line in expected:
        assert any(item.startswith(line) for item in found), (line, found)


def test_an_unreadable_file_may_define_any_name(tmp_path):
    (tmp_path / "main.rules").write_bytes(b'rule "count"\xff\n')
    (tmp_path / "tests.rules").write_text(TESTS)
    ruleset = load_rules([tmp_path])
    found = [_shown(d) + d.message for d in ruleset.diagnostics]
    assert len(found) == 2, found
    assert "main.rules:1: error: the file is not UTF-8" in found[0]
    assert "note: 3 tests were not fully checked because" in found[1]


def _broken_project(tmp_path: Path) -> Path:
    """The shipped rules with the tester's broken line appended to purchases."""
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    with (tmp_path / "rules" / "purchases.rules").open("a") as file:
        file.write(BROKEN)
    return tmp_path


def test_check_reload_and_editor_agree_on_one_error(tmp_path, monkeypatch, capsys):
    project = _broken_project(tmp_path)
    monkeypatch.chdir(project)
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert captured.out.count(": error: ") == 1
    assert captured.out.count(": note: ") == 1
    assert "rules/tests/purchases.rules" in captured.out.split(": note: ")[0]
    assert "1 error(s), 0 warning(s), 1 note(s)" in captured.err

    with pytest.raises(RulesRejected) as rejected:
        RuleSource([project / "rules"], project / "templates").load()
    assert str(rejected.value).startswith("1 error(s) in the rules:")

    test_file = project / "rules" / "tests" / "purchases.rules"
    problems = check_text([project / "rules"], str(test_file), test_file.read_text())
    assert [p.severity for p in problems] == ["note"]
