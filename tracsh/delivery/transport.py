"""One HTTP request of a delivery: address check, total deadline, and what it means.

Webhooks, SMS and push providers and HTTP enrichers all go through
:func:`send_request` on the worker's shared ``httpx.AsyncClient``. Redirects
are not followed (a redirect is a failed attempt), the whole exchange, answer
included, must finish within the endpoint's timeout (a server that trickles
bytes cannot hold a delivery past it), and at most ``MAX_ANSWER`` bytes of the
answer are read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from tracsh.delivery.attempts import (
    BROKEN,
    GONE,
    SENT,
    TRANSIENT,
    Result,
    retry_after,
)
from tracsh.delivery.guards import AddressRefused, check_target

log = logging.getLogger(__name__)

MAX_ANSWER = 1 << 20
"""The most bytes of an answer that are read (enrichers parse it as JSON)."""


@dataclass(frozen=True)
class Request:
    """An HTTP request to make for one delivery."""

    method: str
    url: str
    where: str
    """The configuration entry it comes from, e.g. "webhooks.crm"."""
    timeout: float
    """Seconds the whole exchange may take."""
    allow_private: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    want_json: bool = False
    """Parse the answer as JSON into Result.answer (enrichers)."""


def new_client() -> httpx.AsyncClient:
    """The client the worker shares: no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


async def send_request(
    client: httpx.AsyncClient, request: Request, now: Callable[[], datetime]
) -> Result:
    """Make ``request`` and say what came of it; never raises for the network."""
    try:
        target = await check_target(request.url, request.allow_private, request.where)
    except AddressRefused as err:
        return Result(BROKEN, "refused", str(err))
    except OSError as err:
        return Result(TRANSIENT, "dns", str(err))
    headers = {**request.headers, "Host": target.host}
    try:
        async with asyncio.timeout(request.timeout):
            return await _exchange(client, request, target, headers, now)
    except TimeoutError:
        return Result(
            TRANSIENT, "timeout", f"no complete answer within {request.timeout:g}s"
        )
    except httpx.TimeoutException:
        return Result(TRANSIENT, "timeout", f"timed out talking to {target.host}")
    except httpx.HTTPError as err:
        return Result(TRANSIENT, "network", f"{type(err).__name__}: {err}")


async def _exchange(client, request: Request, target, headers, now) -> Result:
    timeout = httpx.Timeout(request.timeout)
    async with client.stream(
        request.method,
        target.url,
        headers=headers,
        content=request.body,
        timeout=timeout,
        extensions={"sni_hostname": target.server_name},
    ) as response:
        body = await _read_limited(response)
    return _meaning(response, body, request, now())


async def _read_limited(response: httpx.Response) -> bytes:
    parts, size = [], 0
    async for chunk in response.aiter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER:
            break
    return b"".join(parts)[:MAX_ANSWER]


def _meaning(
    response: httpx.Response, body: bytes, request: Request, now: datetime
) -> Result:
    """What a status code means for a delivery."""
    code = response.status_code
    status = str(code)
    if 200 <= code < 300:
        return _answer(status, body) if request.want_json else Result(SENT, status)
    if code == 410:
        return Result(GONE, status, "410 Gone: the receiver asks not to be called")
    if 300 <= code < 400:
        location = response.headers.get("location", "?")
        return Result(TRANSIENT, status, f"redirect to {location} (not followed)")
    wait = None
    if code in (429, 503):
        wait = retry_after(response.headers.get("retry-after"), now)
    text = body[:200].decode("utf-8", "replace").strip()
    error = f"HTTP {code}" + (f": {text}" if text else "")
    return Result(TRANSIENT, status, error, retry_after=wait)


def _answer(status: str, body: bytes) -> Result:
    try:
        return Result(SENT, status, answer=json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return Result(TRANSIENT, status, f"the answer is not JSON: {err}")
