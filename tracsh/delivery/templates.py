"""Message templates: the files under templates/, how each kind is escaped, and errors.

The engine renders a message when its rule fires (so it shows the profile as it
was then) through :class:`Templates`; the delivery worker renders only the
provider request bodies (``*.json.j2``) around what was rendered then. Every
failure is a :class:`TemplateFailure` whose message names the template, the line
and what went wrong, such as the missing value's full path.

Escaping goes by kind: ``*.html.j2`` files escape HTML; ``*.json.j2`` files
write every ``{{ value }}`` as a JSON value, so any value reads back exactly;
URL templates percent-encode each value; everything else is plain text.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import FileSystemLoader, Template, TemplateNotFound
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Undefined
from jinja2.utils import missing

from tracsh.delivery.sandbox import (
    GuardedEnvironment,
    LimitExceeded,
    MissingValue,
    TemplateLimits,
    json_value,
    run_with_budget,
)
from tracsh.errors import UserError

log = logging.getLogger(__name__)

SUFFIXES = {
    "email": ".email.j2",
    "email-html": ".email.html.j2",
    "sms": ".sms.j2",
    "push": ".push.j2",
    "message": ".message.j2",
}
"""The file a message action's template name stands for, by channel
(``message`` is ``show message``: the in-app message of the /track answer)."""

HEADERS = {"email": "subject", "push": "title", "message": "title"}
"""The header line a channel's template may (email: must) start with."""

HELD = "\x00"
"""A line break inside a value while a message with a header line is rendered
(a NUL a value holds itself becomes U+FFFD: it has no place in a message)."""

INLINE = "<template>"
"""The name inline templates (log lines, URLs) go by in errors."""

_INLINE_CACHE = 512


class TemplateFailure(UserError):
    """A template could not be found, compiled or rendered; nothing was sent."""


def _url_value(value: Any) -> str:
    if isinstance(value, Undefined):
        str(value)
    return quote(value if isinstance(value, str) else json.dumps(value), safe="")


