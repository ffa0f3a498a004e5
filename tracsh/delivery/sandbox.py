"""The Jinja environment templates run in: sandboxed, strict, bounded in time and size.

Jinja's own sandbox stops templates from reaching Python internals; this module
adds what a system sending mail for a business also needs. Missing values fail
(``StrictUndefined``) with the value's name; data is data (a mapping's keys win
over its methods, and strings and lists offer only a few harmless methods); and
every way a template can make work or text grows against one budget per render:
loop steps, calls and attribute reads count against a deadline, and every
operator or filter that can multiply text checks the size it would produce
*before* producing it.
"""

from __future__ import annotations

import contextvars
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_environment, pass_eval_context
from markupsafe import Markup


@dataclass(frozen=True)
class TemplateLimits:
    """How much one render may take."""

    seconds: float = 1.0
    """Wall time for one render, compile excluded."""
    characters: int = 262_144
    """The longest text (or list) a render may produce or hold in one value."""
    steps: int = 1_000_000
    """Loop steps, calls and attribute reads in one render."""


class LimitExceeded(Exception):
    """A render went past one of its TemplateLimits."""


class MissingValue(UndefinedError):
    """A template used a value that is not there; carries where it looked."""

    def __init__(self, message: str, obj: Any, name: str | None) -> None:
        super().__init__(message)
        self.obj = obj
        self.name = name


