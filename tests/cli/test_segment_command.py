"""``tracsh segment refresh`` from the command line."""

from __future__ import annotations

import json

import pytest

RULES = """
segment "dormant" when profile.last_seen < now - 30 days
segment "seen" when profile.visits >= 1
rule "note"
  when event.type == "segment-entered"
  then append event.properties.segment to profile.traits.entered
end
"""


def ev(event_id, profile, time):
    return {
        "id": event_id, "type": "view", "time": time, "profile": {"id": profile},
        "session": {"id": f"s-{profile}"},
    }  # fmt: skip


@pytest.fixture
def shop(project):
    project.rules(RULES)
    events = [
        ev("e1", "ann", "2024-05-01T09:00:00Z"),
        ev("e2", "bob", "2024-06-20T09:00:00Z"),
    ]
    assert project.run("replay", str(project.events(events)))[0] == 0
    return project


def test_refresh_reports_each_segment_and_announces_changes(shop):
    status, out, err = shop.run(
        "segment", "refresh", "--now", "2024-07-01T00:00:00Z", "--json"
    )
    assert status == 0, err
    rows = json.loads(out)
    assert [(r["segment"], r["members"], r["entered"], r["left"]) for r in rows] == [
        ("dormant", 1, 1, 0),
        ("seen", 2, 0, 0),
    ]
    status, out, _ = shop.run("profile", "export", "ann")
    assert json.loads(out)["profile"]["traits"]["entered"] == ["seen", "dormant"]


def test_refresh_later_and_without_events(shop):
    status, out, _ = shop.run(
        "segment", "refresh", "dormant", "--now", "2024-08-01T00:00:00Z", "--no-events"
    )
    assert status == 0
    assert out.startswith("dormant: 2 members, 2 entered, 0 left (")
    status, out, _ = shop.run("profile", "export", "bob")
    assert json.loads(out)["profile"]["traits"]["entered"] == ["seen"]


@pytest.mark.parametrize(
    ("rules", "words", "message"),
    [
        (RULES, ["nope"], "no live segment 'nope' in the rules (live segments: "),
        (
            'segment "buyer" when event.type == "buy"\n',
            [],
            "main.rules:1:22: event.type cannot be read here in segment \"buyer\"",
        ),
        (RULES, ["--now", "tomorrow"], "--now: 'tomorrow' is not an ISO-8601 time"),
    ],
)
def test_refresh_explains_what_it_cannot_do(project, rules, words, message):
    project.rules(rules)
    status, out, err = project.run("segment", "refresh", *words)
    assert status == 1
    assert message in err
    assert "Traceback" not in err
