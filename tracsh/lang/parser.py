"""Text to nodes: the Lark LALR parser, its newline post-lexer and syntax errors.

``parse_file``, ``parse_condition`` and ``parse_expr`` return nodes or raise
RuleError with curated messages (language.md §7); load-time checks beyond the
grammar are in check.py, and loader.py runs both.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from tracsh.lang import nodes as n
from tracsh.lang.check import MAX_DEPTH
from tracsh.lang.errors import Diagnostic, RuleError, diagnostic_at, source_line
from tracsh.lang.transform import MAX_FORM_CHARS, ToNodes

_OPEN = {"LPAR", "LSQB", "LBRACE"}
_CLOSE = {"RPAR", "RSQB", "RBRACE"}

_CONTINUES = {
    "PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "COMPARE", "TEXT_OP", "ASSIGN",
    "COMMA", "DOT", "COLON", "_AND", "_OR", "NOT", "IN", "BETWEEN", "WHEN", "THEN",
    "WITH", "TO", "BY", "FROM", "ON", "AT", "WITHIN", "WHERE",
}  # fmt: skip
"""Tokens after which a newline cannot end anything, so it is dropped."""

ACTION_WORDS = (
    "send", "show", "respond", "set", "unset", "increment", "decrement", "append",
    "remove", "add", "grant", "revoke", "call", "enrich", "merge", "emit", "start",
    "exit", "log", "stop",
)  # fmt: skip
"""The words an action starts with."""

_FORM_START = re.compile(r"^[ \t]*(rule|journey)[ \t]+(\"[^\"\n]*\"|'[^'\n]*')")

_KEYWORD = re.compile(r"[A-Za-z]+(?:[ \t]+[A-Za-z]+)*")
"""A token made of words only: a keyword, unless it is a NAME."""
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
_NUMBERS = frozenset({"INT", "DECIMAL"})


class GluedKeyword(Exception):
    """A keyword written against a name or a number (``whenprofile``, ``3then``)."""

    def __init__(self, token: Token, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.message = message


def _is_keyword(token: Token) -> bool:
    return token.type not in ("NAME", "STRING") and bool(
        _KEYWORD.fullmatch(str(token.value))
    )


def _check_glued(before: Token, after: Token) -> None:
    """Refuse two tokens with no space between them where one is a keyword.

    The lexer reads ``whenprofile`` as ``when`` and ``profile`` wherever a name
    cannot follow, so without this ``sendemail"thanks"`` would load. A number
    followed by a time unit (``7days``) is a duration and stays allowed.
    """
    if after.start_pos != before.end_pos:
        return
    if _is_keyword(before) and _NAME_CHAR.match(str(after.value)[:1]):
        raise GluedKeyword(after, f"put a space after `{before.value}`")
    if before.type in _NUMBERS and after.type != "UNIT" and _is_keyword(after):
        raise GluedKeyword(after, f"put a space before `{after.value}`")


class _Newlines:
    """Drops the newlines that cannot end a form, a line rule or an action.

    Inside brackets, after an operator, and at the start of the text a newline
    is noise; everywhere else it separates. The text always ends with one.
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        previous: Token | None = None
        last: Token | None = None
        for token in stream:
            if last is not None:
                _check_glued(last, token)
            last = token
            if token.type == "_NL":
                if depth or previous is None or previous.type in _CONTINUES:
                    continue
                if previous.type == "_NL":
                    continue
            elif token.type in _OPEN:
                depth += 1
            elif token.type in _CLOSE:
                depth = max(depth - 1, 0)
            previous = token
            yield token
        if previous is not None and previous.type != "_NL":
            # Empty, unlike a real newline: ``unfinished`` tells them apart.
            yield Token.new_borrow_pos("_NL", "", previous)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The parser, built once from the packaged grammar."""
    grammar = resources.files("tracsh.grammar").joinpath("tracsh.lark").read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        postlex=_Newlines(),
        propagate_positions=True,
        maybe_placeholders=True,
        start=["start", "condition_input", "expr_input"],
        cache=True,
    )


def parse_file(text: str, path: str) -> n.RuleFile:
    """Parse a whole rule file; raises RuleError."""
    if not text.strip():
        return n.RuleFile(path, ())
    return _parse(text, path, "start")


def parse_condition(text: str, path: str = "<input>") -> n.Condition:
    """Parse one condition (as typed at the REPL or given to ``tracsh eval``)."""
    return _parse(text, path, "condition_input")


def parse_expr(text: str, path: str = "<input>") -> n.Expr:
    """Parse one value expression."""
    return _parse(text, path, "expr_input")


def unfinished(text: str, start: str = "start") -> bool:
    """Whether ``text`` fails to parse only because it stops too early.

    The REPL asks, to decide between running the input and opening a new line:
    a rule without its ``end`` is unfinished, a misspelt action is not.
    """
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if oversized(text, start) is not None:
        return False
    try:
        _lark().parse(text, start=start)
    except GluedKeyword:
        return False
    except UnexpectedEOF:
        return True
    except UnexpectedInput as err:
        token = getattr(err, "token", None)
        if token is None:
            return False
        return token.type == "$END" or (token.type == "_NL" and token.value == "")
    return False


def _parse(text: str, path: str, start: str) -> Any:
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if not text.strip():
        raise RuleError([Diagnostic(path, 1, 1, "expected a condition, got nothing")])
    too_big = oversized(text, start)
    if too_big is not None:
        raise RuleError([diagnostic_at(path, text, too_big[0], too_big[1])])
    try:
        tree = _lark().parse(text, start=start)
    except UnexpectedInput as err:
        raise RuleError([syntax_error(err, text, path)]) from None
    except GluedKeyword as err:
        token = err.token
        span = n.Span(token.line, token.column, token.line, token.column + 1)
        raise RuleError([diagnostic_at(path, text, span, err.message)]) from None
    too_deep = _too_deep(tree)
    if too_deep is not None:
        raise RuleError([diagnostic_at(path, text, too_deep, _DEPTH_MESSAGE)])
    builder = ToNodes(text, path)
    result = builder.transform(tree)
    if builder.diagnostics:
        raise RuleError(builder.diagnostics)
    return result


# --- size, before any parsing -------------------------------------------------------

_FORM_LINE = re.compile(
    r"^(?:[ \t]*(rule|segment|journey|test)|(when))(?![A-Za-z0-9_])", re.M
)
"""A line that may open a form: every form starts a line with one of these words
(a one-line rule's ``when`` at the margin; indented, it belongs to a named rule)."""
_KINDS = {"when": "rule"}


def oversized(text: str, start: str = "start") -> tuple[n.Span, str] | None:
    """Where ``text`` holds a form (or is a condition) over MAX_FORM_CHARS, and why.

    Checked before parsing, so a huge paste costs a scan, not a parse. A file is
    cut at every line that may open a form; a piece over the limit (without the
    blank and comment lines at its end) is a form over it. The transformer
    measures each parsed form exactly as well.
    """
    if len(text) <= MAX_FORM_CHARS:
        return None
    if start != "start":
        what = "condition" if start == "condition_input" else "value"
        return n.Span(1, 1, 1, 1), _size_message(what, len(text))
    starts = [found.start() for found in _FORM_LINE.finditer(text)]
    for begin, end in zip([0, *starts], [*starts, len(text)], strict=True):
        if end - begin <= MAX_FORM_CHARS:
            continue
        size = len(_without_trailing_comments(text[begin:end]))
        if size > MAX_FORM_CHARS:
            line = text.count("\n", 0, begin) + 1
            found = _FORM_LINE.match(text, begin)
            word = (found.group(1) or found.group(2)) if found else "rule"
            return n.Span(line, 1, line, 1), _size_message(_KINDS.get(word, word), size)
    return None


def _without_trailing_comments(piece: str) -> str:
    lines = piece.split("\n")
    while len(lines) > 1 and lines[-1].strip()[:1] in ("", "#"):
        lines.pop()
    return "\n".join(lines)


def _size_message(what: str, size: int) -> str:
    return (
        f"this {what} is {size} characters long, over the limit of "
        f"{MAX_FORM_CHARS}; split it into smaller ones"
    )


_DEPTH_MESSAGE = (
    f"this nests more than {MAX_DEPTH} levels deep; split it into simpler conditions"
)


def _too_deep(tree: Tree) -> n.Span | None:
    """Where the parse tree nests past MAX_DEPTH, found without recursion."""
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Tree):
            continue
        if depth > MAX_DEPTH * 2:
            meta = item.meta
            if getattr(meta, "empty", True):
                return n.Span(1, 1, 1, 1)
            return n.Span(meta.line, meta.column, meta.end_line, meta.end_column)
        stack.extend((child, depth + 1) for child in item.children)
    return None


