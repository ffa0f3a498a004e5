"""Event times: reading the forms clients send and settling on one UTC text.

Stored times are ``datetime.isoformat()`` of an aware UTC datetime, so they
sort correctly as text. Numbers are Unix epoch times: below 100,000,000,000
they are seconds (every time before the year 5138), from there up milliseconds
(every time after 1973-03-03). Text of ASCII digits is an epoch number too, so
``"20240101"`` is a moment in 1970, not a date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from tracsh.inputs.items import InputError, kind_of

MILLISECONDS_FROM = 100_000_000_000
"""Epoch numbers at or above this are milliseconds, below it seconds."""

EXPLICIT = ("time", "timestamp")
"""Fields that give the event's time outright; the first present wins."""

EPOCH_TEXT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
"""Text that is an epoch number: ASCII digits, a minus sign, a decimal point."""


def utc_text(moment: datetime, zone: tzinfo = UTC) -> str:
    """``moment`` as stored text; a naive ``moment`` is taken to be in ``zone``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).isoformat()


def parse_time(value: object, field: str) -> datetime:
    """An aware datetime from ISO-8601 text or an epoch number.

    Text without an offset is UTC. Raises InputError naming ``field``.
    """
    if isinstance(value, str):
        return _from_text(value, field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value, field)
    if isinstance(value, dict) and "create" in value:
        return parse_time(value["create"], f"{field}.create")
    raise InputError(
        f'"{field}" must be ISO-8601 text or an epoch number, got {kind_of(value)}'
    )


def _from_text(text: str, field: str) -> datetime:
    """ISO-8601 text, or text holding an epoch number (as some trackers send)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    # Digits alone are an epoch number even where ISO's basic form reads a date;
    # a usual ISO time has a "-", so only the rare rest pays for the check.
    if moment is None or "-" not in text:
        number = epoch_number(text)
        if number is not None:
            return from_epoch(number, field)
    if moment is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InputError(f'"{field}" is not an ISO-8601 time: "{shown}"')
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_number(text: str) -> float | None:
    """The number in ``text`` if it is one (EPOCH_TEXT, spaces around), else None."""
    text = text.strip(" \t")
    return float(text) if EPOCH_TEXT.fullmatch(text) else None


def from_epoch(number: float, field: str) -> datetime:
    """The time ``number`` seconds (or milliseconds, when large) after 1970."""
    try:
        seconds = number / 1000 if abs(number) >= MILLISECONDS_FROM else number
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        shown = repr(number)
        if len(shown) > 40:
            shown = f"{shown[:12]}… ({len(shown.lstrip('-'))} digits)"
        raise InputError(
            f'"{field}" is out of range as an epoch time: {shown}'
        ) from None


def event_time(record: dict, received: str) -> str:
    """The event's own time as stored text (see system.md, "Event time").

    An explicit ``time``/``timestamp`` wins. Otherwise ``originalTimestamp``
    (the client's clock) moved by the skew between ``sentAt`` and ``received``
    (Segment's model), or taken as is without ``sentAt``. Otherwise receipt.
    """
    for field in EXPLICIT:
        value = record.get(field)
        if value is not None:
            return _stored(parse_time(value, field), field)
    original = record.get("originalTimestamp")
    sent = record.get("sentAt")
    sent_at = parse_time(sent, "sentAt") if sent is not None else None
    if original is None:
        return received
    moment = parse_time(original, "originalTimestamp")
    if sent_at is None:
        return _stored(moment, "originalTimestamp")
    skew = _from_text(received, "received") - sent_at
    return _stored(moment, "originalTimestamp", skew)


def _stored(moment: datetime, field: str, skew: timedelta | None = None) -> str:
    try:
        return utc_text(moment + skew if skew else moment)
    except OverflowError:
        raise InputError(f'"{field}" is out of range in UTC: {moment}') from None
