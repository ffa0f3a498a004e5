"""Webhooks against a scripted receiver on loopback: signing, retries, dead letters,
Retry-After, 410, redirects, deadlines, concurrency and the address guard."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

import pytest
from delivery_project import SECRET, webhook_settings
from servers import Reply

from tracsh.delivery.signing import verify


def test_a_webhook_is_signed_and_carries_its_idempotency_key(project_of, receiver):
    project = project_of(webhook_settings(receiver.url()))
    row_id = project.queue(args={"kind": "sign-up", "profile": "p1"}, key="k" * 64)

    counts = project.drain()

    assert (counts.sent, counts.retry, counts.dead, counts.failed) == (1, 0, 0, 0)
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hook"
    assert json.loads(request.body) == {"kind": "sign-up", "profile": "p1"}
    now = project.clock().timestamp()
    assert verify(SECRET, request.headers, request.body, now=now) == "k" * 64
    assert request.headers["Idempotency-Key"] == "k" * 64
    assert request.headers["webhook-timestamp"] == str(int(now))
    row = project.row(row_id)
    assert (row["status"], row["attempts"], row["last_status"]) == ("sent", 1, "200")
    [attempt] = project.store.delivery_attempts(row_id)
    assert (attempt["outcome"], attempt["status"]) == ("sent", "200")


def test_failures_retry_on_the_schedule_until_the_receiver_answers(
    project_of, receiver
):
    receiver.then(Reply(500), Reply(502), Reply(504, body=b"busy"))
    settings = webhook_settings(receiver.url())
    settings["delivery"] = {"backoff": "10s", "attempts": 5}
    project = project_of(settings)
    row_id = project.queue()

    waits = []
    for _ in range(3):
        before = project.clock()
        assert project.drain().retry == 1
        row = project.row(row_id)
        waits.append((datetime.fromisoformat(row["next_attempt"]) - before).seconds)
        assert project.drain().retry == 0, "nothing is due before the backoff ends"
        project.clock.to(row["next_attempt"])
    assert project.drain().sent == 1

    # Equal jitter: half of 10, 20, 40 seconds fixed, the other half random.
    assert [5 <= waits[0] <= 10, 10 <= waits[1] <= 20, 20 <= waits[2] <= 40] == [
        True
    ] * 3
    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("sent", 4)
    outcomes = [a["status"] for a in project.store.delivery_attempts(row_id)]
    assert outcomes == ["500", "502", "504", "200"]
    keys = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(keys) == 1, "every attempt carries the same idempotency key"


def test_the_last_failed_attempt_makes_a_dead_letter(project_of, receiver):
    receiver.default = Reply(500, body=b"database down")
    settings = webhook_settings(receiver.url())
    settings["delivery"] = {"attempts": 3, "backoff": "1m"}
    project = project_of(settings)
    row_id = project.queue()

    statuses = []
    for _ in range(3):
        project.drain()
        row = project.row(row_id)
        statuses.append(row["status"])
        project.clock.advance(3600)
    assert project.drain().dead == 0, "a dead letter is not attempted again"

    assert statuses == ["retry", "retry", "dead"]
    assert len(receiver.requests) == 3
    assert (row["last_status"], row["reason"]) == ("500", "HTTP 500: database down")


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ({"Retry-After": "120"}, 120),
        ({"Retry-After": "Mon, 04 Nov 2024 12:05:00 GMT"}, 300),
        ({"Retry-After": "999999"}, 6 * 3600),
    ],
)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_on_429_and_503(
    project_of, receiver, status, header, wait
):
    receiver.then(Reply(status, headers=header))
    project = project_of(webhook_settings(receiver.url()))
    row_id = project.queue()

    project.drain()

    row = project.row(row_id)
    due = datetime.fromisoformat(row["next_attempt"]) - project.clock()
    assert (row["status"], due.total_seconds()) == ("retry", wait)


def test_410_disables_the_webhook_until_it_is_enabled_again(project_of, receiver):
    receiver.then(Reply(410))
    project = project_of(webhook_settings(receiver.url()))
    first = project.queue()
    project.drain()
    second = project.queue()

    counts = project.drain()

    assert len(receiver.requests) == 1, "nothing more goes to a disabled webhook"
    assert (project.row(first)["status"], project.row(second)["status"]) == (
        "retry",
        "pending",
    )
    assert counts.held == {
        "webhook crm: webhook crm is disabled: 410 Gone: the receiver asks not "
        "to be called": 2
    }
    with project.store.transaction():
        project.store.set_endpoint("webhook", "crm", False, "enabled", "now")
    assert project.drain().sent == 2
    assert project.row(first)["status"] == "sent"


@pytest.mark.parametrize("gone_at", [1, 2, 3])
def test_410_leaves_the_row_waiting_whatever_the_attempt(project_of, receiver, gone_at):
    receiver.then(*[Reply(500)] * (gone_at - 1), Reply(410))
    settings = webhook_settings(receiver.url())
    settings["delivery"] = {"attempts": 3, "backoff": "1s"}
    project = project_of(settings)
    row_id = project.queue()

    for _ in range(gone_at):
        project.drain()
        project.clock.advance(60)

    row = project.row(row_id)
    assert (row["status"], row["attempts"], row["last_status"]) == (
        "retry",
        gone_at - 1,
        "410",
    )
    assert ("webhook", "crm") in project.store.disabled_endpoints()
    with project.store.transaction():
        project.store.set_endpoint("webhook", "crm", False, "enabled", "now")
    assert project.drain().sent == 1
    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("sent", gone_at)
    numbers = [a["attempt"] for a in project.store.delivery_attempts(row_id)]
    assert numbers == [*range(1, gone_at + 1), gone_at]


def test_410_from_a_provider_is_a_failed_attempt(project_of, receiver):
    receiver.then(Reply(410))
    channel = {"kind": "http", "url": receiver.url("/sms"), "allow_private": True}
    project = project_of({"channels": {"sms": channel}})
    row_id = project.queue(
        kind="sms", target="t", recipient="+49", rendered={"text": "x"}
    )

    counts = project.drain()

    assert (counts.retry, len(receiver.requests)) == (1, 1)
    row = project.row(row_id)
    assert (row["status"], row["attempts"]) == ("retry", 1)
    assert row["next_attempt"] > project.clock().isoformat(), "on the schedule"
    assert project.store.disabled_endpoints() == {}


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(project_of, receiver):
    receiver.then(Reply(302, headers={"Location": receiver.url("/elsewhere")}))
    project = project_of(webhook_settings(receiver.url()))
    row_id = project.queue()

    project.drain()

    assert [r.path for r in receiver.requests] == ["/hook"]
    row = project.row(row_id)
    assert row["status"] == "retry"
    assert row["reason"] == f"redirect to {receiver.url('/elsewhere')} (not followed)"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"x" * 100, trickle=0.05),
        Reply(hang=True),
        Reply(delay=5),
    ],
    ids=["trickle", "hang", "slow"],
)
def test_an_attempt_ends_at_its_deadline(project_of, receiver, reply):
    receiver.then(reply)
    project = project_of(webhook_settings(receiver.url(), timeout="0.4s"))
    row_id = project.queue()

    started = time.monotonic()
    counts = project.drain()
    elapsed = time.monotonic() - started

    assert counts.retry == 1
    assert elapsed < 2.5, "the receiver cannot hold a delivery past its deadline"
    row = project.row(row_id)
    assert row["last_status"] == "timeout"
    assert row["reason"] == "no complete answer within 0.4s"


def test_deliveries_in_flight_per_endpoint_are_bounded(project_of, receiver):
    receiver.default = Reply(delay=0.15)
    settings = webhook_settings(receiver.url())
    settings["delivery"] = {"concurrency": 2}
    project = project_of(settings)
    for _ in range(6):
        project.queue()

    assert project.drain().sent == 6
    assert receiver.most_in_flight == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_private_addresses_are_refused_unless_allowed(project_of, receiver, host):
    url = receiver.url().replace("127.0.0.1", host)
    project = project_of(webhook_settings(url, allow_private=False))
    row_id = project.queue()

    counts = project.drain()

    assert counts.failed == 1 and receiver.requests == []
    reason = project.row(row_id)["reason"]
    assert "a loopback, private or link-local address" in reason
    assert reason.endswith("set webhooks.crm.allow_private = true to allow it")


def test_a_body_template_shapes_the_request(project_of, receiver):
    project = project_of(webhook_settings(receiver.url(), body="crm.json.j2"))
    project.queue(rendered={"body": {"made": "at fire time"}})

    project.drain()

    assert json.loads(receiver.requests[0].body) == {"made": "at fire time"}


def test_a_missing_secret_fails_the_row_and_names_the_variable(
    project_of, receiver, monkeypatch
):
    project = project_of(webhook_settings(receiver.url()))
    monkeypatch.delenv("CRM_SECRET")
    row_id = project.queue()

    assert project.drain().failed == 1
    assert project.row(row_id)["reason"] == (
        "webhooks.crm.secret_env: environment variable CRM_SECRET is not set"
    )
    assert receiver.requests == []


def test_rows_of_an_unconfigured_webhook_wait(project_of, receiver):
    project = project_of(webhook_settings(receiver.url()))
    row_id = project.queue(target="billing")

    counts = project.drain()

    assert counts.held == {
        "webhook billing: no [webhooks.billing] in the configuration": 1
    }
    assert project.row(row_id)["status"] == "pending"


def test_a_running_worker_sends_what_arrives_and_stops_when_told(project_of, receiver):
    settings = webhook_settings(receiver.url())
    settings["delivery"] = {"poll": "0.05s"}
    project = project_of(settings)
    first = project.queue()

    async def scenario() -> None:
        stop = asyncio.Event()
        worker = project.worker()
        running = asyncio.create_task(worker.run(stop))
        await until(lambda: project.row(first)["status"] == "sent")
        second = project.queue()
        worker.wake()
        await until(lambda: project.row(second)["status"] == "sent")
        stop.set()
        await asyncio.wait_for(running, 5)

    async def until(condition) -> None:
        for _ in range(200):
            if condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the worker did not get there")

    asyncio.run(scenario())
    assert len(receiver.requests) == 2
