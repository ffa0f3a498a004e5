"""The SQLite store: profiles, sessions, events, outbox, rejects, statistics."""

from tracsh.store.errors import ReadOnlyError, StoreError
from tracsh.store.records import OUTBOX_COLUMNS, OUTBOX_STATUSES
from tracsh.store.schema import LATEST as SCHEMA_VERSION
from tracsh.store.store import Store, Tracer

__all__ = [
    "OUTBOX_COLUMNS",
    "OUTBOX_STATUSES",
    "SCHEMA_VERSION",
    "ReadOnlyError",
    "Store",
    "StoreError",
    "Tracer",
]
