"""The collector's endpoints: ``/track``, ``/collect``, ``/healthz`` and ``/metrics``.

``/track`` and ``/collect`` turn a request into events (tracsh.inputs does the
validation, as for files), check the source, hand the events to the processor
and answer only after their commit: a 2xx means the events are on disk.
Entries that cannot become events are recorded as rejects and named in the
answer's ``errors``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tracsh.collector.answer import answer_bytes, track_answer
from tracsh.collector.body import (
    FORM,
    MAX_BODY_BYTES,
    MAX_EVENT_BYTES,
    MAX_EVENTS,
    json_size,
    parse_form,
    parse_json,
    read_body,
    too_large,
)
from tracsh.collector.errors import ClientError
from tracsh.collector.sources import Gate
from tracsh.collector.texts import checked_id, idempotency_key, path_texts, query_pairs
from tracsh.inputs.events import expand_record, ref_id, stable_id
from tracsh.inputs.items import Accepted, InputError, Rejected, kind_of, now_text
from tracsh.runtime.health import Health
from tracsh.runtime.metrics import CONTENT_TYPE, Metrics, store_figures
from tracsh.runtime.processor import (
    EventProcessor,
    Overloaded,
    RejectRow,
    Unavailable,
    Unprocessable,
)

log = logging.getLogger(__name__)

COLLECT_QUERY = ("profile", "session", "id")
"""The query parameters ``/collect`` reads: the event's profile, session and id."""

_NOT_A_PAYLOAD = 'expected a tracker payload: a JSON object with an "events" list'


class JsonEndpoint:
    """An endpoint as a bare ASGI app: ``handler(request)`` gives the JSON answer.

    It is not a function, so Starlette's Route hands it the scope as it is:
    the per-request work of its request/response wrapper (another exception
    layer, a Response object) is left out of the collector's hot path. It
    answers a ClientError itself, as the app's handler would, so it can also
    be mounted past the router (app.py's Shortcut).
    """

    def __init__(self, handler: Callable[[Request], Awaitable[dict]]) -> None:
        self.handler = handler

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            answer = await self.handler(Request(scope, receive))
        except ClientError as error:
            scope.setdefault("state", {})["refusal"] = error.reason
            await error.response()(scope, receive, send)
            return
        body = answer_bytes(answer)
        length = str(len(body)).encode("latin-1")
        headers = [(b"content-length", length), _JSON_TYPE]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


_JSON_TYPE = (b"content-type", b"application/json")


@dataclass
class Collector:
    """What the endpoints work with; the runtime builds one per daemon."""

    processor: EventProcessor
    gate: Gate
    metrics: Metrics
    health: Health

    # /track

    async def track(self, request: Request) -> dict[str, Any]:
        """Tracardi's ``POST /track``: a tracker payload of up to 100 events."""
        received = now_text()
        self._ready()
        data = await read_body(request, MAX_BODY_BYTES)
        payload, storable = parse_json(data)
        events = _payload_events(payload)
        if len(events) > MAX_EVENTS:
            raise ClientError(
                413,
                f"{len(events)} events in one request; the limit is {MAX_EVENTS}",
                reason="too_many_events",
            )
        source_id = _payload_source(payload)
        self.gate.check(
            [source_id, *_own_sources(events)], request.headers.get("authorization")
        )
        seed = _idempotency_seed(request, source_id)
        _name_the_visit(payload, seed)
        items = expand_record(
            payload, received=received, format="track", seed=seed, storable=storable
        )
        if len(data) > MAX_EVENT_BYTES - 2048:
            _check_event_sizes(items)
        given = {"profile_id": _given(payload, "profile"), "session_id": None}
        given["session_id"] = _given(payload, "session")
        return await self._commit(items, "POST /track", received, given)

    # /collect/{event_type}/{source_id}

    async def collect(self, request: Request) -> dict[str, Any]:
        """A webhook's body becomes the properties of one event."""
        received = now_text()
        self._ready()
        event_type, source_id = path_texts(
            request, "the event type in the path", "the source id in the path"
        )
        checked_id(source_id, "the source id in the path")
        query = _collect_query(request)
        self.gate.check([source_id], request.headers.get("authorization"))
        data = await read_body(request, MAX_EVENT_BYTES)
        properties, storable = _webhook_properties(request, data)
        record: dict[str, Any] = {
            "type": event_type,
            "source": {"id": source_id},
            "properties": properties,
        }
        record.update(query)
        seed = _idempotency_seed(request, source_id)
        items = expand_record(
            record, received=received, format="ndjson", seed=seed, storable=storable
        )
        given = {
            "profile_id": record.get("profile"),
            "session_id": record.get("session"),
        }
        return await self._commit(items, "POST /collect", received, given)

    # Committing and answering.

    async def _commit(
        self, items: list, origin: str, received: str, given: dict
    ) -> dict[str, Any]:
        """Queue the accepted events with the rejects; answer after the commit."""
        events = [item.event for item in items if isinstance(item, Accepted)]
        rejected = [item for item in items if isinstance(item, Rejected)]
        rows = [RejectRow(origin, None, r.reason, r.raw, received) for r in rejected]
        input_name = origin.split()[-1]
        self.metrics.add("tracsh_events_received_total", len(items), input=input_name)
        if rows:
            self.metrics.add(
                "tracsh_events_rejected_total", len(rows), input=input_name
            )
        if not events:
            await self._record_rejects(rows)
            reasons = "; ".join(r.reason for r in rejected)
            raise ClientError(400, f"no event could be accepted: {reasons}")
        outcomes = await self._settled(events, rows, origin)
        return track_answer(outcomes, [r.reason for r in rejected], **given)

    async def _settled(self, events: list[dict], rows: list[RejectRow], origin: str):
        """The outcomes of ``events`` once committed, or the matching refusal."""
        try:
            future = self.processor.offer(events, rows, origin=origin)
        except Overloaded as error:
            raise ClientError(
                503,
                f"too busy, try again shortly: {error}",
                reason="overloaded",
                headers={"Retry-After": "1"},
            ) from None
        try:
            return await future
        except Unavailable as error:
            raise ClientError(
                503, str(error), reason="unavailable", headers={"Retry-After": "5"}
            ) from None
        except Unprocessable as error:
            raise ClientError(422, str(error), reason="unprocessable") from None

    async def _record_rejects(self, rows: list[RejectRow]) -> None:
        """Record rejects of a request that had no event to commit."""
        try:
            await self.processor.offer([], rows)
        except (Overloaded, Unavailable) as error:
            log.warning(
                "rejects not recorded: %s",
                error,
                extra={"rejects": [row.reason for row in rows]},
            )

    def _ready(self) -> None:
        """503 before the runtime is ready. While it stops, requests the server
        has taken are still answered: they are part of the drain."""
        if self.health.status == "starting":
            raise ClientError(
                503,
                f"the daemon is {self.health.status}",
                reason=self.health.status,
                headers={"Retry-After": "1"},
            )

    # /healthz and /metrics

    async def healthz(self, request: Request) -> Response:
        """Ready or not, the rule-set revision and the last reload error."""
        body = self.health.as_dict(self.processor.queued, self.processor.capacity)
        return JSONResponse(body, status_code=200 if self.health.ready else 503)

    async def metrics_text(self, request: Request) -> Response:
        """Every metric in Prometheus text format."""
        try:
            figures = await self.processor.with_store(store_figures)
        except Exception as error:  # the store failed; the rest is still worth having
            log.warning("metrics without store figures: %s", error)
            figures = {}
        return Response(self.metrics.render(figures), media_type=CONTENT_TYPE)


