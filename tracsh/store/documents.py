"""How documents become the compact JSON text the store keeps, and the store's clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tracsh.store.errors import StoreError

_encode = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def encode_doc(doc: Any, what: str) -> str:
    """A document as compact JSON text; ``what`` names it in the error.

    Integers of any size stay exact (they are written as digits); NaN and
    infinities are refused because SQLite's JSON functions cannot read them.
    """
    try:
        return _encode(doc)
    except (TypeError, ValueError) as err:
        raise StoreError(f"{what}: cannot be stored as JSON: {err}") from err


def decode_doc(text: str | None) -> Any:
    """The document stored as ``text`` (None stays None)."""
    return None if text is None else json.loads(text)


def utc_now() -> str:
    """The current time as ISO-8601 UTC text, the form every stored time takes."""
    return datetime.now(UTC).isoformat()
