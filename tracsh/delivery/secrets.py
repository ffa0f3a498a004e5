"""The secrets delivery reads from environment variables, refused when unset or empty.

Webhook signing keys (``secret_env``), SMTP credentials (``user_env``,
``password_env``) and provider or enricher headers (``headers_env``) all come
through :func:`delivery_secret`. A variable that is set but empty (or only
blank) is a configuration mistake, never a key or a credential: signing with
an empty HMAC key, or logging in with an empty password, would look like it
works while protecting nothing.
"""

from __future__ import annotations

from tracsh.config import ConfigError, read_secret


def delivery_secret(env: str | None, where: str) -> str | None:
    """The value of the variable ``env`` names; None when ``env`` is None.

    ``where`` is the key that names the variable (``webhooks.crm.secret_env``).
    An unset, empty or blank variable is a ConfigError naming both.
    """
    return read_secret(env, where)


def header_secret(env: str, where: str) -> str:
    """A header value from the environment: set, not empty, and one line."""
    value = delivery_secret(env, where) or ""
    if any(_is_control(c) for c in value):
        raise ConfigError(
            f"{where}: environment variable {env} holds a line break or control "
            "character, which a header value cannot carry"
        )
    return value


def _is_control(character: str) -> bool:
    return character != "\t" and (ord(character) < 32 or ord(character) == 127)
