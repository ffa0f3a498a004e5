"""Marking mistakes before the input is accepted: the REPL's prompt_toolkit Validator.

It asks entry.py for the first error of the input; an input that is only
unfinished is not an error (Enter continues it on a new line). The lexer
underlines the same place while the author types.
"""

from __future__ import annotations

from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError, Validator

from tracsh.repl.entry import read


class RuleValidator(Validator):
    """Refuses input with an error, putting the cursor on it with the message."""

    def validate(self, document: Document) -> None:
        text = document.text
        entry = read(text)
        if entry.error is None:
            return
        problem = entry.error
        raise ValidationError(
            cursor_position=entry.offset(text),
            message=f"line {problem.line}, column {problem.column}: {problem.message}",
        )
