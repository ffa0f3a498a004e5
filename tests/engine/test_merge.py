"""Profile merging, from the ways merges go wrong elsewhere.

Double-counted visits, PII lost, conflicting traits turned into lists, only the
last of several merge rules applied, re-sent events merging again: each has a
test here, against a real SQLite file.
"""

from __future__ import annotations

import pytest
from engine_harness import Harness, at, event

RULES = """
rule "sign in"
  priority 10
  when event.type == "sign-in"
  then
    set profile.pii.email = event.properties.email
    merge profile on profile.pii.email
end

when event.type == "profile" then set profile.pii = event.properties.pii
when event.type == "traits" then set profile.traits = event.properties.traits
when event.type == "newsletter" then set profile.pii.email = event.properties.email
"""


def ev(event_id, type, profile, session, minutes=0.0, **properties):
    return event(
        event_id, type, profile=profile, session=session, minutes=minutes,
        properties=properties,
    )  # fmt: skip


def sign_in(event_id="in", profile="p2", session="s2", minutes=60 * 24, **props):
    props.setdefault("email", "ann@example.test")
    return ev(event_id, "sign-in", profile, session, minutes, **props)


def device_one() -> list[dict]:
    """Ann on her laptop: e-mail and name, two page views, one session."""
    pii = {"email": "ann@example.test", "first_name": "Ann"}
    return [
        ev("a1", "profile", "p1", "s1", 0, pii=pii),
        ev("a2", "page-view", "p1", "s1", 1),
        ev("a3", "page-view", "p1", "s1", 2),
    ]


def device_two() -> list[dict]:
    """An anonymous visitor on a phone, a day later."""
    return [
        ev("b1", "page-view", "p2", "s2", 60 * 24 - 10),
        ev("b2", "page-view", "p2", "s2", 60 * 24 - 5),
    ]


def merged(engine, extra: str = "") -> Harness:
    h = engine(RULES + extra)
    h.run_each(*device_one(), *device_two(), sign_in())
    return h


def test_signing_in_on_a_second_device_leaves_one_profile(engine):
    h = merged(engine)
    assert h.store.profile_ids() == ["p1"]
    doc = h.profile("p1")
    assert doc["pii"] == {"email": "ann@example.test", "first_name": "Ann"}
    assert sorted(doc["ids"]) == ["p1", "p2"]
    assert doc["visits"] == 2
    assert doc["views"] == 4
    assert h.profile("p2") == doc
    assert {e["profile"]["id"] for e in h.events()} == {"p1", "p2"}
    assert {
        row[0] for row in h.store.conn.execute("SELECT profile_id FROM events")
    } == {"p1"}
    assert [s["profile"]["id"] for s in h.store.sessions_of(["p1"])] == ["p1", "p1"]
    assert h.store.sessions_of(["p2"]) == []


def test_resending_the_sign_in_event_changes_nothing(engine):
    h = merged(engine)
    before = (h.profile("p1"), h.store.totals())
    [outcome] = h.run(sign_in())
    assert outcome.duplicate
    assert (h.profile("p1"), h.store.totals()) == before


def test_signing_in_again_is_a_no_op_merge(engine):
    h = merged(engine)
    before = h.profile("p1")
    h.run(sign_in("in-again", minutes=60 * 24 + 3))
    after = h.profile("p1")
    assert h.store.profile_ids() == ["p1"]
    assert (after["ids"], after["visits"], after["pii"], after["merges"]) == (
        before["ids"],
        before["visits"],
        before["pii"],
        before["merges"],
    )


def test_later_events_for_a_merged_id_land_on_the_survivor(engine):
    h = merged(engine)
    [outcome] = h.run(ev("c1", "page-view", "p2", "s3", 60 * 48))
    assert outcome.profile_id == "p1"
    assert h.store.profile_ids() == ["p1"]
    assert h.profile("p1")["visits"] == 3


def test_a_session_handed_over_is_counted_once(engine):
    """The sign-in names Ann's id on the phone's session: the session moves to
    her (a visit for her), and the phone's profile also counted it once."""
    h = engine(RULES)
    h.run_each(
        *device_one(),
        ev("b1", "newsletter", "p2", "s2", 60 * 24 - 10, email="ann@example.test"),
        sign_in(profile="p1", session="s2"),
    )
    assert h.store.profile_ids() == ["p1"]
    assert h.profile("p1")["visits"] == 2


def test_the_oldest_profile_survives(engine):
    h = engine(RULES)
    h.run_each(
        ev("b1", "page-view", "p2", "s2", -10),
        *device_one()[:1],
        sign_in(profile="p2", minutes=10),
    )
    assert h.store.profile_ids() == ["p2"]
    assert sorted(h.profile("p1")["ids"]) == ["p1", "p2"]


def test_conflicting_values_resolve_to_the_most_recently_updated(engine):
    h = engine(RULES)
    h.run_each(
        *device_one(),
        ev("t1", "traits", "p1", "s1", 3, traits={"tier": "gold", "tags": ["a"]}),
        ev("b0", "profile", "p2", "s2", 600, pii={"phone": "555-2"}),
        ev(
            "t2",
            "traits",
            "p2",
            "s2",
            601,
            traits={"tier": "silver", "tags": ["b", "a"], "region": "north"},
        ),  # fmt: skip
        sign_in(minutes=604, email="ann@example.test"),
    )
    doc = h.profile("p1")
    assert doc["traits"] == {"tier": "silver", "tags": ["a", "b"], "region": "north"}
    assert doc["pii"] == {
        "email": "ann@example.test",
        "first_name": "Ann",
        "phone": "555-2",
    }


