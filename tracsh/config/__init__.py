"""The project's settings: tracsh.toml, its schema, defaults and error messages.

The schema is the dataclasses of ``schema.py``: each field made with ``key()`` is
one TOML key with its type, default and a one-line description, so adding a key
is one line there; ``reference_markdown()`` turns the same table into
docs/config.md (tests/config/test_config.py checks it and rewrites it on
request). Callers import from here; behind it are ``kinds`` (value types, which
only the schema needs), ``schema`` (sections), ``loader`` (reading, errors,
secrets) and ``reference``.
"""

from tracsh.config.kinds import describe, parse_duration
from tracsh.config.loader import (
    BUILTIN_ENRICHERS,
    CHANNEL_KINDS,
    DEFAULT_FILE,
    ConfigError,
    build_config,
    load_config,
    read_secret,
)
from tracsh.config.reference import BEGIN, END, reference_markdown
from tracsh.config.schema import (
    NAMED,
    SECTIONS,
    ChannelConfig,
    CollectorConfig,
    Config,
    ConsoleConfig,
    DeliveryConfig,
    EnricherConfig,
    RulesConfig,
    SessionConfig,
    SourceConfig,
    StoreConfig,
    WebhookConfig,
    keys_of,
)

__all__ = [
    "BEGIN",
    "BUILTIN_ENRICHERS",
    "CHANNEL_KINDS",
    "DEFAULT_FILE",
    "END",
    "NAMED",
    "SECTIONS",
    "ChannelConfig",
    "CollectorConfig",
    "Config",
    "ConfigError",
    "ConsoleConfig",
    "DeliveryConfig",
    "EnricherConfig",
    "RulesConfig",
    "SessionConfig",
    "SourceConfig",
    "StoreConfig",
    "WebhookConfig",
    "build_config",
    "describe",
    "keys_of",
    "load_config",
    "parse_duration",
    "read_secret",
    "reference_markdown",
]
