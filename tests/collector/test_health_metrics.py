"""GET /healthz and GET /metrics: what they say matches what the store holds."""

from __future__ import annotations

import re
import threading
import time as clock

from daemon_harness import payload

from tracsh.lang.loader import load_rules

RULES = """
when event.type == "page-view" then increment profile.counters.views
when event.type == "buy" then set profile.pii.email = "a@example.test"
when event.type == "buy" then send email "thanks"
when event.type == "buy" then increment profile.traits.tier
"""

SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")


def parse_metrics(text: str) -> dict[str, float]:
    """Sample lines by ``name{labels}``; every name has a TYPE line before it."""
    typed: set[str] = set()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or base in typed, f"{name} has no TYPE line"
        samples[name + (labels or "")] = float(value)
    return samples


def test_healthz_reports_ready_and_the_revision_in_force(daemon):
    running = daemon(RULES)
    response = running.client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ready"
    assert health["revision"]["content"] == load_rules([running.rules]).revision
    assert health["revision"]["rules"] == 4
    assert (health["last_reload"], health["last_reload_error"]) == (None, None)
    assert health["queue"] == {"events": 0, "capacity": 5000}


def test_metrics_count_what_was_received_processed_and_refused(daemon):
    running = daemon(RULES)
    running.track(payload({"type": "page-view"}, {"type": "buy"}, profile="p1"))
    running.track(payload({"type": "buy"}, {"type": ""}, profile="p2"))
    running.track(payload({"id": "e1", "type": "page-view"}, profile="p3"))
    running.track(payload({"id": "e1", "type": "page-view"}, profile="p3"))
    running.client.post("/track", content=b"[]")
    running.client.post("/track", content=b" " * (600 * 1024))
    response = running.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = parse_metrics(response.text)
    with running.store() as store:
        stats = store.rule_stats()
        pending = store.count_outbox_by(status="pending")

    assert found['tracsh_events_received_total{input="/track"}'] == 6
    assert found["tracsh_events_processed_total"] == 4
    assert found["tracsh_events_duplicate_total"] == 1
    assert found['tracsh_events_rejected_total{input="/track"}'] == 1
    assert found['tracsh_requests_total{route="/track",status="200"}'] == 4
    assert found['tracsh_requests_total{route="/track",status="400"}'] == 1
    assert found['tracsh_requests_total{route="/track",status="413"}'] == 1
    assert found['tracsh_refused_total{reason="too_large"}'] == 1
    assert found["tracsh_processing_seconds_count"] == 4
    assert found['tracsh_processing_seconds_bucket{le="+Inf"}'] == 4
    assert found["tracsh_events_per_batch_sum"] == 5
    assert found["tracsh_rule_evaluations_total"] == sum(
        row["evaluations"] for row in stats
    )
    assert found["tracsh_rule_matches_total"] == 8
    assert found["tracsh_outbox_pending"] == sum(pending.values()) == 2
    assert found["tracsh_outbox_dead"] == 0
    info = [key for key in found if key.startswith("tracsh_ruleset_info{")]
    revision = load_rules([running.rules]).revision
    assert info == [f'tracsh_ruleset_info{{commit="",revision="{revision}"}}']


def test_a_full_queue_is_a_503_with_retry_after(daemon):
    """The writer is kept busy, so requests wait in the queue until it is full."""
    running = daemon(RULES, queue_events=3)
    busy = threading.Thread(
        target=running.call,
        args=(lambda: running.runtime.with_store(lambda store: clock.sleep(1.0)),),
    )
    busy.start()
    clock.sleep(0.1)
    answers: list = []

    def post(profile: str) -> None:
        body = payload({"type": "page-view"}, {"type": "page-view"}, profile=profile)
        answers.append(running.track(body))

    taken = threading.Thread(target=post, args=("a",))  # the batch waiting to run
    taken.start()
    clock.sleep(0.1)
    queued = threading.Thread(target=post, args=("b",))  # waits in the queue
    queued.start()
    clock.sleep(0.1)
    refused = running.track(payload({"type": "page-view"}, {"type": "x"}, profile="c"))
    for thread in (busy, taken, queued):
        thread.join()

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"] == (
        "too busy, try again shortly: 2 events are waiting; the queue holds 3"
    )
    assert [answer.status_code for answer in answers] == [200, 200]
    with running.store() as store:
        assert store.get_profile("c") is None
