"""The real REPL in a pseudo-terminal, driven as a person would drive it.

``tracsh`` runs with no arguments in a project made in tmp_path; pexpect types
and reads the screen. Every command runs at least once, a multi-line rule with
a mistake is fixed in place before it is accepted, lines typed go where ``tracsh
fmt`` puts them, and Tab completes a field path and a stored value learned from
the database.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pexpect
import pytest

from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.lang.loader import load_sources
from tracsh.store import Store

RULES = """\
rule "count"
  when event.type == "purchase"
  then
    increment profile.counters.purchases
end

test "counts"
  event "purchase"
  expect profile.counters.purchases == 1
end
"""
PROMPT = "tracsh> "
LEFT = "\x1b[?2004l"
"""prompt_toolkit turns bracketed paste off when an input is accepted or cancelled:
output after it is the answer, not the echo of what was typed (which is redrawn as
it is typed, so an answer's text may also appear in the echo)."""
END_OF_LINE = "\x05"
"""Ctrl-E: the end of the line, in prompt_toolkit's Emacs keys."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "shop.rules").write_text(RULES)
    with Store.open(tmp_path / "tracsh.db") as store:
        book = build_rulebook(load_sources([("shop.rules", RULES)]))
        event = {
            "id": "e1", "type": "purchase", "time": "2024-05-01T10:00:00Z",
            "received": "2024-05-01T10:00:00Z", "source": {"id": "web"},
            "session": {"id": "s1"}, "profile": {"id": "p1"},
            "properties": {"total": 120}, "context": {}, "tags": [],
        }  # fmt: skip
        Engine(store, book).process_batch([event])
    return tmp_path


def spawn(project: Path, columns: int = 120):
    """``tracsh`` in a pseudo-terminal ``columns`` wide, at its first prompt."""
    env = dict(os.environ)
    env.update(
        XDG_STATE_HOME=str(project / "state"),
        TERM="xterm-256color",
        PROMPT_TOOLKIT_NO_CPR="1",
        COLUMNS=str(columns),
        LINES="40",
    )
    script = Path(sys.executable).parent / "tracsh"
    child = pexpect.spawn(
        str(script), [], cwd=str(project), env=env, encoding="utf-8",
        dimensions=(40, columns), timeout=15,
    )  # fmt: skip
    child.expect_exact(PROMPT)
    return child


@pytest.fixture
def repl(project: Path):
    child = spawn(project)
    yield child
    if child.isalive():
        child.sendcontrol("d")
        child.expect(pexpect.EOF)


def ask(child, line: str, *answers: str) -> None:
    """Type a line, press Enter, wait for each answer and the next prompt."""
    child.send(line + "\r")
    child.expect_exact(LEFT)
    for answer in answers:
        child.expect_exact(answer)
    child.expect_exact(PROMPT)


def cancel(child) -> None:
    """Ctrl-C: the input is cleared in place and the prompt drawn again."""
    child.send("\x03")
    child.expect_exact(PROMPT)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_command_once(repl, project):
    before = digest(project / "tracsh.db")
    ask(repl, ".help", ".fire", ".save FILE", "Ctrl-D on an empty line quits")
    ask(repl, ".load rules", "1 rules, 0 segments, 0 journeys, 1 tests")
    ask(repl, ".rules", "count")
    ask(repl, ".show count", "increment profile.counters.purchases")
    ask(repl, ".profile p1", "profile set: p1", "session set: s1")
    ask(repl, ".session s1", "session set (stored s1)")
    ask(repl, '.event {"type": "purchase", "properties": {"total": 5}}', "event set")
    ask(repl, ".eval profile.visits > 0", "true")
    ask(repl, ".explain profile.age != 10", "profile.age is missing")
    ask(repl, ".fire", "nothing is written", "profile.counters.purchases: 1 -> 2")
    ask(repl, ".why count", '"purchase" == "purchase"')
    ask(repl, ".test", "PASS  counts")
    ask(repl, ".stats", "count")
    ask(repl, 'when event.type == "x" then stop', "added one-line rule typed:1")
    ask(repl, ".save rules/typed.rules", "saved 1 form(s) to rules/typed.rules")
    repl.send(".quit\r")
    repl.expect(pexpect.EOF)
    assert (
        'when event.type == "x" then stop'
        in (project / "rules/typed.rules").read_text()
    )
    assert digest(project / "tracsh.db") == before
    assert (project / "state" / "tracsh" / "history").read_text().count(".fire") == 1


def test_a_multi_line_rule_with_a_mistake_fixed_in_place(repl):
    repl.send('rule "big order"\r')
    repl.send('when event.type == "purchase" and event.properties.total > 100\r')
    repl.send("then\r")
    repl.send('sned email "big"\r')
    repl.expect_exact("unknown action `sned`; did you mean `send`?")
    # The validator put the cursor on the mistake: replace the word there.
    repl.send("\x1b[3~" * 4 + "send")
    repl.send(END_OF_LINE + "\r")
    repl.send("end\r")
    repl.expect_exact(LEFT)
    repl.expect_exact('added rule "big order"')
    repl.expect_exact(PROMPT)
    ask(repl, ".rules big", "big order")


def test_then_and_end_go_where_fmt_puts_them_as_they_are_typed(repl):
    # Typed as a person types after Enter's indentation: `and`, `then` and `end`
    # move to their places; .show gives the rule as it was typed.
    for line in ('rule "big"', 'when event.type == "purchase"', "and true", "then"):
        repl.send(line + "\r")
    repl.send("stop\rend\r")
    repl.expect_exact(LEFT)
    repl.expect_exact('added rule "big"')
    repl.expect_exact(PROMPT)
    repl.send(".show big\r")
    repl.expect_exact(LEFT)
    repl.expect(
        r"\n  when event[^\n]*\n    and true\r*\n  then\r*\n    stop\r*\nend\r*\n"
    )
    repl.expect_exact(PROMPT)


def test_tab_completes_a_stored_field_path(repl):
    repl.send("event.properties.to\t")
    repl.send(" > 100\r")
    repl.expect_exact(LEFT)
    repl.expect_exact("event.properties.total > 100")
    repl.expect_exact(PROMPT)


def test_tab_inside_a_string_offers_the_texts_stored_there(repl):
    # Not keywords and actions inside the string: the event types stored.
    repl.send('event.type == "\t')
    repl.send("\r")
    repl.expect_exact(LEFT)
    repl.expect_exact('"page-view" == "purchase"')
    repl.expect_exact(PROMPT)


def test_an_error_is_shown_with_a_caret_and_no_traceback(repl):
    ask(repl, ".event nobody", 'error: no stored event "nobody"')
    repl.send('when event.type == "x" then set event.a = 1\r')
    repl.expect_exact("cannot set event.*")
    cancel(repl)
    assert "Traceback" not in repl.before


def test_enter_on_a_mistake_puts_the_cursor_on_it(repl):
    repl.send('lowr(event.type) == "x"')
    # Marked while typing; Enter then still moves the cursor to the mistake.
    repl.expect_exact("1:1 unknown function lowr(); did you mean lower()?")
    repl.send("\r")
    repl.send("\x1b[3~" * 4 + "lower")
    repl.send(END_OF_LINE + "\r")
    repl.expect_exact(LEFT)
    repl.expect_exact('lower(event.type) == "x"')
    repl.expect_exact(PROMPT)


def test_a_message_keeps_its_point_in_a_narrow_terminal(project):
    child = spawn(project, columns=60)
    child.send("when true then sned email 'x'")
    child.expect_exact("1:16 unknown action `sned`; did you mean `send`?")
    cancel(child)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_no_input_ends_the_session(repl, project):
    (project / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    ask(repl, ".test (", "'(' is not a regular expression")
    ask(repl, ".test [", "'[' is not a regular expression")
    ask(repl, ".event @deep.json", "nested more than 64 levels deep")
    ask(repl, ".profile @deep.json", "nested more than 64 levels deep")
    # Not the exit command: a condition with a mistake, refused where it is.
    repl.send("exit now\r")
    repl.expect_exact("unexpected `now`")
    cancel(repl)
    ask(repl, ".eval true", "true")
    assert "Traceback" not in repl.before
    assert repl.isalive()


def test_a_huge_paste_is_refused_without_slowing_the_keys(repl):
    big = 'rule "a"\n  when event.type == "x"\n'
    big += "    and event.properties.total == 1\n" * 20_000 + "  then\n    stop\nend"
    repl.send("\x1b[200~" + big + "\x1b[201~")
    repl.expect_exact("over the limit of 65536", timeout=60)
    # Each key still redraws the input (test_prompt shows that a key costs a
    # scan, not a parse), and Ctrl-C still clears it.
    repl.send("xyz")
    cancel(repl)
    ask(repl, ".eval true", "true")
