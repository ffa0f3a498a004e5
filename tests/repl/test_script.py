"""REPL input from a pipe as a script: every message names its place in the script.

Each table row is a script and exactly what the REPL prints for it: commands,
conditions, typed forms and JSON documents, each error at ``<stdin>:LINE:COL``
counted over the whole input, with the line and a caret.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tracsh.config import load_config
from tracsh.repl.app import run_plain
from tracsh.repl.workspace import Workspace

SCRIPTS = [
    # The tester's script: each input's lines counted from the script's start.
    (
        'profile.visits > 1\n.nosuch\nrule "x"\n  when event.type == \n'
        '  then add segment "a"\nend\n',
        """\
profile.visits > 1
unknown  profile.visits > 1 — profile.visits is missing
           profile.visits is missing — there is no profile
<stdin>:2:1: error: unknown command .nosuch; .help lists them
  .nosuch
  ^~~~~~~
<stdin>:5:3: error: expected a value after `==`, found `then`
  then add segment "a"
  ^~~~
""",
    ),
    # A condition over two lines; a condition given to a command.
    (
        "\n# why\nprofile.visits >\n  lowr(3)\n.eval  lowr(1) == 1\n",
        """\
<stdin>:4:3: error: unknown function lowr(); did you mean lower()? (functions: \
coalesce, date, datetime, days_since, hours_since, len, lower, number, round, \
text, trim, upper)
  lowr(3)
  ^~~~~~~
<stdin>:5:8: error: unknown function lowr(); did you mean lower()? (functions: \
coalesce, date, datetime, days_since, hours_since, len, lower, number, round, \
text, trim, upper)
  .eval  lowr(1) == 1
         ^~~~~~~
""",
    ),
    # Commands: at the argument, or at the command without one or unknown.
    (
        "  .nosuch x\n.why\n.why nope\n",
        """\
<stdin>:1:3: error: unknown command .nosuch; .help lists them
  .nosuch x
  ^~~~~~~
<stdin>:2:1: error: which rule? .why ID (Tab completes ids)
  .why
  ^~~~
<stdin>:3:6: error: no rule "nope" is loaded; .rules lists them
  .why nope
       ^~~~
""",
    ),
    # A typed JSON document: the fault where it is, on the document's second line.
    (
        '.event {"type": "x",\n  "n": [1, 2,]}\n.event {"type": "x"} 7\n',
        """\
<stdin>:2:14: error: the event: not valid JSON: Expecting value
  "n": [1, 2,]}
             ^
<stdin>:3:22: error: the event: not valid JSON: Extra data
  .event {"type": "x"} 7
                       ^
""",
    ),
    # Forms after other inputs; a warning is placed as well as an error.
    (
        'when true then stop\n\nsegment "s" when profile in segment "no"\n'
        'when true then sned email "x"\n',
        """\
added one-line rule <stdin>:1
<stdin>:3:18: warning: no segment "no" is defined, and no rule adds profiles to \
it, so this test is always the same
  segment "s" when profile in segment "no"
                   ^
added segment "s"
<stdin>:4:16: error: unknown action `sned`; did you mean `send`? (actions start \
with send, show, respond, set, unset, increment, decrement, append, remove, add, \
grant, revoke, call, enrich, merge, emit, start, exit, log or stop)
  when true then sned email "x"
                 ^~~~
""",
    ),
    # A refused .load: the file's own places, then the command's error.
    (
        ".load notes.txt\n",
        """\
notes.txt:1:1: error: unexpected `hello`; expected `journey`, `rule`, `segment`, \
`test`, `when`, the end of the file
  hello world
  ^~~~~
<stdin>:1:7: error: nothing was loaded from notes.txt; the 0 rules loaded before \
stay
  .load notes.txt
        ^~~~~~~~~
""",
    ),
    # Lines ending in CRLF are lines.
    (
        "when true then stop\r\n.eval lowr(1)\r\n",
        """\
added one-line rule <stdin>:1
<stdin>:2:7: error: unknown function lowr(); did you mean lower()? (functions: \
coalesce, date, datetime, days_since, hours_since, len, lower, number, round, \
text, trim, upper)
  .eval lowr(1)
        ^~~~~~~
""",
    ),
]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hello world\n")
    space = Workspace(load_config(None), tmp_path / "tracsh.db")
    yield space
    space.close()


def run(workspace: Workspace, script: str) -> tuple[int, str]:
    out: list[str] = []
    status = run_plain(workspace, io.StringIO(script, newline=""), out.append)
    return status, "".join(out)


@pytest.mark.parametrize(("script", "shown"), SCRIPTS)
def test_every_message_names_its_place_in_the_script(workspace, script, shown):
    status, found = run(workspace, script)
    assert found == shown
    assert status == 1


def test_typed_forms_are_at_their_lines_in_rules_tests_and_show(workspace):
    script = (
        ".help fire\n"
        "when true then stop\n"
        'test "twice"\n'
        '  event "x"\n'
        '  expect rule "<stdin>:2" fired 2 times\n'
        "end\n"
        ".rules\n.test\n.show twice\n"
    )
    status, shown = run(workspace, script)
    assert status == 0
    assert re.search(r"\n   0  <stdin>:2 +any event +<stdin>:2\n", shown)
    assert "FAIL  twice  (<stdin>:3)" in shown
    assert 'expect rule "<stdin>:2" fired 2 times  (line 5)' in shown
    assert 'rule "<stdin>:2" (<stdin>:2)' in shown
    assert '# <stdin>:3\ntest "twice"\n' in shown
