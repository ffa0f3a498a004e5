"""Putting typed forms into a rule file: ``.save``'s text work, without the disk.

A typed form with the name of a form in the target file takes that form's
place there; the others go at the end. The workspace decides whether the
result may be written (it must load with the project's rules) and writes it.
"""

from __future__ import annotations

from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang.parser import parse_file

KINDS = {n.Rule: "rule", n.Segment: "segment", n.Journey: "journey", n.RuleTest: "test"}
"""The word for each kind of named form, as the REPL says it."""


def identity(form: Any) -> tuple[type, str] | None:
    """``(kind, name)`` of a named form; None for a one-line rule."""
    name = getattr(form, "name", None)
    return None if name is None else (type(form), name)


def split_forms(text: str, path: str) -> list[tuple[Any, str]]:
    """Each form of ``text`` with its own lines (comments above it included)."""
    lines = text.split("\n")
    forms = parse_file(text, path).forms
    pieces = []
    start = 0
    for index, form in enumerate(forms):
        end = len(lines) if index == len(forms) - 1 else form.span.end_line
        pieces.append((form, "\n".join(lines[start:end]).strip("\n")))
        start = end
    return pieces


def merge(existing: str, path: str, pieces: list[tuple[Any, str]]) -> tuple[str, list]:
    """``existing`` with each piece in place of the form it names, or at the end;
    and the identities that replaced a form there."""
    lines = existing.split("\n") if existing.strip() else []
    places = {
        identity(form): form.span
        for form in (parse_file(existing, path).forms if lines else ())
        if identity(form) is not None
    }
    replacing: list[tuple[int, int, str]] = []
    added: list[str] = []
    replaced = []
    for form, piece in pieces:
        key = identity(form)
        span = places.pop(key, None) if key is not None else None
        if span is None:
            added.append(piece)
        else:
            replacing.append((span.line, span.end_line, piece))
            replaced.append(key)
    for first, last, piece in sorted(replacing, reverse=True):
        lines[first - 1 : last] = piece.split("\n")
    body = "\n".join(lines).rstrip("\n")
    joined = "\n\n".join(part for part in (body, *added) if part.strip()) + "\n"
    return joined, replaced