class Templates:
    """The project's templates, compiled once and rendered within limits.

    ``directory`` may be None or absent: inline templates still render, and a
    message names the missing directory in its failure.
    """

    def __init__(
        self, directory: Path | None, limits: TemplateLimits | None = None
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.limits = limits or TemplateLimits()
        loader = None
        if self.directory is not None:
            loader = FileSystemLoader(str(self.directory))
        self._files = GuardedEnvironment(
            self.limits,
            loader=loader,
            autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
            auto_reload=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._json = GuardedEnvironment(
            self.limits,
            loader=loader,
            finalize=json_value,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._headed = GuardedEnvironment(
            self.limits,
            loader=loader,
            finalize=self._hold_line_breaks,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._url = GuardedEnvironment(self.limits, finalize=_url_value)
        self._inline: dict[tuple[str, str], Template] = {}

    # What the engine and the worker call.

    def exists(self, name: str) -> bool:
        """Whether the templates directory has a file called ``name``."""
        return self.directory is not None and (self.directory / name).is_file()

    def render_message(self, channel: str, name: str, context: Mapping) -> dict:
        """The parts of a message for ``channel``: email subject, text, html; etc.

        Raises TemplateFailure when a template is missing or fails.
        """
        file = f"{name}{SUFFIXES[channel]}"
        header = HEADERS.get(channel)
        if header is None:
            message = {"text": self.render_file(file, context).strip()}
        else:
            text = self._render(self._load(self._headed, file), file, context)
            message = _split_header(text, header, file, channel)
        if channel == "email" and self.exists(f"{name}{SUFFIXES['email-html']}"):
            message["html"] = self.render_file(
                f"{name}{SUFFIXES['email-html']}", context
            )
        return message

    def render_file(self, name: str, context: Mapping) -> str:
        """A template file rendered to text (HTML-escaped for ``*.html.j2``)."""
        if name.endswith(".json.j2"):
            return json.dumps(self.render_json(name, context))
        template = self._load(self._files, name)
        return self._render(template, name, context)

    def render_json(self, name: str, context: Mapping) -> Any:
        """A ``*.json.j2`` template rendered and read back as a JSON value."""
        template = self._load(self._json, name)
        text = self._render(template, name, context)
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise TemplateFailure(
                f"{name}:{err.lineno}: the template did not make JSON: {err.msg} "
                "(write values as {{ value }} outside quotes; they are encoded)"
            ) from None

    def render_text(self, text: str, context: Mapping, where: str = INLINE) -> str:
        """An inline template (a ``log`` line) rendered as plain text.

        ``where`` names the template in errors: a configuration key such as
        ``enrichers.company.url`` stands for the whole line, without a number.
        """
        return self._render(self._compile("text", text, where), where, context)

    def text_problem(self, text: str) -> str | None:
        """Why ``text`` does not compile as an inline text template, or None."""
        try:
            self._files.from_string(text)
        except TemplateSyntaxError as err:
            return f"line {err.lineno}: {err.message}"
        return None

    def render_url(self, text: str, context: Mapping, where: str = INLINE) -> str:
        """An inline URL template; each ``{{ value }}`` is percent-encoded."""
        return self._render(self._compile("url", text, where), where, context)

    def _hold_line_breaks(self, value: Any) -> Any:
        """Finalize for templates with a header line: values cannot end that line.

        A line break inside a value is written as HELD, so the header line ends
        only where the template's own text breaks it; _split_header turns HELD
        back into a line break in the text and into a space in the header.
        """
        value = self._headed.count_output(value)
        if isinstance(value, str):
            return str.replace(str.replace(value, HELD, "\ufffd"), "\n", HELD)
        return value

    # Compiling.

    def _load(self, env: GuardedEnvironment, name: str) -> Template:
        if self.directory is None or not self.directory.is_dir():
            raise TemplateFailure(
                f"{name}: there is no templates directory ({self.directory}); "
                "create it or set rules.templates"
            )
        try:
            return env.get_template(name)
        except TemplateNotFound as err:
            missing = err.name if err.name != name else name
            raise TemplateFailure(
                f"{missing}: no such template in {self.directory}"
            ) from None
        except TemplateSyntaxError as err:
            raise TemplateFailure(_syntax_message(err, name)) from None

    def _compile(self, kind: str, text: str, where: str) -> Template:
        found = self._inline.get((kind, text))
        if found is not None:
            return found
        env = self._url if kind == "url" else self._files
        try:
            template = env.from_string(text)
        except TemplateSyntaxError as err:
            place = _inline_place(where, err.lineno)
            raise TemplateFailure(
                f"{place}: template syntax error: {err.message}"
            ) from None
        if len(self._inline) >= _INLINE_CACHE:
            self._inline.clear()
        self._inline[(kind, text)] = template
        return template

    # Rendering.

    def _render(self, template: Template, name: str, context: Mapping) -> str:
        """Render within the limits; every failure becomes a TemplateFailure."""
        try:
            return run_with_budget(
                self.limits, lambda: self._collect(template, dict(context))
            )
        except TemplateFailure:
            raise
        except Exception as err:  # whatever a template does wrong, it fails alone
            where = _where(err, template, name, self.directory)
            raise TemplateFailure(f"{where}: {_describe(err, context)}") from None

    def _collect(self, template: Template, context: dict) -> str:
        parts, size = [], 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > self.limits.characters:
                raise LimitExceeded(
                    f"the output is longer than {self.limits.characters:,} characters"
                )
            parts.append(chunk)
        return "".join(parts)


@functools.cache
def _bare() -> Templates:
    return Templates(None)


def inline_problem(text: str) -> str | None:
    """Why ``text`` (a ``log`` line) does not compile as the engine compiles it,
    or None; ``tracsh check`` reports it before any rule runs."""
    return _bare().text_problem(text)


def _split_header(text: str, header: str, name: str, channel: str) -> dict:
    """Split a ``subject:``/``title:`` first line off a rendered message.

    ``text`` was rendered with line breaks in values held (HELD): the header is
    one line of the template, and whatever a value holds stays in it, folded.
    """
    body = text.lstrip("\n")
    first, _, rest = body.partition("\n")
    label, colon, value = first.partition(":")
    if colon and label.strip().lower() == header:
        value = " ".join(value.replace(HELD, " ").split())
        if not value:
            raise TemplateFailure(f"{name}:1: the {header} is empty")
        return {header: value, "text": rest.replace(HELD, "\n").strip("\n")}
    if channel == "email":
        raise TemplateFailure(
            f"{name}:1: an email template starts with a 'subject: …' line"
        )
    return {"text": body.replace(HELD, "\n").strip()}


def _syntax_message(err: TemplateSyntaxError, name: str) -> str:
    return f"{err.name or name}:{err.lineno}: template syntax error: {err.message}"


def _where(err: BaseException, template: Template, name: str, directory) -> str:
    """``name:line`` of the deepest template line the error passed through."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == "<template>" or filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return name
    filename, line = found
    if directory is not None and filename.startswith(str(directory)):
        filename = str(Path(filename).relative_to(directory))
    elif filename == "<template>":
        return _inline_place(name, line)
    return f"{filename}:{line}"


def _inline_place(where: str, line: int | None) -> str:
    """``<template>:line`` for an unnamed inline template; else the key it is."""
    return f"{where}:{line}" if where == INLINE else where


def _describe(err: BaseException, context: Mapping) -> str:
    """What went wrong, in words, for each kind of failure."""
    if isinstance(err, MissingValue):
        return _missing(err, context)
    if isinstance(err, TemplateNotFound):
        return f"no template called {err.name!r} in the templates directory"
    if isinstance(err, LimitExceeded):
        return str(err)
    if isinstance(err, SecurityError):
        return f"not allowed in a template: {err}"
    if isinstance(err, RecursionError):
        return "the template calls or includes itself too deeply"
    if isinstance(err, MemoryError):
        return "the template ran out of memory"
    return f"{type(err).__name__}: {err}"


def _missing(err: MissingValue, context: Mapping) -> str:
    """``profile.pii.frist_name is missing``, with the path found in the context."""
    hint = " (use default(...) where it may be absent)"
    name = err.name
    if name is None:
        return f"{err}{hint}"
    if err.obj is missing:
        return f"{name} is missing{hint}"
    parent = _path_of(err.obj, context)
    if parent is None:
        return f"{name} is missing on a value of type {type(err.obj).__name__}{hint}"
    step = f".{name}" if str(name).isidentifier() else f"[{name!r}]"
    return f"{parent}{step} is missing{hint}"


def _path_of(target: Any, context: Mapping) -> str | None:
    """The dotted path under which ``target`` sits in ``context``, by identity."""
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in context.items()]
    looked = 0
    while stack and looked < 10_000:
        path, value = stack.pop()
        looked += 1
        if value is target:
            return path
        if isinstance(value, Mapping):
            stack.extend(
                (f"{path}.{k}", v)
                for k, v in value.items()
                if isinstance(v, Mapping | list)
            )
        elif isinstance(value, list):
            stack.extend(
                (f"{path}[{i}]", v)
                for i, v in enumerate(value)
                if isinstance(v, Mapping | list)
            )
    return None
