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

LINGER_SECONDS = 0.5
"""How long open connections are still read after the listener closes."""


class CollectorServer(uvicorn.Server):
    """uvicorn's Server, minus its signal handlers, with a gentler stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The runtime handles signals; uvicorn must neither catch nor re-raise them."""
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, let open connections deliver what they sent, then drain.

        uvicorn closes every connection that has no request in progress. A
        request a client has already sent may still be unread in the socket
        while the loop is busy; closing its connection would drop it unanswered.
        So new connections are refused first, and requests already on their way
        get LINGER_SECONDS to be read and handled like any other in flight.
        """
        for server in self.servers:
            server.close()
        if self.server_state.connections:
            log.info("no new connections; reading open ones before closing them")
            await asyncio.sleep(LINGER_SECONDS)
        await super().shutdown(sockets)


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
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.setblocking(False)
    return sock


def make_server(app: Any, sock: socket.socket) -> CollectorServer:
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
    return CollectorServer(config)
