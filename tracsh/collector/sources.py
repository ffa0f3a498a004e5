"""Which event sources may send events, and the bearer tokens some of them need.

Built from ``[sources.*]`` in tracsh.toml when the daemon starts; tokens are
read from their environment variables then, so a missing variable stops the
start instead of refusing every request later. With no sources configured,
every source id is accepted (and the daemon warns about it).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracsh.collector.errors import ClientError
from tracsh.config import SourceConfig, read_secret

log = logging.getLogger(__name__)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tracsh"'}


@dataclass(frozen=True)
class Gate:
    """The rule a source id must pass: known, enabled, and carrying its token."""

    open: bool
    """True when no source is configured: any id passes."""
    enabled: frozenset[str]
    disabled: frozenset[str]
    tokens: Mapping[str, bytes]
    """The token each source requires, by source id."""

    def check(self, source_ids: Iterable[str], authorization: str | None) -> None:
        """Raise a 401 ClientError unless every id may send with this header."""
        for source_id in sorted(set(source_ids)):
            self._check_one(source_id, authorization)

    def _check_one(self, source_id: str, authorization: str | None) -> None:
        if self.open:
            return
        if source_id in self.disabled:
            raise _refused(f"source {source_id!r} is disabled", "disabled_source")
        if source_id not in self.enabled:
            raise _refused(f"unknown source {source_id!r}", "unknown_source")
        token = self.tokens.get(source_id)
        if token is None:
            return
        given = bearer(authorization)
        if given is None:
            raise _refused(
                f"source {source_id!r} requires an Authorization: Bearer token",
                "missing_token",
            )
        # Headers arrive decoded as Latin-1: that gives back the bytes sent,
        # which are compared with the token's UTF-8 bytes.
        if not hmac.compare_digest(given.encode("latin-1"), token):
            raise _refused(f"wrong bearer token for source {source_id!r}", "bad_token")


def _refused(message: str, reason: str) -> ClientError:
    return ClientError(401, message, reason=reason, headers=_CHALLENGE)


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def build_gate(sources: Mapping[str, SourceConfig]) -> Gate:
    """The Gate for the configured sources; ConfigError when a token is not set."""
    if not sources:
        log.warning(
            "no [sources.*] in the configuration: events from any source id are "
            "accepted; configure sources to refuse unknown ones"
        )
    tokens = {}
    for source in sources.values():
        if source.enabled and source.token_env is not None:
            where = f"sources.{source.id}.token_env"
            tokens[source.id] = read_secret(source.token_env, where).encode()
    return Gate(
        open=not sources,
        enabled=frozenset(s.id for s in sources.values() if s.enabled),
        disabled=frozenset(s.id for s in sources.values() if not s.enabled),
        tokens=tokens,
    )
