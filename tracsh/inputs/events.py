"""One parsed record to events: validating an event and flattening tracker payloads.

File readers, ``tracsh ingest`` and the HTTP collector all come through here, so
an event means the same thing however it arrives. Nothing here reads files.
"""

from __future__ import annotations

import copy
import hashlib
import uuid

from tracsh.inputs.ids import id_problem
from tracsh.inputs.items import Accepted, InputError, Rejected, cut, kind_of
from tracsh.inputs.jsontext import record_text, unstorable
from tracsh.inputs.times import event_time

STRUCTURAL = frozenset(
    {"id", "type", "source", "session", "profile", "properties", "context", "tags"}
    | {"options"}
)
"""Top-level keys that become event fields; every other key is kept under ``raw``."""

MERGED = ("context", "options")
"""Keys whose objects merge with a default (the record's values win)."""

PAYLOAD_SHARED = ("source", "session", "profile", "sentAt")
"""Tracker payload keys that apply to each of its events unless the event has them."""

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "events.tracsh.invalid")
"""The uuid5 namespace of generated event ids."""

_NAMESPACE_BYTES = NAMESPACE.bytes
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def stable_id(seed: str) -> str:
    """``str(uuid.uuid5(NAMESPACE, seed))``, computed without a UUID object."""
    digest = hashlib.sha1(
        _NAMESPACE_BYTES + seed.encode("utf-8", "surrogatepass")
    ).hexdigest()
    return (
        f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-"
        f"{_VARIANT[digest[16]]}{digest[17:20]}-{digest[20:32]}"
    )


def normalize_event(
    obj: object,
    *,
    received: str,
    defaults: dict | None = None,
    seed: str | None = None,
    storable: bool = False,
) -> dict:
    """The event in stored shape (docs/architecture.md), or InputError(reason).

    ``defaults`` supply keys the record lacks (``context`` and ``options``
    merge, the record winning). ``seed`` makes a generated id stable (uuid5 of
    it); without one a missing id is a random uuid4. ``options`` end up under
    ``context.tracker.options``; unknown top-level keys under ``raw``.
    Every value is checked to be one the store can keep (finite numbers, valid
    Unicode, JSON types), unless ``storable`` says the parser made sure of it.
    """
    if not isinstance(obj, dict):
        reason = None if storable else unstorable(obj)
        raise InputError(reason or f"expected a JSON object, got {kind_of(obj)}")
    if defaults:
        obj = with_defaults(obj, defaults)
    if not storable and (reason := unstorable(obj)) is not None:
        raise InputError(reason)
    event_type = _event_type(obj)
    return {
        "id": _event_id(obj.get("id"), seed),
        "type": event_type,
        "time": event_time(obj, received),
        "received": received,
        "source": {"id": ref_id(obj, "source")},
        "session": {"id": ref_id(obj, "session")},
        "profile": {"id": ref_id(obj, "profile")},
        "properties": _object(obj, "properties"),
        "context": _context(obj),
        "tags": _tags(obj.get("tags")),
        "raw": {name: value for name, value in obj.items() if name not in STRUCTURAL},
    }


def with_defaults(obj: dict, defaults: dict) -> dict:
    """``obj`` over ``defaults``: a null in ``obj`` counts as absent.

    Merged objects are copies, so events flattened from one payload never share
    a context object.
    """
    merged = {**defaults, **obj}
    for name, value in defaults.items():
        own = obj.get(name)
        if own is None:
            merged[name] = copy.deepcopy(value) if name in MERGED else value
        elif name in MERGED and isinstance(own, dict) and isinstance(value, dict):
            merged[name] = deep_merge(copy.deepcopy(value), own)
    return merged


def deep_merge(base: dict, over: dict) -> dict:
    """A new object: ``over``'s values on top of ``base``'s, nested objects merged."""
    result = dict(base)
    for name, value in over.items():
        below = result.get(name)
        if isinstance(value, dict) and isinstance(below, dict):
            value = deep_merge(below, value)
        result[name] = value
    return result


def _event_type(obj: dict) -> str:
    value = obj.get("type")
    if value is None:
        hint = (
            " (a tracker payload? read it with --format auto)"
            if "events" in obj
            else ""
        )
        raise InputError(f'missing "type"{hint}')
    if not isinstance(value, str):
        raise InputError(f'"type" must be text, got {kind_of(value)}')
    if not value.strip():
        raise InputError('"type" is empty')
    return value


def _event_id(value: object, seed: str | None) -> str:
    if value is None:
        return stable_id(seed) if seed is not None else str(uuid.uuid4())
    if isinstance(value, str):
        return checked_id(value, "id")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InputError(f'"id" must be text or a number, got {kind_of(value)}')


def checked_id(text: str, label: str) -> str:
    """``text`` when it may be an id (tracsh/inputs/ids.py), else InputError."""
    problem = id_problem(text)
    if problem is not None:
        raise InputError(f'"{label}" {problem}')
    return text


