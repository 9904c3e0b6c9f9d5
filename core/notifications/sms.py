"""SMS through a gateway: the plugin hook ``sms_gateway`` picks one per tenant, and the
built-in generic HTTP gateway is used when no plugin gives one and the tenant file says
``gateway = "http"`` (docs/notifications.md).

The generic gateway POSTs JSON ``{"to", "from", "text"}`` to ``[notifications.sms] url`` with
``Authorization: Bearer <token>`` (the token from the environment variable ``token_env``) and
``Idempotency-Key`` (the outbox row's key: a gateway that honours it never sends twice). A 2xx
answer is delivered; 4xx is refused for good (except 408/429); 5xx and network errors are
tried again later.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from core.notifications.transports import DeliveryRefused, Handover, Outgoing


class SmsGateway(Protocol):
    """What a gateway plugin returns: one method, ``send``.

    Raise :class:`core.notifications.transports.DeliveryRefused` when the gateway definitely
    did not take the message (``permanent=True`` if trying again cannot help); call
    ``handover`` just before the request that sends it."""

    name: str

    async def send(self, message: Outgoing, handover: Handover) -> None: ...


class HttpSmsGateway:
    """The built-in generic HTTP gateway."""

    name = "http"

    def __init__(
        self,
        url: str,
        sender: str,
        token: str | None,
        timeout: float = 15.0,
        client: Callable[..., httpx.AsyncClient] = httpx.AsyncClient,
    ) -> None:
        self.url, self.sender, self.token, self.timeout = url, sender, token, timeout
        #: Makes the HTTP client (tests pass one with a mock transport).
        self.client = client

    async def send(self, message: Outgoing, handover: Handover) -> None:
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {"to": message.to, "from": self.sender, "text": message.body}
        async with self.client(timeout=self.timeout) as client:
            await handover()
            try:
                answer = await client.post(self.url, json=payload, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # no connection: the request never left - try again later
                raise DeliveryRefused(type(exc).__name__) from None
            # A read or write timeout (or the connection lost) after the request went out is
            # not a refusal: the gateway may have the SMS. Like SMTP after DATA, the error
            # goes up and the row becomes ``uncertain`` - not sent again (no duplicate).
        if answer.status_code < 300:
            return
        permanent = 400 <= answer.status_code < 500 and answer.status_code not in (408, 429)
        raise DeliveryRefused(f"HTTP {answer.status_code}", permanent=permanent)


def builtin_gateway(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> HttpSmsGateway | None:
    """The generic HTTP gateway for ``[notifications.sms]``, or ``None`` for another kind."""
    if config.get("gateway", "http") != "http" or not config.get("url"):
        return None
    env = os.environ if environ is None else environ
    token_env = config.get("token_env")
    token = env.get(token_env) if token_env else None
    return HttpSmsGateway(str(config["url"]), str(config.get("sender") or "Makker"), token)


class SmsTransport:
    """The SMS channel over a tenant's gateway."""

    name = "sms"

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway
        self.name = f"sms-{gateway.name}"

    async def deliver(self, message: Outgoing, handover: Handover) -> None:
        await self.gateway.send(message, handover)
