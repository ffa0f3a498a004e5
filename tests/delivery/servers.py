"""Servers the delivery tests start on loopback: a scripted HTTP receiver and SMTP.

The HTTP receiver answers each request with the next reply of its script (or
its default): a status with headers and a body, a slow trickle of bytes, or
no answer at all until the test ends. It records every request and the most
requests it held at once. The SMTP server is aiosmtpd's, with a handler that
records messages and can refuse recipients with a given code.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


@dataclass
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    delay: float = 0.0
    """Seconds to wait before answering."""
    trickle: float | None = None
    """Send the body one byte per this many seconds."""
    hang: bool = False
    """Never answer (until the receiver stops)."""
    on_request: object = None
    """Called with the request record before the answer is sent."""


@dataclass
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A scripted HTTP server on 127.0.0.1; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Reply] = []
        self.default = Reply()
        self.in_flight = 0
        self.most_in_flight = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        """The URL of ``path`` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def then(self, *replies: Reply) -> Receiver:
        """Answer the next requests with ``replies``, in order."""
        self.script.extend(replies)
        return self

    def take(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return self.script.pop(0) if self.script else self.default

    def done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def __enter__(self) -> Receiver:
        threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        ).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when a worker opens many at
    # once (the shop replay sends to four endpoints, eight at a time each).
    request_queue_size = 128


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            record = Received(
                self.command, self.path, dict(self.headers), self.rfile.read(length)
            )
            reply = receiver.take(record)
            try:
                self._answer(reply, record)
            except OSError:
                pass  # the client gave up (a deadline): nothing left to say
            finally:
                receiver.done()

        def _answer(self, reply: Reply, record: Received) -> None:
            if reply.on_request is not None:
                reply.on_request(record)
            if reply.hang:
                receiver.stopping.wait(30)
                return
            if reply.delay:
                receiver.stopping.wait(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.trickle is None:
                self.wfile.write(reply.body)
                return
            for byte in reply.body:
                if receiver.stopping.wait(reply.trickle):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()

        do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            """Quiet: the tests read the records instead."""

    return Handler


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailHandler:
    """aiosmtpd handler: records messages; refuses recipients when told to."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: list[str] = []
        """SMTP replies for the next RCPT commands, e.g. "451 4.3.0 try later"."""

    async def handle_RCPT(  # noqa: N802
        self, server, session, envelope, address, options
    ):
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)
        return "250 OK"


class MailServer:
    """aiosmtpd on 127.0.0.1; use as a context manager."""

    def __init__(self) -> None:
        self.handler = MailHandler()
        self.port = free_port()
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port
        )

    @property
    def messages(self) -> list[EmailMessage]:
        """Messages received so far."""
        return self.handler.messages

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


def wait_for(predicate, seconds: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or ``seconds`` pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
