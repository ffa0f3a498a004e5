"""The console's queries: searches in SQL, a profile's mail, what a forget takes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracsh.lang.compile import compile_condition
from tracsh.lang.loader import load_condition
from tracsh.lang.scope import Scope
from tracsh.store import Store
from tracsh.tui.reader import Reader
from tracsh.tui.search import SearchError, parse_query

CONDITIONS = [
    "profile.visits > 3",
    "profile.counters.purchases >= 2",
    'profile in segment "returning" and profile.views > 10',
    "profile.pii.email is missing",
    "profile.traits.lifetime_value between 20 and 100 or profile.interests.tea > 2",
    'profile.pii.email ends with ".test"',
]


@pytest.mark.parametrize("text", CONDITIONS)
def test_a_condition_search_finds_what_the_evaluator_finds(shop, text):
    reader = Reader(shop / "tracsh.db")
    result = reader.search(text)
    check = compile_condition(load_condition(text, "search"))
    with Store.open(shop / "tracsh.db", readonly=True) as store:
        now = datetime.now(UTC)
        wanted = [
            doc["id"]
            for doc in store.iter_profiles()
            if check(Scope(profile=doc, now=now)) is True
        ]
    reader.close()
    assert result.query.kind == "condition"
    assert [doc["id"] for doc in result.profiles] == wanted[:200]


REFUSED = [
    (
        'event.type == "purchase"',
        "column 1: event.type cannot be read here\nthe search reads stored "
        "profiles, and only profile fields are stored (event, session and source "
        "exist while an event is processed)",
    ),
    (
        'profile.visits > 1 and count(event.type == "purchase") > 2',
        "column 24: count() reads the event history, which segment refresh and "
        "profile queries do not evaluate\ntest a field kept on the profile instead "
        "(for example one a rule increments)",
    ),
    ("profile.visits >>", None),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_a_condition_sql_cannot_run_says_why_in_two_lines(text, message):
    with pytest.raises(SearchError) as caught:
        parse_query(text)
    said = str(caught.value)
    assert len(said.splitlines()) == 2
    if message is not None:
        assert said == message


def matched(found) -> list[tuple[str, str]]:
    """Each profile found, with what it matched by."""
    return [(p["id"], by) for p, by in zip(found.profiles, found.by, strict=True)]


def test_searches_by_address_and_by_id(shop):
    reader = Reader(shop / "tracsh.db")
    with Store.open(shop / "tracsh.db", readonly=True) as store:
        doc = next(p for p in store.iter_profiles() if p["pii"].get("email"))
    for text, by in ((doc["pii"]["email"].upper(), "e-mail"), (doc["id"], "id")):
        found = reader.search(text)
        assert found.query.kind == "words"
        assert (doc["id"], by) in matched(found)
    found = reader.search(doc["id"][:-1])
    assert all(p["id"].startswith(doc["id"][:-1]) for p in found.profiles)
    reader.close()


PEOPLE = [
    {"id": "p-1", "pii": {"email": "zoe.dubois@example.test", "first_name": "Zoë"}},
    {"id": "p-2", "traits": {"name": "Ann Lee"}},
    {"id": "p-3", "pii": {"first_name": "Bob", "last_name": "Stone"}},
    {"id": "zoe-7", "pii": {"email": "z7@example.test"}},
    {"id": "p-4", "pii": {"email": "100%_sure@example.test"}},
]
"""Profiles a name or part of an address finds; names as the shop's rules keep
them (pii.first_name, pii.last_name) or as a CRM import might (traits.name)."""

WORDS = [
    ("zoe.dubois", [("p-1", "e-mail")], "1 profile by e-mail"),
    ("DUBOIS", [("p-1", "e-mail")], "1 profile by e-mail"),
    ("Zoe Dubois", [("p-1", "name")], "1 profile by name"),
    ("zoë", [("p-1", "name")], "1 profile by name"),
    (
        "zoe",
        [("zoe-7", "id"), ("p-1", "e-mail")],
        "2 profiles: 1 by id, 1 by e-mail",
    ),
    ("lee ann", [("p-2", "name")], "1 profile by name"),
    ("stone", [("p-3", "name")], "1 profile by name"),
    ("p-3", [("p-3", "id")], "1 profile by id"),
    ("100%", [("p-4", "e-mail")], "1 profile by e-mail"),
    ("10_", [], "no profile's id, e-mail or name has '10_'"),
    ("nobody", [], "no profile's id, e-mail or name has 'nobody'"),
]


@pytest.mark.parametrize(("text", "found", "summary"), WORDS)
def test_words_find_by_id_then_e_mail_then_name_and_say_so(
    tmp_path, text, found, summary
):
    with Store.open(tmp_path / "people.db") as store, store.transaction():
        for doc in PEOPLE:
            store.put_profile(doc)
    reader = Reader(tmp_path / "people.db")
    result = reader.search(text)
    reader.close()
    assert matched(result) == found
    assert result.summary() == summary


KINDS = [
    ("zoe", "words"),
    ("Zoë Dubois", "words"),
    ("event.planner@example.test", "words"),
    ("profile.pii.email is missing", "condition"),
    ("profile.visits > 3", "condition"),
    ('"vip" in profile.segments', "condition"),
]


@pytest.mark.parametrize(("text", "kind"), KINDS)
def test_words_are_words_and_a_condition_is_a_condition(text, kind):
    assert parse_query(text).kind == kind


def test_a_profile_comes_with_its_newest_events_and_deliveries(shop):
    reader = Reader(shop / "tracsh.db")
    with Store.open(shop / "tracsh.db", readonly=True) as store:
        row = store.outbox_rows(limit=1)[0]
        events = list(store.iter_events(profile_id=row["profile_id"]))
        every = store.outbox_rows(limit=10_000)
        rows = [r for r in every if r["profile_id"] == row["profile_id"]]
    data = reader.profile(row["profile_id"])
    reader.close()
    assert [e["id"] for e in data["events"]] == [e["id"] for e in events][-200:]
    assert [r["id"] for r in data["deliveries"]] == sorted(
        (r["id"] for r in rows), reverse=True
    )
    assert all(isinstance(r["args"], dict | None) for r in data["deliveries"])


def test_outbox_rows_newest_first_by_status_and_by_event(shop):
    reader = Reader(shop / "tracsh.db")
    every = reader.outbox(None, 50)
    pending = reader.outbox("pending", 50)
    event_id = every[0]["event_id"]
    of_event = reader.event_outbox(event_id)
    reader.close()
    assert [r["id"] for r in every] == sorted((r["id"] for r in every), reverse=True)
    assert {r["status"] for r in pending} == {"pending"}
    assert every[0]["id"] in [r["id"] for r in of_event]
    assert {r["event_id"] for r in of_event} == {event_id}


def test_the_forget_preview_counts_what_forget_then_deletes(shop):
    with Store.open(shop / "tracsh.db") as store:
        people = [
            row["profile_id"]
            for row in store.outbox_rows(limit=10_000)
            if row["status"] != "pending"
        ][:3]
        people += [p["id"] for p in store.profiles_where("1", (), 3)]
        for profile_id in people:
            before = store.export_profile(profile_id)
            preview = store.forget_preview(profile_id)
            assert store.export_profile(profile_id) == before
            if preview is None:  # a merged id, forgotten with its survivor
                continue
            with store.transaction():
                assert store.forget_profile(profile_id) == preview
            assert store.forget_preview(profile_id) is None
