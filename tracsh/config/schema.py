"""The schema of tracsh.toml: one dataclass per section, one ``key()`` per key."""

from __future__ import annotations

import dataclasses
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

from tracsh.config.kinds import (
    BOOL,
    COUNT,
    DURATION,
    ENV,
    ENV_HEADERS,
    FIELDS,
    HEADERS,
    KEYMAP,
    METHOD,
    PATH,
    PATHS,
    PORT,
    RATE,
    REQUIRED,
    TEXT,
    URL,
    Key,
    choice,
    key,
)


@dataclass(frozen=True)
class StoreConfig:
    """Where the database lives and how hard SQLite works to keep it."""

    path: Path = key(
        PATH, "tracsh.db", "the SQLite database file (`:memory:` for none)"
    )
    synchronous: str = key(
        choice("normal", "full"),
        "normal",
        'SQLite fsync policy: "full" also survives power loss, at some speed',
    )


@dataclass(frozen=True)
class RulesConfig:
    """Where rule files and message templates are."""

    dirs: list[Path] = key(PATHS, ["rules"], "directories (or files) of `.rules` files")
    templates: Path = key(PATH, "templates", "the directory of message templates")


@dataclass(frozen=True)
class SessionConfig:
    """How visits are cut into sessions."""

    timeout: float = key(
        DURATION, "30m", "idle time after which the next event opens a new session"
    )


@dataclass(frozen=True)
class CollectorConfig:
    """Where `tracsh daemon` listens for `POST /track` and `POST /collect/...`."""

    host: str = key(TEXT, "127.0.0.1", "address to listen on")
    port: int = key(PORT, 8686, "port to listen on (0 picks a free one)")
    queue: int = key(
        COUNT,
        5000,
        "events that may wait to be processed; beyond that requests get 503",
    )


@dataclass(frozen=True)
class ConsoleConfig:
    """How `tracsh tui` looks, how much it keeps, and which keys it answers to."""

    theme: str = key(
        choice("dark", "light"), "dark", "the colour theme at start (ctrl+t switches)"
    )
    rows: int = key(COUNT, 1000, "events the live stream keeps; older ones drop off")
    refresh: float = key(
        DURATION, "1s", "how often figures are read again from the database"
    )
    speed: float = key(
        RATE, 100, "events per second `--replay` feeds when `--speed` is not given"
    )
    keys: dict[str, str] = key(
        KEYMAP,
        {},
        "key overrides by binding id (`?` in the console lists them), e.g. "
        '`"events.pause" = "space"`',
    )


@dataclass(frozen=True)
class SourceConfig:
    """An event source; the table name is its id. With none, any id is accepted."""

    id: str
    _: KW_ONLY
    enabled: bool = key(BOOL, True, "false refuses events from this source")
    token_env: str | None = key(
        ENV, None, "environment variable holding the bearer token requests must carry"
    )


@dataclass(frozen=True)
class ChannelConfig:
    """A way to send messages (email, sms, push), by SMTP or an HTTP provider."""

    name: str
    _: KW_ONLY
    kind: str = key(choice("smtp", "http"), REQUIRED, "how messages are sent")
    host: str = key(TEXT, "127.0.0.1", "SMTP server", only=("smtp",))
    port: int = key(
        PORT, 25, "SMTP port (usually 587 with starttls, 465 with ssl)", only=("smtp",)
    )
    tls: str = key(
        choice("none", "starttls", "ssl"), "none", "SMTP encryption", only=("smtp",)
    )
    sender: str = key(TEXT, REQUIRED, "the From address", toml="from", only=("smtp",))
    user_env: str | None = key(
        ENV, None, "environment variable with the SMTP user", only=("smtp",)
    )
    password_env: str | None = key(
        ENV, None, "environment variable with the SMTP password", only=("smtp",)
    )
    url: str = key(URL, REQUIRED, "the provider's endpoint", only=("http",))
    method: str = key(METHOD, "POST", "HTTP method", only=("http",))
    body: str | None = key(
        TEXT,
        None,
        "request body template under the templates directory",
        only=("http",),
    )
    headers: dict[str, str] = key(
        HEADERS, {}, "extra request headers (no secrets)", only=("http",)
    )
    headers_env: dict[str, str] = key(
        ENV_HEADERS,
        {},
        "request headers whose values come from environment variables",
        only=("http",),
    )
    allow_private: bool = key(
        BOOL,
        False,
        "true lets the URL reach loopback and private addresses",
        only=("http",),
    )
    timeout: float = key(DURATION, "10s", "how long one attempt may take, in all")


