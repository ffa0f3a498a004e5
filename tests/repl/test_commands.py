"""Every REPL command through ``respond``, over a real project in tmp_path.

The answers are what the REPL prints; the database must be exactly as it was
afterwards, since the REPL only ever reads it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tracsh.config import load_config
from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.errors import UserError
from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_sources
from tracsh.repl.commands import Quit, commands, run_command
from tracsh.repl.running import respond
from tracsh.repl.workspace import Workspace
from tracsh.store import Store

RULES = """\
rule "thanks"
  when event.type == "purchase" and profile.visits > 3
  then
    send email "thanks"
    increment profile.counters.thanked
end

when event.type == "purchase" then increment profile.counters.purchases

segment "buyer" when profile.counters.purchases >= 1

test "thanks a regular"
  profile {"visits": 4, "pii": {"email": "a@example.test"}}
  session {"id": "s"}
  event "purchase"
  expect send email "thanks"
end
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "shop.rules").write_text(RULES)
    book = build_rulebook(load_sources([("shop.rules", RULES)]))
    with Store.open(tmp_path / "tracsh.db") as store:
        event = {
            "id": "e1", "type": "purchase", "time": "2024-05-01T10:00:00Z",
            "received": "2024-05-01T10:00:00Z", "source": {"id": "web"},
            "session": {"id": "s1"}, "profile": {"id": "p1"},
            "properties": {"total": 5}, "context": {}, "tags": [],
        }  # fmt: skip
        Engine(store, book).process_batch([event])
    return tmp_path


@pytest.fixture
def workspace(project: Path, monkeypatch) -> Workspace:
    monkeypatch.chdir(project)
    space = Workspace(load_config(None), project / "tracsh.db")
    space.load([project / "rules"])
    yield space
    space.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_command_has_usage_and_help():
    names = {c.name for c in commands()}
    assert {"load", "rules", "show", "event", "profile", "session", "eval",
            "explain", "fire", "why", "test", "stats", "save", "help",
            "quit"} <= names  # fmt: skip
    for command in commands():
        assert command.help and "\n" not in command.help


def test_help_lists_every_command(workspace):
    shown = respond(workspace, ".help")
    for command in commands():
        assert command.synopsis() in shown
    assert respond(workspace, "help fire").startswith(".fire")


def test_load_and_rules(workspace):
    assert "2 rules, 1 segments, 0 journeys, 1 tests" in respond(
        workspace, ".load rules"
    )
    listing = respond(workspace, ".rules")
    assert "thanks" in listing and "shop:8" in listing


def test_show(workspace):
    assert 'rules/shop.rules:1\nrule "thanks"' in respond(workspace, ".show thanks")
    with pytest.raises(UserError, match='nothing called "nope"'):
        respond(workspace, ".show nope")


def test_documents_typed_and_from_the_store(workspace, project):
    before = digest(project / "tracsh.db")
    assert respond(workspace, '.event {"type": "purchase"}') == (
        'event set: "purchase" (typed)'
    )
    assert "session set: s1" in respond(workspace, ".profile p1")
    assert respond(workspace, ".session s1") == "session set (stored s1)"
    assert respond(workspace, ".event e1") == 'event set: "purchase" (stored e1)'
    assert '"visits": 1' in respond(workspace, ".profile")
    assert respond(workspace, ".profile none").startswith("profile cleared")
    assert digest(project / "tracsh.db") == before


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (".event purchase", 'no stored event "purchase"'),
        (".event {nope", "not valid JSON"),
        ('.event {"properties": {}}', 'an event needs a "type"'),
        (".profile nobody", 'no stored profile answers to "nobody"'),
        (".frie", "unknown command .frie (did you mean .fire?)"),
    ],
)
def test_mistakes_are_user_errors(workspace, line, words):
    with pytest.raises(UserError, match=re.escape(words)):
        respond(workspace, line)


def test_conditions_eval_and_explain(workspace):
    respond(workspace, '.profile {"visits": 5}')
    assert respond(workspace, ".eval profile.visits > 3") == "true"
    trace = respond(workspace, "profile.age != 10")
    assert "unknown  profile.age != 10 — profile.age is missing" in trace
    assert respond(workspace, ".explain profile.visits > 3").startswith(
        "profile.visits > 3\ntrue"
    )
    with pytest.raises(RuleError):
        respond(workspace, "profile.visits = 3")


def test_fire_is_a_dry_run_that_writes_nothing(workspace, project):
    before = digest(project / "tracsh.db")
    respond(workspace, ".profile p1")
    respond(workspace, '.event {"type": "purchase"}')
    shown = respond(workspace, ".fire")
    assert (
        'dry run: event "purchase" at 2024-05-01T10:01:00+00:00 for profile p1; '
        "nothing is written"
    ) in shown
    assert "shop:8\n    profile.counters.purchases = 2" in shown
    assert "thanks — false: profile.visits > 3 is false" in shown
    assert "~ profile.counters.purchases: 1 -> 2" in shown
    assert digest(project / "tracsh.db") == before
    # Without a time, the event comes a minute after the profile was last seen.
    assert "profile.visits > 3 — 1 > 3" in respond(workspace, ".why thanks")


def test_typed_forms_join_and_replace(workspace, tmp_path):
    assert respond(workspace, 'segment "buyer" when profile.visits > 0') == (
        'replaced segment "buyer"'
    )
    added = respond(workspace, 'when event.type == "x" then stop')
    assert added == "added one-line rule typed:3"
    with pytest.raises(RuleError) as caught:
        respond(workspace, 'when event.type == "y" then sned email "z"')
    assert "<input>:1:29" in caught.value.render()
    target = tmp_path / "new.rules"
    assert respond(workspace, f".save {target}") == f"saved 2 form(s) to {target}"
    assert 'segment "buyer" when profile.visits > 0' in target.read_text()
    assert respond(workspace, ".show buyer").startswith(f"# {target}:")


def test_tests_and_stats(workspace):
    assert "PASS  thanks a regular" in respond(workspace, ".test")
    assert (
        respond(workspace, ".test nothing-matches")
        == "no rule tests match 'nothing-matches'"
    )
    stats = respond(workspace, ".stats")
    assert "thanks" in stats and "shop:8" in stats


def test_quit():
    with pytest.raises(Quit):
        run_command(None, ".quit")


def test_the_docs_list_every_command_as_the_registry_says():
    docs = Path(__file__).resolve().parents[2] / "docs" / "repl.md"
    table = docs.read_text().split("<!-- BEGIN commands")[1].split("<!-- END")[0]
    rows = [line for line in table.splitlines() if line.startswith("| `.")]
    expected = [
        f"| `{c.synopsis().replace('|', chr(92) + '|')}` | {c.help} |"
        for c in commands()
    ]
    assert rows == expected
