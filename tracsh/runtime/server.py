"""The HTTP server of the runtime: uvicorn on a socket we bind, without its signals.

The runtime owns SIGTERM and SIGINT (they start its drain), so uvicorn's own
signal handling is turned off; the runtime stops the server by setting
``should_exit``, and uvicorn then stops accepting, lets the requests in flight
finish, and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from tracsh.errors import UserError

log = logging.getLogger(__name__)

GRACE_SECONDS = 30
"""How long requests in flight may take to finish once a stop is asked for."""

LINGER_SECONDS = 10.0
"""The longest open connections are still read after the listener closes."""

QUIET_SECONDS = 0.05
"""How long no request may start or be in progress for the stop to go on."""


class CollectorServer(uvicorn.Server):
    """uvicorn's Server, minus its signal handlers, with a gentler stop."""

    def __init__(self, config: uvicorn.Config, traffic: Any) -> None:
        super().__init__(config)
        self.traffic = traffic
        """The collector's request counts (``started``, ``active``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The runtime handles signals; uvicorn must neither catch nor re-raise them."""
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, let open connections deliver what they sent, then drain.

        uvicorn closes every connection that has no request in progress. A
        request a client has already sent may still be unread in the socket
        while the loop is busy; closing its connection would drop it unanswered.
        So new connections are refused first, and open ones are still read
        until no request has started or been in progress for QUIET_SECONDS
        (at most LINGER_SECONDS): requests already on their way are handled
        like any other in flight. Every answer from the start of the drain
        carries ``Connection: close`` and ends its connection, so a client that
        keeps its connection busy sends one more request there, not requests
        until the cap.
        """
        self.traffic.draining = True
        for server in self.servers:
            server.close()
        if self.server_state.connections:
            log.info("no new connections; reading open ones before closing them")
            await self._quiet()
        await super().shutdown(sockets)

    async def _quiet(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINGER_SECONDS
        seen = -1
        while loop.time() < deadline:
            if self.traffic.quiet and self.traffic.started == seen:
                return
            seen = self.traffic.started
            await asyncio.sleep(QUIET_SECONDS)
        log.warning(
            "connections still busy after %s s of draining; closing them",
            LINGER_SECONDS,
            extra={"connections": len(self.server_state.connections)},
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0 picks a free port).

    Binding before uvicorn starts lets the caller learn the port it got and
    turns "address in use" into a clear error at start.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Answers go out in two writes (head, body); Nagle would hold the second
    # back for the client's delayed ACK, some 40 ms. Accepted sockets inherit it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.setblocking(False)
    return sock


def make_server(app: Any, sock: socket.socket, traffic: Any) -> CollectorServer:
    """A server for ``app`` on ``sock``, logging through the runtime's logging."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    return CollectorServer(config, traffic)
