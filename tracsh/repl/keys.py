"""The REPL's key bindings: Enter runs or continues, Alt-Enter always breaks the line.

Enter on an unfinished rule, test or condition opens a new line indented like
the form expects; on complete input it runs the validator, which marks a
mistake instead of accepting the input.
"""

from __future__ import annotations

from prompt_toolkit.buffer import ValidationState
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from tracsh.repl.entry import read

BINDINGS = (
    ("enter", "run the input when it is complete, else start a new line"),
    ("escape enter", "always start a new line (Alt-Enter)"),
    ("c-c", "clear the input"),
)
"""Each binding and what it does, for ``.help`` and the docs."""

_OPENS = ("then", "rule", "test", "journey", "step")


def key_bindings() -> KeyBindings:
    """The bindings of BINDINGS."""
    bindings = KeyBindings()

    @bindings.add("enter")
    def enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if not read(buffer.text).complete:
            before = buffer.document.text_before_cursor
            buffer.insert_text("\n" + indent_after(before))
            return
        # Validating while typing leaves the state decided, and a decided
        # state would not move the cursor to the mistake: decide again.
        buffer.validation_state = ValidationState.UNKNOWN
        buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def newline(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        buffer.insert_text("\n" + indent_after(buffer.document.text_before_cursor))

    @bindings.add("c-c")
    def clear(event: KeyPressEvent) -> None:
        event.current_buffer.reset()

    return bindings


def indent_after(text: str) -> str:
    """The indentation for the line after ``text``'s last line."""
    last = text.split("\n")[-1]
    indent = len(last) - len(last.lstrip())
    words = last.split()
    if words and (words[0] in _OPENS or words[-1] == "then"):
        indent += 2
    if words and words[0] == "when" and indent == 0 and not text.startswith("when"):
        indent = 2
    return " " * indent