# --- syntax errors ------------------------------------------------------------

_WORDS = {
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "NAME": "a name",
    "STRING": "a quoted string",
    "INT": "a whole number",
    "DECIMAL": "a number",
    "COMPARE": "a comparison such as ==",
    "TEXT_OP": "contains / starts with / ends with / matches",
    "PRESENCE": "exists / is missing / is null / is empty",
    "UNIT": "a time unit such as days",
    "SHORT_DURATION": "a duration such as 7d",
    "ASSIGN": "=",
    "IF_MISSING": "if missing",
    "ENTER_WHEN": "enter when",
    "EXIT_WHEN": "exit when",
    "_AND": "and",
    "_OR": "or",
    "LPAR": "(",
    "RPAR": ")",
    "LSQB": "[",
    "RSQB": "]",
    "LBRACE": "{",
    "RBRACE": "}",
    "COMMA": ",",
    "DOT": ".",
    "COLON": ":",
    "SEMICOLON": ";",
    "PLUS": "+",
    "MINUS": "-",
    "STAR": "*",
    "SLASH": "/",
    "PERCENT": "%",
}


def _word(terminal: str) -> str:
    """A terminal's name as a person reads it: ``then`` for THEN, and so on."""
    if terminal in _WORDS:
        return _WORDS[terminal]
    return f"`{terminal.lower()}`"


