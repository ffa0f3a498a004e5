"""Email: building the message from what was rendered, and sending it over SMTP.

The idempotency key becomes the Message-ID, so a receiving system can tell a
repeated delivery (after a worker died between the server's answer and the
outbox update) from a new one. Recipients are checked to be one plain address
each; SMTP answers are sorted by their class: 4xx and network trouble are worth
another attempt, 5xx is a dead letter, a refused login is a configuration fault.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from tracsh.config import ChannelConfig, ConfigError
from tracsh.delivery.attempts import BROKEN, PERMANENT, SENT, TRANSIENT, Result
from tracsh.delivery.secrets import delivery_secret

log = logging.getLogger(__name__)


class BadMessage(ValueError):
    """What was rendered or addressed cannot make an email."""


def parse_address(text: str, what: str) -> Address:
    """One ``user@domain`` address, or BadMessage naming ``what``."""
    if not isinstance(text, str) or any(c in text for c in "\r\n,;<>\"'() \t"):
        raise BadMessage(f"{what} is not a single e-mail address: {text!r}")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "." not in domain.strip("."):
        raise BadMessage(f"{what} is not a single e-mail address: {text!r}")
    try:
        return Address(addr_spec=text)
    except (ValueError, IndexError) as err:
        raise BadMessage(f"{what} is not a valid e-mail address: {err}") from None


def build_message(
    channel: ChannelConfig, row: dict, rendered: dict, now: datetime
) -> EmailMessage:
    """The email for an outbox row: From, To, Subject, Message-ID, text, html."""
    sender = parse_address(channel.sender, f"channels.{channel.name}.from")
    recipient = parse_address(row["recipient"], f"the recipient of outbox {row['id']}")
    subject = rendered.get("subject")
    if not subject or "text" not in rendered:
        raise BadMessage(f"outbox {row['id']} was rendered without a subject or text")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = " ".join(str(subject).split())
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{row['key']}@{sender.domain}>"
    message["X-Tracsh-Rule"] = " ".join(str(row.get("rule_id") or "").split())
    message.set_content(rendered["text"])
    if rendered.get("html"):
        message.add_alternative(rendered["html"], subtype="html")
    return message


async def send_mail(channel: ChannelConfig, message: EmailMessage) -> Result:
    """Hand the message to the channel's SMTP server within its timeout."""
    where = f"channels.{channel.name}"
    try:
        user = delivery_secret(channel.user_env, f"{where}.user_env")
        password = delivery_secret(channel.password_env, f"{where}.password_env")
    except ConfigError as err:
        return Result(BROKEN, "config", str(err))
    try:
        async with asyncio.timeout(channel.timeout):
            _, answer = await aiosmtplib.send(
                message,
                hostname=channel.host,
                port=channel.port,
                username=user,
                password=password,
                use_tls=channel.tls == "ssl",
                start_tls=channel.tls == "starttls",
                timeout=channel.timeout,
            )
    except TimeoutError:
        return Result(TRANSIENT, "timeout", f"no answer within {channel.timeout:g}s")
    except aiosmtplib.SMTPRecipientsRefused as err:
        return _refused(err.recipients[0] if err.recipients else None)
    except aiosmtplib.SMTPAuthenticationError as err:
        return Result(BROKEN, str(err.code), f"the SMTP login was refused: {err}")
    except aiosmtplib.SMTPResponseException as err:
        return _refused(err)
    except (aiosmtplib.SMTPException, OSError) as err:
        return Result(TRANSIENT, "network", f"{type(err).__name__}: {err}")
    log.debug("SMTP answered %s", answer)
    return Result(SENT, "250")


def _refused(err: aiosmtplib.SMTPResponseException | None) -> Result:
    if err is None:
        return Result(TRANSIENT, "refused", "the server refused the recipient")
    kind = PERMANENT if 500 <= err.code < 600 else TRANSIENT
    return Result(kind, str(err.code), f"SMTP {err.code}: {err.message}")