# Reading requests.


def _payload_events(payload: Any) -> list:
    if not isinstance(payload, dict) or "events" not in payload:
        raise ClientError(400, f"{_NOT_A_PAYLOAD}, got {_described(payload)}")
    events = payload["events"]
    if not isinstance(events, list):
        raise ClientError(400, f'"events" must be a list, got {kind_of(events)}')
    return events


def _described(value: Any) -> str:
    if isinstance(value, dict):
        return "an object without one"
    return kind_of(value)


def _payload_source(payload: dict) -> str:
    try:
        source_id = ref_id(payload, "source")
    except InputError as error:
        raise ClientError(400, str(error)) from None
    if source_id is None:
        raise ClientError(
            400, 'missing "source.id": a tracker payload names its event source'
        )
    return source_id


def _own_sources(events: list) -> list[str]:
    """Source ids that entries of ``events[]`` name for themselves."""
    found = []
    for item in events:
        try:
            own = ref_id(item, "source") if isinstance(item, dict) else None
        except InputError:
            continue  # the entry is rejected for it when it is read
        if own is not None:
            found.append(own)
    return found


def _given(payload: dict, name: str) -> str | None:
    try:
        return ref_id(payload, name)
    except InputError:
        return None


def _absent(payload: dict, name: str) -> bool:
    """True when the payload gives no ``name`` id; a bad one is not absent (its
    events are refused for it, naming the field)."""
    try:
        return ref_id(payload, name) is None
    except InputError:
        return False


def _name_the_visit(payload: dict, seed: str | None) -> None:
    """Give a payload without profile and session ids a session id of its own.

    Its events come from one visitor: with a shared new session they share the
    new profile that identify makes for the first of them, instead of making
    one each. Retries with an Idempotency-Key get the same session id.
    """
    if _absent(payload, "profile") and _absent(payload, "session"):
        session_id = str(uuid.uuid4()) if seed is None else stable_id(f"{seed}\x1fs")
        payload["session"] = {"id": session_id}


def _check_event_sizes(items: list) -> None:
    """413 when an event, with what it inherits from the payload, is too large."""
    for index, item in enumerate(items):
        if not isinstance(item, Accepted):
            continue
        size = json_size(item.event)
        if size > MAX_EVENT_BYTES:
            raise too_large(f"events[{index}]", size, MAX_EVENT_BYTES)


def _idempotency_seed(request: Request, source_id: str) -> str | None:
    """What makes event ids stable for retries that carry an Idempotency-Key."""
    key = idempotency_key(request)
    return None if key is None else f"idempotency\x1f{source_id}\x1f{key}"


def _webhook_properties(request: Request, data: bytes) -> tuple[dict, bool]:
    """The webhook body as an object (JSON, a urlencoded form, or empty), and
    whether it surely holds only values the store can keep."""
    if not data.strip():
        return {}, True
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type.lower() == FORM:
        return parse_form(data), False
    body, storable = parse_json(data)
    if not isinstance(body, dict):
        raise ClientError(
            400,
            f"the body must be a JSON object (the event's properties), "
            f"got {kind_of(body)}",
        )
    return body, storable


def _collect_query(request: Request) -> dict[str, str]:
    """The profile, session and event id given as query parameters: ids, each
    checked as an id in a JSON body would be (an empty value gives none)."""
    found: dict[str, str] = {}
    for name, value in query_pairs(request):
        if name not in COLLECT_QUERY:
            known = ", ".join(COLLECT_QUERY)
            raise ClientError(400, f"unknown query parameter {name!r} (known: {known})")
        if name in found:
            raise ClientError(400, f"query parameter {name!r} is given twice")
        if value:
            checked_id(value, f"query parameter {name!r}")
        found[name] = value
    return found
