"""An engine over a real store with the delivery Renderer, for fire-time tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracsh.delivery.renderer import Renderer
from tracsh.engine.pipeline import Engine
from tracsh.engine.rulebook import build_rulebook
from tracsh.lang.loader import load_sources

T0 = datetime(2024, 11, 4, 12, 0, tzinfo=UTC)


def engine_for(project, rules: str) -> Engine:
    """An Engine over the project's store, running ``rules``."""
    ruleset = load_sources([("t.rules", rules)])
    assert ruleset.ok, "\n".join(d.render() for d in ruleset.diagnostics)
    return Engine(
        project.store, build_rulebook(ruleset), renderer=Renderer(project.config)
    )


def event(event_id: str, type: str = "page-view", profile: str = "p1", **fields):
    """A normalised event at T0 plus its number in minutes."""
    time = (T0 + timedelta(minutes=int(event_id.strip("e") or 0))).isoformat()
    return {
        "id": event_id,
        "type": type,
        "time": time,
        "received": time,
        "source": {"id": "web"},
        "session": {"id": f"s-{profile}"},
        "profile": {"id": profile},
        "properties": fields.pop("properties", {}),
        "context": fields.pop("context", {}),
        "tags": [],
    }
