"""Every REPL command through ``respond``, over a real project in tmp_path.

The answers are what the REPL prints; the database must be exactly as it was
afterwards, since the REPL only ever reads it.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest

from tracsh.cli.main import main
from tracsh.config import load_config
from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.errors import UserError
from tracsh.lang.errors import RuleError
from tracsh.lang.loader import load_sources
from tracsh.repl.app import answer, run_plain
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
        pytest.param(
            '.event {"type": "big", "properties": {"x": "%s"}}' % ("a" * 70_000),
            "the current event cannot be used: too large: 70,",
            id="over the replay's size limit",
        ),
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
    # The typed segment stands for one of rules/shop.rules: it belongs there.
    with pytest.raises(UserError, match='segment "buyer" comes from rules/shop.rules'):
        respond(workspace, f".save {target}")
    assert not target.exists()
    shop = tmp_path / "rules" / "shop.rules"
    assert respond(workspace, ".save rules/shop.rules") == (
        'saved 2 form(s) to rules/shop.rules, in place of segment "buyer"'
    )
    text = shop.read_text()
    assert 'segment "buyer" when profile.visits > 0' in text
    assert "profile.counters.purchases >= 1" not in text
    assert respond(workspace, ".show buyer").startswith("# rules/shop.rules:10")


SAVED_TWICE = [
    # (what is typed, one after another with .save between, and the file after)
    (
        ['rule "a"\n  when event.type == "x"\n  then\n    stop\nend',
         'rule "a"\n  when event.type == "y"\n  then\n    stop\nend'],
        'rule "a"\n  when event.type == "y"\n  then\n    stop\nend\n',
    ),
    (
        ['segment "s" when profile.visits > 1',
         'when event.type == "z" then stop',
         'segment "s" when profile.visits > 2'],
        'segment "s" when profile.visits > 2\n\nwhen event.type == "z" then stop\n',
    ),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "saved"), SAVED_TWICE)
def test_saving_again_replaces_the_form_in_the_file(workspace, project, typed, saved):
    for text in typed:
        respond(workspace, text)
        respond(workspace, ".save rules/typed.rules")
    assert (project / "rules" / "typed.rules").read_text() == saved
    assert workspace.ruleset().ok
    # The rules running are the ones the file holds, and check agrees.
    assert main(["check", str(project / "rules")]) == 0
    name = typed[-1].split('"')[1]
    shown = respond(workspace, f".show {name}")
    assert shown.startswith("# rules/typed.rules:1\n") and typed[-1] in shown


def test_save_refuses_a_file_that_would_not_load(workspace, project):
    other = project / "rules" / "other.rules"
    other.write_text('segment "buyer" when true\n')
    respond(workspace, 'segment "x" when profile.visits > 1')
    with pytest.raises(RuleError) as caught:
        respond(workspace, ".save rules/other.rules")
    shown = caught.value.render()
    assert 'duplicate segment "buyer": it is also defined at rules/shop.rules' in shown
    assert shown.endswith(
        "nothing was saved: rules/other.rules would not load as shown"
    )
    assert other.read_text() == 'segment "buyer" when true\n'
    assert workspace.typed


def test_a_failed_load_keeps_the_rules_loaded_before(workspace, tmp_path):
    before = [r.id for r in workspace.ruleset().rules]
    (tmp_path / "empty").mkdir()
    for line, words in [
        (".load /etc/passwd", "nothing was loaded from /etc/passwd; the 2 rules"),
        (f".load {tmp_path / 'empty'}", "it holds no rule files (*.rules)"),
    ]:
        with pytest.raises(RuleError) as caught:
            respond(workspace, line)
        assert words in caught.value.render()
        assert [r.id for r in workspace.ruleset().rules] == before


def test_typed_forms_go_on_replacing_after_a_load(workspace):
    respond(workspace, 'segment "buyer" when profile.visits > 0')
    assert "1 segments" in respond(workspace, ".load rules")
    assert workspace.ruleset().ok
    [segment] = workspace.ruleset().segments
    assert segment.path == "typed.rules"


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


# --- the dry run sees what the engine would see ------------------------------------

HISTORY_RULES = """\
rule "frequent"
  when event.type == "purchase" and count("purchase" within 30 days) >= 3
  then
    add segment "frequent"
end

rule "welcome once"
  once per profile
  when event.type == "purchase"
  then
    increment profile.counters.welcomed
end
"""


@pytest.fixture
def history(tmp_path: Path, monkeypatch) -> Workspace:
    """A profile with four purchases in four days, already welcomed once."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "shop.rules").write_text(HISTORY_RULES)
    book = build_rulebook(load_sources([("shop.rules", HISTORY_RULES)]))
    with Store.open(tmp_path / "tracsh.db") as store:
        events = [
            {"id": f"e{day}", "type": "purchase", "time": f"2024-05-0{day}T10:00:00Z",
             "received": f"2024-05-0{day}T10:00:00Z", "source": {"id": "web"},
             "session": {"id": f"s{day}"}, "profile": {"id": "p1"},
             "properties": {}, "context": {}, "tags": []}
            for day in range(1, 5)
        ]  # fmt: skip
        Engine(store, book).process_batch(events)
    space = Workspace(load_config(None), tmp_path / "tracsh.db")
    space.load([tmp_path / "rules"])
    yield space
    space.close()


def test_fire_counts_the_stored_history_and_keeps_once_per(history, tmp_path):
    before = digest(tmp_path / "tracsh.db")
    respond(history, ".profile p1")
    respond(history, '.event {"type": "purchase"}')
    shown = respond(history, ".fire")
    assert "fired:\n  frequent\n" in shown
    assert "welcome once — held back by its `once per` option" in shown
    assert "count(" not in shown.split("not fired:")[-1]
    assert "5 >= 3" in respond(history, ".why frequent")
    assert digest(tmp_path / "tracsh.db") == before


