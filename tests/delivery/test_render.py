"""Rendering when a rule fires: a typo sends nothing and names the variable."""

from __future__ import annotations

from engine_setup import engine_for, event
from test_mail import mail_settings


def test_a_typo_in_a_template_sends_nothing_and_names_the_variable(project_of, mail):
    project = project_of(mail_settings(mail.port))
    project.template(
        "welcome.email.j2", "subject: Hi\n\nHello {{ profile.pii.frist_name }}"
    )
    engine = engine_for(
        project, 'when event.type == "sign-up" then send email "welcome"'
    )
    with project.store.transaction():
        project.store.put_profile({"id": "p1", "pii": {"email": "a@example.com"}})

    [outcome] = engine.process_batch([event("e1", "sign-up")])

    [row] = project.store.outbox_rows()
    assert (row["status"], row["rendered"]) == ("failed", None)
    assert row["reason"] == (
        "welcome.email.j2:3: profile.pii.frist_name is missing "
        "(use default(...) where it may be absent)"
    )
    assert outcome.fired[0].actions == [
        f'send email "welcome": failed ({row["reason"]})'
    ]
    assert project.drain().sent == 0
    assert mail.messages == []


def test_a_message_shows_the_profile_as_it_was_when_the_rule_fired(project_of, mail):
    project = project_of(mail_settings(mail.port))
    project.template(
        "points.email.j2", "subject: {{ profile.traits.points }} points\n\nhi"
    )
    engine = engine_for(
        project,
        'when event.type == "purchase" then increment profile.traits.points by 10; '
        'send email "points"',
    )
    with project.store.transaction():
        project.store.put_profile({"id": "p1", "pii": {"email": "a@example.com"}})
    engine.process_batch([event("e1", "purchase"), event("e2", "purchase")])

    assert project.drain().sent == 0, "due from the events' own times"
    project.clock.advance(3600)
    assert project.drain().sent == 2
    assert sorted(m["Subject"] for m in mail.messages) == ["10 points", "20 points"]


def test_a_webhook_body_template_is_rendered_when_the_rule_fires(project_of, receiver):
    settings = {
        "webhooks": {
            "crm": {"url": receiver.url(), "allow_private": True, "body": "crm.json.j2"}
        }
    }
    project = project_of(settings)
    project.template(
        "crm.json.j2",
        '{"who": {{ profile.id }}, "kind": {{ kind }}, "at": {{ event.time }}}',
    )
    engine = engine_for(
        project, 'when event.type == "x" then call webhook "crm" with {"kind": "k"}'
    )

    engine.process_batch([event("e1", "x")])

    [row] = project.store.outbox_rows()
    assert row["rendered"] == {
        "body": {"who": "p1", "kind": "k", "at": "2024-11-04T12:01:00+00:00"}
    }


def test_without_a_templates_directory_messages_wait_unrendered(project_of, tmp_path):
    project = project_of({})
    (tmp_path / "templates").rmdir()
    engine = engine_for(project, 'when event.type == "x" then send sms "hi"')
    with project.store.transaction():
        project.store.put_profile({"id": "p1", "pii": {"phone": "+4912345678"}})

    engine.process_batch([event("e1", "x")])

    [row] = project.store.outbox_rows()
    assert (row["status"], row["rendered"]) == ("pending", None)


def test_a_line_break_in_a_value_stays_in_the_subject(project_of, mail):
    project = project_of(mail_settings(mail.port))
    project.template(
        "welcome.email.j2",
        "subject: Welcome, {{ profile.pii.first_name }}\n\nHello!\n",
    )
    engine = engine_for(
        project, 'when event.type == "sign-up" then send email "welcome"'
    )
    with project.store.transaction():
        project.store.put_profile(
            {
                "id": "p1",
                "pii": {
                    "email": "a@example.com",
                    "first_name": "Ann\n\nYour account is locked: http://x.test",
                },
            }
        )
    engine.process_batch([event("e1", "sign-up")])
    project.clock.advance(3600)

    assert project.drain().sent == 1

    [message] = mail.messages
    assert message["Subject"] == ("Welcome, Ann Your account is locked: http://x.test")
    assert message.get_body(("plain",)).get_content().strip() == "Hello!"
