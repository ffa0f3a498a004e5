"""Marking mistakes before the input is accepted: the REPL's prompt_toolkit Validator.

It asks entry.py for the first error of the input; an input that is only
unfinished is not an error (Enter continues it on a new line). The lexer
underlines the same place while the author types. The message goes on the one
line under the input, so it is shortened to the terminal's width.
"""

from __future__ import annotations

import re

from prompt_toolkit.application import get_app_or_none
from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError, Validator

from tracsh.lang.errors import Diagnostic
from tracsh.repl.entry import read

_ASIDE = re.compile(r"\s*\([^()]*\)")
"""A parenthesised aside, such as the list of every function: dropped first."""


class RuleValidator(Validator):
    """Refuses input with an error, putting the cursor on it with the message."""

    def validate(self, document: Document) -> None:
        text = document.text
        entry = read(text)
        if entry.error is None:
            return
        raise ValidationError(
            cursor_position=entry.offset(text),
            message=short_message(entry.error, _width()),
        )


def short_message(problem: Diagnostic, width: int) -> str:
    """``line:column message`` in at most ``width`` characters.

    Asides in parentheses go first (the lists of known names), then the end of
    the message gives way to an ellipsis; the place and the first words stay.
    """
    place = f"{problem.line}:{problem.column} "
    message = problem.message
    while len(place + message) > width and _ASIDE.search(message):
        found = list(_ASIDE.finditer(message))[-1]
        message = message[: found.start()] + message[found.end() :]
    shown = place + message
    if len(shown) > width:
        shown = shown[: max(width - 1, len(place) + 1)].rstrip() + "…"
    return shown


def _width() -> int:
    app = get_app_or_none()
    if app is None:
        return 80
    try:
        return max(app.output.get_size().columns - 1, 20)
    except Exception:  # an output without a size (a pipe): any width will do
        return 80
