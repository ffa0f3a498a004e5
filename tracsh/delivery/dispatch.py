"""What each kind of outbox row becomes on the wire, and which rows can go at all.

Email goes to the ``email`` channel (SMTP, or an HTTP provider); SMS and push
go to their HTTP providers; webhooks are signed JSON requests; ``enrich`` rows
are HTTP lookups whose answers the worker hands back to the engine. A row
whose channel, webhook or enricher is not configured waits in the outbox;
:meth:`Dispatcher.held` says why.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tracsh import __version__
from tracsh.config import Config, ConfigError
from tracsh.delivery.attempts import BROKEN, GONE, SENT, TRANSIENT, Result
from tracsh.delivery.enrichers import EnricherFailure, map_answer
from tracsh.delivery.mail import BadMessage, build_message, send_mail
from tracsh.delivery.secrets import delivery_secret, header_secret
from tracsh.delivery.signing import SignatureError, sign
from tracsh.delivery.templates import TemplateFailure, Templates
from tracsh.delivery.transport import Request, send_request

Endpoint = tuple[str, str | None]
"""(kind, target) for webhooks and enrichers; (kind, None) for messages."""

USER_AGENT = f"tracsh/{__version__}"


class Dispatcher:
    """Sends one claimed outbox row according to the configuration."""

    def __init__(
        self,
        config: Config,
        templates: Templates,
        client: httpx.AsyncClient,
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.templates = templates
        self.client = client
        self.clock = clock

    # Which rows can go.

    def held(self, endpoint: Endpoint, can_enrich: bool) -> str | None:
        """Why rows of ``endpoint`` wait in the outbox, or None when they can go."""
        kind, target = endpoint
        if kind in ("email", "sms", "push") and kind not in self.config.channels:
            return f"no [channels.{kind}] in the configuration"
        if kind == "webhook" and target not in self.config.webhooks:
            return f"no [webhooks.{target}] in the configuration"
        if kind == "enrich":
            if target not in self.config.enrichers:
                return f"no [enrichers.{target}] in the configuration"
            if not can_enrich:
                return "enricher answers need the engine; run with the rules loaded"
        if kind not in ("email", "sms", "push", "webhook", "enrich"):
            return f"tracsh cannot deliver outbox rows of kind {kind!r}"
        return None

    def timeout(self, endpoint: Endpoint) -> float:
        """The deadline of one attempt at ``endpoint``."""
        kind, target = endpoint
        if kind == "webhook":
            return self.config.webhooks[target].timeout
        if kind == "enrich":
            return self.config.enrichers[target].timeout
        return self.config.channels[kind].timeout

    # Sending.

    async def send(self, row: dict) -> Result:
        """One attempt at delivering ``row``; configuration faults are BROKEN.

        A 410 disables only webhooks; from a provider or an enricher it is
        another failed attempt, retried on the schedule.
        """
        try:
            if row["kind"] == "webhook":
                return await self._webhook(row)
            if row["kind"] == "enrich":
                result = await self._enrich(row)
            else:
                result = await self._message(row)
            if result.kind == GONE:
                return dataclasses.replace(result, kind=TRANSIENT)
            return result
        except (TemplateFailure, BadMessage, ConfigError, SignatureError) as err:
            return Result(BROKEN, "config", str(err))
        except EnricherFailure as err:
            return Result(BROKEN, "answer", str(err))

    async def _message(self, row: dict) -> Result:
        rendered = row.get("rendered")
        if not isinstance(rendered, dict):
            raise BadMessage(
                f"outbox {row['id']} has no rendered message (the templates "
                "directory was missing when its rule fired)"
            )
        channel = self.config.channels[row["kind"]]
        if channel.kind == "smtp":
            message = build_message(channel, row, rendered, self.clock())
            return await send_mail(channel, message)
        body = self._provider_body(channel, row, rendered)
        request = Request(
            method=channel.method,
            url=channel.url,
            where=f"channels.{channel.name}",
            timeout=channel.timeout,
            allow_private=channel.allow_private,
            headers=self._headers(channel, f"channels.{channel.name}", row),
            body=json.dumps(body).encode(),
        )
        return await send_request(self.client, request, self.clock)

    def _provider_body(self, channel, row: dict, rendered: dict) -> Any:
        """The provider's request body: the channel's JSON template, or a default."""
        context = {
            "recipient": row["recipient"],
            "message": rendered,
            "key": row["key"],
            "kind": row["kind"],
            "template": row["target"],
        }
        if channel.body:
            return self.templates.render_json(channel.body, context)
        return {"to": row["recipient"], **rendered, "key": row["key"]}

    def _headers(self, entry: Any, where: str, row: dict) -> dict[str, str]:
        """Configured headers, secret ones from the environment, and the key."""
        headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            **entry.headers,
        }
        for header, env in entry.headers_env.items():
            headers[header] = header_secret(env, f"{where}.headers_env.{header}")
        headers["Idempotency-Key"] = row["key"]
        return headers

    async def _webhook(self, row: dict) -> Result:
        hook = self.config.webhooks[row["target"]]
        rendered = row.get("rendered")
        payload = row["args"]
        if isinstance(rendered, dict) and "body" in rendered:
            payload = rendered["body"]
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = self._headers(hook, f"webhooks.{hook.name}", row)
        secret = delivery_secret(hook.secret_env, f"webhooks.{hook.name}.secret_env")
        if secret is not None:
            stamp = int(self.clock().timestamp())
            headers.update(sign(secret, row["key"], stamp, body))
        else:
            headers["webhook-id"] = row["key"]
        request = Request(
            method=hook.method,
            url=hook.url,
            where=f"webhooks.{hook.name}",
            timeout=hook.timeout,
            allow_private=hook.allow_private,
            headers=headers,
            body=body,
        )
        return await send_request(self.client, request, self.clock)

    async def _enrich(self, row: dict) -> Result:
        """Look up an HTTP enricher; the answer, mapped by its fields, is the result.

        The worker keeps the answer cache; this is the lookup itself.
        """
        enricher = self.config.enrichers[row["target"]]
        url = (row.get("rendered") or {}).get("url")
        if not url:
            raise EnricherFailure(f"outbox {row['id']} has no rendered URL")
        headers = self._headers(enricher, f"enrichers.{enricher.name}", row)
        headers.pop("Content-Type")
        request = Request(
            method=enricher.method,
            url=url,
            where=f"enrichers.{enricher.name}",
            timeout=enricher.timeout,
            allow_private=enricher.allow_private,
            headers=headers,
            want_json=True,
        )
        result = await send_request(self.client, request, self.clock)
        if result.kind != SENT:
            return result
        value = map_answer(result.answer, enricher.fields, enricher.name)
        return Result(SENT, result.status, answer=value)
