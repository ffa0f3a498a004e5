"""Real deliveries to a person, then ``forget``: no trace of them is left anywhere.

Rules fire for one person; the worker sends to aiosmtpd and scripted receivers
on loopback, whose refusals echo the person's address and phone number back
into reasons and attempt errors, and an HTTP enricher's answer is cached under
a URL made from the e-mail address. After forgetting, the database dumped as
SQL is searched for every trace of the person.
"""

from __future__ import annotations

import json

from delivery_project import webhook_settings
from engine_setup import engine_for, event
from servers import Receiver, Reply
from test_mail import mail_settings

from tracsh.engine.enrichment import apply_enrichment
from tracsh.store import Store

PERSON = {
    "id": "p-annika-7",
    "pii": {
        "email": "annika.k@mail.test",
        "phone": "+4915550001",
        "first_name": "Annika",
    },
}
TRACES = [
    "annika.k@mail.test",
    "annika.k%40mail.test",
    "+4915550001",
    "Annika",
    "p-annika-7",
]
RULES = """
when event.type == "sign-up" then send email "welcome"; send sms "hi"; \
call webhook "crm" with {"email": profile.pii.email}; \
enrich profile.traits.company from "company"
"""


def settings(mail, crm, sms, lookup) -> dict:
    found = mail_settings(mail.port)
    found.update(webhook_settings(crm.url()))
    found["channels"]["sms"] = {
        "kind": "http",
        "url": sms.url("/sms"),
        "allow_private": True,
    }
    found["enrichers"] = {
        "company": {
            "kind": "http",
            "url": lookup.url("/company/{{ profile.pii.email }}"),
            "allow_private": True,
        }
    }
    return found


def test_forget_leaves_no_trace_of_a_delivered_person(project_of, mail, receiver):
    with Receiver() as sms, Receiver() as lookup:
        mail.handler.refuse = ["550 5.1.1 <annika.k@mail.test>: no such user"]
        sms.default = Reply(422, body=b'{"error": "+4915550001 is not reachable"}')
        answer = {"company": "Acme", "contact": "annika.k@mail.test"}
        lookup.default = Reply(body=json.dumps(answer).encode())
        project = project_of(settings(mail, receiver, sms, lookup))
        project.template(
            "welcome.email.j2", "subject: Hi {{ profile.pii.first_name }}\n\nHello"
        )
        project.template("hi.sms.j2", "Hi {{ profile.pii.first_name }}")
        engine = engine_for(project, RULES)
        with project.store.transaction():
            project.store.put_profile(PERSON)
        engine.process_batch([event("e1", "sign-up", profile=PERSON["id"])])
        project.clock.advance(3600)

        counts = project.drain(apply=lambda e: apply_enrichment(engine, e))

    assert (counts.sent, counts.retry, counts.dead) == (2, 1, 1)
    assert project.store.get_profile(PERSON["id"])["traits"]["company"] == answer
    before = "\n".join(project.store.conn.iterdump())
    assert all(trace in before for trace in TRACES)

    with project.store.transaction():
        forgotten = project.store.forget_profile(PERSON["id"])

    after = "\n".join(project.store.conn.iterdump())
    assert [trace for trace in TRACES if trace in after] == []
    assert {
        k: forgotten[k] for k in ("enricher_cache", "outbox", "outbox_scrubbed")
    } == {
        "enricher_cache": 1,
        "outbox": 1,
        "outbox_scrubbed": 3,
    }
    kept = project.store.outbox_rows()
    assert sorted((r["kind"], r["status"]) for r in kept) == [
        ("email", "dead"),
        ("enrich", "sent"),
        ("webhook", "sent"),
    ]


def test_a_person_forgotten_during_a_lookup_leaves_no_answer(project_of, receiver):
    project = project_of(
        {
            "enrichers": {
                "company": {
                    "kind": "http",
                    "url": receiver.url("/company/{{ profile.pii.email }}"),
                    "allow_private": True,
                }
            }
        }
    )
    engine = engine_for(
        project,
        'when event.type == "x" then enrich profile.traits.company from "company"',
    )
    with project.store.transaction():
        project.store.put_profile(PERSON)
    engine.process_batch([event("e1", "x", profile=PERSON["id"])])

    def forget(_request) -> None:
        with Store.open(project.db) as store, store.transaction():
            store.forget_profile(PERSON["id"])

    receiver.then(Reply(body=b'{"company": "Acme"}', on_request=forget))
    handed = []
    project.clock.advance(3600)

    counts = project.drain(apply=handed.append)

    assert (counts.sent, handed, project.store.outbox_rows()) == (0, [], [])
    after = "\n".join(project.store.conn.iterdump())
    assert [trace for trace in TRACES if trace in after] == []
    cached = project.store.conn.execute("SELECT count(*) FROM enricher_cache")
    assert cached.fetchone() == (0,)
