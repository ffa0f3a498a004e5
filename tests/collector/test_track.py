"""POST /track end to end: Tracardi payloads in, ids and rule decisions out, on disk.

Each test runs the real runtime with uvicorn on a loopback port over a SQLite
file in tmp_path, posts with httpx and reads the committed store back.
"""

from __future__ import annotations

import json

import pytest
from daemon_harness import ROOT, payload
from shared_data import PAYLOADS, needs_data

COUNTER = "when event.type exists then increment profile.counters.events\n"

COUNT_ALL = "\n".join(
    [
        "when event.type exists then increment profile.counters.events",
        'when event.type == "page-view" then show widget "banner" with '
        '{"n": profile.counters.events}',
        'when event.type == "purchase-order" then respond with '
        '{"thanks": event.properties.product}',
        'when event.type == "purchase-order" then emit event "ordered"',
        'when event.type == "ordered" then show message "order-placed"',
    ]
)


@needs_data
def test_the_tracardi_payloads_are_there():
    assert len(list(PAYLOADS.glob("*.json"))) == 12, f"no payloads in {PAYLOADS}"


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("*.json")), ids=lambda p: p.name)
def test_every_tracardi_payload_is_accepted_and_committed(daemon, path):
    body = json.loads(path.read_text())
    running = daemon(COUNTER)
    response = running.track(body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {
        "profile",
        "session",
        "events",
        "ux",
        "messages",
        "response",
        "errors",
        "warnings",
    }
    assert (answer["errors"], answer["warnings"]) == ([], [])
    given_profile = (body.get("profile") or {}).get("id")
    if given_profile is not None:
        assert answer["profile"]["id"] == given_profile
    assert answer["session"]["id"] == body["session"]["id"]
    assert len(answer["events"]) == len(body["events"])
    with running.store() as store:
        stored = {event["id"]: event for event in store.iter_events()}
        profile = store.get_profile(answer["profile"]["id"])
    for event_id, sent in zip(answer["events"], body["events"], strict=True):
        assert stored[event_id]["type"] == sent["type"]
        assert stored[event_id]["profile"]["id"] == answer["profile"]["id"]
        assert stored[event_id]["source"]["id"] == body["source"]["id"]
    assert profile["counters"]["events"] == len(body["events"])


def test_the_answer_carries_widgets_messages_and_the_response(daemon):
    running = daemon(COUNT_ALL)
    answer = running.track(
        payload(
            {"type": "page-view"},
            {"type": "purchase-order", "properties": {"product": "shoes"}},
            profile="p1",
        )
    ).json()
    assert answer["ux"] == [{"widget": "banner", "rule": "main:2", "args": {"n": 1}}]
    assert answer["response"] == {"thanks": "shoes"}
    assert answer["messages"] == [{"template": "order-placed", "rule": "main:5"}]


def test_a_new_visitor_gets_ids_and_is_known_by_them_next_time(daemon):
    running = daemon(COUNT_ALL)
    first = running.track(payload({"type": "page-view"}, session=None)).json()
    profile_id, session_id = first["profile"]["id"], first["session"]["id"]
    assert profile_id and session_id
    again = running.track(
        payload({"type": "page-view"}, profile=profile_id, session=session_id)
    ).json()
    assert (again["profile"]["id"], again["session"]["id"]) == (profile_id, session_id)
    assert again["ux"][0]["args"] == {"n": 2}
    with running.store() as store:
        assert store.count_profiles() == 1
        assert store.get_profile(profile_id)["counters"]["events"] == 2


def test_a_retried_request_is_applied_once_and_answered_with_the_same_ids(daemon):
    running = daemon(COUNT_ALL)
    body = payload(
        {"id": "e1", "type": "page-view"}, {"id": "e2", "type": "x"}, session=None
    )
    first = running.track(body).json()
    retry = running.track(body).json()
    assert retry["profile"] == first["profile"]
    assert retry["session"] == first["session"]
    assert retry["warnings"] == [
        "event e1: already received; not applied again",
        "event e2: already received; not applied again",
    ]
    assert retry["ux"] == []
    with running.store() as store:
        assert store.count_events() == 2
        profile = store.get_profile(first["profile"]["id"])
    assert profile["counters"]["events"] == 2


def test_an_idempotency_key_makes_retries_of_events_without_ids_count_once(daemon):
    running = daemon(COUNT_ALL)
    body = payload({"type": "page-view"}, {"type": "x"}, profile="p1")
    key = {"Idempotency-Key": "order-17"}
    first = running.track(body, headers=key).json()
    retry = running.track(body, headers=key).json()
    other = running.track(body, headers={"Idempotency-Key": "order-18"}).json()
    assert retry["events"] == first["events"]
    assert len(retry["warnings"]) == 2
    assert set(other["events"]).isdisjoint(first["events"])
    with running.store() as store:
        assert store.count_events() == 4


def test_a_payload_with_some_bad_events_commits_the_rest_and_names_the_others(daemon):
    running = daemon(COUNT_ALL)
    response = running.track(
        payload({"type": "page-view"}, {"properties": {}}, {"type": 7}, profile="p1")
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["errors"] == [
        'events[1]: missing "type"',
        'events[2]: "type" must be text, got a number',
    ]
    assert len(answer["events"]) == 1
    with running.store() as store:
        rejects = store.rejects()
        assert store.count_events() == 1
    assert [(r["source"], r["reason"]) for r in rejects] == [
        ("POST /track", 'events[1]: missing "type"'),
        ("POST /track", 'events[2]: "type" must be text, got a number'),
    ]


def test_progressive_profiling_asks_on_the_third_visit_until_it_knows(daemon):
    """rules/profiling.rules: the example that docs/daemon.md walks through."""
    running = daemon(ROOT / "rules")

    def visit(number: int) -> dict:
        body = payload({"type": "page-view"}, profile="pp", session=f"visit-{number}")
        return running.track(body).json()

    def asked(answer: dict) -> list[dict]:
        return [w for w in answer["ux"] if w["widget"] == "ask-field"]

    assert asked(visit(1)) == [] and asked(visit(2)) == []
    [widget] = asked(visit(3))
    assert widget["rule"] == "ask for birthday"
    assert widget["args"]["field"] == "birthday"
    reply = dict(widget["args"]["answer"])
    reply["properties"] = {**reply["properties"], "value": "not a date"}
    running.track(payload(reply, profile="pp", session="visit-3"))
    assert asked(visit(4)) != []  # a bad answer is not stored
    reply["properties"]["value"] = "1990-05-17"
    running.track(payload(reply, profile="pp", session="visit-4"))
    for number in (5, 6):
        assert asked(visit(number)) == []
    with running.store() as store:
        assert store.get_profile("pp")["pii"]["birthday"] == "1990-05-17"


# --- /collect -------------------------------------------------------------------


def test_a_webhook_body_becomes_the_properties_of_one_event(daemon):
    running = daemon(COUNT_ALL)
    response = running.client.post(
        "/collect/payment-received/stripe?profile=p9&session=s9&id=pay-1",
        json={"amount": 12.5, "currency": "EUR"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["profile"]["id"] == "p9"
    again = running.client.post(
        "/collect/payment-received/stripe?profile=p9&id=pay-1", json={"amount": 12.5}
    )
    assert again.json()["warnings"] == [
        "event pay-1: already received; not applied again"
    ]
    with running.store() as store:
        [event] = list(store.iter_events())
    assert (event["id"], event["type"], event["source"]["id"]) == (
        "pay-1",
        "payment-received",
        "stripe",
    )
    assert event["properties"] == {"amount": 12.5, "currency": "EUR"}
    assert event["session"]["id"] == "s9"


def test_a_form_webhook_and_an_empty_one_are_read_too(daemon):
    running = daemon(COUNT_ALL)
    form = running.client.post(
        "/collect/signed/forms?id=f1",
        content=b"name=Ann&tag=a&tag=b&empty=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    empty = running.client.post("/collect/ping/monitor?id=f2")
    assert (form.status_code, empty.status_code) == (200, 200)
    with running.store() as store:
        events = {event["id"]: event for event in store.iter_events()}
    assert events["f1"]["properties"] == {"name": "Ann", "tag": ["a", "b"], "empty": ""}
    assert events["f2"]["properties"] == {}
