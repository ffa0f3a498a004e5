"""Where HTTP deliveries may go: refusing loopback, private and link-local addresses.

A webhook, provider or enricher URL could point at the machine tracsh runs on
or at the network behind it (a metadata service, an admin port). Unless the
configuration allows private addresses for that name, every address the host
resolves to must be globally routable. The request is then made to the address
that was checked, with the original host name in the ``Host`` header and for
TLS, so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot send it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote

import httpx


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address this endpoint may not reach."""

    status = "refused"
    """The attempt's status when this stops it."""


class BadDestination(AddressRefused):
    """The URL or host is not one tracsh can call: no retry can make it valid."""

    status = "url"


_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_NUMBER = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """A request target whose address has been checked."""

    url: httpx.URL
    """The URL with the checked address in place of the host name."""
    host: str
    """The original host (and port when given), for the Host header."""
    server_name: str
    """The host name TLS checks the certificate against."""


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses only."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise OSError(f"cannot resolve {host}: {err.strerror}") from None
    return list(dict.fromkeys(info[4][0] for info in found))


def check_host(host: str, where: str) -> str:
    """``host`` when it is an IP address or a host name; else BadDestination.

    Numbers in any other form than four decimal parts (``0177.0.0.1``,
    ``127.1``, ``0x7f000001``, ``2130706433``) are refused: resolvers read them
    differently, and nobody means them as names.
    """
    text = host[:-1] if host.endswith(".") else host
    if ":" in text:
        try:
            ipaddress.IPv6Address(unquote(text))
            return host
        except ValueError:
            raise _not_a_host(host, where) from None
    try:
        ipaddress.IPv4Address(text)
        return host
    except ValueError:
        pass
    labels = text.split(".")
    if (
        not text
        or len(text) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
        or _NUMBER.fullmatch(labels[-1])
    ):
        raise _not_a_host(host, where)
    return host


def _not_a_host(host: str, where: str) -> BadDestination:
    return BadDestination(
        f"{where}: {host!r} is not a host name or an IP address; write a name "
        "like hooks.example.com or an address like 192.0.2.10"
    )


def check_url(url: str, where: str) -> tuple[httpx.URL, str, int]:
    """The parsed URL, its host (ASCII) and its port, when tracsh can call it.

    Only http(s) URLs with a valid host and a port from 1 to 65535 can be
    called; anything else is a BadDestination naming ``where``.
    """
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError, ValueError) as err:
        raise BadDestination(f"{where}.url is not a valid URL: {err}") from None
    if parsed.scheme not in ("http", "https"):
        raise BadDestination(
            f"{where}.url: only http:// and https:// URLs can be called"
        )
    check_host(host, f"{where}.url")
    port = parsed.port
    if port is None:
        port = 443 if parsed.scheme == "https" else 80
    if not 0 < port < 65536:
        raise BadDestination(f"{where}.url: port {port} cannot be called")
    return parsed, unquote(host), port


async def check_target(url: str, allow_private: bool, where: str) -> Target:
    """Resolve the URL's host and pin the request to an allowed address.

    ``where`` names the configuration entry (``webhooks.crm``) in the refusal,
    which says how to allow it. Raises BadDestination for a URL that can never
    be called, AddressRefused for a private address, or OSError when the host
    does not resolve (which may pass).
    """
    parsed, host, port = check_url(url, where)
    addresses = await resolve(host, port)
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text.split("%")[0])):
                raise AddressRefused(
                    f"{host} resolves to {text}, a loopback, private or link-local "
                    f"address; set {where}.allow_private = true to allow it"
                )
    try:
        pinned = parsed.copy_with(host=addresses[0])
    except httpx.InvalidURL as err:
        raise BadDestination(
            f"{where}.url: cannot call {addresses[0]}: {err}"
        ) from None
    named = f"[{host}]" if ":" in host else host
    given = f"{named}:{parsed.port}" if parsed.port is not None else named
    return Target(pinned, given, host)
