"""``tracsh check`` against the project: templates, channels, webhooks, enrichers.

The project is made in tmp_path (rules, templates, tracsh.toml); each row is a
rule line and the warning it must give (place and words), or none. Warnings
never fail the check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracsh.cli.main import main

TOML = (
    '[webhooks.crm]\nurl = "http://127.0.0.1:9/hook"\n'
    '[channels.email]\nkind = "smtp"\nfrom = "shop@example.test"\n'
    '[channels.sms]\nkind = "http"\nurl = "http://127.0.0.1:9/sms"\n'
    '[channels.push]\nkind = "http"\nurl = "http://127.0.0.1:9/push"\n'
)
TEMPLATES = (
    "thanks.email.j2", "receipt.email.html.j2", "hello.sms.j2", "ping.push.j2",
    "welcome.message.j2", "_footer.txt.j2", "sms.json.j2", "push.json.j2",
)  # fmt: skip

ROWS = [
    ('send email "thanks"', None),
    ('send email "receipt"', None),
    ('send sms "hello"; send push "ping"; show message "welcome"', None),
    ('send email "nonexistent-template"', (40, 'no email template "nonexistent-t')),
    ('send email "thanx"', (40, 'did you mean "thanks"?')),
    ('send sms "thanks"', (38, 'no sms template "thanks" in templates/')),
    ('send email "_footer"', (40, 'no email template "_footer"')),
    ('send push "push"', (39, 'no push template "push"')),
    ('show message "hello"', (42, 'no in-app message template "hello"')),
    ('call webhook "crm"', None),
    ('call webhook "nope"', (42, 'no webhook "nope" is configured in tracsh.toml')),
    ('enrich profile.traits.ua from "user-agent"', None),
    (
        'enrich profile.traits["a"] from "geo"',
        (61, 'no enricher "geo" is built in or configured'),
    ),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "templates").mkdir()
    for name in TEMPLATES:
        (tmp_path / "templates" / name).write_text("subject: hi\nhello\n")
    (tmp_path / "tracsh.toml").write_text(TOML)
    return tmp_path


@pytest.mark.parametrize(("actions", "warning"), ROWS)
def test_names_the_project_lacks_are_warnings(project, capsys, actions, warning):
    line = f'when event.type == "a" then {actions}\n'
    (project / "rules" / "a.rules").write_text(line)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    if warning is None:
        assert out == ""
        return
    column, words = warning
    header = out.split("\n", 1)[0]
    assert f"rules/a.rules:1:{column}: warning: " in header
    assert words in header
    caret = out.split("\n")[2]
    assert caret.index("^") - 2 == column - 1


def test_without_templates_or_webhooks_there_is_nothing_to_check_against(
    project, capsys
):
    (project / "tracsh.toml").unlink()
    for path in (project / "templates").iterdir():
        path.unlink()
    (project / "templates").rmdir()
    (project / "rules" / "a.rules").write_text(
        'when event.type == "a" then send email "x"; call webhook "y"\n'
    )
    assert main(["check"]) == 0
    assert capsys.readouterr().out == ""


def test_a_journey_step_is_checked_too(project, capsys):
    (project / "rules" / "j.rules").write_text(
        'journey "j"\n  enter when event.type == "a"\n  step "one"\n'
        '    send email "nope"\nend\n'
    )
    assert main(["check"]) == 0
    assert "j.rules:4:16: warning: no email template" in capsys.readouterr().out


SMS = '[channels.sms]\nkind = "http"\nurl = "http://127.0.0.1:9/s"\n'

# (tracsh.toml, actions, the warnings expected: column and words)
CONFIGURED = [
    # A tracsh.toml that configures no webhook still says which exist: none.
    ("", 'call webhook "nope"', [(42, "(it configures no webhooks)")]),
    ("", 'send sms "hello"', [(29, "no [channels.sms] in tracsh.toml")]),
    (SMS, 'send sms "hello"', []),
    (
        "",
        'send email "nope"',
        [(40, 'no email template "nope"'), (29, "no [channels.email] in tracsh.toml")],
    ),
]


@pytest.mark.parametrize(("toml", "actions", "warnings"), CONFIGURED)
def test_a_tracsh_toml_is_what_channels_and_webhooks_are_checked_against(
    project, capsys, toml, actions, warnings
):
    (project / "tracsh.toml").write_text(toml)
    line = f'when event.type == "a" then {actions}\n'
    (project / "rules" / "a.rules").write_text(line)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.split("\n") if ": warning: " in line]
    assert len(headers) == len(warnings), headers
    for header, (column, words) in zip(headers, warnings, strict=True):
        assert f"rules/a.rules:1:{column}: warning: " in header
        assert words in header
