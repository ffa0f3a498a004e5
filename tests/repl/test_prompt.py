"""What the prompt knows about its input: kind, completeness, first error, colours,
and what Tab offers. No terminal: the lexer, validator and completer are called
the way prompt_toolkit calls them."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError

from tracsh.config import load_config
from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.lang.format import format_source
from tracsh.lang.loader import load_sources
from tracsh.repl.completer import RuleCompleter, completions
from tracsh.repl.cursor import cursor
from tracsh.repl.entry import read
from tracsh.repl.layout import indent_after, placed
from tracsh.repl.lexer import RuleLexer, classes
from tracsh.repl.validator import RuleValidator, short_message
from tracsh.repl.workspace import Workspace
from tracsh.store import Store

ENTRIES = [
    ("", "empty", True, None),
    (".help", "command", True, None),
    ("quit", "command", True, None),
    ('.event {"type": "x",', "command", False, None),
    ('.event {"type": "x"}', "command", True, None),
    ("profile.visits > 3", "condition", True, None),
    ("profile.visits >", "condition", False, None),
    ("profile.visits = 3", "condition", True, (1, 16)),
    ('rule "a"', "forms", False, None),
    ('rule "a"\n  when event.type == "x"\n  then\n    stop', "forms", False, None),
    ('rule "a"\n  when event.type == "x"\n  then\n    stop\nend', "forms", True, None),
    ('rule "a"\n  when event.type == "x"\n  then\n    sned email "y"', "forms", True,
     (4, 5)),
    ('when event.type == "x"', "forms", False, None),
    ('when event.type == "x"\nthen stop', "forms", True, None),
    ('when lowr(event.type) == "x" then stop', "forms", True, (1, 6)),
    ('test "t"\n  event "x"\n  expect rule "nope" fired\nend', "forms", True, (3, 3)),
    # Only .event, .profile and .session take a JSON document over lines.
    (".test [", "command", True, None),
    (".load {", "command", True, None),
    ('.profile {"id":', "command", False, None),
    (".event " + "[" * 100_000, "command", True, None),
    # help, quit and exit are commands alone on the line; anything more is not.
    ("help fire", "command", True, None),
    ("exit", "command", True, None),
    ("exit now", "condition", True, (1, 6)),
    ("quit == 1", "condition", True, (1, 1)),
    # Over the size limit: complete (Enter refuses it), with the size message.
    ("event.a == 1 and " * 5000 + "true", "condition", True, (1, 1)),
    ('rule "a"\n  when ' + "event.a == 1 and " * 5000, "forms", True, (1, 1)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "complete", "error"), ENTRIES)
def test_entry(text, kind, complete, error):
    entry = read(text)
    assert (entry.kind, entry.complete) == (kind, complete)
    found = None if entry.error is None else (entry.error.line, entry.error.column)
    assert found == error


def test_the_validator_puts_the_cursor_on_the_mistake():
    text = 'rule "a"\n  when event.type == "x"\n  then\n    sned email "y"'
    with pytest.raises(ValidationError) as caught:
        RuleValidator().validate(Document(text))
    assert text[caught.value.cursor_position :].startswith("sned")
    assert "unknown action `sned`" in caught.value.message


def test_an_unfinished_input_is_no_mistake():
    RuleValidator().validate(Document('rule "a"\n  when event.type =='))


EARLY = [
    # Unfinished, but with a mistake already written: where it is.
    ('rule "a"\n  when lowr(event.type) == "x" and', (2, 8)),
    ('rule "a"\n  when lowr(event.type) == "x" and\n', (2, 8)),
    ('rule "a"\n  when (lowr(event.type) == "x" or', (2, 9)),
    ('rule "a"\n  priority 2\n  when lowr(event.type) ==', (3, 8)),
    ('when lowr(event.type) == "x" and', (1, 6)),
    ('when event.type == "x" and person.age >', (1, 28)),
    ('segment "s" when lowr(profile.x) == "a" or', (1, 18)),
    ('journey "j"\n  enter when lowr(event.type) == "a" and', (2, 14)),
    ('test "t"\n  expect lowr(profile.x) == "a" and', (2, 10)),
    ('rule "a"\n  when event.type == "x"\n  then\n    set profile.x = lowr(', (4, 21)),
    ("lowr(event.type) == (", (1, 1)),
    ('rule "a"\n  when event.type == "x" and', None),
    # A keyword where a value was due: the value before it is missing.
    ('rule "a"\n  when event.type ==\n  then', (3, 3)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "where"), EARLY)
def test_a_mistake_in_unfinished_input_is_marked(text, where):
    entry = read(text)
    assert not entry.complete
    found = None if entry.error is None else (entry.error.line, entry.error.column)
    assert found == where


SHORT = [
    ("lowr(event.type) == 1", "1:1 unknown function lowr(); did you mean lower()?"),
    ('when true then sned email "x"',
     "1:16 unknown action `sned`; did you mean `send`?"),
    (
        "person.age > 1",
        "1:1 unknown root `person`; a path starts with event, profil…",
    ),
    ('rule "a"\n  when true\n  then\n    stop', None),
    ("profile.visits = 3", "1:16 `=` assigns a value; to compare, write `==`"),
    ("whenprofile.visits > 3 then stop", "1:5 put a space after `when`"),
    ("event.a == 1 and " * 5000 + "true",
     "1:1 this condition is 85004 characters long, over the limit…"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "shown"), SHORT)
def test_messages_fit_a_sixty_column_terminal(text, shown):
    entry = read(text)
    if entry.error is None:
        return
    message = short_message(entry.error, 60)
    assert len(message) <= 60
    if shown is not None:
        assert message == shown


@pytest.mark.parametrize(
    ("text", "word", "style"),
    [
        ('rule "a"', "rule", "keyword"),
        ('rule "a"', '"a"', "string"),
        ("event.properties.count > 3", "event", "root"),
        ("event.properties.count > 3", "count", "field"),
        ("event.properties.count > 3", ">", "operator"),
        ("event.properties.count > 3", "3", "number"),
        ("lower(profile.x) == 'a'", "lower", "function"),
        ('when true then send email "x"', "send", "action"),
        ("now - 7 days > event.time  # why", "# why", "comment"),
        ("now - 7 days > event.time", "days", "keyword"),
        ('when event.type == "x" then sned email "y"', "sned", "error"),
        ('when event.type == "x then stop', '"x then stop', "error"),
        (".load rules/", ".load", "command"),
    ],
)
def test_highlighting(text, word, style):
    start = text.index(word)
    assert set(classes(text)[start : start + len(word)]) == {style}


HUGE = [
    'rule "a"\n  when event.type == "x"\n'
    + "    and event.properties.total == 1\n" * 20_000
    + "  then\n    stop\nend",
    "event.properties.total == 1 and " * 20_000 + "true",
]


@pytest.mark.parametrize("text", HUGE, ids=["rule", "condition"])
def test_a_huge_paste_costs_a_scan_per_keystroke(text, monkeypatch):
    def never(*args):
        raise AssertionError("oversized input must not be parsed or tokenised")

    # What costs seconds on 700 KB: parsing, the unfinished-input probes, lexing.
    monkeypatch.setattr("tracsh.repl.entry._problems", never)
    monkeypatch.setattr("tracsh.repl.entry.unfinished", never)
    monkeypatch.setattr("tracsh.repl.lexer._tokens", never)
    for typed in (text, text + "x"):
        entry, styles = read(typed), classes(typed)
        assert "over the limit of 65536" in entry.error.message
        assert styles[0] == "error"


def test_the_lexer_hands_prompt_toolkit_styled_lines():
    lines = RuleLexer().lex_document(Document('rule "a"\n  when true'))
    assert lines(0) == [("class:keyword", "rule"), ("", " "), ("class:string", '"a"')]
    assert lines(1)[-1] == ("class:keyword", "true")


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ('rule "a"', "  "),
        ("  when x", "  "),
        ("  then", "    "),
        ("    stop", "    "),
        ("when x", "  "),
        ('rule "a"\n  when x\n    and y', "  "),
        ('journey "j"\n  step "s" when x\n      or y', "    "),
        ("    respond with {", "      "),
    ],
)
def test_indentation_after_enter(text, indent):
    assert indent_after(text) == indent


LAID_OUT = [
    'rule "a"\npriority 2\nonce per profile every 7 days\nwhen event.type == "buy" '
    'and profile.visits > 3 and profile.traits.tier == "gold" and profile.x exists '
    'and true\nthen\nsend email "thanks"\nrespond with {"greeting": "hello there, '
    'dear customer", "offer": "ten percent off", "code": "X"}\nstop\nend',
    'when event.type == "buy" and profile.visits > 3 and profile.traits.tier == '
    '"gold" and profile.x exists then send email "a"; stop',
    'segment "s" when event.type == "buy" and profile.visits > 3 and '
    'profile.traits.tier == "gold" and profile.x exists',
    'journey "j"\nenter when event.type == "sign-up" and profile.visits > 3 and '
    'profile.traits.tier == "gold" and profile.x exists\nexit when event.type == '
    '"buy"\nstep "welcome"\nsend email "welcome"\nstep "nudge" after 2 days when '
    'profile.visits < 2 and profile.traits.tier == "gold" and profile.x exists and '
    'true\nsend email "nudge"\nexit journey "j"\nend',
    'test "t"\nprofile {"visits": 4, "pii": {"email": "a@example.test"}, "traits": '
    '{"tier": "gold", "points": 1200}}\nsession {"id": "s"}\nsource "web"\nevent '
    '"buy"\nexpect send email "thanks"\nexpect profile.visits == 4\nend',
]


def typed(form: str) -> str:
    """What the prompt holds after ``form`` is typed a key at a time, each line
    without its indentation: Enter indents, and each key may move the line."""
    text = ""
    for number, line in enumerate(form.split("\n")):
        if number:
            text += "\n" + indent_after(text)
        for char in line.strip():
            text += char
            moved = placed(text, len(text))
            text = text if moved is None else moved[0]
    return text


@pytest.mark.parametrize("source", LAID_OUT)
def test_typing_a_form_lays_it_out_as_fmt_does(source):
    formatted = format_source(source).rstrip("\n")
    assert typed(formatted) == formatted
    assert formatted.count("\n") > 2


PLACED = [
    # (text with | at the cursor, the text and cursor after the move, or None)
    ('rule "a"\n  when true\n  then\n    stop\n    end|',
     'rule "a"\n  when true\n  then\n    stop\nend|'),
    ('rule "a"\n  when x\n    and y\n    then|',
     'rule "a"\n  when x\n    and y\n  then|'),
    ('rule "a"\n  when x\n  and| y', 'rule "a"\n  when x\n    and| y'),
    ('journey "j"\n  step "s"\n    stop\n    step| "t"',
     'journey "j"\n  step "s"\n    stop\n  step| "t"'),
    ('journey "j"\n  step "s"\n    exit| journey "j"', None),
    ('journey "j"\n    exit when| x', 'journey "j"\n  exit when| x'),
    ('test "t"\n  event "x"\n\tend|', 'test "t"\n  event "x"\nend|'),
    ('rule "a"\n  when x\n  then\n    end|s', None),
    ('rule "a"\n  when x\n  then\n    respond with {\n      "a": 1\n      }|',
     'rule "a"\n  when x\n  then\n    respond with {\n      "a": 1\n    }|'),
    ('.event {"type": "x",\n  }|', '.event {"type": "x",\n}|'),
    ("profile.visits > 1\n    and| x", None),
    ("end|", None),
    ('rule "a"\n  when x\n  then\n    stop\nend|', None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "after"), PLACED)
def test_a_line_moves_to_its_place_when_its_first_word_is_typed(text, after):
    moved = placed(text.replace("|", ""), text.index("|"))
    if after is None:
        assert moved is None
    else:
        assert moved is not None
        assert moved[0][: moved[1]] + "|" + moved[0][moved[1] :] == after


# --- completion -----------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A project with rules, a template and a database holding a few events."""
    (tmp_path / "templates").mkdir()
    for name in ("thanks.email.j2", "receipt.email.html.j2", "tick.sms.j2",
                 "ping.push.j2", "hello.message.j2", "_footer.txt.j2",
                 "sms.json.j2", "push.json.j2"):  # fmt: skip
        (tmp_path / "templates" / name).write_text("subject: hi\nhello")
    (tmp_path / "tracsh.toml").write_text('[webhooks.crm]\nurl = "https://c.test/h"\n')
    rules = 'rule "vip"\n  when event.type == "purchase"\n  then\n'
    rules += '    add segment "vip"\nend\n'
    rules += 'segment "big" when profile.traits.ltv > 100\n'
    (tmp_path / "a.rules").write_text(rules)
    db = tmp_path / "tracsh.db"
    with Store.open(db) as store:
        book = build_rulebook(load_sources([("a.rules", rules)]))
        events = [
            {"id": f"e{i}", "type": "purchase", "time": "2024-05-01T10:00:00Z",
             "received": "2024-05-01T10:00:00Z", "source": {"id": "web"},
             "session": {"id": "s1"}, "profile": {"id": "p1"},
             "properties": {"total": i, "order id": "A"}, "context": {}, "tags": []}
            for i in range(3)
        ]  # fmt: skip
        Engine(store, book).process_batch(events)
    config = load_config(tmp_path / "tracsh.toml")
    space = Workspace(config, db)
    space.load([tmp_path / "a.rules"])
    yield space
    space.close()


