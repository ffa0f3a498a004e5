"""Applying an HTTP enricher's answer: the ``enriched`` event, through the pipeline.

An HTTP lookup must not hold up the events behind it, so ``enrich … from
"http-enricher"`` only queues it; the delivery worker makes the call and hands
the answer back as an internal event of type ``enriched``. :func:`apply_enrichment`
writes the answer at the action's path and then runs the event through the
pipeline like any other, so rules (``when event.type == "enriched"``) and live
segments see the new data. It is the only way in for such an event: an
``enriched`` event arriving from outside is an ordinary event and writes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from tracsh.engine import docpath
from tracsh.engine.outcome import Outcome
from tracsh.engine.working import WorkingSet
from tracsh.lang.printer import value as shown

log = logging.getLogger(__name__)


def apply_enrichment(engine: Any, event: dict) -> Outcome:
    """Write the answer in ``event`` to its profile or session and commit.

    ``engine`` is a ``tracsh.engine.pipeline.Engine``. The event's id is the
    outbox key's, so an answer handed over twice is applied once.
    """
    work = WorkingSet(engine.store)
    work.prefetch([event])
    if work.seen(event["id"]):
        return Outcome(event["id"], event["type"], duplicate=True)
    problem = _write_answer(work, event)
    outcome = engine.process_one(work, event, depth=1)
    if problem:
        outcome.errors.append(problem)
        log.warning("%s", problem)
    with engine.store.transaction():
        work.flush()
    return outcome


def _write_answer(work: WorkingSet, event: dict) -> str | None:
    """Put the answer in place; a message when it cannot be."""
    props = event["properties"]
    where = f"enrich {props.get('path')} from {shown(props.get('enricher'))}"
    doc = _target(work, event, props.get("root"))
    if doc is None:
        return f"{where}: its {props.get('root')} is gone; nothing stored"
    try:
        docpath.write(doc, tuple(props.get("parts") or ()), props.get("value"))
    except docpath.PathConflict as err:
        return f"{where}: {err}"
    return None


def _target(work: WorkingSet, event: dict, root: str | None) -> dict | None:
    if root == "session":
        session_id = (event.get("session") or {}).get("id")
        doc = work.session(session_id) if session_id else None
        if doc is not None:
            work.dirty_sessions.add(session_id)
        return doc
    profile_id = work.resolve((event.get("profile") or {}).get("id") or "")
    doc = work.profile(profile_id) if profile_id else None
    if doc is not None:
        work.dirty_profiles.add(profile_id)
    return doc
