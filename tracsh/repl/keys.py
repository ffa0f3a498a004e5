"""The REPL's key bindings: Enter runs or continues, Alt-Enter always breaks the line.

Enter on an unfinished rule, test or condition opens a new line indented as
``tracsh fmt`` would indent it (layout.py); on complete input it runs the
validator, which marks a mistake instead of accepting the input. A line
moves to its place as soon as its first word says where it goes (``end``,
``then``, ``step``, ``and`` …), as it is typed or pasted.
"""

from __future__ import annotations

from prompt_toolkit.buffer import Buffer, ValidationState
from prompt_toolkit.document import Document
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from tracsh.repl.entry import read
from tracsh.repl.layout import indent_after, placed

BINDINGS = (
    ("enter", "run the input when it is complete, else start a new line"),
    ("escape enter", "always start a new line (Alt-Enter)"),
    ("c-c", "clear the input"),
)
"""Each binding and what it does, for ``.help`` and the docs."""


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


def keep_in_place(buffer: Buffer) -> None:
    """Move the line at the cursor to its place once its first word says where
    (the buffer's text-changed handler)."""
    moved = placed(buffer.text, buffer.cursor_position)
    if moved is not None:
        buffer.document = Document(*moved)
