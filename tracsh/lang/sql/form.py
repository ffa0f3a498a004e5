"""The typed intermediate form conditions take on their way to SQL.

``lower.py`` turns a condition into these nodes; a back end per dialect
(``sqlite.py`` today) writes them as SQL text with parameters. The nodes say
what is meant (the JSON type of a field, a comparison, a text prefix test),
not how one dialect spells it, so a PostgreSQL back end can write ``jsonb``
operators where SQLite writes ``json_extract``. Every node has a ``type``:

- ``truth``: 1, 0 or NULL, SQL's three-valued logic, which is the language's;
- ``tag``: a JSON type name (``null``, ``true``, ``false``, ``integer``,
  ``real``, ``text``, ``array``, ``object``), or NULL for a missing field;
- ``number``, ``text``, ``json`` (JSON text), ``time`` (integer microseconds
  since 1970 UTC), or ``scalar`` (whatever the field holds, as the dialect reads
  JSON scalars).

User values only ever appear as :class:`Param`; :class:`Const` holds tracsh's
own constants (type names, 0 and 1), which a back end may write inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TAGS = ("null", "true", "false", "integer", "real", "text", "array", "object")
"""The JSON type names a ``tag`` node yields (SQLite's json_type vocabulary)."""


@dataclass(frozen=True)
class Param:
    """A user value bound as a query parameter; ``type`` says what it is."""

    value: Any
    type: str


@dataclass(frozen=True)
class Const:
    """A constant of tracsh's own: a type name, 0, 1 or NULL (None)."""

    value: str | int | None
    type: str = "truth"


@dataclass(frozen=True)
class FieldType:
    """The JSON type name of the value at ``parts`` in a root document."""

    root: str
    parts: tuple[str | int, ...]
    type: str = "tag"


@dataclass(frozen=True)
class FieldValue:
    """The value at ``parts`` as a SQL scalar (numbers, text, 1/0, JSON text)."""

    root: str
    parts: tuple[str | int, ...]
    type: str = "scalar"


@dataclass(frozen=True)
class FieldJson:
    """The value at ``parts`` as JSON text, exactly as stored; NULL when missing."""

    root: str
    parts: tuple[str | int, ...]
    type: str = "json"


@dataclass(frozen=True)
class ElementType:
    """Inside :class:`AnyElement`: the JSON type name of the current element."""

    type: str = "tag"


@dataclass(frozen=True)
class ElementValue:
    """Inside :class:`AnyElement`: the current element as a SQL scalar."""

    type: str = "scalar"


@dataclass(frozen=True)
class ElementJson:
    """Inside :class:`AnyElement`: the current element as JSON text."""

    type: str = "json"


@dataclass(frozen=True)
class Compare:
    """``left op right`` with SQL's comparison (NULL when a side is NULL)."""

    op: str
    left: Any
    right: Any
    type: str = "truth"


@dataclass(frozen=True)
class Same:
    """Null-safe equality: 1 when both sides are equal or both NULL, else 0."""

    left: Any
    right: Any
    type: str = "truth"


@dataclass(frozen=True)
class IsNull:
    """1 when ``operand`` is NULL, else 0 (``negated``: the other way round)."""

    operand: Any
    negated: bool = False
    type: str = "truth"


@dataclass(frozen=True)
class OneOf:
    """``operand IN (options…)`` over constants (type names)."""

    operand: Any
    options: tuple[Const, ...]
    type: str = "truth"


@dataclass(frozen=True)
class AllOf:
    """Three-valued ``and`` of two or more truths."""

    items: tuple[Any, ...]
    type: str = "truth"


@dataclass(frozen=True)
class AnyOf:
    """Three-valued ``or`` of two or more truths."""

    items: tuple[Any, ...]
    type: str = "truth"


@dataclass(frozen=True)
class Negate:
    """Three-valued ``not``."""

    operand: Any
    type: str = "truth"


@dataclass(frozen=True)
class When:
    """``CASE WHEN c1 THEN v1 … ELSE otherwise END``: the first true case wins."""

    cases: tuple[tuple[Any, Any], ...]
    otherwise: Any
    type: str = "truth"


@dataclass(frozen=True)
class Call:
    """A function of the language's meaning, which each back end provides.

    ``function`` is one of FUNCTIONS; ``args`` are nodes.
    """

    function: str
    args: tuple[Any, ...]
    type: str = "truth"


FUNCTIONS = {
    "time_of": "ISO-8601 text as a time (microseconds), NULL when it is not one",
    "matches": "whole-text regular expression match (Python re.fullmatch)",
    "same_json": "deep equality of two JSON texts, as the language's ==",
    "compare_json": "the language's comparison of two JSON texts (exact numbers)",
    "text_contains": "whether the second text occurs in the first",
    "text_starts": "whether the first text starts with the second",
    "text_ends": "whether the first text ends with the second",
    "lossy_integer": "whether a JSON integer was read inexactly (beyond 64 bits)",
    "test": "a test the back end cannot write, run by the language's own code",
}
"""The calls :class:`Call` may name, with what each means."""


@dataclass(frozen=True)
class AnyElement:
    """The three-valued ``or`` of ``test`` over the elements of a JSON array.

    ``test`` reads the current element through ElementType, ElementValue and
    ElementJson. True when some element gives true; otherwise unknown when some
    element gives unknown; otherwise (an empty array too) false. The caller
    makes sure the field holds an array.
    """

    root: str
    parts: tuple[str | int, ...]
    test: Any
    type: str = "truth"


@dataclass(frozen=True)
class HasElementText:
    """``AnyElement`` of "the element == text": a form a back end may shortcut.

    The same three-valued answer as ``general`` (1 when an element is the text;
    otherwise unknown when an element is null; otherwise 0), for a field the
    caller made sure holds an array.
    """

    root: str
    parts: tuple[str | int, ...]
    text: Param
    general: AnyElement
    type: str = "truth"


@dataclass(frozen=True)
class HasText:
    """1 when the field is an array holding the text ``text``, else 0."""

    root: str
    parts: tuple[str | int, ...]
    text: Param
    type: str = "truth"


TRUE = Const(1)
FALSE = Const(0)
UNKNOWN = Const(None)