@pytest.mark.parametrize(
    ("event", "condition"),
    [
        ('.event {"type": "purchase"}', 'count("purchase" within 30 days) == 5'),
        ('.event {"type": "page-view"}', 'count("purchase" within 30 days) == 4'),
        # A stored event made current counts once, not twice.
        (".event e2", 'count("purchase" within 30 days) == 4'),
        (".event e2", 'count("purchase" within 12 hours) == 3'),
        ('.event {"type": "purchase"}', "last(event.time) > now - 1 hour"),
    ],
)
def test_conditions_count_the_stored_history(history, tmp_path, event, condition):
    before = digest(tmp_path / "tracsh.db")
    respond(history, ".profile p1")
    respond(history, event)
    assert respond(history, f".eval {condition}") == "true"
    assert "count() needs" not in respond(history, f".explain {condition}")
    assert digest(tmp_path / "tracsh.db") == before


def test_a_new_visitor_has_only_the_current_event(history):
    respond(history, '.event {"type": "purchase"}')
    assert respond(history, '.eval count("purchase") == 1') == "true"


# --- no input ends the session -------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (".test (", "'(' is not a regular expression"),
        (".test [", "'[' is not a regular expression"),
        (".event @deep.json", "the event in deep.json: nested more than 64"),
        (".profile @deep.json", "the profile in deep.json: nested more"),
        (".session @deep.json", "the session in deep.json: nested more"),
        ('.event {"type": "x", "a": ' + "[" * 900 + "]" * 900 + "}",
         "nested more than 64 levels deep"),
        (".event " + DEEP, "nested more than 64 levels deep"),
        (".event @nowhere.json", "cannot read nowhere.json"),
        ('.event {"type": "x", "time": "soon"}', "the current event cannot be used"),
        ('.profile {"id": 5}', 'the profile cannot be used: "id" must be non-empty'),
        ('.profile {"visits": "many"}', '"visits" must be a whole number'),
        ('.session {"events": []}', 'the session cannot be used: "events" must be'),
        ("exit now", "unexpected `now`"),
        (".save rules/x.txt", "rule files end in .rules"),
    ],
)  # fmt: skip
def test_every_mistake_is_a_line_or_two_and_the_session_goes_on(
    workspace, project, line, words
):
    (project / "deep.json").write_text(DEEP)
    shown, failed = answer(workspace, line)
    assert failed and words in shown
    assert "Traceback" not in shown and len(shown.splitlines()) <= 4
    assert answer(workspace, ".eval true") == ("true", False)


def test_a_file_that_is_no_database_is_an_error_not_the_end(tmp_path):
    (tmp_path / "tracsh.db").write_text("not a database\n")
    space = Workspace(load_config(None), tmp_path / "tracsh.db")
    for line in (".profile p1", ".stats", ".event e1"):
        shown, failed = answer(space, line)
        assert failed
        assert shown.endswith("cannot read the database: file is not a database")
    respond(space, '.profile {"id": "p1"}')
    assert "note: the stored history was not read" in respond(space, ".fire")


def test_a_bug_is_one_line_and_a_traceback_only_with_debug(workspace, monkeypatch):
    def broken(*args):
        raise KeyError("boom")

    monkeypatch.setattr("tracsh.repl.app.respond", broken)
    shown, failed = answer(workspace, ".fire")
    assert failed and "Traceback" not in shown
    assert shown == (
        "error: tracsh failed on this input (KeyError: 'boom'); that is a bug in "
        "tracsh (--debug shows where); the session goes on"
    )
    shown, failed = answer(workspace, ".fire", debug=True)
    assert shown.startswith("Traceback") and "KeyError: 'boom'" in shown


# --- piped scripts ------------------------------------------------------------------

SCRIPT = """\
rule "x"
  when lowr(event.type) == "a"
  then
    stop
end
.load /etc/passwd
exit now
.rules thanks
"""


def test_a_piped_script_reports_each_mistake_once_and_fails(workspace):
    out: list[str] = []
    status = run_plain(workspace, io.StringIO(SCRIPT), out.append)
    shown = "".join(out)
    assert status == 1
    assert shown.count("error:") == 4
    assert "<stdin>:2:8: error: unknown function lowr()" in shown
    assert "unknown root" not in shown
    assert "<stdin>:6:7: error: nothing was loaded from /etc/passwd; the 2" in shown
    assert "<stdin>:7:6: error: unexpected `now`" in shown
    assert shown.rstrip().endswith("1 segments, 0 journeys, 1 tests")


def test_a_document_named_like_a_file_is_read_with_an_at(workspace, project):
    (project / "e.json").write_text('{"type": "purchase"}')
    for kind in ("event", "profile", "session"):
        with pytest.raises(UserError, match=re.escape(f"write .{kind} @e.json")):
            respond(workspace, f".{kind} e.json")
    assert respond(workspace, ".event @e.json") == 'event set: "purchase" (@e.json)'


def test_the_moment_after_a_profile_seen_at_the_end_of_the_calendar_is_its_end():
    from tracsh.repl.moment import next_moment

    seen = {"last_seen": "9999-12-31T23:59:30+00:00"}
    assert next_moment(seen) == "9999-12-31T23:59:59.999999+00:00"
    assert next_moment({"last_seen": "2024-01-01T00:00:00+00:00"}) == (
        "2024-01-01T00:01:00+00:00"
    )
