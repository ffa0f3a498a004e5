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
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address this endpoint may not reach."""


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


async def check_target(url: str, allow_private: bool, where: str) -> Target:
    """Resolve the URL's host and pin the request to an allowed address.

    ``where`` names the configuration entry (``webhooks.crm``) in the refusal,
    which says how to allow it. Raises AddressRefused, or OSError when the host
    does not resolve.
    """
    parsed = httpx.URL(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await resolve(host, port)
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text.split("%")[0])):
                raise AddressRefused(
                    f"{host} resolves to {text}, a loopback, private or link-local "
                    f"address; set {where}.allow_private = true to allow it"
                )
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    return Target(parsed.copy_with(host=addresses[0]), netloc, host)
