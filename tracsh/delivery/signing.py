"""Webhook signatures as the Standard Webhooks specification describes them.

tracsh signs each webhook request with three headers: ``webhook-id`` (the
delivery's idempotency key, the same on every attempt), ``webhook-timestamp``
(seconds since the epoch, per attempt) and ``webhook-signature``
(``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body``). Receivers check
them with :func:`verify`, which ships here so a receiver written in Python
needs nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
"""Secrets written as ``whsec_<base64>`` are decoded; others are used as UTF-8."""

TOLERANCE = 300
"""How far, in seconds, a timestamp may be from the receiver's clock."""


class SignatureError(Exception):
    """A webhook request's signature headers are missing, stale or wrong."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: base64 after ``whsec_``, else the text itself.

    An empty key (an empty or blank secret, or ``whsec_`` with nothing after
    it) is refused: anyone could sign with it, so it would verify anything.
    """
    if not isinstance(secret, str) or not secret.strip():
        raise SignatureError("the secret is empty; use a real key")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the whsec_ secret is not valid base64") from None
    if not key:
        raise SignatureError("the whsec_ secret is empty; use a real key")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one request."""
    return _signature(secret_key(secret), message_id, timestamp, body)


def _signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers that sign a request."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> str:
    """Check a received request; return its ``webhook-id``, or raise SignatureError.

    ``headers`` may use any capitalisation. The timestamp must be within
    ``tolerance`` seconds of ``now`` (default: the clock), which stops replays
    of old requests; any one of the space-separated ``v1,`` signatures may match,
    so senders can rotate secrets. Keep the returned id to drop repeats: the
    same delivery keeps its id on every attempt. An empty secret is refused
    whatever the request holds.
    """
    key = secret_key(secret)
    lower = {name.lower(): value for name, value in headers.items()}
    message_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp")
    given = lower.get("webhook-signature")
    if not message_id or not stamp or not given:
        raise SignatureError("missing webhook-id, webhook-timestamp or signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError(f"webhook-timestamp is not a number: {stamp!r}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is too far from the current time")
    expected = _signature(key, message_id, timestamp, body).encode()
    for candidate in given.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return message_id
    raise SignatureError("no signature matches")