@dataclass(frozen=True)
class WebhookConfig:
    """An HTTP endpoint rules call with `call webhook "name"`."""

    name: str
    _: KW_ONLY
    url: str = key(URL, REQUIRED, "the endpoint")
    method: str = key(METHOD, "POST", "HTTP method")
    secret_env: str | None = key(
        ENV, None, "environment variable with the key that signs each request"
    )
    timeout: float = key(DURATION, "10s", "how long one attempt may take, in all")
    allow_private: bool = key(
        BOOL, False, "true lets the URL reach loopback and private addresses"
    )
    headers: dict[str, str] = key(HEADERS, {}, "extra request headers (no secrets)")
    headers_env: dict[str, str] = key(
        ENV_HEADERS, {}, "request headers whose values come from environment variables"
    )
    body: str | None = key(
        TEXT,
        None,
        "a JSON body template under the templates directory (default: the `with` "
        "object)",
    )


@dataclass(frozen=True)
class EnricherConfig:
    """A lookup that adds data to a profile, e.g. company details by email."""

    name: str
    _: KW_ONLY
    kind: str = key(choice("http"), REQUIRED, "how the lookup is made")
    url: str = key(URL, REQUIRED, "the endpoint; a template over `profile` and `event`")
    method: str = key(METHOD, "GET", "HTTP method")
    timeout: float = key(DURATION, "5s", "how long one lookup may take, in all")
    headers: dict[str, str] = key(HEADERS, {}, "extra request headers (no secrets)")
    headers_env: dict[str, str] = key(
        ENV_HEADERS, {}, "request headers whose values come from environment variables"
    )
    fields: dict[str, str] | None = key(
        FIELDS,
        None,
        "result fields and the dotted paths in the JSON answer they come from "
        "(default: the whole answer)",
    )
    ttl: float = key(DURATION, "1h", "how long an answer is cached for the same URL")
    allow_private: bool = key(
        BOOL, False, "true lets the URL reach loopback and private addresses"
    )


@dataclass(frozen=True)
class DeliveryConfig:
    """How the outbox worker sends: attempts, backoff, concurrency and limits."""

    attempts: int = key(COUNT, 8, "attempts before a delivery becomes a dead letter")
    backoff: float = key(
        DURATION, "30s", "the wait after the first failed attempt; it doubles each time"
    )
    max_backoff: float = key(
        DURATION, "6h", "the longest wait between attempts (Retry-After included)"
    )
    concurrency: int = key(COUNT, 4, "deliveries in flight at once per endpoint")
    poll: float = key(
        DURATION, "2s", "how often a running worker looks for new outbox rows"
    )
    render_timeout: float = key(
        DURATION, "1s", "the longest one template may take to render"
    )
    render_limit: int = key(
        COUNT, 262144, "the most characters one template may produce"
    )


SECTIONS: dict[str, type] = {
    "store": StoreConfig,
    "rules": RulesConfig,
    "session": SessionConfig,
    "collector": CollectorConfig,
    "delivery": DeliveryConfig,
    "console": ConsoleConfig,
}
"""Sections that appear once: ``[store]``."""

NAMED: dict[str, type] = {
    "sources": SourceConfig,
    "channels": ChannelConfig,
    "webhooks": WebhookConfig,
    "enrichers": EnricherConfig,
}
"""Sections of named tables: ``[sources.web-shop]``."""


def keys_of(section: type) -> list[tuple[str, Key]]:
    """The (attribute name, Key) pairs of a section class, in declaration order."""
    pairs = []
    for item in dataclasses.fields(section):
        entry = item.metadata.get("key")
        if entry is not None:
            pairs.append(
                (item.name, dataclasses.replace(entry, name=entry.name or item.name))
            )
    return pairs


@dataclass(frozen=True)
class Config:
    """The whole configuration, with every default filled in and paths resolved."""

    path: Path | None
    """The file it was read from; None when no file was found."""
    root: Path
    """The project directory: the file's directory, else the current one."""
    store: StoreConfig
    rules: RulesConfig
    session: SessionConfig
    collector: CollectorConfig
    delivery: DeliveryConfig
    console: ConsoleConfig
    sources: dict[str, SourceConfig]
    channels: dict[str, ChannelConfig]
    webhooks: dict[str, WebhookConfig]
    enrichers: dict[str, EnricherConfig]
