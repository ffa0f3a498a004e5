"""Pipeline step 2: profiles, aliases, sessions, visits, views and last_seen."""

from __future__ import annotations

import pytest
from engine_harness import at, event

from tracsh.engine.identify import derived_id

NOTHING = 'when event.type == "never" then log "never"'


def test_an_unknown_profile_id_creates_the_profile_under_that_id(engine):
    h = engine(NOTHING)
    [outcome] = h.run(event("e1", profile="p1", minutes=0))
    assert (outcome.profile_id, outcome.new_profile, outcome.new_visit) == (
        "p1",
        True,
        True,
    )
    assert h.profile("p1") == {
        "id": "p1",
        "ids": ["p1"],
        "visits": 1,
        "views": 1,
        "created": at(0),
        "updated": at(0),
        "last_seen": at(0),
        "traits": {},
        "pii": {},
        "segments": [],
        "interests": {},
        "consents": {},
        "journeys": {},
        "counters": {},
    }
    assert h.store.aliases_of("p1") == ["p1"]


def test_a_known_profile_is_updated_not_created(engine):
    h = engine(NOTHING)
    h.run(event("e1", minutes=0))
    [outcome] = h.run(event("e2", minutes=5))
    assert (outcome.new_profile, outcome.new_visit) == (False, False)
    profile = h.profile("p1")
    assert (profile["created"], profile["updated"], profile["last_seen"]) == (
        at(0),
        at(5),
        at(5),
    )
    assert (profile["visits"], profile["views"]) == (1, 2)
    assert h.store.count_profiles() == 1


def test_an_event_without_a_profile_id_gets_one_and_it_is_returned(engine):
    h = engine(NOTHING)
    [outcome] = h.run(event("e1", profile=None, session=None))
    assert outcome.profile_id == derived_id("profile", "e1")
    assert outcome.session_id == derived_id("session", outcome.profile_id, "1")
    stored = h.events()[0]
    assert stored["profile"] == {"id": outcome.profile_id}
    assert stored["session"] == {"id": outcome.session_id}
    assert h.profile(outcome.profile_id)["visits"] == 1


def test_generated_ids_are_the_same_on_a_replay_into_a_new_file(engine):
    batch = [
        event("e1", profile=None, session=None, minutes=0),
        event("e2", profile=None, session="s9", minutes=1),
        event("e3", profile="p3", session=None, minutes=2),
        event("e4", profile="p3", session=None, minutes=40),
    ]
    first, second = engine(NOTHING), engine(NOTHING)
    ids = [
        [(o.profile_id, o.session_id) for o in h.run(*batch)] for h in (first, second)
    ]
    assert ids[0] == ids[1]
    assert first.store.profile_ids() == second.store.profile_ids()
    # p3's events without a session id: one generated session per visit.
    assert ids[0][2][1] != ids[0][3][1]
    assert first.profile("p3")["visits"] == 2


def test_an_event_without_a_profile_id_in_a_known_session_is_that_sessions_profile(
    engine,
):
    h = engine(NOTHING)
    outcomes = h.run(
        event("e1", profile=None, session="s1", minutes=0),
        event("e2", profile=None, session="s1", minutes=1),
    )
    h.run(event("e3", profile=None, session="s1", minutes=2))
    owner = outcomes[0].profile_id
    assert [o.profile_id for o in outcomes] == [owner, owner]
    assert h.store.profile_ids() == [owner]
    assert (h.profile(owner)["visits"], h.profile(owner)["views"]) == (1, 3)


def test_a_known_alias_resolves_to_its_profile(engine):
    h = engine(NOTHING)
    h.run(event("e1", profile="p1", minutes=0))
    with h.store.transaction():
        h.store.add_alias("anonymous-7", "p1")
    [outcome] = h.run(event("e2", profile="anonymous-7", session="s2", minutes=60))
    assert (outcome.profile_id, outcome.new_profile) == ("p1", False)
    assert h.events()[-1]["profile"] == {"id": "p1"}
    assert h.store.profile_ids() == ["p1"]
    assert h.profile("p1")["visits"] == 2


def test_each_new_session_is_a_visit(engine):
    h = engine(NOTHING)
    outcomes = h.run(
        event("e1", session="s1", minutes=0),
        event("e2", session="s2", minutes=1),
        event("e3", session="s1", minutes=2),
        event("e4", session="s3", minutes=3),
    )
    assert [o.new_visit for o in outcomes] == [True, True, False, True]
    assert h.profile()["visits"] == 3
    assert h.store.count_sessions() == 3


