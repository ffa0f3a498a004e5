"""The line under the prompt: what is loaded, the current documents, the keys."""

from __future__ import annotations

from prompt_toolkit.formatted_text import FormattedText

from tracsh.lang.scope import MISSING
from tracsh.repl.workspace import Workspace


def toolbar(workspace: Workspace) -> FormattedText:
    """Rules loaded, the event type, the profile and session ids, key hints."""
    docs = workspace.documents
    ruleset = workspace.ruleset()
    event = docs.event.get("type", "?") if isinstance(docs.event, dict) else "none"
    parts = [
        ("", f" {len(ruleset.rules)} rules"),
        ("", f" · event {event}"),
        ("", f" · profile {_id(docs.profile, '(new)')}"),
        ("", f" · session {_id(docs.session, '(new)')}"),
        ("", "  "),
        ("class:bottom-toolbar.key", "Enter"),
        ("", " run  "),
        ("class:bottom-toolbar.key", "Alt-Enter"),
        ("", " new line  "),
        ("class:bottom-toolbar.key", "Tab"),
        ("", " complete  "),
        ("class:bottom-toolbar.key", ".help"),
    ]
    if not ruleset.ok:
        parts.insert(1, ("class:output.error", f" ({len(ruleset.errors)} errors)"))
    return FormattedText(parts)


def _id(doc, empty: str) -> str:
    if doc is MISSING or not isinstance(doc, dict):
        return empty
    return str(doc.get("id", "typed"))
