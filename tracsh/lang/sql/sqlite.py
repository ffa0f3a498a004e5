"""The SQLite back end: the intermediate form as SQLite text with parameters.

Fields become ``json_type``/``json_extract``/``->`` over the root's column, with
the JSON path written as a literal so an expression index on
``json_extract(doc, '$.pii.email')`` serves the query. User values are always
numbered parameters (``?1``, ``?2``…). The functions of form.FUNCTIONS that
SQLite lacks are the Python ones of functions.py, registered by
``install_functions``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tracsh.lang.sql import form as f
from tracsh.lang.sql.functions import NAMES

_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def quote(text: str) -> str:
    """An SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def nameable(key: str) -> bool:
    """Whether a JSON path can name ``key`` in a document as the store writes it.

    SQLite (3.40 here) matches a quoted path key against the key's JSON text
    as written, escapes included, and ends the key at the first ``"``. The store
    writes every character of a key as itself except ``"``, ``\\`` and the
    controls below U+0020, so keys holding those have no path that finds them;
    lower.py reads them through the bridge instead.
    """
    return not any(ch in '"\\' or ch < " " for ch in key)


def json_path(parts: tuple[str | int, ...]) -> str:
    """A SQLite JSON path for ``parts``: ``$.pii.email``, ``$.items[0]."order id"``.

    Keys that are not plain names are double-quoted. A key that is not
    ``nameable`` raises ValueError: any path written for it would find nothing.
    """
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not nameable(part):
            raise ValueError(f"no SQLite JSON path names the key {part!r}")
        elif part.isascii() and part.isidentifier():
            text += f".{part}"
        else:
            text += f'."{part}"'
    return text


