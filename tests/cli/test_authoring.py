"""The authoring commands end to end: fmt, test, eval --explain and import tql.

Each runs through ``main`` on real files in tmp_path and is judged by its
output and exit status, as CI would see it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tracsh.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
UNTIDY = "when event.type=='purchase' then stop  # keep me\n"
TIDY = 'when event.type == "purchase" then stop  # keep me\n'


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.rules").write_text(UNTIDY)
    (folder / "b.rules").write_text(TIDY)
    return folder


# --- fmt ------------------------------------------------------------------------------


def test_fmt_prints_the_formatted_text(rules, capsys):
    assert main(["fmt", str(rules / "a.rules")]) == 0
    assert capsys.readouterr().out == TIDY


def test_fmt_check_lists_files_that_would_change(rules, capsys):
    assert main(["fmt", "--check", str(rules)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{rules / 'a.rules'}\n"
    assert "1 would be reformatted" in captured.err
    assert (rules / "a.rules").read_text() == UNTIDY


def test_fmt_diff_shows_the_change(rules, capsys):
    assert main(["fmt", "--diff", str(rules / "a.rules")]) == 1
    out = capsys.readouterr().out
    assert "-when event.type=='purchase' then stop  # keep me" in out
    assert '+when event.type == "purchase" then stop  # keep me' in out


def test_fmt_write_rewrites_and_then_check_passes(rules, capsys):
    assert main(["fmt", "--write", str(rules)]) == 0
    assert (rules / "a.rules").read_text() == TIDY
    assert main(["fmt", "--check", str(rules)]) == 0


def test_fmt_write_goes_through_a_symbolic_link(rules, tmp_path, capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "common.rules"
    target.write_text(UNTIDY)
    target.chmod(0o640)
    link = rules / "common.rules"
    link.symlink_to(target)
    assert main(["fmt", "--write", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text() == TIDY
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["common.rules"]


def test_fmt_leaves_a_broken_file_alone_and_fails(rules, capsys):
    broken = rules / "c.rules"
    broken.write_text("when event.type = 'x' then stop\n")
    assert main(["fmt", "--write", str(rules)]) == 1
    err = capsys.readouterr().err
    assert "c.rules:1:17: error: `=` assigns a value" in err
    assert broken.read_text() == "when event.type = 'x' then stop\n"
    assert (rules / "a.rules").read_text() == TIDY


def test_fmt_notes_one_line_rule_ids_that_move(tmp_path, capsys):
    path = tmp_path / "m.rules"
    path.write_text("\n\n\nwhen event.type == 'x' then stop\n")
    assert main(["fmt", "--write", str(path)]) == 0
    assert "m:4 -> m:1" in capsys.readouterr().err


def test_fmt_leaves_crlf_line_ends_alone(tmp_path, capsys):
    tidy, untidy = tmp_path / "tidy.rules", tmp_path / "untidy.rules"
    tidy.write_bytes(TIDY.replace("\n", "\r\n").encode())
    untidy.write_bytes((TIDY + UNTIDY).replace("\n", "\r\n").encode())
    assert main(["fmt", "--diff", str(tidy)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["fmt", "--diff", str(untidy)]) == 1
    diff = capsys.readouterr().out
    changes = [line for line in diff.splitlines()[2:] if line[:1] in "-+"]
    assert "\r" not in diff and len(changes) == 2
    assert main(["fmt", "--write", str(untidy)]) == 0
    assert untidy.read_bytes() == (TIDY + TIDY).replace("\n", "\r\n").encode()


def test_fmt_check_of_crlf_stdin_agrees_with_files(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(TIDY.replace("\n", "\r\n")))
    assert main(["fmt", "--check", "-"]) == 0


def test_fmt_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(UNTIDY))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == TIDY


def test_the_repository_rules_are_formatted(capsys):
    assert main(["fmt", "--check", str(ROOT / "rules"), str(ROOT / "samples")]) == 0


# --- test -----------------------------------------------------------------------------

SHOP = """\
rule "count"
  when event.type == "purchase"
  then
    increment profile.counters.purchases
