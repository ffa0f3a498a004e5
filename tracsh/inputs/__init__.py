"""Readers that turn files and streams into events or rejects.

``tracsh replay`` and ``tracsh ingest`` read files and stdin with read_items
and read_lines; the HTTP collector turns one parsed body into events with
expand_record. docs/inputs.md describes the formats and the CSV mapping.
"""

from tracsh.inputs.events import expand_record, normalize_event, stable_id
from tracsh.inputs.items import (
    MAX_EVENT_BYTES,
    Accepted,
    InputError,
    MappingError,
    Rejected,
)
from tracsh.inputs.lines import read_lines
from tracsh.inputs.mapping import Mapping, load_mapping
from tracsh.inputs.readers import FORMATS, format_of, read_items

__all__ = [
    "FORMATS",
    "MAX_EVENT_BYTES",
    "Accepted",
    "InputError",
    "Mapping",
    "MappingError",
    "Rejected",
    "expand_record",
    "format_of",
    "load_mapping",
    "normalize_event",
    "read_items",
    "read_lines",
    "stable_id",
]
