"""tracsh.toml: TOML text in, Config values or the exact error message out."""

import os
import re
from pathlib import Path

import pytest

from tracsh.config import (
    BEGIN,
    END,
    ConfigError,
    SourceConfig,
    load_config,
    parse_duration,
    read_secret,
    reference_markdown,
)
from tracsh.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SPEC = (ROOT / "../shared/spec/system.md").resolve()


def load(tmp_path, text):
    path = tmp_path / "tracsh.toml"
    path.write_text(text)
    return load_config(path)


def error_of(tmp_path, text):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return str(caught.value).replace(str(tmp_path / "tracsh.toml"), "tracsh.toml")


# --- durations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800.0),
        ("30s", 30.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("7d", 604800.0),
        ("2w", 1209600.0),
        ("1.5h", 5400.0),
        ("10 seconds", 10.0),
        ("2 days", 172800.0),
        ("1 minute", 60.0),
        ("5 mins", 300.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("250ms", 0.25),
        (" 2H ", 7200.0),
        ("90", 90.0),
        (90, 90.0),
        (1.5, 1.5),
        (0, 0.0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", 'expected a duration like "30m", got "soon"'),
        ("", 'expected a duration like "30m", got ""'),
        ("3x", 'expected a duration like "30m", got "3x"'),
        ("1h 2", 'expected a duration like "30m", got "1h 2"'),
        ("-1s", 'expected a duration like "30m", got "-1s"'),
        (-5, "expected a duration of zero or more, got -5"),
        ("inf", 'expected a duration of zero or more, got "inf"'),
        (True, 'expected a duration like "30m", got true'),
        ([1], 'expected a duration like "30m", got [1]'),
    ],
)
def test_bad_durations(text, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


# --- values ------------------------------------------------------------------


def test_no_file_gives_every_default_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.path is None
    assert config.root == tmp_path
    assert config.store.path == tmp_path / "tracsh.db"
    assert config.store.synchronous == "normal"
    assert config.rules.dirs == [tmp_path / "rules"]
    assert config.rules.templates == tmp_path / "templates"
    assert config.session.timeout == 1800.0
    assert (config.collector.host, config.collector.port) == ("127.0.0.1", 8686)
    assert config.sources == config.channels == config.webhooks == {}
    assert config.enrichers == {}


def test_the_file_in_the_current_directory_is_read_when_present(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tracsh.toml").write_text('[session]\ntimeout = "5m"\n')
    config = load_config(None)
    assert config.path == Path("tracsh.toml")
    assert config.session.timeout == 300.0


def test_paths_resolve_against_the_file_directory(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "tracsh.toml").write_text(
        '[store]\npath = "data/shop.db"\n[rules]\ndirs = ["rules", "/abs/more"]\n'
    )
    config = load_config(project / "tracsh.toml")
    assert config.root == project
    assert config.store.path == project / "data/shop.db"
    assert config.rules.dirs == [project / "rules", Path("/abs/more")]
    assert config.rules.templates == project / "templates"


SPEC_EXAMPLE = """
[store]
path = "tracsh.db"
synchronous = "full"
[rules]
dirs = ["rules"]
templates = "templates"
[session]
timeout = "30m"
[collector]
host = "127.0.0.1"
port = 8686
[sources.web-shop]
enabled = true
token_env = "WEB_SHOP_TOKEN"
[sources.pos]
enabled = false
[channels.email]
kind = "smtp"
host = "127.0.0.1"
port = 2525
tls = "none"
from = "shop@example.test"
user_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"
[channels.sms]
kind = "http"
url = "https://sms.example.test/send"
method = "post"
body = "sms.json.j2"
[webhooks.crm]
url = "https://crm.example.test/hook"
method = "POST"
secret_env = "CRM_SECRET"
timeout = "10s"
allow_private = false
[enrichers.company]
kind = "http"
url = "https://lookup.example.test/{{ profile.pii.email }}"
"""


def test_every_key_of_the_contract(tmp_path):
    config = load(tmp_path, SPEC_EXAMPLE)
    assert config.store.synchronous == "full"
    assert config.sources == {
        "web-shop": SourceConfig("web-shop", enabled=True, token_env="WEB_SHOP_TOKEN"),
        "pos": SourceConfig("pos", enabled=False),
    }
    email = config.channels["email"]
    assert (email.name, email.kind, email.host, email.port) == (
        "email",
        "smtp",
        "127.0.0.1",
        2525,
    )
    assert (email.tls, email.sender, email.user_env) == (
        "none",
        "shop@example.test",
        "SMTP_USER",
    )
    assert email.password_env == "SMTP_PASSWORD"
    sms = config.channels["sms"]
    assert (sms.kind, sms.url, sms.method, sms.body) == (
        "http",
        "https://sms.example.test/send",
        "POST",
        "sms.json.j2",
    )
    crm = config.webhooks["crm"]
    assert (crm.url, crm.method, crm.secret_env) == (
        "https://crm.example.test/hook",
        "POST",
        "CRM_SECRET",
    )
    assert (crm.timeout, crm.allow_private, crm.headers) == (10.0, False, {})
    company = config.enrichers["company"]
    assert (company.kind, company.method, company.timeout) == ("http", "GET", 5.0)
    assert company.url == "https://lookup.example.test/{{ profile.pii.email }}"


def test_the_example_in_the_system_spec_loads(tmp_path):
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is absent")
    block = re.search(r"```toml\n(.*?)```", SPEC.read_text(), re.S).group(1)
    config = load(tmp_path, block)
    assert set(config.channels) == {"email", "sms"}
    assert set(config.sources) == {"web-shop"}


VALUES = [
    ('[session]\ntimeout = "2 hours"', lambda c: c.session.timeout, 7200.0),
    ("[session]\ntimeout = 45", lambda c: c.session.timeout, 45.0),
    ("[collector]\nport = 0", lambda c: c.collector.port, 0),
    ("[collector]\nqueue = 20", lambda c: c.collector.queue, 20),
    ('[store]\npath = ":memory:"', lambda c: c.store.path, Path(":memory:")),
    (
        '[webhooks.a]\nurl = "http://h/x"\nmethod = "put"',
        lambda c: c.webhooks["a"].method,
        "PUT",
    ),
    (
        '[webhooks.a]\nurl = "http://h/"\nheaders = {X-Shop = "s1"}',
        lambda c: c.webhooks["a"].headers,
        {"X-Shop": "s1"},
    ),
    (
        '[channels.email]\nkind = "smtp"\nfrom = "a@b"',
        lambda c: c.channels["email"].port,
        25,
    ),
    (
        '[channels.email]\nkind = "smtp"\nfrom = "a@b"',
        lambda c: c.channels["email"].timeout,
        10.0,
    ),
    ("[delivery]\nattempts = 3", lambda c: c.delivery.attempts, 3),
    ("", lambda c: (c.delivery.attempts, c.delivery.backoff), (8, 30.0)),
    (
        '[webhooks.a]\nurl = "http://h/"\nheaders_env = {Authorization = "A_KEY"}',
        lambda c: c.webhooks["a"].headers_env,
        {"Authorization": "A_KEY"},
    ),
    (
        '[enrichers.co]\nkind = "http"\nurl = "http://h/"\nfields = {n = "a.b"}',
        lambda c: (c.enrichers["co"].fields, c.enrichers["co"].ttl),
        ({"n": "a.b"}, 3600.0),
    ),
    ('[sources."odd id"]', lambda c: c.sources["odd id"].enabled, True),
    ("[sources]", lambda c: c.sources, {}),
]


@pytest.mark.parametrize(("text", "get", "expected"), VALUES)
def test_values(tmp_path, text, get, expected):
    assert get(load(tmp_path, text)) == expected


# --- errors ------------------------------------------------------------------


ERRORS = [
    (
        '[session]\ntimeout = "soon"',
        'tracsh.toml: session.timeout: expected a duration like "30m", got "soon"',
    ),
    (
        '[session]\ntimeout = "0s"',
        'tracsh.toml: session.timeout: expected a duration longer than zero, got "0s"',
    ),
    (
        '[webhooks.crm]\nurl = "https://crm.test/"\ntimeout = "1000000000000d"',
        "tracsh.toml: webhooks.crm.timeout: expected a duration of at most 10 years "
        '("3650d"), got "1000000000000d"',
    ),
    (
        '[delivery]\nmax_backoff = "3651 days"',
        "tracsh.toml: delivery.max_backoff: expected a duration of at most 10 years "
        '("3650d"), got "3651 days"',
    ),
    (
        '[collector]\nport = "8686"',
        "tracsh.toml: collector.port: expected a port number from 0 to 65535, "
        'got "8686"',
    ),
    (
        "[collector]\nport = 70000",
        "tracsh.toml: collector.port: expected a port number from 0 to 65535, "
        "got 70000",
    ),
    (
        "[collector]\nport = true",
        "tracsh.toml: collector.port: expected a port number from 0 to 65535, got true",
    ),
    (
        "[collector]\nqueue = 0",
        "tracsh.toml: collector.queue: expected a whole number of 1 or more, got 0",
    ),
    (
        "[collector]\nhost = 127",
        "tracsh.toml: collector.host: expected non-empty text, got 127",
    ),
    (
        '[store]\nsynchronous = "fast"',
        'tracsh.toml: store.synchronous: expected one of "normal", "full", got "fast"',
    ),
    (
        '[rules]\ndirs = "rules"',
        'tracsh.toml: rules.dirs: expected a list of paths like ["rules"], got "rules"',
    ),
    (
        "[rules]\ndirs = []",
        'tracsh.toml: rules.dirs: expected a list of paths like ["rules"], got []',
    ),
    (
        "[console]\nrows = 0",
        "tracsh.toml: console.rows: expected a whole number of 1 or more, got 0",
    ),
    (
        '[console]\ntheme = "blue"',
        'tracsh.toml: console.theme: expected one of "dark", "light", got "blue"',
    ),
    (
        "[console.keys]\nevents.pause = 3",
        'tracsh.toml: console.keys: expected a key such as "ctrl+r" for '
        "events.pause, got 3",
    ),
    (
        "[console]\nkeys = 3",
        "tracsh.toml: console.keys: expected a table of binding ids and keys like "
        '{"events.pause" = "p"}, got 3',
    ),
    (
        "[sources.web]\nenabled = 1",
        "tracsh.toml: sources.web.enabled: expected true or false, got 1",
    ),
    (
        '[sources.web]\ntoken_env = "$TOKEN"',
        "tracsh.toml: sources.web.token_env: expected the name of an environment "
        'variable (letters, digits, _), got "$TOKEN"',
    ),
    (
        '[session]\ntimout = "5m"',
        'tracsh.toml: session.timout: unknown key; did you mean "session.timeout"?',
    ),
    (
        "[sesion]\n",
        'tracsh.toml: sesion: unknown section; did you mean "session"?',
    ),
    (
        "[zzz]\n",
        "tracsh.toml: zzz: unknown section (known: store, rules, session, collector, "
        "delivery, console, sources, channels, webhooks, enrichers)",
    ),
    (
        "[collector]\nzzz = 1",
        "tracsh.toml: collector.zzz: unknown key (known: host, port, queue)",
    ),
    (
        '[sources.web]\ntoken = "abc"',
        "tracsh.toml: sources.web.token: secrets are not read from the file; set "
        "token_env to the name of an environment variable",
    ),
    (
        '[channels.email]\nkind = "smtp"\nfrom = "a@b"\npassword = "x"',
        "tracsh.toml: channels.email.password: secrets are not read from the file; "
        "set password_env to the name of an environment variable",
    ),
    (
        'store = "x.db"',
        'tracsh.toml: store: expected a table, got "x.db"',
    ),
    (
        "[sources]\nweb = 1",
        "tracsh.toml: sources.web: expected a table, got 1",
    ),
    (
        "sources = 1",
        "tracsh.toml: sources: expected a table of named tables, got 1",
    ),
    (
        '[webhooks.crm]\nmethod = "POST"',
        "tracsh.toml: webhooks.crm: missing required key url",
    ),
    (
        '[webhooks.crm]\nurl = "ftp://x/y"',
        "tracsh.toml: webhooks.crm.url: expected an http:// or https:// URL like "
        '"https://example.test/hook", got "ftp://x/y"',
    ),
    (
        '[webhooks.crm]\nurl = "http://x"\nmethod = "FETCH"',
        'tracsh.toml: webhooks.crm.method: expected one of "GET", "POST", "PUT", '
        '"PATCH", "DELETE", got "FETCH"',
    ),
    (
        '[webhooks.crm]\nurl = "http://x"\nheaders = {A = 1}',
        "tracsh.toml: webhooks.crm.headers: expected a table of text values like "
        '{X-Key = "v"}, got a table',
    ),
    (
        '[channels.email]\nfrom = "a@b"',
        "tracsh.toml: channels.email: missing required key kind",
    ),
    (
        '[channels.email]\nkind = "smtp"',
        "tracsh.toml: channels.email: missing required key from",
    ),
    (
        '[channels.sms]\nkind = "http"\nurl = "https://x/"\nhost = "h"',
        'tracsh.toml: channels.sms.host: not used by kind = "http"',
    ),
    (
        '[channels.sms]\nkind = "pigeon"',
        'tracsh.toml: channels.sms.kind: expected one of "smtp", "http", got "pigeon"',
    ),
    (
        '[enrichers.company]\nkind = "http"',
        "tracsh.toml: enrichers.company: missing required key url",
    ),
    (
        '[enrichers.email]\nkind = "http"\nurl = "http://h/"',
        'tracsh.toml: enrichers.email: "email" is a built-in enricher; give this '
        "one another name",
    ),
    (
        '[channels.emial]\nkind = "smtp"\nfrom = "a@b"',
        'tracsh.toml: channels.emial: unknown channel; did you mean "channels.email"?',
    ),
    (
        '[channels.sms]\nkind = "smtp"\nfrom = "a@b"',
        'tracsh.toml: channels.sms.kind: smtp cannot send sms; use kind = "http"',
    ),
    (
        "[delivery]\nattempts = 0",
        "tracsh.toml: delivery.attempts: expected a whole number of 1 or more, got 0",
    ),
    (
        '[webhooks.a]\nurl = "http://h/"\nheaders_env = {Authorization = "a b"}',
        "tracsh.toml: webhooks.a.headers_env: expected a table of environment "
        'variable names like {Authorization = "SMS_AUTH"}, got a table',
    ),
    (
        "[session]\ntimeout = ",
        "tracsh.toml:2:11: invalid TOML: Invalid value",
    ),
    (
        "[store]\npath = 'a'\n[store]\n",
        "tracsh.toml:3:7: invalid TOML: Cannot declare ('store',) twice",
    ),
    (
        '[store]\npath = "unterminated',
        "tracsh.toml:2:21: invalid TOML: Unterminated string",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors(tmp_path, text, message):
    assert error_of(tmp_path, text) == message


def test_console_keys_flatten_nested_tables_into_binding_ids(tmp_path):
    path = tmp_path / "tracsh.toml"
    path.write_text(
        '[console.keys]\nevents.pause = "space"\n"console.quit" = " ctrl+x "\n'
    )
    keys = load_config(path).console.keys
    assert keys == {"events.pause": "space", "console.quit": "ctrl+x"}


def test_config_errors_are_user_errors(tmp_path):
    assert issubclass(ConfigError, UserError)


def test_a_named_file_that_does_not_exist_is_an_error(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert str(caught.value) == f"{missing}: no such configuration file"


def test_a_file_that_is_not_utf8_is_an_error(tmp_path):
    path = tmp_path / "tracsh.toml"
    path.write_bytes(b'[store]\npath = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: not UTF-8 text (byte 16)"


def test_secrets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACSH_TEST_SECRET", "s3cret")
    monkeypatch.delenv("TRACSH_TEST_UNSET", raising=False)
    assert read_secret("TRACSH_TEST_SECRET", "webhooks.crm.secret_env") == "s3cret"
    assert read_secret(None, "webhooks.crm.secret_env") is None
    with pytest.raises(ConfigError) as caught:
        read_secret("TRACSH_TEST_UNSET", "webhooks.crm.secret_env")
    assert str(caught.value) == (
        "webhooks.crm.secret_env: environment variable TRACSH_TEST_UNSET is not set"
    )
    monkeypatch.setenv("TRACSH_TEST_SECRET", " ")
    with pytest.raises(ConfigError) as caught:
        read_secret("TRACSH_TEST_SECRET", "sources.web.token_env")
    assert str(caught.value) == (
        "sources.web.token_env: environment variable TRACSH_TEST_SECRET is set but "
        "empty; set it to the value to use"
    )


# --- documentation -----------------------------------------------------------

DOCS = ROOT / "docs" / "config.md"


def test_docs_list_every_key_as_the_schema_says():
    """Set TRACSH_UPDATE_DOCS=1 to rewrite the generated part of docs/config.md."""
    text = DOCS.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    expected = f"{head}{BEGIN}\n\n{reference_markdown()}\n{END}{tail}"
    if os.environ.get("TRACSH_UPDATE_DOCS"):
        DOCS.write_text(expected)
        return
    assert text == expected, "docs/config.md is stale: run with TRACSH_UPDATE_DOCS=1"