def offered(workspace: Workspace, text: str) -> list[str]:
    return [c.text for c in completions(RuleCompleter(workspace), text)]


def test_field_paths_come_from_the_store_most_frequent_first(workspace):
    found = offered(workspace, "event.properties.")
    assert found[:2] == ["event.properties.total", 'event.properties["order id"]']


def test_profile_fields(workspace):
    assert "profile.segments" in offered(workspace, "when profile.seg")


def test_keywords_actions_and_functions(workspace):
    assert "then" in offered(workspace, 'when event.type == "x" th')
    assert "send email" in offered(workspace, "when true then se")
    assert "lower(" in offered(workspace, "when low")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('when true then send email "', ['receipt"', 'thanks"']),
        ('when true then send sms "', ['tick"']),
        ('when true then send  push "', ['ping"']),
        ('when true then show message "', ['hello"']),
        ('when true then send email "_', []),
    ],
)
def test_templates_are_the_channels_messages_only(workspace, text, names):
    assert offered(workspace, text) == names


def test_template_segment_rule_and_webhook_names(workspace):
    assert offered(workspace, 'when true then send email "th') == ['thanks"']
    assert offered(workspace, 'when profile in segment "') == ['big"', 'vip"']
    assert offered(workspace, 'test "t"\n  expect rule "v') == ['vip"']
    assert offered(workspace, 'when true then call webhook "') == ['crm"']


