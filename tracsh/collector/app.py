"""The collector's ASGI application: routes, CORS, request ids and JSON errors.

Every answer, refusals included, is JSON (``/metrics`` aside) and carries an
``X-Request-ID`` header; the same id is on every log line written while the
request was handled, and one access line per request says how it went.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tracsh.collector.errors import ClientError, error_response
from tracsh.collector.routes import Collector, JsonEndpoint
from tracsh.runtime.logs import bind_request_id, current_request_id, unbind_request_id
from tracsh.runtime.metrics import Metrics

log = logging.getLogger(__name__)

_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""A client's own X-Request-ID is kept when it looks like an id."""

ROUTES = ("/track", "/collect", "/healthz", "/metrics")
"""The paths the request metric is labelled with (anything else is "other")."""


@dataclass
class Traffic:
    """Requests seen and in progress, for a stop that waits until all is quiet."""

    started: int = 0
    active: int = 0
    draining: bool = False
    """Set when the stop begins: every answer from then on closes its connection."""

    @property
    def quiet(self) -> bool:
        """True when no request is being handled."""
        return self.active == 0


def build_app(collector: Collector, traffic: Traffic | None = None) -> Starlette:
    """The Starlette application serving ``collector``'s endpoints."""
    track = JsonEndpoint(collector.track)
    routes = [
        Route("/track", track, methods=["POST"]),
        Route(
            "/collect/{event_type}/{source_id}",
            JsonEndpoint(collector.collect),
            methods=["POST"],
        ),
        Route("/healthz", collector.healthz, methods=["GET"]),
        Route("/metrics", collector.metrics_text, methods=["GET"]),
    ]
    middleware = [
        Middleware(RequestLog, metrics=collector.metrics, traffic=traffic or Traffic()),
        # Trackers run in browsers on the shop's own domain.
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["X-Request-ID", "Retry-After"],
        ),
        Middleware(Shortcut, routes={("POST", "/track"): track}),
    ]
    handlers: dict[Any, Any] = {
        ClientError: _client_error,
        HTTPException: _http_error,
        Exception: _internal_error,
    }
    return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)


async def _client_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ClientError)
    request.state.refusal = error.reason
    return error.response()


async def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such path, wrong method) as JSON."""
    assert isinstance(error, HTTPException)
    request.state.refusal = "route"
    message = {404: "no such endpoint", 405: "method not allowed here"}.get(
        error.status_code, str(error.detail)
    )
    return error_response(error.status_code, message, dict(error.headers or {}))


async def _internal_error(request: Request, error: Exception) -> Response:
    """A bug in tracsh: the log has the traceback under this request's id."""
    log.error("internal error", exc_info=error)
    return error_response(
        500, f"internal error; the log has it under request id {current_request_id()}"
    )


def route_of(path: str) -> str:
    """The metric label of a request path."""
    for route in ROUTES:
        if path == route or path.startswith(route + "/"):
            return route
    return "other"


class Shortcut:
    """ASGI middleware: the busiest routes straight to their endpoints.

    ``POST /track`` skips Starlette's exception middleware and router, a few
    percent of the daemon's CPU under benchmarks/collector.py. It still passes
    the request log and CORS; its endpoint answers its own refusals, and what
    else it raises reaches the 500 handler as before. Other methods on the
    same path go through the router (a 405, as before).
    """

    def __init__(self, app: Any, routes: dict[tuple[str, str], Any]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequestLog:
    """ASGI middleware: a request id for every request, an access line, a metric."""

    def __init__(self, app: Any, metrics: Metrics, traffic: Traffic) -> None:
        self.app = app
        self.metrics = metrics
        self.traffic = traffic

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = bind_request_id(request_id)
        started = time.perf_counter()
        status = 500
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                added = [header, _CLOSE] if self.traffic.draining else [header]
                message = {**message, "headers": [*message.get("headers", ()), *added]}
            await send(message)

        self.traffic.started += 1
        self.traffic.active += 1
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.traffic.active -= 1
            self._account(scope, status, time.perf_counter() - started)
            unbind_request_id(token)

    def _account(self, scope: dict, status: int, seconds: float) -> None:
        route = route_of(scope["path"])
        self.metrics.add("tracsh_requests_total", route=route, status=str(status))
        refusal = scope.get("state", {}).get("refusal")
        if refusal:
            self.metrics.add("tracsh_refused_total", reason=refusal)
        if not log.isEnabledFor(logging.INFO):
            return
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "ms": round(seconds * 1000, 2),
        }
        # Made directly rather than by log.info(), which walks the stack for the
        # caller's file and line on every request: the JSON lines show neither.
        args = (scope["method"], scope["path"], status)
        record = log.makeRecord(log.name, logging.INFO, "", 0, _ACCESS, args, None)
        record.__dict__.update(fields)
        log.handle(record)


_ACCESS = "%s %s %d"
"""The access line's message; its fields are also keys of the JSON line."""

_CLOSE = (b"connection", b"close")
"""While the daemon drains: the client is told, and the server closes the
connection after the answer instead of reading another request from it."""

_PREFIX = os.urandom(4).hex()
_NUMBERS = itertools.count(1)


def _request_id(scope: dict) -> str:
    """The client's X-Request-ID when it looks like an id, else a new one.

    New ids are this process's random prefix and a running number: unique in
    the logs of many daemons, and made without a system call per request.
    """
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _GIVEN_ID.fullmatch(text):
                return text
    return f"{_PREFIX}-{next(_NUMBERS):x}"