end
"""
TESTS = """\
test "counts a purchase"
  event "purchase"
  expect profile.counters.purchases == 1
end

test "counts twice"
  event "purchase"
  expect profile.counters.purchases == 2
end
"""


@pytest.fixture
def tested(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "shop.rules").write_text(SHOP)
    (folder / "shop_test.rules").write_text(TESTS)
    return folder


def test_test_reports_pass_and_fail(tested, capsys):
    assert main(["test", str(tested)]) == 1
    captured = capsys.readouterr()
    assert "PASS  counts a purchase" in captured.out
    assert "FAIL  counts twice" in captured.out
    assert "actual:   false — 1 == 2" in captured.out
    assert "1 passed, 1 failed" in captured.err


def test_a_bad_test_fails_with_its_line_and_the_others_run(tested, capsys):
    (tested / "bad_test.rules").write_text(
        'test "a bad id"\n  profile {"id": 5}\n  event "purchase"\nend\n'
    )
    assert main(["test", str(tested)]) == 1
    captured = capsys.readouterr()
    assert "FAIL  a bad id" in captured.out
    assert 'error: line 2: profile: "id" must be non-empty text, got 5' in captured.out
    assert "PASS  counts a purchase" in captured.out
    assert "1 passed, 2 failed" in captured.err


def test_test_run_selects_by_name(tested, capsys):
    assert main(["test", str(tested), "--run", "a purchase"]) == 0
    assert "counts twice" not in capsys.readouterr().out


def test_test_json(tested, capsys):
    main(["test", str(tested), "--json", "--coverage"])
    report = json.loads(capsys.readouterr().out)
    assert (report["passed"], report["failed"]) == (1, 1)
    assert report["tests"][1]["failures"][0]["expected"] == "true"
    assert report["coverage"]["percent"] == 50.0


def test_test_fail_under(tested, capsys):
    assert main(["test", str(tested), "--run", "a purchase", "--fail-under", "50"]) == 0
    assert main(["test", str(tested), "--run", "a purchase", "--fail-under", "90"]) == 1
    assert "under --fail-under 90%" in capsys.readouterr().err


def test_test_without_tests_is_an_error(rules, capsys):
    assert main(["test", str(rules)]) == 1
    assert "no rule tests in" in capsys.readouterr().err


def test_test_bad_regex_is_an_error(tested, capsys):
    assert main(["test", str(tested), "--run", "("]) == 1
    assert "--run: '(' is not a regular expression" in capsys.readouterr().err


def test_a_named_test_file_runs_against_the_project_rules(tested, capsys, monkeypatch):
    # Tests kept apart from the rules they test: naming their file loads the
    # project's rule directory with it, and runs that file's tests only.
    monkeypatch.chdir(tested.parent)
    checks = tested.parent / "checks"
    checks.mkdir()
    (tested / "shop_test.rules").rename(checks / "shop_test.rules")
    (tested / "other_test.rules").write_text(
        'test "another file"\n  event "purchase"\nend\n'
    )
    assert main(["test", "checks/shop_test.rules"]) == 1
    captured = capsys.readouterr()
    assert "PASS  counts a purchase  (checks/shop_test.rules:1)" in captured.out
    assert "FAIL  counts twice" in captured.out
    assert "another file" not in captured.out
    assert main(["test", "rules/other_test.rules"]) == 0
    out = capsys.readouterr().out
    assert "PASS  another file" in out and "counts" not in out


def test_test_names_a_missing_path(tested, capsys):
    assert main(["test", str(tested / "nope.rules")]) == 1
    assert "no such file or directory: " in capsys.readouterr().err


def test_test_json_reports_rule_errors_on_stdout(tested, capsys):
    (tested / "shop.rules").write_text('rule "count"\n  when event.type ==\nend\n')
    assert main(["test", str(tested), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["tests"] == []
    (error,) = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert error["path"].endswith("shop.rules") and error["line"] == 3


def test_the_repository_rule_tests_pass_with_every_rule_covered(capsys):
    assert main(["test", "--coverage", str(ROOT / "rules")]) == 0
    out = capsys.readouterr().out
    assert "coverage: 100.0%" in out
    assert "rules that no test made fire" not in out


# --- eval --explain and --rule --------------------------------------------------------


def test_eval_explain(capsys):
    code = main(
        ["eval", "--explain", "profile.age != 10 or profile.visits > 3",
         "--profile", '{"visits": 5}']
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "(profile.age != 10) or (profile.visits > 3)"
    assert out[2] == "  unknown  profile.age != 10 — profile.age is missing"
    assert out[-1] == "true"


def test_eval_a_rule_by_id(capsys):
    code = main(
        ["eval", "--rule", "reward repeat buyers", "--rules", str(ROOT / "rules"),
         "--event", '{"type": "purchase"}',
         "--profile", '{"counters": {"purchases": 1}}']
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == "false"


def test_eval_an_unknown_rule(capsys):
    code = main(
        ["eval", "--rule", "reward repeat buyer", "--rules", str(ROOT / "rules")]
    )
    assert code == 2
    assert 'did you mean "reward repeat buyers"?' in capsys.readouterr().err


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("@deep.json", "--event: nested more than 64 levels deep (line 1 column 65)"),
        ('{"a": ' + "[" * 64 + "]" * 64 + "}", "nested more than 64 levels"),
        ('{"a": "[[[[' + "[" * 100 + '"}', None),
        ('{"a": ' + "[" * 63 + "]" * 63 + "}", None),
        ("[1]", "--event: expected a JSON object, got list"),
        ('{"a": NaN}', "--event: bad JSON: NaN at a is not a JSON number"),
        ('{"a": 1e999}', "--event: number out of range at a: 1e999"),
        ('{"a": ' + "9" * 5000 + "}", "a number at a has more than 4300 digits"),
        ('{"a": "\\ud800"}', "text at a is not valid Unicode: lone surrogate"),
        ("{nope", "--event: not valid JSON: Expecting property name"),
        ("@missing.json", "--event: cannot read missing.json"),
    ],
)
def test_eval_documents_are_bounded_and_strict(tmp_path, monkeypatch, capsys,
                                               given, words):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.json").write_text(DEEP)
    code = main(["eval", "true", "--event", given])
    captured = capsys.readouterr()
    if words is None:
        assert (code, captured.out) == (0, "true\n")
        return
    assert code == 1
    assert words in captured.err
    assert "Traceback" not in captured.err


def test_eval_says_where_to_find_the_history(capsys):
    assert main(["eval", 'count("purchase" within 30 days) >= 3']) == 0
    captured = capsys.readouterr()
    assert captured.out == "unknown\n"
    assert (
        "note: count(): needs the event history, which tracsh eval does not read; "
        "to count a profile's stored events, use the REPL with a database "
        "(tracsh repl --db FILE, then .profile ID)"
    ) in captured.err


def test_eval_needs_one_of_condition_and_rule(capsys):
    assert main(["eval"]) == 2
    assert "give a condition or --rule ID" in capsys.readouterr().err


# --- import tql -----------------------------------------------------------------------


def test_import_tql(capsys):
    assert (
        main(["import", "tql", 'profile@stats.visits > 10 AND event@type == "x"']) == 0
    )
    assert capsys.readouterr().out == 'profile.visits > 10 and event.type == "x"\n'


def test_import_tql_error_points_at_the_fault(capsys):
    assert main(["import", "tql", "profile@a == 1 AND profile@b == 2 OR x@y == 1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "no precedence" in err[0]
    assert err[2].index("^") - 2 == err[1].index("OR") - 2
