"""Which addresses HTTP deliveries may reach; names resolve only to loopback here."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from delivery_project import webhook_settings
from test_mail import mail_settings, queue_mail

from tracsh.delivery.guards import (
    AddressRefused,
    BadDestination,
    check_target,
    is_public,
)


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
        "http://0.0.0.0/hook",
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


NOT_A_HOST = (
    "is not a host name or an IP address; write a name like hooks.example.com or "
    "an address like 192.0.2.10"
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://0177.0.0.1/x",
            " is not a valid URL: Invalid IPv4 address: '0177.0.0.1'",
        ),
        (
            "http://256.1.1.1/x",
            " is not a valid URL: Invalid IPv4 address: '256.1.1.1'",
        ),
        ("http://0x7f000001/x", f": '0x7f000001' {NOT_A_HOST}"),
        ("http://0x7f.1/x", f": '0x7f.1' {NOT_A_HOST}"),
        ("http://127.1/x", f": '127.1' {NOT_A_HOST}"),
        ("http://2130706433/x", f": '2130706433' {NOT_A_HOST}"),
        ("http://0/x", f": '0' {NOT_A_HOST}"),
        ("http://-crm-.example.com/x", f": '-crm-.example.com' {NOT_A_HOST}"),
        ("http://crm..example.com/x", f": 'crm..example.com' {NOT_A_HOST}"),
        ("http://crm example.com/x", f": 'crm%20example.com' {NOT_A_HOST}"),
        ("http://%63rm.example.com/x", f": '%63rm.example.com' {NOT_A_HOST}"),
        ("http://xn--/x", f": 'xn--' {NOT_A_HOST}"),
        ("http:///x", f": '' {NOT_A_HOST}"),
        ("ftp://crm.example.com/x", ": only http:// and https:// URLs can be called"),
        ("http://crm.example.com:0/x", ": port 0 cannot be called"),
        ("http://crm.example.com:99999/x", ": port 99999 cannot be called"),
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_a_url_that_can_never_be_called_is_refused(url, message, allow_private):
    with pytest.raises(BadDestination) as caught:
        asyncio.run(check_target(url, allow_private, "webhooks.crm"))
    assert str(caught.value) == f"webhooks.crm.url{message}"


def test_an_international_name_is_resolved_in_its_ascii_form():
    with pytest.raises(OSError) as caught:
        asyncio.run(check_target("http://bücher.invalid/x", True, "x"))
    assert "xn--bcher-kva.invalid" in str(caught.value)


# --- through the worker: refused destinations fail the row, never retry it -----


def test_an_octal_address_fails_the_row_without_a_retry(project_of, receiver, caplog):
    url = receiver.url().replace("127.0.0.1", "0177.0.0.1")
    project = project_of(webhook_settings(url))
    row_id = project.queue()

    counts = project.drain()

    assert (counts.failed, counts.retry, receiver.requests) == (1, 0, [])
    row = project.row(row_id)
    assert (row["status"], row["last_status"]) == ("failed", "url")
    assert row["reason"] == (
        "webhooks.crm.url is not a valid URL: Invalid IPv4 address: '0177.0.0.1'"
    )
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_header_that_cannot_be_sent_fails_the_row(project_of, receiver):
    project = project_of(webhook_settings(receiver.url(), headers={"X-Tag": "a\nb"}))
    row_id = project.queue()

    assert project.drain().failed == 1
    row = project.row(row_id)
    assert (row["status"], row["last_status"]) == ("failed", "request")
    assert row["reason"].startswith("webhooks.crm: LocalProtocolError: ")
    assert receiver.requests == []


def test_an_smtp_host_that_is_not_a_host_fails_the_row(project_of):
    project = project_of(mail_settings(25, host="127.1"))
    row_id = queue_mail(project)

    assert project.drain().failed == 1
    assert project.row(row_id)["reason"] == f"channels.email.host: '127.1' {NOT_A_HOST}"
