"""Event sources: unknown and disabled ones get 401, and some need a bearer token."""

from __future__ import annotations

import pytest
from daemon_harness import InProcessDaemon, payload

from tracsh.config import ConfigError, SourceConfig

SOURCES = {
    "web": SourceConfig("web"),
    "shop": SourceConfig("shop", token_env="TRACSH_TEST_SHOP_TOKEN"),
    "old": SourceConfig("old", enabled=False),
}
TOKEN = "s3cret-token"
EVENT = {"type": "page-view"}


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACSH_TEST_SHOP_TOKEN", TOKEN)
        running = InProcessDaemon(
            tmp_path_factory.mktemp("sources"), "", sources=SOURCES
        ).start()
    yield running
    running.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# (name, path, body, headers, status, error)
TABLE = [
    ("a known source", "/track", payload(EVENT, source="web"), {}, 200, None),
    (
        "an unknown source",
        "/track",
        payload(EVENT, source="nope"),
        {},
        401,
        "unknown source 'nope'",
    ),
    (
        "a disabled source",
        "/track",
        payload(EVENT, source="old"),
        {},
        401,
        "source 'old' is disabled",
    ),
    (
        "a token missing",
        "/track",
        payload(EVENT, source="shop"),
        {},
        401,
        "source 'shop' requires an Authorization: Bearer token",
    ),
    (
        "another scheme",
        "/track",
        payload(EVENT, source="shop"),
        {"Authorization": f"Basic {TOKEN}"},
        401,
        "source 'shop' requires an Authorization: Bearer token",
    ),
    (
        "a wrong token",
        "/track",
        payload(EVENT, source="shop"),
        bearer("guess"),
        401,
        "wrong bearer token for source 'shop'",
    ),
    (
        "the right token",
        "/track",
        payload(EVENT, source="shop"),
        bearer(TOKEN),
        200,
        None,
    ),
    (
        "an event naming an unknown source",
        "/track",
        payload(EVENT, {"type": "x", "source": {"id": "nope"}}, source="web"),
        {},
        401,
        "unknown source 'nope'",
    ),
    (
        "an event naming the gated source",
        "/track",
        payload({"type": "x", "source": "shop"}, source="web"),
        {},
        401,
        "source 'shop' requires an Authorization: Bearer token",
    ),
    (
        "a webhook from an unknown source",
        "/collect/paid/nope",
        {},
        {},
        401,
        "unknown source 'nope'",
    ),
    (
        "a webhook without its token",
        "/collect/paid/shop",
        {},
        {},
        401,
        "source 'shop' requires an Authorization: Bearer token",
    ),
    ("a webhook with its token", "/collect/paid/shop", {}, bearer(TOKEN), 200, None),
]


@pytest.mark.parametrize(
    "name, path, body, headers, status, error", TABLE, ids=[row[0] for row in TABLE]
)
def test_sources(gated, name, path, body, headers, status, error):
    with gated.store() as store:
        before = (store.count_events(), store.count_rejects())
    response = gated.client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    with gated.store() as store:
        after = (store.count_events(), store.count_rejects())
    if status == 401:
        assert response.json() == {"error": error, "status": 401}
        assert response.headers["www-authenticate"] == 'Bearer realm="tracsh"'
        assert after == before, "a refused request wrote to the store"
    else:
        assert after[0] > before[0]


def test_a_token_variable_that_is_not_set_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACSH_TEST_SHOP_TOKEN", raising=False)
    with pytest.raises(ConfigError) as raised:
        InProcessDaemon(tmp_path, "", sources=SOURCES).start()
    assert str(raised.value) == (
        "sources.shop.token_env: environment variable TRACSH_TEST_SHOP_TOKEN is not set"
    )