CURSORS = [
    # (text before the cursor, kind, what is typed of the string or number)
    ('when event.type == "pa', "string", "pa"),
    ("when event.type == 'it\\'s", "string", "it\\'s"),
    ('when event.type == "a#b', "string", "a#b"),
    ('when event.type == "a" # "b', "comment", ""),
    ('# when event.type == "', "comment", ""),
    ('when event.type == "a\nthen ', "code", ""),
    ("when now - 7", "number", "7"),
    ("when now - 7.5", "number", "7.5"),
    ("when profile.x2", "code", ""),
    ("when x", "code", ""),
]


@pytest.mark.parametrize(("text", "kind", "typed"), CURSORS)
def test_the_lexical_context_at_the_cursor(text, kind, typed):
    at = cursor(text)
    assert (at.kind, at.typed) == (kind, typed)


OFFERED_BY_CONTEXT = [
    # Inside a string compared with a field: the texts stored there.
    ('when event.type == "', ['purchase"']),
    ("when event.type != 'p", ["purchase'"]),
    ('when event.type in ["x", "', ['purchase"']),
    ('when event.properties["order id"] starts with "', ['A"']),
    ('when count("', ['purchase"']),
    ('test "t"\n  event "', ['purchase"']),
    ('rule "r"\n  source "', ['web"']),
    ('when event.type == "x', []),
    # Any other string, a comment, a number: nothing, or only what fits.
    ('when lower(event.type) == "', []),
    ('when "', []),
    ('when true then log "', []),
    ('when event.type == "x" # why ', []),
    ("# event.", []),
    ("when profile.visits > 3", []),
    ("when event.properties.total > 1.5", []),
    ('when count("purchase" within 30',
     [" seconds", " minutes", " hours", " days", " weeks", " years"]),
    ('when count("purchase" within 1 d', ["day"]),
    ("when event.time > now - 2 w", ["weeks"]),
    ('.event {"type":\n  "', []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "names"), OFFERED_BY_CONTEXT)
