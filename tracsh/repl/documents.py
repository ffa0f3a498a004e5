"""REPL commands that set the current event, profile and session.

Each takes JSON typed at the prompt, ``@file.json``, or the id of a document in
the project's database (read-only). With no argument they show the current
document; ``none`` clears it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tracsh.errors import UserError
from tracsh.lang.scope import MISSING
from tracsh.repl.commands import repl_command
from tracsh.repl.workspace import Workspace
from tracsh.store.fields import event_by_id


def _parse(kind: str, argument: str) -> tuple[Any, str] | None:
    """JSON or ``@file`` as a document and its origin; None when it is an id."""
    text, origin = argument, "typed"
    if argument.startswith("@"):
        try:
            text = Path(argument[1:]).read_text(encoding="utf-8")
        except OSError as err:
            raise UserError(f"cannot read {argument[1:]}: {err.strerror}") from None
        origin = argument
    elif not argument.startswith(("{", "[")):
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(
            f"the {kind} is not valid JSON: {err.msg} at line {err.lineno} "
            f"column {err.colno}"
        ) from None
    if not isinstance(doc, dict):
        raise UserError(f"the {kind} must be a JSON object, got {type(doc).__name__}")
    return doc, origin


def _shown(kind: str, doc: Any, origin: str) -> str:
    if doc is MISSING:
        return f"{kind}: none"
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    return f"{kind} ({origin}):\n{text}"


@repl_command("event", "[JSON | @FILE | ID]", "show or set the current event", "events")
def event(workspace: Workspace, argument: str) -> str:
    """Set the event conditions and ``.fire`` use."""
    docs = workspace.documents
    if not argument:
        return _shown("event", docs.event, docs.origin.get("event", ""))
    parsed = _parse("event", argument)
    if parsed is None:
        found = event_by_id(workspace.store(), argument)
        if found is None:
            raise UserError(
                f'no stored event "{argument}"; to make one, write '
                '.event {"type": "purchase", "properties": {...}}'
            )
        parsed = found, f"stored {argument}"
    doc, origin = parsed
    if not isinstance(doc.get("type"), str) or not doc["type"]:
        raise UserError('an event needs a "type", e.g. {"type": "purchase"}')
    docs.event, docs.origin["event"] = doc, origin
    return f'event set: "{doc["type"]}" ({origin})'


@repl_command(
    "profile",
    "[JSON | @FILE | ID | none]",
    "show or set the current profile (an id brings its latest session)",
    "profiles",
)
def profile(workspace: Workspace, argument: str) -> str:
    """Set the profile; one from the store brings its most recent session along."""
    docs = workspace.documents
    if not argument:
        return _shown("profile", docs.profile, docs.origin.get("profile", ""))
    if argument == "none":
        docs.profile = MISSING
        return "profile cleared: .fire will meet a new visitor"
    parsed = _parse("profile", argument)
    if parsed is not None:
        docs.profile, docs.origin["profile"] = parsed
        return f"profile set ({parsed[1]})"
    store = workspace.store()
    found = store.get_profile(argument)
    if found is None:
        raise UserError(
            f'no stored profile answers to "{argument}" (Tab completes ids)'
        )
    docs.profile, docs.origin["profile"] = found, f"stored {found['id']}"
    sessions = store.profile_sessions(found["id"])
    reply = f"profile set: {found['id']} ({found.get('visits', 0)} visits)"
    if sessions:
        docs.session, docs.origin["session"] = (
            sessions[0],
            f"stored {sessions[0]['id']}",
        )
        reply += f"; session set: {sessions[0]['id']} (its latest)"
    return reply


@repl_command(
    "session",
    "[JSON | @FILE | ID | none]",
    "show or set the current session",
    "sessions",
)
def session(workspace: Workspace, argument: str) -> str:
    """Set the session; ``none`` makes ``.fire`` open a new visit."""
    docs = workspace.documents
    if not argument:
        return _shown("session", docs.session, docs.origin.get("session", ""))
    if argument == "none":
        docs.session = MISSING
        return "session cleared: .fire will open a new visit"
    parsed = _parse("session", argument)
    if parsed is None:
        found = workspace.store().get_session(argument)
        if found is None:
            raise UserError(f'no stored session "{argument}"')
        parsed = found, f"stored {argument}"
    docs.session, docs.origin["session"] = parsed
    return f"session set ({parsed[1]})"
