"""Email over SMTP to aiosmtpd on loopback: the message, and what SMTP answers mean."""

from __future__ import annotations

import pytest
from servers import free_port

RENDERED = {
    "subject": "Your order ORD-1 is confirmed",
    "text": "Hello Ann,\nthanks for ORD-1.\n",
    "html": "<p>Hello Ann, thanks for <b>ORD-1</b>.</p>",
}


def mail_settings(port: int, **extra) -> dict:
    channel = {"kind": "smtp", "host": "127.0.0.1", "port": port}
    channel.update({"from": "shop@example.test", "timeout": "2s"}, **extra)
    return {"channels": {"email": channel}}


def queue_mail(project, recipient="ann@example.com", rendered=RENDERED, **columns):
    return project.queue(
        kind="email",
        target="order-confirmation",
        recipient=recipient,
        rendered=rendered,
        **columns,
    )


def test_an_email_carries_subject_parts_and_its_key_as_message_id(project_of, mail):
    project = project_of(mail_settings(mail.port))
    row_id = queue_mail(project, key="a1" * 32)

    assert project.drain().sent == 1

    [message] = mail.messages
    assert message["Subject"] == "Your order ORD-1 is confirmed"
    assert (message["From"], message["To"]) == ("shop@example.test", "ann@example.com")
    assert message["Message-ID"] == f"<{'a1' * 32}@example.test>"
    assert message["X-Tracsh-Rule"] == "r1"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert text == RENDERED["text"] and html.strip() == RENDERED["html"]
    assert project.row(row_id)["status"] == "sent"


def test_non_ascii_subjects_and_names_survive(project_of, mail):
    project = project_of(mail_settings(mail.port))
    rendered = {"subject": "Willkommen, Tomás – 10 % Rabatt", "text": "Grüße"}
    queue_mail(project, rendered=rendered)

    project.drain()

    message = mail.messages[0]
    assert message["Subject"] == rendered["subject"]
    assert message.get_body(("plain",)).get_content().strip() == "Grüße"


@pytest.mark.parametrize(
    ("refusal", "status", "state"),
    [
        ("451 4.3.0 mailbox busy, try later", "451", "retry"),
        ("550 5.1.1 no such user", "550", "dead"),
    ],
)
def test_smtp_answers_decide_retry_or_dead_letter(
    project_of, mail, refusal, status, state
):
    mail.handler.refuse = [refusal]
    project = project_of(mail_settings(mail.port))
    row_id = queue_mail(project)

    project.drain()

    row = project.row(row_id)
    assert (row["status"], row["last_status"]) == (state, status)
    assert row["reason"] == f"SMTP {status}: {refusal[4:]}"
    assert mail.messages == []


def test_a_server_that_is_not_there_is_retried(project_of):
    project = project_of(mail_settings(free_port()))
    row_id = queue_mail(project)

    assert project.drain().retry == 1
    assert project.row(row_id)["last_status"] == "network"


@pytest.mark.parametrize(
    ("recipient", "rendered", "reason"),
    [
        (
            "ann@example.com\nBcc: all@example.com",
            RENDERED,
            "the recipient of outbox 1 is not a single e-mail address: "
            "'ann@example.com\\nBcc: all@example.com'",
        ),
        (
            "ann@example.com, bob@example.com",
            RENDERED,
            "the recipient of outbox 1 is not a single e-mail address: "
            "'ann@example.com, bob@example.com'",
        ),
        (
            "nobody",
            RENDERED,
            "the recipient of outbox 1 is not a single e-mail address: 'nobody'",
        ),
        (
            "ann@example.com",
            None,
            "outbox 1 has no rendered message (the templates directory was "
            "missing when its rule fired)",
        ),
    ],
)
def test_what_cannot_make_an_email_fails_without_sending(
    project_of, mail, recipient, rendered, reason
):
    project = project_of(mail_settings(mail.port))
    row_id = queue_mail(project, recipient=recipient, rendered=rendered)

    assert project.drain().failed == 1
    assert project.row(row_id)["reason"] == reason
    assert mail.messages == []


def test_a_subject_cannot_inject_headers(project_of, mail):
    project = project_of(mail_settings(mail.port))
    queue_mail(project, rendered={"subject": "Hi\r\nBcc: x@example.com", "text": "t"})

    project.drain()

    message = mail.messages[0]
    assert message["Subject"] == "Hi Bcc: x@example.com"
    assert message["Bcc"] is None


def test_unset_credentials_fail_and_name_the_variable(project_of, mail):
    project = project_of(mail_settings(mail.port, user_env="SMTP_USER_UNSET"))
    row_id = queue_mail(project)

    assert project.drain().failed == 1
    assert project.row(row_id)["reason"] == (
        "channels.email.user_env: environment variable SMTP_USER_UNSET is not set"
    )


def test_messages_wait_when_no_channel_is_configured(project_of):
    project = project_of({})
    row_id = queue_mail(project)

    counts = project.drain()

    assert counts.held == {"email: no [channels.email] in the configuration": 1}
    assert project.row(row_id)["status"] == "pending"