class StrictValue(StrictUndefined):
    """StrictUndefined that says which object lacked which name when it fails."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_hint is not None:
            raise self._undefined_exception(self._undefined_hint)
        raise MissingValue(
            self._undefined_message, self._undefined_obj, self._undefined_name
        )

    __str__ = __iter__ = __len__ = __bool__ = _fail_with_undefined_error
    __eq__ = __ne__ = __hash__ = __contains__ = _fail_with_undefined_error


# --- the budget of one render -------------------------------------------------


class Budget:
    """What one render has left: a deadline and a number of steps."""

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.steps = limits.steps
        self.writes = 4 * limits.characters

    def spend(self, characters: int) -> None:
        """Count text written, to the output or to a buffer (macros, block sets)."""
        self.writes -= characters
        if self.writes < 0:
            raise LimitExceeded(
                f"the template wrote more than {4 * self.limits.characters:,} "
                "characters"
            )

    def tick(self) -> None:
        """Count one step; fail past the step limit or the deadline."""
        self.steps -= 1
        if self.steps < 0:
            raise LimitExceeded(
                f"the template took more than {self.limits.steps:,} steps"
            )
        if time.monotonic() > self.deadline:
            raise LimitExceeded(
                f"the template took longer than {self.limits.seconds:g}s to render"
            )


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "tracsh_template_budget", default=None
)


def run_with_budget(limits: TemplateLimits, render: Callable[[], Any]) -> Any:
    """Call ``render`` with a fresh budget in force for the current context."""
    token = _BUDGET.set(Budget(limits))
    try:
        return render()
    finally:
        _BUDGET.reset(token)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _spend(characters: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(characters)


def weight(value: Any, cap: int) -> int:
    """About how many characters ``value`` takes as text, counted up to ``cap``.

    Shared references count each time they appear, as they would when the value
    is written out, so nesting one list in another many times is seen.
    """
    total, stack = 0, [value]
    while stack and total <= cap:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list | tuple):
            total += len(item) + 1
            stack.extend(item)
        elif isinstance(item, Mapping):
            total += len(item) + 1
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
    return total


# --- what templates may read ---------------------------------------------------

_DATA = (str, int, float, bool, list, tuple, dict, type(None))
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        "lower upper title capitalize strip lstrip rstrip startswith endswith split"
        " isdigit isalpha".split()
    ),
    dict: frozenset({"items", "keys", "values", "get"}),
}
"""The only methods data offers; everything else on data is missing."""


def _safe_method(obj: Any, attribute: str) -> bool:
    for kind, names in _SAFE_METHODS.items():
        if isinstance(obj, kind):
            return attribute in names
    return False


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with strict values, data-first lookups and size and time limits."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, limits: TemplateLimits, **options: Any) -> None:
        options.setdefault("undefined", StrictValue)
        options.setdefault("finalize", self.count_output)
        super().__init__(optimized=False, **options)
        self.limits = limits
        self.code_generator_class = GuardedCode
        self.globals.pop("lipsum", None)
        self.filters.update(GUARDED_FILTERS)

    @staticmethod
    def spend(characters: int) -> None:
        """Count template text written (called from compiled templates)."""
        _spend(characters)

    # Lookups: mapping keys first, a few methods on data, the sandbox for the rest.

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        if isinstance(obj, _DATA) and not _safe_method(obj, attribute):
            if attribute.startswith("_"):
                return self.unsafe_undefined(obj, attribute)
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        if isinstance(obj, Mapping):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=argument)
        if isinstance(obj, _DATA) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _DATA) and not _safe_method(obj, attr):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(  # noqa: N805
        __self, __context: Any, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        _tick()
        return __self.limit_size(super().call(__context, __obj, *args, **kwargs))

    # Operators: check the size a result would have before making it.

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            self._check_repeat(left, right)
        elif operator == "**":
            self._check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            self.check_printf(left)
        return self.limit_size(self.binop_table[operator](left, right))

    def limit_size(self, value: Any) -> Any:
        """``value`` unchanged, or LimitExceeded when it is too big to keep."""
        if isinstance(value, str | list | tuple | Mapping):
            if weight(value, self.limits.characters) > self.limits.characters:
                raise LimitExceeded(self._too_long())
        return value

    def count_output(self, value: Any) -> Any:
        """The finalize step: count what ``{{ … }}`` writes, pass the value on."""
        _spend(len(value) if isinstance(value, str) else len(str(value)))
        return value

    def _too_long(self) -> str:
        return f"the template made a value longer than {self.limits.characters:,}"

    def _check_repeat(self, left: Any, right: Any) -> None:
        cap = self.limits.characters
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                if weight(sequence, cap) * max(count, 0) > cap:
                    raise LimitExceeded(self._too_long())

    def _check_power(self, left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            if abs(left) > 1 and left.bit_length() * right > 100_000:
                raise LimitExceeded("the template made a number too large to keep")

    def check_printf(self, text: str) -> None:
        """Refuse %-formats whose widths or precisions would blow up the text."""
        for match in _PRINTF.finditer(text):
            for size in match.groups():
                if size == "*" or (size and int(size) > 1000):
                    raise LimitExceeded("the template asks for a field wider than 1000")


class GuardedCode(CodeGenerator):
    """Jinja's code generator, with loops and ``~`` joins run against the budget."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, "loop_budget", [], [], None, None, lineno=loop.lineno
            )
        super().visit_Template(node, frame)

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        text = sum(len(c.data) for c in node.nodes if isinstance(c, nodes.TemplateData))
        if text:
            self.writeline(f"environment.spend({text})", node)
        super().visit_Output(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self._limited(super().visit_Concat, node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._limited(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._limited(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":
            super().visit_Tuple(node, frame)
        else:
            self._limited(super().visit_Tuple, node, frame)

    def _limited(self, visit: Callable, node: nodes.Node, frame: Frame) -> None:
        """Write the node's value wrapped in a size check."""
        self.write("environment.limit_size(")
        visit(node, frame)
        self.write(")")


# --- filters that can multiply text ---------------------------------------------


def _loop_budget(iterable: Iterable) -> Iterator:
    """Every loop step counts against the render's budget."""
    for item in iterable:
        _tick()
        yield item


def _refuse_over(env: GuardedEnvironment, size: int) -> None:
    if size > env.limits.characters:
        raise LimitExceeded(env._too_long())


@pass_environment
def _center(env, value: Any, width: int = 80) -> str:
    _refuse_over(env, int(width))
    return FILTERS["center"](value, width)


@pass_environment
def _indent(env, s: str, width: int | str = 4, first=False, blank=False) -> str:
    pad = len(width) if isinstance(width, str) else int(width)
    _refuse_over(env, len(str(s)) + pad * (str(s).count("\n") + 1))
    return FILTERS["indent"](s, width, first, blank)


@pass_environment
def _wordwrap(env, s: str, width: int = 79, *args: Any, **kwargs: Any) -> str:
    wrapstring = kwargs.get("wrapstring") or (args[1] if len(args) > 1 else "\n")
    if int(width) < 1:
        raise LimitExceeded("wordwrap needs a width of 1 or more")
    lines = len(str(s)) // int(width) + str(s).count("\n") + 1
    _refuse_over(env, len(str(s)) + len(str(wrapstring)) * lines)
    return FILTERS["wordwrap"](env, s, width, *args, **kwargs)


@pass_environment
def _format(env, value: str, *args: Any, **kwargs: Any) -> str:
    env.check_printf(str(value))
    return env.limit_size(FILTERS["format"](value, *args, **kwargs))


@pass_eval_context
def _replace(eval_ctx, s: str, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(s), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    growth = found * max(len(new) - len(old), 0)
    _refuse_over(eval_ctx.environment, len(text) + growth)
    return FILTERS["replace"](eval_ctx, s, old, new, count)


def _picked(env, value: Iterable, attribute: Any) -> list:
    """The items of ``value`` (or their ``attribute``), counted against the budget."""
    items = list(_loop_budget(value))
    if attribute is not None:
        items = list(map(make_attrgetter(env, attribute), items))
    return items


@pass_eval_context
def _join(eval_ctx, value: Iterable, d: str = "", attribute: Any = None) -> str:
    env = eval_ctx.environment
    items = _picked(env, value, attribute)
    size = sum(weight(item, env.limits.characters) for item in items)
    _refuse_over(env, size + len(str(d)) * max(len(items) - 1, 0))
    return FILTERS["join"](eval_ctx, items, d)


@pass_environment
def _sum(env, value: Iterable, attribute: Any = None, start: Any = 0) -> Any:
    items = _picked(env, value, attribute)
    if not all(isinstance(i, int | float) for i in [start, *items]):
        raise SecurityError("sum adds numbers only")
    return sum(items, start)


@pass_environment
def _batch(env, value: Iterable, linecount: int, fill_with: Any = None):
    _refuse_over(env, int(linecount))
    return FILTERS["batch"](value, linecount, fill_with)


@pass_environment
def _slice(env, value: Iterable, slices: int, fill_with: Any = None):
    _refuse_over(env, int(slices))
    return FILTERS["slice"](value, slices, fill_with)


@pass_eval_context
def _tojson(eval_ctx, value: Any, indent: int | str | None = None) -> Any:
    size = len(indent) if isinstance(indent, str) else int(indent or 0)
    if size > 16:
        raise LimitExceeded("tojson indents by 16 at most")
    return eval_ctx.environment.limit_size(FILTERS["tojson"](eval_ctx, value, indent))


def _shortened(name: str) -> Callable:
    """A filter whose regular expressions may take long on long text."""
    original = FILTERS[name]

    def guarded(*args: Any, **kwargs: Any) -> Any:
        text = args[1] if name == "urlize" else args[0]
        if len(str(text)) > 20_000:
            raise LimitExceeded(f"{name} takes text of 20,000 characters at most")
        return original(*args, **kwargs)

    if hasattr(original, "jinja_pass_arg"):
        guarded.jinja_pass_arg = original.jinja_pass_arg
    return guarded


GUARDED_FILTERS: dict[str, Callable] = {
    "loop_budget": _loop_budget,
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "replace": _replace,
    "join": _join,
    "sum": _sum,
    "batch": _batch,
    "slice": _slice,
    "tojson": _tojson,
    "striptags": _shortened("striptags"),
    "urlize": _shortened("urlize"),
}
"""Replacements for the built-in filters whose output can outgrow their input."""


# --- escaping by kind of output ---------------------------------------------------


def json_value(value: Any) -> str:
    """How ``{{ value }}`` is written in a JSON template: as a JSON value.

    ASCII escapes keep every string, lone surrogates included, readable back
    exactly; Markup (from ``tojson`` or ``safe``) is the author's own JSON text.
    """
    if isinstance(value, Undefined):
        str(value)
    if isinstance(value, Markup):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise SecurityError(
            f"cannot write a {type(value).__name__} as JSON: {err}"
        ) from None
