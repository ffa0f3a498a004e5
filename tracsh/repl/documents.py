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
from tracsh.repl.commands import ArgumentError, repl_command
from tracsh.repl.moment import engine_event
from tracsh.repl.workspace import Workspace
from tracsh.store.fields import event_by_id
from tracsh.testing.documents import DocumentError, parse_object
from tracsh.testing.sandbox import shape_problem, starting_profile, starting_session


def _parse(kind: str, argument: str) -> tuple[Any, str] | None:
    """JSON or ``@file`` as a document and its origin; None when it is an id.

    Documents are bounded in depth (tracsh.testing.documents: 64 levels) and
    must be JSON objects.
    """
    text, origin, named = argument, "typed", f"the {kind}"
    if argument.startswith("@"):
        try:
            text = Path(argument[1:]).read_text(encoding="utf-8")
        except OSError as err:
            raise UserError(f"cannot read {argument[1:]}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise UserError(f"{argument[1:]} is not UTF-8 text") from None
        origin, named = argument, f"the {kind} in {argument[1:]}"
    elif not argument.startswith(("{", "[")):
        return None
    try:
        return parse_object(text), origin
    except DocumentError as err:
        if err.line is None or origin != "typed":
            raise UserError(f"{named}: {err}") from None
        reason = f"{named}: {err.reason}"
        raise ArgumentError(f"{named}: {err}", reason, err.line, err.column) from None


def _file_hint(kind: str, argument: str) -> str:
    """For an id that is not stored but names a file: files are read with @."""
    if Path(argument).is_file() or argument.endswith(".json"):
        return f"; to read the file {argument}, write .{kind} @{argument}"
    return ""


def _usable(kind: str, doc: dict) -> None:
    """Refuse a profile or session the engine could not start from."""
    now = "2024-01-01T00:00:00+00:00"
    if kind == "profile":
        empty = starting_profile(None, "p", now)
    else:
        empty = starting_session({}, "s", "p", now)
    problem = shape_problem(doc, empty)
    if problem is not None:
        raise UserError(f"the {kind} cannot be used: {problem}")


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
                + _file_hint("event", argument)
            )
        parsed = found, f"stored {argument}"
    doc, origin = parsed
    if not isinstance(doc.get("type"), str) or not doc["type"]:
        raise UserError('an event needs a "type", e.g. {"type": "purchase"}')
    engine_event(doc, None, None)
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
        _usable("profile", parsed[0])
        docs.profile, docs.origin["profile"] = parsed
        return f"profile set ({parsed[1]})"
    store = workspace.store()
    found = store.get_profile(argument)
    if found is None:
        raise UserError(
            f'no stored profile answers to "{argument}" (Tab completes ids)'
            + _file_hint("profile", argument)
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
    if parsed is not None:
        _usable("session", parsed[0])
    else:
        found = workspace.store().get_session(argument)
        if found is None:
            raise UserError(
                f'no stored session "{argument}"' + _file_hint("session", argument)
            )
        parsed = found, f"stored {argument}"
    docs.session, docs.origin["session"] = parsed
    return f"session set ({parsed[1]})"
