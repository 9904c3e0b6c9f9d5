"""How a message leaves: e-mail over SMTP (aiosmtplib), SMS through a gateway, the page, and
in development the mailbox.

A transport gets a ``handover`` callback and calls it at the point of no return - just before
the bytes that make the message the receiver's (SMTP's ``DATA``, the gateway's request). The
delivery records that moment (state ``handing_over``) in its own committed transaction, so a
worker killed afterwards leaves a row that a restarted worker does not send again. Anything that
fails *before* the handover is :class:`DeliveryRefused`: nothing went out, try again later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import aiosmtplib

from core.settings import SmtpSettings

Handover = Callable[[], Awaitable[None]]


class DeliveryRefused(Exception):
    """Nothing was handed over (or the receiver said no): the row may be tried again.

    ``code`` names the kind of failure only (an exception class or a status code), never an
    address or the text: it is shown to coordinators and logged."""

    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.code = code[:120]
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """What a transport sends."""

    to: str
    title: str
    body: str
    idempotency_key: str
    stop_link: str


class Transport(Protocol):
    name: str

    async def deliver(self, message: Outgoing, handover: Handover) -> None: ...


class PageTransport:
    """A page message is delivered by being there: the list in the header shows it."""

    name = "page"

    async def deliver(self, message: Outgoing, handover: Handover) -> None:
        await handover()


class MailboxTransport:
    """Development only: the message stays in the outbox, and the development mailbox page
    lists it as it would have gone out (nothing leaves the machine)."""

    name = "mailbox"

    async def deliver(self, message: Outgoing, handover: Handover) -> None:
        await handover()


def message_id(key: str, domain: str = "makker") -> str:
    """A Message-ID made from the idempotency key: the same message always has the same id."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpTransport:
    """E-mail over SMTP with ``MAKKER_SMTP_*`` (STARTTLS, implicit TLS, or - in development -
    none). One connection per message: a worker sends a handful a minute."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = message.to
        email["Subject"] = message.title
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id(message.idempotency_key) or make_msgid()
        email["List-Unsubscribe"] = f"<{message.stop_link}>"
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        return email

    async def deliver(self, message: Outgoing, handover: Handover) -> None:
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            timeout=s.timeout,
        )
        email = self.build(message)
        try:
            await smtp.connect()
            if s.username and s.password:
                await smtp.login(s.username, s.password)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryRefused(type(exc).__name__) from None
        try:
            await handover()
            try:
                await smtp.send_message(email)
            except aiosmtplib.SMTPResponseException as exc:
                # The server answered no: the message is not its. 5xx will not change.
                raise DeliveryRefused(f"SMTP {exc.code}", permanent=exc.code >= 500) from None
            except aiosmtplib.SMTPRecipientsRefused:
                raise DeliveryRefused("SMTPRecipientsRefused", permanent=True) from None
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    smtp.close()