def _shown(token: Token) -> str:
    if token.type in ("_NL", "$END"):
        return _word(token.type)
    return f"`{token.value}`"


def syntax_error(err: UnexpectedInput, text: str, path: str) -> Diagnostic:
    """The curated diagnostic for a Lark parse error."""
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(err, text, path)
    token = getattr(err, "token", None)
    if isinstance(err, UnexpectedEOF) or token is None or token.type == "$END":
        token = _end_token(text)
    # ``accepts`` tries each terminal on the parser; ``expected`` is the LALR
    # state's lookahead set, which merged states make too wide.
    expected = set(getattr(err, "accepts", None) or getattr(err, "expected", ()) or ())
    line, column = _position(token, text)
    glued = _glued_message(token, expected, text)
    if glued is not None:
        span = n.Span(line, column + glued[1], line, column + glued[1] + 1)
        return diagnostic_at(path, text, span, glued[0])
    taken = _keyword_taken_for_a_value(token, text)
    if taken is not None:
        return diagnostic_at(path, text, taken[0], taken[1], underline=True)
    message = _message(token, expected, text, line)
    underline = token.type not in ("_NL", "$END")
    span = n.Span(line, column, line, column + len(str(token.value)))
    return diagnostic_at(path, text, span, message, underline=underline)


# --- keywords written against a name or a number -----------------------------------

_PHRASES = {
    "_AND": ("and",),
    "_OR": ("or",),
    "TEXT_OP": ("contains", "starts with", "ends with", "matches"),
    "PRESENCE": ("exists", "is missing", "is null", "is not null", "is empty"),
    "IF_MISSING": ("if missing",),
    "ENTER_WHEN": ("enter when",),
    "EXIT_WHEN": ("exit when",),
    "UNIT": tuple(
        f"{unit}{plural}"
        for unit in ("second", "minute", "hour", "day", "week", "year")
        for plural in ("s", "")
    ),
}
"""The words of the terminals that are keywords but not plain strings."""


