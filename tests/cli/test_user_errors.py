"""Mistakes a user can make on the command line: one clear line, no traceback."""

import argparse
import io
import json

import pytest

from tracsh.cli.main import main
from tracsh.cli.project import port_number


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/a.rules").write_text(
        'when event.type == "buy" and 1 / event.properties.n > 1 '
        "then increment profile.counters.buys\n"
    )
    (tmp_path / "e.ndjson").write_text(
        '{"type": "buy", "id": "a", "properties": {"n": 0}}\n'
        '{"type": "buy", "id": "b", "time": "[/oops] [bold]x[/bold]"}\n'
        '{"type": "buy", "id": "c", "time": "\\u001b]0;pwned\\u0007"}\n'
    )
    return tmp_path


CASES = [
    (["replay", "."], ". is a directory; give the event files inside it"),
    (["replay", "nope.ndjson"], "no such file: nope.ndjson"),
    (["replay", "e.ndjson", "--map", "m.toml"], "--map applies to CSV input only"),
    (
        ["replay", "e.ndjson", "--format", "json", "--map", "m.toml"],
        "--map applies to CSV input only, not --format json",
    ),
    (["replay", "e.ndjson", "--db", "garbage.db"], "cannot use this file as a tracsh"),
    (["stats", "--db", "absent.db"], "no database at absent.db"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=lambda v: str(v)[:40])
def test_mistakes_get_one_clear_line(project, capsys, argv, message):
    (project / "garbage.db").write_text("not sqlite at all\n")
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "e.ndjson", "--batch", "0"],
        ["outbox", "--limit", "99999999999999999999"],
        ["outbox", "--status", "bogus"],
        ["daemon", "--port", "-5"],
    ],
)
def test_bad_option_values_are_usage_errors(project, capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error: argument" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["65536", "99999", "-1"])
def test_a_port_past_the_range_is_refused_not_wrapped(text):
    # The socket layer takes 99999 as 99999 % 65536: a daemon on port 34463.
    with pytest.raises(argparse.ArgumentTypeError, match="a port is 0 to 65535"):
        port_number(text)


def test_debug_is_accepted_after_the_command(project, capsys):
    assert main(["replay", "e.ndjson", "--json", "--debug"]) == 0
    assert json.loads(capsys.readouterr().out)["events"]["accepted"] == 1


def test_event_text_is_shown_literally_never_as_markup_or_escapes(project, capsys):
    assert main(["replay", "e.ndjson"]) == 0
    summary = capsys.readouterr().out
    assert "\x1b" not in summary and "\\x1b]0;pwned\\x07" in summary
    assert "1 condition error(s)" in summary
    assert main(["rejects"]) == 0
    table = capsys.readouterr().out
    assert "[/oops] [bold]x[/bold]" in table
    assert "\x1b" not in table and "\\x1b]0;pwned\\x07" in table
    assert main(["stats", "--json"]) == 0
    (rule,) = json.loads(capsys.readouterr().out)["rules"]
    assert rule["errors"] == 1 and rule["last_error"] == "division by zero"


def test_replaying_again_adds_no_rejects(project, capsys):
    main(["replay", "e.ndjson"])
    main(["replay", "e.ndjson"])
    capsys.readouterr()
    assert main(["rejects", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


# (argv, the usage line's start, the error line)
USAGE = [
    (
        ["profile", "show", "p1", "--rules", "r"],
        "usage: tracsh profile show ",
        "tracsh profile show: error: unrecognized arguments: --rules r",
    ),
    (
        ["outbox", "--rules", "r"],
        "usage: tracsh outbox ",
        "tracsh outbox: error: unrecognized arguments: --rules r",
    ),
    (
        ["outbox", "--rules=r"],
        "usage: tracsh outbox ",
        "tracsh outbox: error: unrecognized arguments: --rules=r",
    ),
    (
        ["outbox", "--rules", "r", "retry"],
        "usage: tracsh outbox ",
        "tracsh outbox: error: unrecognized arguments: --rules r",
    ),
    (
        ["outbox", "retry", "--rules", "r"],
        "usage: tracsh outbox retry ",
        "tracsh outbox retry: error: unrecognized arguments: --rules r",
    ),
    (
        ["check", "--bogus"],
        "usage: tracsh check ",
        "tracsh check: error: unrecognized arguments: --bogus",
    ),
    # A misspelt subcommand is still called one.
    (
        ["outbox", "retyr"],
        "usage: tracsh outbox ",
        "tracsh outbox: error: argument COMMAND: invalid choice: 'retyr' (choose "
        "from 'retry')",
    ),
    (
        ["nosuch", "--x"],
        "usage: tracsh [-h]",
        "tracsh: error: argument COMMAND: invalid choice: 'nosuch'",
    ),
]


@pytest.mark.parametrize(("argv", "usage", "error"), USAGE, ids=lambda v: str(v)[:40])
def test_usage_errors_are_told_by_the_command_given(
    project, capsys, argv, usage, error
):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert err.strip().splitlines()[-1].startswith(error), err


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (
            "/nonexistent.json",
            "; to read the file /nonexistent.json, write --event @/nonexistent.json "
            "(there is no such file either)",
        ),
        ("e.json", "; to read the file e.json, write --event @e.json"),
        ("nope", ""),
        ('{"type": }', ""),
    ],
)
def test_a_document_that_looks_like_a_path_gets_a_hint(project, capsys, given, hint):
    (project / "e.json").write_text('{"type": "buy"}')
    assert main(["eval", 'event.type == "buy"', "--event", given]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tracsh eval: --event: not valid JSON: Expecting value")
    assert err.endswith(hint)
    assert ("to read the file" in err) == bool(hint)


# Bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape);
# they must be refused where they come in, not fail in SQLite or a hash later.
NOT_UTF8 = b"\xff".decode("utf-8", "surrogateescape")


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["profile", "show", NOT_UTF8], "character 1"),
        (["profile", "list", "--where", f'profile.id == "{NOT_UTF8}"'], "character 16"),
        (["eval", f'event.type == "{NOT_UTF8}"'], "character 16"),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused(project, capsys, argv, where):
    main(["replay", "e.ndjson"])
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"is not UTF-8: byte 0xff at {where}; tracsh reads arguments" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(data), errors="surrogateescape")
    )


@pytest.mark.parametrize(
    ("argv", "data", "place"),
    [
        (["fmt", "-"], b'when event.type == "\xff" then stop\n', "<stdin>:1:21"),
        (["import", "tql", "-"], b'profile@x == "\xff"', "<stdin>:1:15"),
        (
            ["repl"],
            b'true\nwhen event.type == "a" then set profile.traits.x = "\xff"\n',
            "<stdin>:2:53",
        ),
    ],
)
def test_standard_input_that_is_not_utf8_is_refused_at_its_place(
    project, capsys, monkeypatch, argv, data, place
):
    _stdin(monkeypatch, data)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{place}: error: the input is not UTF-8: byte 0xff cannot be read" in err
    assert "Traceback" not in err


def test_options_without_a_command_start_the_repl(project, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(".rules\n"))
    assert main(["--rules", "rules", "--db", "absent.db"]) == 0
    assert "a:1" in capsys.readouterr().out
