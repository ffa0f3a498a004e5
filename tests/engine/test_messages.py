"""Message, webhook and response actions: the outbox rows and outcome parts they make.

Most tables run one rule named "r" over one "go" event against a stored
profile, and compare the committed outbox rows and the outcome with exact
values.
"""

from __future__ import annotations

import logging

import pytest
from engine_harness import act, at, key_of, rule_errors

# --- messages and webhooks: outbox rows ---------------------------------------------

REVOKED = {"granted": False, "expires": None}

SEND_ROWS = [
    # actions, pii, consents, properties, (kind, target, recipient, status, reason)
    (
        'send email "thanks"',
        {"email": "ana@example.test"},
        {},
        {},
        ("email", "thanks", "ana@example.test", "pending", None),
    ),
    (
        'send email "thanks"',
        {},
        {},
        {},
        (
            "email",
            "thanks",
            None,
            "skipped",
            "no recipient: profile.pii.email is missing",
        ),
    ),
    (
        'send email "thanks"',
        {"email": ""},
        {},
        {},
        (
            "email",
            "thanks",
            None,
            "skipped",
            "no recipient: profile.pii.email is missing",
        ),
    ),
    (
        'send email "thanks"',
        {"email": "ana@example.test"},
        {"email": REVOKED},
        {},
        ("email", "thanks", None, "skipped", 'consent "email" is revoked'),
    ),
    (
        'revoke consent "email"; send email "thanks"',
        {"email": "ana@example.test"},
        {},
        {},
        ("email", "thanks", None, "skipped", 'consent "email" is revoked'),
    ),
    (
        'send email "thanks"',
        {"email": "ana@example.test"},
        {"email": {"granted": True, "expires": None}, "sms": REVOKED},
        {},
        ("email", "thanks", "ana@example.test", "pending", None),
    ),
    (
        'send sms "code"',
        {"phone": "+12025550100", "email": "ana@example.test"},
        {},
        {},
        ("sms", "code", "+12025550100", "pending", None),
    ),
    (
        'send sms "code"',
        {"email": "ana@example.test"},
        {},
        {},
        ("sms", "code", None, "skipped", "no recipient: profile.pii.phone is missing"),
    ),
    (
        'send sms "code"',
        {"phone": "+12025550100"},
        {"sms": REVOKED},
        {},
        ("sms", "code", None, "skipped", 'consent "sms" is revoked'),
    ),
    (
        'send push "hi"',
        {"push_token": "tok-1"},
        {},
        {},
        ("push", "hi", "tok-1", "pending", None),
    ),
    (
        'send push "hi"',
        {},
        {},
        {},
        (
            "push",
            "hi",
            None,
            "skipped",
            "no recipient: profile.pii.push_token is missing",
        ),
    ),
    (
        'send email "thanks" to event.properties.address',
        {"email": "ana@example.test"},
        {},
        {"address": "ben@example.test"},
        ("email", "thanks", "ben@example.test", "pending", None),
    ),
    (
        'send email "thanks" to event.properties.address',
        {"email": "ana@example.test"},
        {},
        {},
        ("email", "thanks", None, "skipped", "no recipient: the 'to' value is missing"),
    ),
    (
        'send email "thanks" to event.properties.address',
        {},
        {},
        {"address": 5},
        ("email", "thanks", None, "skipped", "no recipient: int is not an address"),
    ),
    (
        'send email "thanks" to event.properties.address',
        {},
        {"email": REVOKED},
        {"address": "ben@example.test"},
        ("email", "thanks", None, "skipped", 'consent "email" is revoked'),
    ),
]


@pytest.mark.parametrize(("actions", "pii", "consents", "properties", "row"), SEND_ROWS)
def test_messages_queue_outbox_rows_or_are_skipped_with_the_reason(
    engine, actions, pii, consents, properties, row
):
    h, outcome = act(engine, actions, properties, pii=pii, consents=consents)
    columns = ("kind", "target", "recipient", "status", "reason")
    assert h.outbox(*columns) == [dict(zip(columns, row, strict=True))]
    assert [r["status"] for r in outcome.outbox] == [row[3]]
    assert rule_errors(h) == 0


def test_an_outbox_row_has_every_column_filled_in(engine):
    h, outcome = act(
        engine,
        'log "first"; send email "thanks"',
        pii={"email": "ana@example.test"},
    )
    [row] = h.outbox()
    assert row == {
        "id": 1,
        "key": key_of("e1", "r", 1),
        "kind": "email",
        "target": "thanks",
        "recipient": "ana@example.test",
        "args": {},
        "event_id": "e1",
        "rule_id": "r",
        "profile_id": "p1",
        "status": "pending",
        "reason": None,
        "attempts": 0,
        "next_attempt": at(0),
        "last_status": None,
        "created": at(0),
        "updated": at(0),
        "rendered": None,
    }


def test_call_webhook_queues_its_evaluated_arguments(engine):
    h, _ = act(
        engine,
        'call webhook "crm" with {"kind": "order", "total": event.properties.total, '
        '"when": event.time, "who": profile.id, "gone": event.properties.nothing, '
        '"lines": len(event.properties.items)}; call webhook "audit"',
        {"total": 12.5, "items": [1, 2]},
    )
    columns = ("kind", "target", "recipient", "args", "status", "key")
    assert h.outbox(*columns) == [
        {
            "kind": "webhook",
            "target": "crm",
            "recipient": None,
            "args": {
                "kind": "order",
                "total": 12.5,
                "when": at(0),
                "who": "p1",
                "lines": 2,
            },
            "status": "pending",
            "key": key_of("e1", "r", 0),
        },
        {
            "kind": "webhook",
            "target": "audit",
            "recipient": None,
            "args": {},
            "status": "pending",
            "key": key_of("e1", "r", 1),
        },
    ]


def test_show_and_respond_go_into_the_outcome(engine):
    h, outcome = act(
        engine,
        'show message "promo"; show widget "banner" with {"text": "hi", '
        '"n": event.properties.n}; respond with {"a": 1, "b": event.properties.n}; '
        'respond with {"a": 2}',
        {"n": 3},
    )
    assert outcome.messages == [{"template": "promo", "rule": "r"}]
    assert outcome.ux == [
        {"widget": "banner", "rule": "r", "args": {"text": "hi", "n": 3}}
    ]
    assert outcome.response == {"a": 2, "b": 3}
    assert h.outbox() == []


def test_log_writes_a_line_to_the_trace_and_the_log(engine, caplog):
    with caplog.at_level(logging.INFO, logger="tracsh.engine.actions"):
        _, outcome = act(engine, 'log "hello {{ profile.id }}"')
    assert outcome.fired[0].actions == ["log: hello {{ profile.id }}"]
    assert "r: hello {{ profile.id }}" in caplog.messages