@lru_cache(maxsize=1)
def keyword_phrases() -> dict[str, tuple[str, ...]]:
    """Every keyword of the grammar, by terminal: ``{"WHEN": ("when",), …}``."""
    found = {
        t.name: (t.pattern.value,)
        for t in _lark().terminals
        if t.pattern.type == "str" and t.pattern.value.isalpha()
    }
    return {**found, **_PHRASES}


def _glued_message(
    token: Token, expected: set[str], text: str
) -> tuple[str, int] | None:
    """``put a space after `when```, and how far into the token the space belongs,
    when the fault is a keyword written without its space.

    Either the unexpected token starts right after a keyword (``rulex "a"``,
    ``then9``) or a number (``3then``), or it is a name that begins with a
    keyword the parser wanted (``"purchase"andprofile``).
    """
    start = token.start_pos
    if token.type in ("_NL", "$END") or start is None:
        return None
    before = re.search(r"[A-Za-z0-9_]+\Z", text[max(start - 40, 0) : start])
    words = {word for phrases in keyword_phrases().values() for p in phrases
             for word in p.split()}  # fmt: skip
    if before is not None and before.group(0) in words:
        return f"put a space after `{before.group(0)}`", 0
    if before is not None and before.group(0).isdigit() and _is_keyword(token):
        return f"put a space before `{token.value}`", 0
    for terminal in sorted(expected):
        for phrase in keyword_phrases().get(terminal, ()):
            pattern = r"[ \t]+".join(map(re.escape, phrase.split()))
            found = re.compile(pattern + r"(?=[A-Za-z0-9_])").match(text, start)
            if found is not None:
                return f"put a space after `{phrase}`", found.end() - start
    return None


_TAKEN_FOR_A_VALUE = re.compile(
    r"(==|!=|<=|>=|<|>|(?<![=!<>])=|[-+*/%(\[,]"
    r"|(?<![A-Za-z0-9_.])(?:and|or|not|when|in|"
    r"contains|matches|between))(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*"
    r"(then|when|end|and|or)[ \t]*(?:#[^\n]*)?\s*$"
)
"""A keyword written where a value was due, last before the fault: the lexer
read it as a name (``event.type == then``), so the parser failed a word later."""


def _keyword_taken_for_a_value(token: Token, text: str) -> tuple[n.Span, str] | None:
    """The place and message for a condition cut short before a keyword, which
    the parser took for a value, so that it failed a token later."""
    end = len(text) if token.start_pos is None else token.start_pos
    found = _TAKEN_FOR_A_VALUE.search(text, max(end - 2000, 0), end)
    if found is None:
        return None
    start = found.start(2)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    span = n.Span(line, column, line, column + len(found.group(2)))
    return span, f"expected a value after `{found.group(1)}`, found `{found.group(2)}`"


def _bad_character(err: UnexpectedCharacters, text: str, path: str) -> Diagnostic:
    char = err.char
    if char in "\"'":
        message = (
            f"unclosed string: add the closing {char} before the end of the line "
            "(strings cannot span lines)"
        )
    elif char == "=" and text[err.pos_in_stream : err.pos_in_stream + 2] != "==":
        message = "`=` assigns a value; to compare, write `==`"
    elif char.isalpha() and not char.isascii():
        message = _non_ascii_name(text, err.pos_in_stream)
    elif char.isprintable():
        message = f"unexpected character `{char}`"
    else:
        message = f"unexpected character U+{ord(char):04X}, which rules cannot contain"
    span = n.Span(err.line, err.column, err.line, err.column + 1)
    return diagnostic_at(path, text, span, message)


def _non_ascii_name(text: str, position: int) -> str:
    """The message for a letter outside ASCII, as in ``profile.traits.été``."""
    start = end = position
    while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    if text[start - 1 : start] != ".":
        return f"unexpected character `{text[position]}`: names are ASCII"
    return (
        f"unexpected character `{text[position]}`: names in a path are ASCII "
        f'letters, digits and _; write other keys in brackets: ["{word}"]'
    )