def test_pii_that_loses_a_conflict_is_kept(engine):
    h = engine(RULES)
    h.run_each(
        ev("a1", "profile", "p1", "s1", 0, pii={"email": "e@x.test", "phone": "1"}),
        ev("b1", "profile", "p2", "s2", 10, pii={"email": "e@x.test", "phone": "2"}),
        sign_in(minutes=11, email="e@x.test"),
    )
    doc = h.profile("p1")
    assert doc["pii"]["phone"] == "2"
    assert doc["pii_alternates"] == {"phone": ["1"]}


PHONE = """
rule "phone"
  priority PHONE_PRIORITY
  when event.type == "sign-in"
  then
    set profile.pii.phone = event.properties.phone
    merge profile on profile.pii.phone
end
"""


def three_devices(engine, phone_priority: int) -> Harness:
    h = engine(RULES + PHONE.replace("PHONE_PRIORITY", str(phone_priority)))
    h.run_each(
        ev("a1", "profile", "p1", "s1", 0, pii={"email": "ann@example.test"}),
        ev("b1", "profile", "p2", "s2", 5, pii={"phone": "555-1"}),
        ev("c1", "page-view", "p3", "s3", 10),
        sign_in(profile="p3", session="s3", minutes=11, phone="555-1"),
    )
    return h


@pytest.mark.parametrize("phone_priority", [20, 5, 10])
def test_two_merge_rules_on_different_fields_both_apply(engine, phone_priority):
    h = three_devices(engine, phone_priority)
    assert h.store.profile_ids() == ["p1"]
    doc = h.profile("p1")
    assert sorted(doc["ids"]) == ["p1", "p2", "p3"]
    assert doc["pii"] == {"email": "ann@example.test", "phone": "555-1"}
    assert doc["visits"] == 3


def test_merge_rules_in_any_order_give_the_same_profile(engine):
    first = three_devices(engine, 20).profile("p1")
    second = three_devices(engine, 5).profile("p1")
    assert first == second


def test_segments_are_evaluated_again_after_a_merge(engine):
    h = merged(
        engine,
        'segment "known" when profile.pii.first_name exists and profile.views >= 4\n'
        'when event.type == "segment-entered" then '
        "append event.properties.segment to profile.traits.entered\n",
    )
    doc = h.profile("p1")
    assert doc["segments"] == ["known"]
    assert doc["traits"]["entered"] == ["known"]


def test_history_after_a_merge_sees_both_profiles_events(engine):
    h = merged(
        engine,
        'when event.type == "check" then set profile.traits.views = '
        'count("page-view")\n',
    )
    h.run(ev("x", "check", "p2", "s2", 60 * 24 + 1))
    assert h.profile("p1")["traits"]["views"] == 4


def test_once_per_profile_holds_across_a_merge(engine):
    h = merged(
        engine,
        'rule "greet"\n  once per profile\n  when event.type == "page-view"\n'
        "  then increment profile.counters.greeted\nend\n",
    )
    assert h.profile("p1")["counters"]["greeted"] == 2
    h.run(ev("x", "page-view", "p1", "s1", 60 * 30))
    assert h.profile("p1")["counters"]["greeted"] == 2


def test_a_merge_within_one_batch_is_the_same_as_across_batches(engine):
    across = merged(engine).profile("p1")
    h = engine(RULES)
    h.run(*device_one(), *device_two(), sign_in())
    assert h.profile("p1") == across


def test_a_merge_key_that_is_empty_merges_nothing(engine):
    h = engine(RULES)
    outcomes = h.run(*device_one(), sign_in(email=""))
    assert h.store.profile_ids() == ["p1", "p2"]
    assert "is empty, nothing to match" in outcomes[-1].fired[0].actions[1]


JOURNEY = """
journey "onboarding"
  enter when event.type == "page-view"
  step "nudge" after 3 days
    log "nudge"
end
"""


def test_a_merge_keeps_one_journey_run(engine):
    h = merged(engine, JOURNEY)
    doc = h.profile("p1")
    run = doc["journeys"]["onboarding"]
    assert (run["status"], run["entered"]) == ("active", at(1))
    [timer] = h.store.timers()
    assert timer["profile_id"] == "p1"
    assert timer["event"]["properties"]["run"] == run["run"]


def test_a_merge_key_gets_an_expression_index(engine):
    h = engine(RULES)
    names = [
        row[0]
        for row in h.store.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index'"
        )
        if row[0]
    ]
    assert any("json_extract(doc, '$.pii.email')" in sql for sql in names)


ODD_KEY = r"""
rule "sign in"
  when event.type == "sign-in"
  then
    set profile.pii["e\"mail"] = event.properties.email
    merge profile on profile.pii["e\"mail"]
end
when event.type == "newsletter" then set profile.pii["e\"mail"] = event.properties.email
"""


def test_a_merge_key_no_json_path_can_name_still_merges(engine):
    """Such a key gets no expression index; its merges are found in Python."""
    h = engine(ODD_KEY)
    h.run_each(
        ev("n1", "newsletter", "p1", "s1", 0, email="ann@example.test"),
        ev("n2", "newsletter", "p3", "s3", 1, email="bob@example.test"),
        sign_in(minutes=5),
    )
    assert h.store.profile_ids() == ["p1", "p3"]
    assert sorted(h.profile("p1")["ids"]) == ["p1", "p2"]
    indexes = h.store.conn.execute("SELECT sql FROM sqlite_master WHERE type='index'")
    assert not any('e"mail' in (sql or "") for (sql,) in indexes)
