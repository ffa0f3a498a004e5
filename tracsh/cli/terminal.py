"""Text from the store made safe for a terminal: no markup, no control characters.

Event data reaches tables and summaries (reject reasons, recipients, rule
names). It is shown as plain text: rich markup in it is not interpreted, and
control characters are shown escaped instead of being sent to the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0, 32), 127) if code != 9}
_CONTROL.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})


def printable(value: Any) -> str:
    """``value`` as text with control characters escaped (tabs kept)."""
    return ("" if value is None else str(value)).translate(_CONTROL)


def cell(value: Any) -> Text:
    """A rich table cell that shows ``value`` literally."""
    return Text(printable(value))
