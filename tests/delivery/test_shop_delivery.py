"""Replaying samples/shop with delivery on: real SMTP and HTTP receivers on loopback.

``tracsh replay --deliver`` runs the sample through rules/ and templates/ and
sends everything to aiosmtpd and a receiver that stands in for the CRM and the
SMS and push providers. What arrived is checked against what the events say,
recomputed here from the events alone: who gets which order confirmation and
welcome (by address, subject and greeting), which CRM calls are made, and that
every webhook request carries a signature that verifies.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from delivery_project import SECRET
from servers import MailServer, Receiver

from tracsh.cli.main import main
from tracsh.delivery.signing import verify
from tracsh.store import Store

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "shop" / "events.ndjson"
STAFF = re.compile(r".+@shop\.example\.test")


def write_config(folder: Path, smtp_port: int, receiver: Receiver) -> Path:
    text = f"""
[rules]
dirs = ["{ROOT / "rules"}"]
templates = "{ROOT / "templates"}"
[delivery]
concurrency = 8
[channels.email]
kind = "smtp"
host = "127.0.0.1"
port = {smtp_port}
from = "shop@example.test"
[channels.sms]
kind = "http"
url = "{receiver.url("/sms")}"
body = "sms.json.j2"
allow_private = true
[channels.push]
kind = "http"
url = "{receiver.url("/push")}"
body = "push.json.j2"
allow_private = true
[webhooks.crm]
url = "{receiver.url("/crm")}"
secret_env = "CRM_SECRET"
allow_private = true
"""
    path = folder / "tracsh.toml"
    path.write_text(text)
    return path


class Shop:
    """What the replay delivered, and the sample's events."""

    def __init__(self, folder: Path, mail: MailServer, receiver: Receiver) -> None:
        self.events = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
        self.mail = mail.messages
        self.requests = receiver.requests
        with Store.open(folder / "tracsh.db") as store:
            self.rows = store.outbox_rows(limit=10_000)

    def to(self, path: str) -> list:
        return [r for r in self.requests if r.path == path]


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Shop:
    folder = tmp_path_factory.mktemp("shop")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("CRM_SECRET", SECRET)
    with MailServer() as mail, Receiver() as receiver:
        config = write_config(folder, mail.port, receiver)
        status = main(
            [
                "replay",
                str(SAMPLE),
                "--db",
                str(folder / "tracsh.db"),
                "--config",
                str(config),
                "--deliver",
            ]
        )
        assert status == 0
        yield Shop(folder, mail, receiver)
    monkeypatch.undo()


# --- what the events say, recomputed --------------------------------------------


def customers(events: list[dict]):
    """Walk the events as the rules see them: yields (event, email, name, staff)."""
    email, name, staff = {}, {}, set()
    for e in events:
        who, props = e["profile"]["id"], e["properties"]
        if e["type"] == "sign-up" and "email" in props:
            email[who] = props["email"].strip().lower()
            if STAFF.fullmatch(email[who]):
                staff.add(who)
        if e["type"] == "newsletter-subscribe" and who not in email:
            email[who] = props["email"].strip().lower()
        yield e, email.get(who), name.get(who), who in staff
        if e["type"] == "sign-up" and "first_name" in props:
            name[who] = props["first_name"].strip()


def expected_confirmations(events: list[dict]) -> Counter:
    found = Counter()
    for e, address, name, staff in customers(events):
        if e["type"] == "purchase" and not staff and address:
            order = e["properties"]["order_id"]
            found[(address, f"Your order {order} is confirmed", name or "there")] += 1
    return found


def expected_welcomes(events: list[dict]) -> Counter:
    found, welcomed = Counter(), set()
    for e, address, _, staff in customers(events):
        who = e["profile"]["id"]
        if e["type"] != "sign-up" or staff or who in welcomed:
            continue
        welcomed.add(who)
        first = (e["properties"].get("first_name") or "").strip() or "friend"
        found[(address, f"Welcome to the shop, {first}")] += 1
    return found


def greeting(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.match(r"Hello (.+),", text).group(1)


# --- the checks -----------------------------------------------------------------


def test_every_queued_delivery_went_out_or_was_held_back_by_a_guard(shop):
    statuses = Counter((r["kind"], r["status"]) for r in shop.rows)
    assert {status for _, status in statuses} <= {"sent", "skipped"}
    assert statuses[("email", "sent")] == len(shop.mail) > 400
    assert statuses[("webhook", "sent")] == len(shop.to("/crm")) > 150
    assert statuses[("sms", "sent")] == len(shop.to("/sms")) > 20
    assert statuses[("push", "sent")] == len(shop.to("/push")) > 5


def test_order_confirmations_reach_the_right_people_with_their_names(shop):
    found = Counter(
        (m["To"], m["Subject"], greeting(m))
        for m in shop.mail
        if m["Subject"].startswith("Your order ")
    )
    assert found == expected_confirmations(shop.events)


def test_welcomes_greet_each_new_customer_once(shop):
    found = Counter(
        (m["To"], m["Subject"])
        for m in shop.mail
        if m["Subject"].startswith("Welcome to the shop")
    )
    assert found == expected_welcomes(shop.events)


def test_every_email_has_its_outbox_key_as_message_id(shop):
    keys = {r["key"] for r in shop.rows if r["kind"] == "email"}
    ids = [m["Message-ID"] for m in shop.mail]
    assert len(set(ids)) == len(ids)
    assert {i.strip("<>").split("@")[0] for i in ids} <= keys


def test_crm_calls_are_signed_and_match_the_events(shop):
    kinds = Counter()
    for request in shop.to("/crm"):
        stamp = int(request.headers["webhook-timestamp"])
        verify(SECRET, request.headers, request.body, now=stamp)
        kinds[json.loads(request.body)["kind"]] += 1
    refunds = sum(
        1
        for e, _, _, staff in customers(shop.events)
        if e["type"] == "refund" and e["properties"]["amount"] > 0 and not staff
    )
    large = sum(
        1
        for e, _, _, staff in customers(shop.events)
        if e["type"] == "purchase" and e["properties"]["total"] >= 500 and not staff
    )
    unsubscribes = sum(1 for e in shop.events if e["type"] == "newsletter-unsubscribe")
    assert kinds["sign-up"] == sum(expected_welcomes(shop.events).values())
    assert (kinds["refund"], kinds["large-order"], kinds["unsubscribe"]) == (
        refunds,
        large,
        unsubscribes,
    )


def test_texts_and_pushes_go_through_their_provider_bodies(shop):
    for request in shop.to("/sms"):
        body = json.loads(request.body)
        assert re.fullmatch(r"\+[0-9]{8,15}", body["to"])
        assert re.search(r"order ORD-\d+ confirmed", body["text"])
        assert body["reference"] == request.headers["Idempotency-Key"]
    for request in shop.to("/push"):
        body = json.loads(request.body)
        assert body["token"].startswith("push-")
        assert body["notification"]["title"] == "Your cart is waiting"