def test_completion_offers_only_what_fits_where_the_cursor_is(workspace, text, names):
    assert offered(workspace, text) == names


def test_stored_values_are_offered_escaped_for_their_quote(tmp_path):
    db = tmp_path / "tracsh.db"
    with Store.open(db) as store, store.transaction():
        motto = 'say "hi" \\ bye'
        store.put_profile({"id": "p", "traits": {"motto": motto, "bad": "a\nb"}})
    space = Workspace(load_config(None), db)
    try:
        found = completions(RuleCompleter(space), 'profile.traits.motto == "')
        assert [c.text for c in found] == ['say \\"hi\\" \\\\ bye"']
        assert [c.display_text for c in found] == [motto]
        assert offered(space, "profile.traits.motto == 's") == ['say "hi" \\\\ bye\'']
        assert offered(space, 'profile.traits.bad == "') == []
    finally:
        space.close()


def test_commands_and_their_arguments(workspace):
    assert ".fire" in offered(workspace, ".f")
    assert offered(workspace, ".show v") == ["vip"]
    # .why traces rules only; .show shows any form.
    assert offered(workspace, ".why ") == ["vip"]
    assert offered(workspace, ".show ") == ["vip", "big"]
    assert offered(workspace, ".profile p") == ["p1"]
    assert offered(workspace, ".event e")[:1] == ["e2"]


def test_stored_ids_are_filtered_by_prefix_before_the_newest_are_taken(tmp_path):
    db = tmp_path / "tracsh.db"
    with Store.open(db) as store, store.transaction():
        profiles = [("p-a618ee2944", "2024-01-01"), ("p-a6b7b0eea8", "2024-01-02")]
        profiles += [(f"p-b{n:04}", f"2024-02-{1 + n % 28:02}") for n in range(300)]
        for profile_id, day in profiles:
            store.put_profile({"id": profile_id, "updated": day + "T00:00:00Z"})
    space = Workspace(load_config(None), db)
    try:
        assert offered(space, ".profile p-a6") == ["p-a6b7b0eea8", "p-a618ee2944"]
        assert len(offered(space, ".profile p-")) == 200
    finally:
        space.close()


def test_completion_offers_nothing_from_a_file_that_is_no_database(tmp_path):
    db = tmp_path / "tracsh.db"
    db.write_text("not a database\n")
    space = Workspace(load_config(None), db)
    assert offered(space, ".profile p") == []
    assert space.store_failed
    assert "profile.segments" in offered(space, "profile.seg")
    assert offered(space, 'event.type == "') == []
