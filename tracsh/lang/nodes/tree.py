"""What every syntax-tree node shares: its source span, and walking the tree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Span:
    """Where a node starts and ends in its source text (1-based, inclusive start)."""

    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0


NOSPAN = Span()


def _span() -> Span:
    return field(default=NOSPAN, compare=False, repr=False, kw_only=True)


# --- walking ------------------------------------------------------------------


def is_node(value: Any) -> bool:
    """Whether ``value`` is a syntax-tree node (every node has a span)."""
    return hasattr(value, "__dataclass_fields__") and hasattr(value, "span")


def children(node: Any) -> Iterator[Any]:
    """The nodes directly inside ``node``, in field order (object values included)."""
    for item in fields(node):
        if item.name != "span":
            yield from _nodes_in(getattr(node, item.name))


def _nodes_in(value: Any) -> Iterator[Any]:
    if is_node(value):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _nodes_in(item)


def walk(node: Any) -> Iterator[tuple[Any, int]]:
    """Every node under ``node`` (itself first) with its depth, without recursion."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        inner = list(children(current))
        stack.extend((child, depth + 1) for child in reversed(inner))
