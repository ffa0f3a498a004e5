"""docs/inputs.md names every key, conversion and section a CSV mapping takes."""

from pathlib import Path

from tracsh.inputs.mapping import (
    CONVERSIONS,
    CSV_KEYS,
    EMPTY_POLICIES,
    EVENT_FIELDS,
    SECTIONS,
    SPEC_KEYS,
)


def test_docs_describe_every_mapping_key():
    text = (Path(__file__).resolve().parents[2] / "docs" / "inputs.md").read_text()
    names = {*CSV_KEYS, *SPEC_KEYS, *EVENT_FIELDS, "tags"}
    shown = [f"`{name}`" for name in names]
    shown += [f'`"{name}"`' for name in (*CONVERSIONS, *EMPTY_POLICIES)]
    shown += [f"`[{name}]`" for name in SECTIONS]
    assert [item for item in shown if item not in text] == []
