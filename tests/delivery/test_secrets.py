"""Every ``*_env`` key of delivery: an unset, empty or blank variable fails the row."""

from __future__ import annotations

import pytest
from delivery_project import webhook_settings
from test_mail import mail_settings, queue_mail

from tracsh.delivery.secrets import delivery_secret


def http_channel(url: str) -> dict:
    return {
        "channels": {
            "sms": {
                "kind": "http",
                "url": url,
                "allow_private": True,
                "headers_env": {"Authorization": "SMS_AUTH"},
            }
        }
    }


def enricher(url: str) -> dict:
    return {
        "enrichers": {
            "company": {
                "kind": "http",
                "url": url,
                "allow_private": True,
                "headers_env": {"X-Key": "LOOKUP_KEY"},
            }
        }
    }


def queue_sms(project):
    return project.queue(
        kind="sms", target="t", recipient="+4912345", rendered={"text": "hi"}
    )


def queue_lookup(project):
    return project.queue(kind="enrich", target="company", rendered={"url": "x"})


CASES = [
    (
        "webhooks.crm.secret_env",
        "CRM_SECRET",
        lambda r, m: webhook_settings(r.url()),
        lambda p: p.queue(),
    ),
    (
        "webhooks.crm.headers_env.Authorization",
        "CRM_TOKEN",
        lambda r, m: webhook_settings(
            r.url(), headers_env={"Authorization": "CRM_TOKEN"}
        ),
        lambda p: p.queue(),
    ),
    (
        "channels.sms.headers_env.Authorization",
        "SMS_AUTH",
        lambda r, m: http_channel(r.url()),
        queue_sms,
    ),
    (
        "enrichers.company.headers_env.X-Key",
        "LOOKUP_KEY",
        lambda r, m: enricher(r.url()),
        queue_lookup,
    ),
    (
        "channels.email.user_env",
        "SMTP_USER",
        lambda r, m: mail_settings(m.port, user_env="SMTP_USER"),
        queue_mail,
    ),
    (
        "channels.email.password_env",
        "SMTP_PASSWORD",
        lambda r, m: mail_settings(m.port, password_env="SMTP_PASSWORD"),
        queue_mail,
    ),
]


@pytest.mark.parametrize("value", ["", "  \t"], ids=["empty", "blank"])
@pytest.mark.parametrize(
    ("key", "variable", "settings", "queue"), CASES, ids=[c[0] for c in CASES]
)
def test_a_set_but_empty_variable_fails_the_row_and_names_it(
    project_of, receiver, mail, monkeypatch, key, variable, settings, queue, value
):
    project = project_of(settings(receiver, mail))
    monkeypatch.setenv(variable, value)
    row_id = queue(project)

    counts = project.drain(apply=lambda event: None)

    assert counts.failed == 1
    row = project.row(row_id)
    assert (row["status"], row["last_status"]) == ("failed", "config")
    assert row["reason"] == (
        f"{key}: environment variable {variable} is set but empty; set it to the "
        "value to use"
    )
    assert receiver.requests == [] and mail.messages == []


def test_a_header_secret_cannot_carry_a_line_break(project_of, receiver, monkeypatch):
    project = project_of(
        webhook_settings(receiver.url(), headers_env={"Authorization": "CRM_TOKEN"})
    )
    monkeypatch.setenv("CRM_TOKEN", "Bearer t0k3n\nX-Admin: yes")
    row_id = project.queue()

    assert project.drain().failed == 1
    assert project.row(row_id)["reason"] == (
        "webhooks.crm.headers_env.Authorization: environment variable CRM_TOKEN "
        "holds a line break or control character, which a header value cannot carry"
    )
    assert receiver.requests == []


def test_a_secret_with_a_value_is_read_as_it_is(monkeypatch):
    monkeypatch.setenv("CRM_SECRET", " s3cret ")
    assert delivery_secret("CRM_SECRET", "webhooks.crm.secret_env") == " s3cret "
    assert delivery_secret(None, "webhooks.crm.secret_env") is None
