"""The key reference of docs/config.md, generated from the schema."""

from __future__ import annotations

import dataclasses

from tracsh.config.kinds import REQUIRED, Key, describe
from tracsh.config.schema import NAMED, SECTIONS, keys_of


def reference_markdown() -> str:
    """The key reference of docs/config.md, generated from the schema."""
    parts = []
    for name, cls in SECTIONS.items():
        parts.append(_section_markdown(f"[{name}]", cls))
    for name, cls in NAMED.items():
        parts.append(_section_markdown(f"[{name}.<{_id_word(cls)}>]", cls))
    return "\n".join(parts)


def _id_word(cls: type) -> str:
    return dataclasses.fields(cls)[0].name


def _section_markdown(title: str, cls: type) -> str:
    lines = [f"### `{title}`", "", cls.__doc__.strip(), ""]
    lines += ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for _attr, entry in keys_of(cls):
        only = f" ({', '.join(entry.only)} only)" if entry.only else ""
        cells = [f"`{entry.name}`", entry.kind.name, _default_text(entry)]
        lines.append(f"| {' | '.join(cells)} | {entry.doc}{only} |")
    return "\n".join(lines) + "\n"


def _default_text(entry: Key) -> str:
    if entry.default is REQUIRED:
        return "required"
    if entry.default is None:
        return "unset"
    if isinstance(entry.default, dict) and not entry.default:
        return "`{}`"
    return f"`{describe(entry.default)}`"


BEGIN = "<!-- BEGIN reference: generated from tracsh/config/schema.py by its tests -->"
END = "<!-- END reference -->"
"""The markers around the generated part of docs/config.md."""