def _end_token(text: str) -> Token:
    lines = text.rstrip("\n").split("\n")
    return Token("$END", "", line=len(lines), column=len(lines[-1]) + 1)


def _position(token: Token, text: str) -> tuple[int, int]:
    """Line and column of the fault; a newline's fault is the end of its line."""
    line = token.line or 1
    if token.type == "_NL":
        first = str(token.value).split("\n", 1)[0]
        return line, (token.column or 1) + len(first)
    if token.type == "$END":
        return line, token.column or len(source_line(text, line)) + 1
    return line, token.column or 1


def _message(token: Token, expected: set[str], text: str, line: int) -> str:
    """The words for an unexpected token, most specific case first."""
    if "END" in expected and (
        token.type in ("$END", "RULE", "SEGMENT", "JOURNEY") or _opens_form(token)
    ):
        return _missing_end(text, line, token.type == "$END")
    if token.type == "ASSIGN" and "COMPARE" in expected:
        return "`=` assigns a value; to compare, write `==`"
    presence = _presence_written_otherwise(token, text)
    if presence is not None:
        return presence
    if "THEN" in expected and token.type != "ASSIGN":
        return f"expected `then` after the condition, found {_shown(token)}"
    if {"SEND", "SET", "STOP"} <= expected and token.type == "END":
        return "expected an action after `then`, found `end`; a rule needs one"
    if {"SEND", "SET", "STOP"} <= expected and token.type not in ("_NL", "$END"):
        return _unknown_action(str(token.value))
    if expected and expected <= {"_NL", "$END"}:
        return f"unexpected {_shown(token)}; the input is complete before it"
    if expected and expected <= {"_NL", "SEMICOLON", "END"}:
        return (
            f"unexpected {_shown(token)} after the action; put each action on its "
            "own line or separate them with `;`"
        )
    words = sorted({_word(t) for t in expected if not t.startswith("__")})
    listed = ", ".join(words[:8]) + (", …" if len(words) > 8 else "")
    if token.type in ("_NL", "$END"):
        return f"this ends too early; expected {listed}"
    return f"unexpected {_shown(token)}; expected {listed}"


_NEGATED_PRESENCE = re.compile(
    r"(?:is[ \t]+not[ \t]+(empty|missing)|not[ \t]+(exists))(?![A-Za-z0-9_])"
)
_PRESENCE_INSTEAD = {
    "empty": "`is not empty` is not a test; write `not (x is empty)`",
    "missing": "`is not missing` is not a test; write `x exists`",
    "exists": "`not exists` is not a test; write `x is missing`",
}


def _presence_written_otherwise(token: Token, text: str) -> str | None:
    """The message for a negated presence test the language spells another way
    (``x is not empty``, ``x is not missing``, ``x not exists``), or None."""
    start = token.start_pos
    if start is None:
        return None
    if token.value == "exists":
        start = max(text.rfind("not", 0, start), 0)
    found = _NEGATED_PRESENCE.match(text, start)
    if found is None:
        return None
    return _PRESENCE_INSTEAD[found.group(1) or found.group(2)]


def _opens_form(token: Token) -> bool:
    return token.type == "WHEN" and token.column == 1


def _missing_end(text: str, line: int, at_end: bool) -> str:
    """The message for a rule or journey that runs into the next form or the end."""
    lines = text.split("\n")
    for number in range(min(line, len(lines)), 0, -1):
        found = _FORM_START.match(lines[number - 1])
        if found and (number != line or at_end):
            kind, name = found.group(1), found.group(2)
            if at_end:
                return (
                    f"{kind} {name} (line {number}) has no `end`; add `end` after "
                    "its last line"
                )
            return (
                f"expected `end` to close {kind} {name} (line {number}) before "
                "this; add `end` after its last line"
            )
    return "expected `end` to close the rule or journey above"


def _unknown_action(word: str) -> str:
    close = difflib.get_close_matches(word, ACTION_WORDS, n=1)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return (
        f"unknown action `{word}`{hint} (actions start with "
        + ", ".join(ACTION_WORDS[:-1])
        + f" or {ACTION_WORDS[-1]})"
    )
