"""The function registry: each function's name, arity, help line and implementation.

The checker reads the registry to refuse unknown names and wrong argument
counts at load time; both evaluators call ``Function.run``; the REPL completes
and documents functions from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracsh.lang import values
from tracsh.lang.scope import MISSING, Report


@dataclass(frozen=True)
class Function:
    """A function rules can call."""

    name: str
    min_args: int
    max_args: int
    help: str
    run: Callable[..., Any]
    """``run(report, now, *args)``; never raises for a value it is given."""

    def arity(self) -> str:
        """The accepted argument count in words, for error messages."""
        if self.max_args < 0:
            return f"{self.min_args} or more arguments"
        if self.min_args == self.max_args:
            plural = "" if self.min_args == 1 else "s"
            return f"{self.min_args} argument{plural}"
        joiner = "or" if self.max_args == self.min_args + 1 else "to"
        return f"{self.min_args} {joiner} {self.max_args} arguments"

    def accepts(self, count: int) -> bool:
        """Whether ``count`` arguments are allowed."""
        return count >= self.min_args and (self.max_args < 0 or count <= self.max_args)


def _text_only(name: str, change: Callable[[str], Any]) -> Callable[..., Any]:
    def run(report: Report, now: datetime, value: Any) -> Any:
        if values.absent(value):
            return MISSING
        if not isinstance(value, str):
            report.warn(f"{name}() needs text, got a {values.kind(value)}")
            return MISSING
        return change(value)

    return run


def _len(report: Report, now: datetime, value: Any) -> Any:
    if values.absent(value):
        return MISSING
    if isinstance(value, (str, list, dict)):
        return len(value)
    report.warn(f"len() needs text, a list or an object, got a {values.kind(value)}")
    return MISSING


def _since(unit_seconds: int, name: str) -> Callable[..., Any]:
    def run(report: Report, now: datetime, value: Any) -> Any:
        if values.absent(value):
            return MISSING
        moment = values.as_time(value, report, f"{name}()")
        if moment is MISSING:
            return MISSING
        return (now - moment).total_seconds() / unit_seconds

    return run


def _coalesce(report: Report, now: datetime, *args: Any) -> Any:
    for value in args:
        if not values.absent(value):
            return value
    return MISSING


def _round(report: Report, now: datetime, value: Any, places: Any = 0) -> Any:
    return values.round_half_up(value, places, report)


def _one(convert: Callable[[Any, Report], Any]) -> Callable[..., Any]:
    def run(report: Report, now: datetime, value: Any) -> Any:
        return convert(value, report)

    return run


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("lower", 1, 1, "text in lower case", _text_only("lower", str.lower)),
        Function("upper", 1, 1, "text in upper case", _text_only("upper", str.upper)),
        Function(
            "trim",
            1,
            1,
            "text without surrounding spaces",
            _text_only("trim", str.strip),
        ),
        Function("len", 1, 1, "length of text, list or object", _len),
        Function(
            "number", 1, 1, "text to a number, explicitly", _one(values.to_number)
        ),
        Function("text", 1, 1, "any value as text", _one(values.to_text)),
        Function(
            "date",
            1,
            1,
            "ISO-8601 text or epoch seconds to a time",
            _one(values.to_time),
        ),
        Function(
            "datetime",
            1,
            1,
            "ISO-8601 text to a time (same as date)",
            _one(values.to_time),
        ),
        Function(
            "days_since",
            1,
            1,
            "days from a time until now",
            _since(86400, "days_since"),
        ),
        Function(
            "hours_since",
            1,
            1,
            "hours from a time until now",
            _since(3600, "hours_since"),
        ),
        Function("coalesce", 1, -1, "the first argument that has a value", _coalesce),
        Function("round", 1, 2, "round half away from zero to n places", _round),
    )
}
"""Every function by name."""


def call(name: str, report: Report, now: datetime, args: list[Any]) -> Any:
    """Run function ``name`` (known to exist; the checker made sure)."""
    return FUNCTIONS[name].run(report, now, *args)
