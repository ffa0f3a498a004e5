"""Enrichers for ``enrich <path> from "name"``: the built-in ones and HTTP lookups.

The built-in enrichers are pure functions of one value and run while the event
is processed: ``user-agent`` (browser, OS, device type, bot flag, by the
maintained ua-parser library), ``url`` (host, path, query, utm fields) and
``email`` (domain; free-mail or business from a bundled list). Each reads the
``value`` of its ``with`` object, or a default place in the event or profile.
An HTTP enricher is a network call, so the action only queues it; the worker
makes the call and maps the JSON answer with the enricher's ``fields``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ua_parser

from tracsh.errors import UserError


class EnricherFailure(UserError):
    """An enricher could not produce a result; the profile is left unchanged."""


DEFAULT_VALUE = {
    "user-agent": ("event", "context", "user_agent"),
    "url": ("event", "context", "page", "url"),
    "email": ("profile", "pii", "email"),
}
"""Where each built-in enricher finds its value when ``with`` gives none."""

_BOT = re.compile(r"bot|crawl|spider|slurp|headless|monitor", re.IGNORECASE)
_MOBILE_OS = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Tizen"}
_DESKTOP_OS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Chrome OS"}
_UTM = ("source", "medium", "campaign", "term", "content")


def input_value(name: str, args: Mapping, context: Mapping) -> str:
    """The text a built-in enricher works on: ``with {"value": …}`` or its default."""
    if "value" in args:
        value = args["value"]
        where = "the 'value' given with 'with'"
    else:
        value = context
        for part in DEFAULT_VALUE[name]:
            value = value.get(part) if isinstance(value, Mapping) else None
        where = ".".join(DEFAULT_VALUE[name])
    if not isinstance(value, str) or not value.strip():
        raise EnricherFailure(f"{name}: {where} is missing or not text")
    return value.strip()


@functools.lru_cache(maxsize=4096)
def _parse_agent(text: str) -> tuple:
    found = ua_parser.parse(text)
    return found.user_agent, found.os, found.device


def _version(part: Any) -> str | None:
    numbers = [getattr(part, f) for f in ("major", "minor", "patch")]
    shown = [n for n in numbers if n]
    return ".".join(shown) if shown else None


def user_agent(text: str) -> dict:
    """Browser, OS and device of a User-Agent header, with its type and a bot flag."""
    agent, system, device = _parse_agent(text)
    bot = bool(device and device.family == "Spider") or bool(_BOT.search(text))
    return {
        "browser": agent.family if agent else None,
        "browser_version": _version(agent) if agent else None,
        "os": system.family if system else None,
        "os_version": _version(system) if system else None,
        "device": device.family if device else None,
        "brand": device.brand if device else None,
        "model": device.model if device else None,
        "type": _device_type(text, system, device, bot),
        "bot": bot,
    }


def _device_type(text: str, system: Any, device: Any, bot: bool) -> str:
    """bot, tablet, mobile, desktop or other."""
    family = device.family if device else ""
    system_family = system.family if system else ""
    if bot:
        return "bot"
    if "iPad" in family or "Tablet" in text or "Kindle" in text or "Silk" in text:
        return "tablet"
    if system_family == "Android" and "Mobile" not in text:
        return "tablet"
    if system_family in _MOBILE_OS or "Mobi" in text:
        return "mobile"
    if system_family in _DESKTOP_OS:
        return "desktop"
    return "other"


def url(text: str) -> dict:
    """Scheme, host, port, path, query (one value or a list per key) and utm fields."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnricherFailure(f"url: not an http(s) URL: {text[:200]!r}")
    query = {
        key: values[0] if len(values) == 1 else values
        for key, values in parse_qs(parts.query, keep_blank_values=True).items()
    }
    utm = {f: query[f"utm_{f}"] for f in _UTM if f"utm_{f}" in query}
    return {
        "scheme": parts.scheme,
        "host": parts.hostname,
        "port": parts.port,
        "path": parts.path or "/",
        "query": query,
        "fragment": parts.fragment or None,
        "utm": utm,
    }


@functools.cache
def free_mail_domains() -> frozenset[str]:
    """The bundled list of free e-mail domains."""
    text = resources.files("tracsh").joinpath("data/free-email-domains.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and x[0] != "#")


def email(text: str) -> dict:
    """The domain of an address and whether it is a free-mail or a business one."""
    local, at, domain = text.rpartition("@")
    domain = domain.strip().lower().rstrip(".")
    if not at or not local or "." not in domain or " " in domain:
        raise EnricherFailure(f"email: not an e-mail address: {text[:200]!r}")
    free = domain in free_mail_domains()
    return {"domain": domain, "free": free, "kind": "free" if free else "business"}


BUILTIN: dict[str, Callable[[str], dict]] = {
    "user-agent": user_agent,
    "url": url,
    "email": email,
}
"""The built-in enrichers by name."""


def run_builtin(name: str, args: Mapping, context: Mapping) -> dict:
    """Run a built-in enricher on its input; EnricherFailure when it cannot."""
    return BUILTIN[name](input_value(name, args, context))


def map_answer(answer: Any, fields: Mapping[str, str] | None, name: str) -> Any:
    """An HTTP enricher's result: the answer, or the fields picked out of it.

    Each field is a dotted path into the JSON answer (``data.company.name``,
    ``results.0.id``); paths that are not there are left out.
    """
    if fields is None:
        return answer
    result = {}
    for field, path in fields.items():
        found, value = _dig(answer, path)
        if found:
            result[field] = value
    if not result:
        raise EnricherFailure(
            f"enrichers.{name}: the answer has none of the fields "
            f"{', '.join(fields.values())}"
        )
    return result


def _dig(value: Any, path: str) -> tuple[bool, Any]:
    for step in path.split("."):
        if isinstance(value, Mapping) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return False, None
    return True, value
