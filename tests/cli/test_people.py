"""``tracsh profile list``, ``profile export`` and ``profile forget``."""

from __future__ import annotations

import json

import pytest

RULES = """
when event.type == "buy" then increment profile.traits.spent by event.properties.total
when event.type == "sign-up" then set profile.pii.email = event.properties.email
when event.type == "buy" then send email "thanks"
"""


def ev(event_id, type, profile, session, time, **properties):
    return {
        "id": event_id, "type": type, "time": time, "profile": {"id": profile},
        "session": {"id": session}, "properties": properties,
    }  # fmt: skip


EVENTS = [
    ev("e1", "sign-up", "ann", "s1", "2024-05-01T09:00:00Z", email="ann@x.test"),
    ev("e2", "buy", "ann", "s1", "2024-05-01T09:05:00Z", total=30),
    ev("e3", "buy", "bob", "s2", "2024-05-01T10:00:00Z", total=5),
    ev("e4", "view", "cy", "s3", "2024-05-01T11:00:00Z"),
]


@pytest.fixture
def shop(project):
    project.rules(RULES)
    assert project.run("replay", str(project.events(EVENTS)))[0] == 0
    return project


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ("profile.traits.spent > 10", ["ann"]),
        ("profile.traits.spent > 1", ["ann", "bob"]),
        ("profile.traits.spent is missing", ["cy"]),
        ('profile.pii.email ends with "@x.test"', ["ann"]),
        ("profile.last_seen >= date('2024-05-01T10:00:00Z')", ["bob", "cy"]),
        ("days_since(profile.last_seen) < 1", ["bob", "cy"]),
    ],
)
def test_profile_list_finds_profiles_by_a_condition(shop, where, ids):
    status, out, err = shop.run(
        "profile", "list", "--where", where, "--json", "--now", "2024-05-02T09:30:00Z"
    )
    assert status == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ids


ODD_KEYS = r"""
when event.type == "tag" then set profile.traits["a\"b"] = event.properties.v
when event.type == "tag" then set profile.traits["a\\b"] = event.properties.v
"""


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        (r'profile.traits["a\"b"] == 1', ["ann"]),
        (r'profile.traits["a\\b"] >= 1 and profile.traits["a\"b"] != 1', ["bob"]),
    ],
)
def test_profile_list_reads_keys_no_json_path_can_name(project, where, ids):
    project.rules(ODD_KEYS)
    events = [
        ev("t1", "tag", "ann", "s1", "2024-05-01T09:00:00Z", v=1),
        ev("t2", "tag", "bob", "s2", "2024-05-01T10:00:00Z", v=2),
    ]
    assert project.run("replay", str(project.events(events)))[0] == 0
    status, out, err = project.run("profile", "list", "--where", where, "--json")
    assert status == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ids


def test_profile_list_prints_a_line_per_profile_and_a_count(shop):
    status, out, err = shop.run("profile", "list", "--limit", "2")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == ["ann", "bob"]
    assert "email=ann@x.test" in out.splitlines()[0]
    assert err.strip() == "2 of 3 profile(s)"
    status, out, err = shop.run("profile", "list", "--limit", "5")
    assert err.strip() == "3 profile(s)"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            'event.type == "buy"',
            "--where:1:1: event.type cannot be read here; profile list reads "
            "stored profiles",
        ),
        ("profile.visits >", "--where:1:16: error: this ends too early"),
        ("profile.visits > 1 and count('buy') > 1", "count() reads the event history"),
    ],
)
def test_profile_list_explains_a_condition_it_cannot_run(shop, where, message):
    status, out, err = shop.run("profile", "list", "--where", where)
    assert status == 1
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_profile_export_prints_everything_about_one_person(shop):
    status, out, _ = shop.run("profile", "export", "ann")
    found = json.loads(out)
    assert status == 0
    assert set(found) == {
        "profile", "aliases", "sessions", "events", "outbox", "timers", "firings"
    }  # fmt: skip
    assert found["profile"]["pii"] == {"email": "ann@x.test"}
    assert [e["id"] for e in found["events"]] == ["e1", "e2"]
    assert [s["id"] for s in found["sessions"]] == ["s1"]
    assert [row["event_id"] for row in found["outbox"]] == ["e2"]
    assert found["aliases"] == ["ann"]


def test_profile_export_without_an_id_prints_every_profile(shop):
    status, out, _ = shop.run("profile", "export")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["ann", "bob", "cy"]


def test_profile_forget_deletes_a_person_and_says_how_much(shop):
    from tracsh.store import Store

    with Store.open(shop.db) as store, store.transaction():
        # Ann's message waits to be sent; Bob's went out.
        for row in store.outbox_rows():
            status = "pending" if row["profile_id"] == "ann" else "sent"
            store.update_outbox(row["id"], {"status": status})
    status, out, _ = shop.run("profile", "forget", "ann", "--json")
    assert status == 0
    assert json.loads(out) == {
        "profile": "ann", "profiles": 1, "aliases": 1, "sessions": 1, "events": 2,
        "outbox": 1, "outbox_scrubbed": 0, "delivery_attempts": 0,
        "attempts_scrubbed": 0, "enricher_cache": 0, "timers": 0, "firings": 0,
        "rule_errors": 0,
    }  # fmt: skip
    assert shop.run("profile", "export", "ann")[0] == 1
    status, out, _ = shop.run("profile", "forget", "bob")
    assert "sent outbox row(s) stripped of recipient and message" in out
    with Store.open(shop.db) as store:
        assert [(r["profile_id"], r["recipient"]) for r in store.outbox_rows()] == [
            (None, None)
        ]
        assert store.profile_ids() == ["cy"]
        assert [e["id"] for e in store.iter_events()] == ["e4"]


def test_forgetting_someone_unknown_deletes_nothing(shop):
    status, _out, err = shop.run("profile", "forget", "nobody")
    assert status == 1
    assert "no profile answers to 'nobody'; nothing was deleted" in err


def test_profile_list_shows_what_events_wrote_literally(project):
    project.rules(RULES)
    email = "\x1b]0;pwned\x07a@x.test"
    events = [ev("e1", "sign-up", "dan", "s1", "2024-05-01T09:00:00Z", email=email)]
    assert project.run("replay", str(project.events(events)))[0] == 0
    status, out, _ = project.run("profile", "list")
    assert status == 0
    assert "email=\\x1b]0;pwned\\x07a@x.test" in out and "\x1b" not in out
