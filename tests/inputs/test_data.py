"""The real data sets under ../shared/data read end to end."""

import json
from collections import Counter

import pytest
from shared_data import DATA, PAYLOADS, REES46, ROOT, needs_data

from tracsh.inputs import Accepted, Rejected, read_items

RECEIVED = "2024-05-01T12:00:00+00:00"


@pytest.fixture(scope="module")
def rees46():
    items = list(
        read_items(
            REES46,
            mapping=ROOT / "samples" / "rees46" / "mapping.toml",
            received=RECEIVED,
        )
    )
    accepted = [item.event for item in items if isinstance(item, Accepted)]
    rejected = [item for item in items if isinstance(item, Rejected)]
    return accepted, rejected


@needs_data
def test_rees46_counts(rees46):
    accepted, rejected = rees46
    assert len(accepted) == 17_434
    assert len({event["profile"]["id"] for event in accepted}) == 4_504
    assert len({event["session"]["id"] for event in accepted}) == 5_066
    assert Counter(event["type"] for event in accepted) == {
        "view": 17_055,
        "cart": 165,
        "purchase": 214,
    }
    buyers = {e["profile"]["id"] for e in accepted if e["type"] == "purchase"}
    assert len(buyers) == 193
    assert len({event["id"] for event in accepted}) == 17_434


@needs_data
def test_rees46_truncated_last_row_is_the_only_reject(rees46):
    _, rejected = rees46
    assert rejected == [
        Rejected(
            17_436,
            "row has 8 fields, expected 9",
            "2019-10-01 02:50:00 UTC,view,10900305,2053013555069845885,"
            "appliances.kitchen.mixer,elenberg,25.71,52040330",
        )
    ]


@needs_data
def test_rees46_values_are_kept_exact(rees46):
    accepted, _ = rees46
    first = accepted[0]
    assert first["time"] == "2019-10-01T00:00:00+00:00"
    assert first["source"] == {"id": "rees46"}
    assert first["properties"] == {
        "product_id": "44600062",
        "category_id": "2103807459595387724",
        "brand": "shiseido",
        "price": "35.79",
    }
    assert accepted[-1]["time"] == "2019-10-01T02:50:00+00:00"
    assert sum("brand" not in e["properties"] for e in accepted) == 2_477
    assert all(len(e["properties"]["category_id"]) == 19 for e in accepted)


@needs_data
@pytest.mark.parametrize(
    "name", sorted(p.name for p in PAYLOADS.glob("*.json")) if DATA.is_dir() else []
)
def test_every_tracker_payload_flattens_without_rejects(name):
    path = PAYLOADS / name
    payload = json.loads(path.read_text())
    for format in ("auto", "json", "track"):
        items = list(read_items(path, format, received=RECEIVED))
        assert all(isinstance(item, Accepted) for item in items)
        events = [item.event for item in items]
        assert [e["type"] for e in events] == [e["type"] for e in payload["events"]]
        assert {e["source"]["id"] for e in events} == {payload["source"]["id"]}
        assert {e["session"]["id"] for e in events} == {payload["session"]["id"]}
        profile = (payload.get("profile") or {}).get("id")
        assert {e["profile"]["id"] for e in events} == {profile}


@needs_data
def test_the_payloads_as_ndjson(tmp_path):
    lines = [
        json.dumps(json.loads(path.read_text()))
        for path in sorted(PAYLOADS.glob("*.json"))
    ]
    assert len(lines) == 12
    (tmp_path / "track.ndjson").write_text("\n".join(lines) + "\n")
    items = list(read_items(tmp_path / "track.ndjson", received=RECEIVED))
    assert all(isinstance(item, Accepted) for item in items)
    assert Counter(item.line for item in items) == {
        1: 1,
        2: 3,
        3: 2,
        4: 1,
        5: 1,
        6: 1,
        7: 2,
        8: 2,
        9: 2,
        10: 2,
        11: 3,
        12: 3,
    }
    context = items[-4].event["context"]
    assert context["tracker"] == {"options": {"profile": False, "logs": False}}
    assert context["webstore"] == {
        "url": "http://magento-store.com",
        "name": "Shoe store",
    }
