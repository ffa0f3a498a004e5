"""Where each line of a form goes as it is typed: the indentation ``tracsh fmt`` gives.

Enter opens the next line indented for what usually follows it (keys.py); a
line whose first word says where it belongs (``end``, ``then``, ``step``,
``and`` …) or that closes a bracket moves there as soon as that word is typed
(app.py watches the input). The places are those of tracsh.lang.format, and
tests type formatted forms line by line to check they come out as fmt writes
them.
"""

from __future__ import annotations

import re

_OPENS = ("then", "rule", "test", "journey", "step")
"""First words of lines whose next line is indented one step further."""

_PLACES = {
    "rule": {
        "end": 0, "then": 2, "when": 2, "priority": 2, "once": 2, "source": 2,
        "disabled": 2, "description": 2, "tags": 2,
    },
    "when": {"then": 2},
    "journey": {"end": 0, "step": 2, "enter when": 2, "exit when": 2},
    "test": {
        "end": 0, "profile": 2, "session": 2, "source": 2, "event": 2, "expect": 2,
    },
}  # fmt: skip
"""The indentation of lines by the form they are in and their first words."""

_CONTINUED = {
    ("rule", "when"): 4,
    ("when", "when"): 2,
    ("segment", "segment"): 2,
    ("journey", "enter when"): 4,
    ("journey", "exit when"): 4,
    ("journey", "step"): 6,
}
"""The indentation of an ``and`` / ``or`` line, by form and the line it continues."""

_TWO_WORDS = re.compile(r"(enter|exit)[ \t]+when(?![A-Za-z0-9_])")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^'\\]|\\.)*'?")
_COMMENT = re.compile(r"#.*")


def indent_after(text: str) -> str:
    """The indentation for the line after ``text``'s last line.

    After an ``and`` / ``or`` line, what follows the condition goes where it
    would after the line that condition started on.
    """
    lines = text.split("\n")
    last = lines[-1]
    if _first(last.strip() or "x") in ("and", "or"):
        last = _head_line(lines[:-1]) or last
    indent = len(last) - len(last.lstrip())
    words = last.split()
    if words and (words[0] in _OPENS or words[-1] == "then"):
        indent += 2
    elif words and words[0] == "when" and indent == 0:
        indent = 2
    elif _code(last).rstrip().endswith(("{", "[")):
        indent += 2
    return " " * indent


def placed(text: str, cursor: int) -> tuple[str, int] | None:
    """``text`` with the cursor's line moved to its place, and the cursor after the
    move; None when the line is in place or nothing in it says where it goes."""
    start = text.rfind("\n", 0, cursor) + 1
    end = text.find("\n", cursor)
    end = len(text) if end < 0 else end
    line = text[start:end]
    wanted = place_of(text[:start].split("\n")[:-1], line)
    indent = len(line) - len(line.lstrip())
    if wanted is None or line[:indent] == " " * wanted:
        return None
    moved = " " * wanted + line[indent:]
    shift = max(cursor - start - indent, 0)
    return text[:start] + moved + text[end:], start + wanted + shift


def place_of(before: list[str], line: str) -> int | None:
    """The indentation fmt gives ``line`` after the lines ``before`` it, or None
    when its first words do not decide it."""
    stripped = line.strip()
    form = _form(before)
    if not stripped or form is None:
        return None
    if stripped[0] in "}]":
        return _opener(before)
    first = _first(stripped)
    if first in ("and", "or"):
        head = _head(before)
        return None if head is None else _CONTINUED.get((form, head))
    if first == "end" and stripped != "end":
        return None
    return _PLACES.get(form, {}).get(first)


def _form(before: list[str]) -> str | None:
    """The first word of the input's first line: the form being typed."""
    for line in before:
        if _code(line).strip():
            return _first(line.strip())
    return None


def _head(before: list[str]) -> str | None:
    """The first word of the line an ``and`` / ``or`` line continues."""
    head = _head_line(before)
    return None if head is None else _first(head.strip())


def _head_line(before: list[str]) -> str | None:
    """The line an ``and`` / ``or`` line after ``before`` continues."""
    for line in reversed(before):
        if _code(line).strip() and _first(line.strip()) not in ("and", "or"):
            return line
    return None


def _first(stripped: str) -> str:
    """The first word, or ``enter when`` / ``exit when``."""
    two = _TWO_WORDS.match(stripped)
    if two is not None:
        return f"{two.group(1)} when"
    return stripped.split(None, 1)[0]


def _opener(before: list[str]) -> int | None:
    """The indentation of the line that opened the innermost unclosed bracket."""
    opened: list[int] = []
    for line in before:
        indent = len(line) - len(line.lstrip(" "))
        for char in _code(line):
            if char in "{[":
                opened.append(indent)
            elif char in "}]" and opened:
                opened.pop()
    return opened[-1] if opened else None


def _code(line: str) -> str:
    """``line`` without its strings and comment."""
    return _COMMENT.sub("", _STRING.sub('""', line))