@pytest.mark.parametrize(
    ("gap_seconds", "timeout", "new_visit"),
    [
        (29 * 60 + 59, None, False),
        (30 * 60, None, False),  # idle exactly the timeout: still the same visit
        (30 * 60 + 1, None, True),
        (60, 60, False),
        (61, 60, True),
        (3 * 3600, 4 * 3600, False),
    ],
)
def test_an_event_after_the_idle_timeout_starts_a_new_visit(
    engine, gap_seconds, timeout, new_visit
):
    settings = {} if timeout is None else {"session_timeout": timeout}
    h = engine(NOTHING, **settings)
    outcomes = h.run(event("e1", minutes=0), event("e2", minutes=gap_seconds / 60))
    assert outcomes[1].new_visit is new_visit
    assert h.profile()["visits"] == (2 if new_visit else 1)
    session = h.session("s1")
    assert session["visits"] == (2 if new_visit else 1)
    assert session["started"] == (at(gap_seconds / 60) if new_visit else at(0))


def test_idleness_is_counted_from_the_last_event_not_the_session_start(engine):
    h = engine(NOTHING)
    h.run(*[event(f"e{i}", minutes=20 * i) for i in range(7)])
    assert h.profile()["visits"] == 1
    assert h.session("s1")["events"] == 7


def test_the_timeout_holds_across_batches(engine):
    h = engine(NOTHING)
    h.run_each(event("e1", minutes=0), event("e2", minutes=20))
    [late] = h.run(event("e3", minutes=51))
    assert late.new_visit is True
    assert h.profile()["visits"] == 2


@pytest.mark.parametrize(
    ("event_type", "counts"),
    [
        ("page-view", True),
        ("product-view", True),
        ("view", True),
        ("screen-view", True),
        ("purchase", False),
        ("search", False),
        ("Page-View", False),
    ],
)
def test_views_count_page_and_product_views(engine, event_type, counts):
    h = engine(NOTHING)
    h.run(event("e1", event_type), event("e2", event_type, minutes=1))
    assert h.profile()["views"] == (2 if counts else 0)


def test_last_seen_is_the_latest_event_time_even_out_of_order(engine):
    h = engine(NOTHING)
    h.run(
        event("e1", minutes=10),
        event("e2", minutes=3),
        event("e3", minutes=7),
    )
    profile, session = h.profile(), h.session("s1")
    assert (profile["created"], profile["last_seen"]) == (at(10), at(10))
    assert (session["started"], session["last_seen"]) == (at(10), at(10))
    assert session["events"] == 3


def test_a_session_records_its_profile_events_and_first_context(engine):
    h = engine(NOTHING)
    h.run(
        event("e1", minutes=0, context={"page": {"url": "/a"}}),
        event("e2", minutes=1, context={"page": {"url": "/b"}}),
        event("e3", session="s2", minutes=2),
    )
    assert h.session("s1") == {
        "id": "s1",
        "profile": {"id": "p1"},
        "started": at(0),
        "last_seen": at(1),
        "visits": 1,
        "events": 2,
        "context": {"page": {"url": "/a"}},
    }
    assert h.session("s2")["events"] == 1


def test_internal_events_do_not_count_as_the_visitors_events_or_views(engine):
    h = engine(
        'when event.type == "purchase" then emit event "page-view"\n'
        'segment "buyer" when profile.counters.n exists\n'
        'when event.type == "purchase" then increment profile.counters.n\n'
    )
    [outcome] = h.run(event("e1", "purchase"))
    assert [child.event_type for child in outcome.internal] == [
        "page-view",
        "segment-entered",
    ]
    assert h.store.count_events() == 3
    assert h.session("s1")["events"] == 1
    assert (h.profile()["views"], h.profile()["visits"]) == (0, 1)


def test_a_session_that_changes_hands_is_a_visit_for_the_new_profile(engine):
    h = engine(NOTHING)
    outcomes = h.run(
        event("e1", profile="anonymous", session="s1", minutes=0),
        event("e2", profile="customer", session="s1", minutes=1),
        event("e3", profile="customer", session="s1", minutes=2),
    )
    assert [o.new_visit for o in outcomes] == [True, True, False]
    assert h.profile("anonymous")["visits"] == 1
    assert h.profile("customer")["visits"] == 1
    assert h.session("s1")["profile"] == {"id": "customer"}


@pytest.mark.parametrize(
    "time",
    ["2024-05-01T09:00:00", "2024-05-01T09:00:00Z", "2024-05-01T11:00:00+02:00"],
)
def test_event_times_without_an_offset_are_utc(engine, time):
    h = engine(
        'rule "today"\n'
        "  once per profile every 1 day\n"
        '  when event.time == datetime("2024-05-01T09:00:00+00:00") '
        "and now == event.time\n"
        "  then increment profile.counters.n\n"
        "end\n"
    )
    h.run(event("e1", time=time), event("e2", minutes=31))
    profile = h.profile()
    assert (profile["counters"], profile["visits"]) == ({"n": 1}, 2)
    # Compared as times, not as text: "11:00+02:00" is earlier than "09:31Z".
    assert (profile["last_seen"], profile["updated"]) == (at(31), at(31))