def ref_id(obj: dict, name: str) -> str | None:
    """The id that ``source``, ``session`` or ``profile`` gives, or None.

    One rule for all three (docs/inputs.md, "Ids and references"): absent,
    null, "" or ``{}`` give none; text or a number is the id itself; an object
    gives its ``id`` the same way. Anything else is an InputError naming the
    field, so a bad value is never taken for "none given".
    """
    value, label = obj.get(name), name
    if isinstance(value, dict):
        if value and "id" not in value:
            keys = ", ".join(f'"{key}"' for key in sorted(map(str, value))[:3])
            raise InputError(f'"{name}" has no "id" (its keys: {cut(keys)})')
        value, label = value.get("id"), f"{name}.id"
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return checked_id(value, label)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    wanted = "text or a number" if label != name else 'an id or {"id": …}'
    raise InputError(f'"{label}" must be {wanted}, got {kind_of(value)}')


def _object(obj: dict, name: str) -> dict:
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f'"{name}" must be an object, got {kind_of(value)}')
    return value


def _context(obj: dict) -> dict:
    """The event's context, with tracker ``options`` under ``tracker.options``."""
    context = _object(obj, "context")
    options = _object(obj, "options")
    if options:
        context = deep_merge(context, {"tracker": {"options": options}})
    return context


def _tags(value: object) -> list:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise InputError('"tags" must be a list of text')
    return value


# --- records: one event or a tracker payload ---------------------------------


def is_payload(record: object) -> bool:
    """True for a Tracardi tracker payload: an ``events`` key and no ``type``."""
    return isinstance(record, dict) and "events" in record and "type" not in record


def expand_record(
    record: object,
    *,
    received: str,
    line: int | None = None,
    seed: str | None = None,
    format: str = "auto",
    defaults: dict | None = None,
    raw: str | None = None,
    storable: bool = False,
) -> list[Accepted | Rejected]:
    """The events of one parsed record: an event, or a payload's events.

    ``format`` "ndjson" takes every record as one event, "track" wants tracker
    payloads only, "auto" and "json" tell them apart. ``seed`` (the record's
    file, line and text) makes generated ids stable; ``raw`` is the record's
    text for rejects. ``storable`` is True only for records that jsontext's
    DECODER parsed cleanly; any other record is checked value by value.
    """
    if format != "ndjson" and is_payload(record):
        return flatten_payload(
            record,
            received=received,
            line=line,
            seed=seed,
            defaults=defaults,
            storable=storable,
        )
    if format == "track":
        reason = 'not a tracker payload: expected an object with an "events" list'
        return [Rejected(line, reason, _raw(record, raw))]
    try:
        event = normalize_event(
            record,
            received=received,
            defaults=defaults,
            seed=None if seed is None else f"{seed}\x1f0",
            storable=storable,
        )
    except InputError as error:
        return [Rejected(line, str(error), _raw(record, raw))]
    return [Accepted(event, line)]


def _raw(record: object, text: str | None) -> str:
    """The record's text for a reject: as read when known, else as JSON."""
    return cut(record_text(record) if text is None else text)


def flatten_payload(
    payload: dict,
    *,
    received: str,
    line: int | None = None,
    seed: str | None = None,
    defaults: dict | None = None,
    storable: bool = False,
) -> list[Accepted | Rejected]:
    """One event per entry of ``payload["events"]``; a bad entry rejects only itself.

    The payload's source, session, profile and sentAt apply to events that lack
    them; its ``context`` lies under each event's, its ``options`` under each
    event's ``options`` (both end up in ``context.tracker.options``), and its
    ``properties`` go to ``context.tracker.properties``.
    """
    events = payload["events"]
    try:
        shared = payload_defaults(payload, defaults or {})
        if not isinstance(events, list):
            raise InputError(f'"events" must be a list, got {kind_of(events)}')
        if not events:
            raise InputError('tracker payload with an empty "events" list')
    except InputError as error:
        return [Rejected(line, str(error), _raw(payload, None))]
    return [
        _payload_event(item, index, shared, received, line, seed, storable)
        for index, item in enumerate(events)
    ]


def _payload_event(
    item: object,
    index: int,
    shared: dict,
    received: str,
    line: int | None,
    seed: str | None,
    storable: bool,
) -> Accepted | Rejected:
    try:
        event = normalize_event(
            item,
            received=received,
            defaults=shared,
            seed=None if seed is None else f"{seed}\x1f{index}",
            storable=storable,
        )
    except InputError as error:
        return Rejected(line, f"events[{index}]: {error}", _raw(item, None))
    return Accepted(event, line)


def payload_defaults(payload: dict, defaults: dict) -> dict:
    """What every event of ``payload`` inherits, over the reader's ``defaults``."""
    shared = dict(defaults)
    for name in PAYLOAD_SHARED:
        if payload.get(name) is not None:
            shared[name] = payload[name]
    context = _object(payload, "context")
    properties = _object(payload, "properties")
    if properties:
        context = deep_merge(context, {"tracker": {"properties": properties}})
    if context:
        shared["context"] = deep_merge(shared.get("context") or {}, context)
    options = _object(payload, "options")
    if options:
        shared["options"] = options
    return shared
