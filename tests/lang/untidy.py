"""An untidy printer: valid source text for generated nodes, laid out at random.

The formatter's property tests feed it the conditions and values of
strategies.py; it adds parentheses, odd spacing, the other quote character,
short durations, line breaks after operators and comments, all of which must
parse and all of which ``tracsh fmt`` must tidy away without changing a node.
"""

from __future__ import annotations

import random
from typing import Any

from tracsh.lang import nodes as n
from tracsh.lang import printer
from tracsh.lang.values import INT_LIMIT


def writable(node: Any) -> bool:
    """Whether every number in ``node`` can be written in a rule file.

    The strategies also make integers past 64 bits, which only documents can
    hold: the parser refuses them as literals.
    """
    return all(
        not (isinstance(item, n.Literal) and type(item.value) is int)
        or abs(item.value) <= INT_LIMIT
        for item, _depth in n.walk(node)
    )


def _space(rng: random.Random) -> str:
    return rng.choice([" ", " ", " ", "  ", "\t"])


def _after_operator(rng: random.Random) -> str:
    """What may follow an operator: the post-lexer drops a newline there."""
    return rng.choice([" ", " ", "  ", "\n    ", "  # why\n  "])


def _quoted(text: str, rng: random.Random) -> str:
    shown = printer.string(text)
    if rng.random() < 0.5 or "\\" in text:
        return shown
    other = "'" if shown[0] == '"' else '"'
    if other in text:
        return shown
    body = shown[1:-1].replace("\\" + shown[0], shown[0])
    return other + body + other


def _wrap(text: str, rng: random.Random) -> str:
    return f"({text})" if rng.random() < 0.15 else text


def untidy_value(node: Any, rng: random.Random) -> str:
    """A value expression as an untidy author might write it."""
    if isinstance(node, n.Literal) and isinstance(node.value, str):
        return _quoted(node.value, rng)
    if isinstance(node, n.Duration):
        return _duration(node, rng)
    if isinstance(node, n.Arith):
        left = _operand(node.left, rng, node.op in "*/%", right=False)
        right = _operand(node.right, rng, node.op in "*/%", right=True)
        return f"{left}{_space(rng)}{node.op}{_after_operator(rng)}{right}"
    if isinstance(node, n.Neg):
        return "-(" + untidy_value(node.operand, rng) + ")"
    if isinstance(node, n.Call):
        args = f",{_after_operator(rng)}".join(untidy_value(a, rng) for a in node.args)
        return f"{node.name}({args})"
    if isinstance(node, n.ListExpr):
        items = [untidy_value(item, rng) for item in node.items]
        tail = "," if items and rng.random() < 0.3 else ""
        return "[" + ",\n ".join(items) + tail + "]"
    if isinstance(node, n.ObjectExpr):
        pairs = [f"{_quoted(k, rng)}:{untidy_value(v, rng)}" for k, v in node.pairs]
        return "{\n  " + ", ".join(pairs) + "}"
    return printer.text(node)


def _operand(node: Any, rng: random.Random, product: bool, right: bool) -> str:
    """An arithmetic operand, in parentheses where the grouping needs them."""
    needs = printer.PRODUCT if product else printer.SUM
    if right:
        needs += 1
    text = untidy_value(node, rng)
    if printer.strength(node) < needs or rng.random() < 0.1:
        return f"({text})"
    return text


def _duration(node: n.Duration, rng: random.Random) -> str:
    if rng.random() < 0.5 and node.amount >= 0:
        short = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}
        return f"{printer.number(node.amount)}{short[node.unit]}"
    return printer.duration(node)


def untidy_condition(node: Any, rng: random.Random) -> str:
    """A condition as an untidy author might write it."""
    if isinstance(node, (n.And, n.Or)):
        word = "and" if isinstance(node, n.And) else "or"
        parts = [_item(item, rng) for item in node.items]
        joiner = rng.choice([f" {word} ", f"\n  {word} ", f"  {word}\n   "])
        return joiner.join(parts)
    if isinstance(node, n.Not):
        return "not " + _wrap_always(untidy_condition(node.operand, rng))
    if isinstance(node, n.Compare):
        left, right = _test_side(node.left, rng), _test_side(node.right, rng)
        return f"{left}{_space(rng)}{node.op}{_after_operator(rng)}{right}"
    if isinstance(node, n.Truthy):
        return _wrap(_test_side(node.operand, rng), rng)
    return _wrap(printer.text(node), rng)


def _item(node: Any, rng: random.Random) -> str:
    text = untidy_condition(node, rng)
    if isinstance(node, (n.And, n.Or)) or rng.random() < 0.2:
        return f"({text})"
    return text


def _wrap_always(text: str) -> str:
    return f"({text})"


def _test_side(node: Any, rng: random.Random) -> str:
    text = untidy_value(node, rng)
    if printer.strength(node) < printer.SUM:
        return f"({text})"
    return _wrap(text, rng)