class SqliteWriter:
    """Writes intermediate-form nodes as SQLite; collects the parameters."""

    def __init__(self, columns: dict[str, str], first: int = 1) -> None:
        self.columns = columns
        self.first = first
        """The number of the first parameter (``?first``)."""
        self.params: list[Any] = []
        self.aliases = itertools.count(1)
        self.element: tuple[str, str] | None = None
        """Inside AnyElement: the json_each alias and the array's column."""

    def write(self, node: Any) -> str:
        """The SQL text of one node."""
        method = getattr(self, f"write_{type(node).__name__}")
        return method(node)

    def path(self, root: str, parts: tuple[str | int, ...]) -> tuple[str, str]:
        """The column of ``root`` and the quoted JSON path."""
        return self.columns[root], quote(json_path(parts))

    # --- leaves ---------------------------------------------------------------

    def write_Param(self, node: f.Param) -> str:
        # Numbered, so a written operand can appear twice in the text.
        self.params.append(node.value)
        return f"?{self.first + len(self.params) - 1}"

    def write_Const(self, node: f.Const) -> str:
        if node.value is None:
            return "NULL"
        if isinstance(node.value, int):
            return str(node.value)
        return quote(node.value)

    def write_FieldType(self, node: f.FieldType) -> str:
        return "json_type({}, {})".format(*self.path(node.root, node.parts))

    def write_FieldValue(self, node: f.FieldValue) -> str:
        return "json_extract({}, {})".format(*self.path(node.root, node.parts))

    def write_FieldJson(self, node: f.FieldJson) -> str:
        return "({} -> {})".format(*self.path(node.root, node.parts))

    def write_ElementType(self, node: f.ElementType) -> str:
        return f"{self.current()[0]}.type"

    def write_ElementValue(self, node: f.ElementValue) -> str:
        return f"{self.current()[0]}.value"

    def write_ElementJson(self, node: f.ElementJson) -> str:
        alias, column = self.current()
        return f"({column} -> {alias}.fullkey)"

    def current(self) -> tuple[str, str]:
        """The element being tested; only inside AnyElement."""
        if self.element is None:
            raise ValueError("an array element is only readable inside AnyElement")
        return self.element

    # --- logic and comparison -------------------------------------------------

    def write_Compare(self, node: f.Compare) -> str:
        return f"({self.write(node.left)} {_OPS[node.op]} {self.write(node.right)})"

    def write_Same(self, node: f.Same) -> str:
        return f"({self.write(node.left)} IS {self.write(node.right)})"

    def write_IsNull(self, node: f.IsNull) -> str:
        test = "IS NOT NULL" if node.negated else "IS NULL"
        return f"({self.write(node.operand)} {test})"

    def write_OneOf(self, node: f.OneOf) -> str:
        options = ", ".join(self.write(option) for option in node.options)
        return f"({self.write(node.operand)} IN ({options}))"

    def write_AllOf(self, node: f.AllOf) -> str:
        return "(" + " AND ".join(self.write(item) for item in node.items) + ")"

    def write_AnyOf(self, node: f.AnyOf) -> str:
        return "(" + " OR ".join(self.write(item) for item in node.items) + ")"

    def write_Negate(self, node: f.Negate) -> str:
        return f"(NOT {self.write(node.operand)})"

    def write_When(self, node: f.When) -> str:
        cases = " ".join(
            f"WHEN {self.write(test)} THEN {self.write(value)}"
            for test, value in node.cases
        )
        return f"(CASE {cases} ELSE {self.write(node.otherwise)} END)"

    # --- functions and arrays -------------------------------------------------

    def write_Call(self, node: f.Call) -> str:
        if node.function == "text_ends":
            return self.ends_with(*node.args)
        args = [self.write(arg) for arg in node.args]
        if node.function == "text_contains":
            return f"(instr({args[0]}, {args[1]}) > 0)"
        if node.function == "text_starts":
            return f"(instr({args[0]}, {args[1]}) = 1)"
        if node.function == "lossy_integer":
            return f"({args[0]} = 'integer' AND typeof({args[1]}) = 'real')"
        return f"{NAMES[node.function]}({', '.join(args)})"

    def ends_with(self, whole: Any, end: Any) -> str:
        """Byte-wise suffix test, the same as a character suffix test in UTF-8."""
        whole_bytes = f"CAST({self.write(whole)} AS BLOB)"
        end_bytes = f"CAST({self.write(end)} AS BLOB)"
        start = f"length({whole_bytes}) - length({end_bytes}) + 1"
        return (
            f"(length({whole_bytes}) >= length({end_bytes}) "
            f"AND substr({whole_bytes}, {start}) = {end_bytes})"
        )

    def write_AnyElement(self, node: f.AnyElement) -> str:
        column, path = self.path(node.root, node.parts)
        with self.inside(f"e{next(self.aliases)}", column) as alias:
            test = self.write(node.test)
        return (
            "(SELECT CASE WHEN max(t) = 1 THEN 1 WHEN count(*) > count(t) THEN NULL "
            f"ELSE 0 END FROM (SELECT {test} AS t FROM json_each({column}, {path}) "
            f"AS {alias}))"
        )

    @contextmanager
    def inside(self, alias: str, column: str) -> Iterator[str]:
        """Make ``alias`` the element that Element nodes read."""
        outer, self.element = self.element, (alias, column)
        try:
            yield alias
        finally:
            self.element = outer

    def write_HasText(self, node: f.HasText) -> str:
        column, path = self.path(node.root, node.parts)
        exact = self.has_element(column, path, node.text)
        needle = _needle(node.text.value)
        if needle is None:
            array = f"json_type({column}, {path}) = 'array'"
            return f"(CASE WHEN {array} THEN {exact} ELSE 0 END)"
        # A document holding the text as an element holds it quoted; a plain
        # substring search skips the others before any JSON is parsed.
        quoted = self.write(f.Param(needle, "text"))
        flat = self.flat_elements(column, path, needle, exact, f.FALSE)
        return (
            f"(instr({column}, {quoted}) > 0 AND CASE WHEN json_type({column}, "
            f"{path}) = 'array' THEN {flat} ELSE 0 END)"
        )

    def write_HasElementText(self, node: f.HasElementText) -> str:
        column, path = self.path(node.root, node.parts)
        needle = _needle(node.text.value)
        if needle is None:
            return self.write(node.general)
        return self.flat_elements(column, path, needle, node.general, None)

    def flat_elements(
        self, column: str, path: str, needle: str, general: Any, nulls: Any
    ) -> str:
        """Whether an element of the array is the text, read from its JSON text.

        In the text of an array holding no arrays or objects, with ``[`` and
        ``]`` turned into commas, ``,"x",`` occurs exactly when an element is
        the text x (inside a string a quote is always escaped), and ``,null,``
        occurs whenever an element is null. Arrays that nest, and arrays with
        ``,null,`` somewhere when that matters (``nulls`` None), go to
        ``general``, written as given (a node, or SQL text).
        """
        array = f"json_extract({column}, {path})"
        listed = f"(',' || substr({array}, 2, length({array}) - 2) || ',')"
        flat = f"instr(substr({array}, 2), '[') = 0 AND instr({array}, '{{') = 0"
        bounded = self.write(f.Param(f",{needle},", "text"))
        fallback = general if isinstance(general, str) else self.write(general)
        if nulls is not None:
            return (
                f"(CASE WHEN NOT ({flat}) THEN {fallback} "
                f"ELSE instr({listed}, {bounded}) > 0 END)"
            )
        return (
            f"(CASE WHEN NOT ({flat}) THEN {fallback} "
            f"WHEN instr({listed}, {bounded}) > 0 THEN 1 "
            f"WHEN instr({listed}, ',null,') = 0 THEN 0 ELSE {fallback} END)"
        )

    def has_element(self, column: str, path: str, text: f.Param) -> str:
        """EXISTS over json_each: an element of the array is the text."""
        alias = f"e{next(self.aliases)}"
        return (
            f"EXISTS (SELECT 1 FROM json_each({column}, {path}) AS {alias} "
            f"WHERE {alias}.type = 'text' AND {alias}.value = {self.write(text)})"
        )


def _needle(text: str) -> str | None:
    """``text`` as it appears quoted in any JSON encoding, or None when encodings
    may differ (anything but printable ASCII without quotes and backslashes)."""
    if all(" " <= ch <= "~" and ch not in '"\\' for ch in text):
        return f'"{text}"'
    return None


def write_sqlite(
    node: Any, columns: dict[str, str], first: int = 1
) -> tuple[str, list[Any]]:
    """The SQLite text of ``node`` and its parameters, numbered from ``first``."""
    writer = SqliteWriter(columns, first)
    return writer.write(node), writer.params
