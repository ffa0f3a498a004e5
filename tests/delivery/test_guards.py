"""Which addresses HTTP deliveries may reach; names resolve only to loopback here."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from tracsh.delivery.guards import AddressRefused, check_target, is_public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("192.0.2.1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost:9/x",
        "https://[::1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0x7f000001/hook",
    ],
)
def test_private_targets_are_refused_with_the_key_that_allows_them(url):
    with pytest.raises(AddressRefused) as caught:
        asyncio.run(check_target(url, False, "webhooks.crm"))
    assert str(caught.value).endswith(
        "set webhooks.crm.allow_private = true to allow it"
    )


def test_an_allowed_target_is_pinned_to_the_checked_address():
    target = asyncio.run(check_target("http://localhost:8123/a?b=1", True, "x"))
    assert str(target.url) in (
        "http://127.0.0.1:8123/a?b=1",
        "http://[::1]:8123/a?b=1",
    )
    assert (target.host, target.server_name) == ("localhost:8123", "localhost")


def test_a_public_literal_address_passes_without_any_traffic():
    target = asyncio.run(check_target("https://93.184.215.14/hook", False, "x"))
    assert str(target.url) == "https://93.184.215.14/hook"
