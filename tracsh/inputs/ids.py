"""What an id may hold: one rule for event, source, session and profile ids.

Every way an id comes in goes through here: JSON records from files, stdin and
``/track``, CSV columns, and the path and query of ``/collect``. An id is text
of at least one character, valid Unicode, without control characters or line
and paragraph separators, which would garble logs, terminals and the SQL that
reads ids; a number given as an id becomes its text.
"""

from __future__ import annotations

import re

_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def id_problem(text: str) -> str | None:
    """What is wrong with ``text`` as an id, as words that follow its name
    (``"profile.id" holds control character U+0000``); None when it is fine."""
    if not text:
        return "is empty"
    if text.isprintable():
        return None
    bad = _BAD.search(text)
    if bad is None:
        return None
    code = ord(bad[0])
    if 0xD800 <= code <= 0xDFFF:
        return f"is not valid Unicode: lone surrogate \\u{code:04x}"
    what = _SEPARATORS.get(code, "a control character")
    return f"holds U+{code:04X}, {what}, which ids cannot hold"


_SEPARATORS = {0x2028: "a line separator", 0x2029: "a paragraph separator"}
