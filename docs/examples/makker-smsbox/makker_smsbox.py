"""SMS through the (fictional) provider SMSBox: a notification channel for a tenant whose file
says ``[notifications.sms] gateway = "smsbox"``."""

import os

import httpx

from core.plugin_api import DeliveryRefused, Handover, Outgoing, hookimpl

MAKKER_PLUGIN_API = ">=1.1,<2"


class SmsBoxGateway:
    name = "smsbox"

    def __init__(self, url: str, sender: str, token: str | None, client=httpx.AsyncClient):
        self.url, self.sender, self.token, self.client = url, sender, token, client

    async def send(self, message: Outgoing, handover: Handover) -> None:
        form = {"to": message.to, "from": self.sender, "message": message.body}
        headers = {"X-Reference": message.idempotency_key}  # SMSBox sends a reference once
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.client(timeout=15) as client:
            await handover()  # the point of no return: the request that sends
            try:
                answer = await client.post(self.url, data=form, headers=headers)
            except httpx.HTTPError as exc:
                raise DeliveryRefused(type(exc).__name__) from None  # the kind, never the text
        if answer.status_code >= 300:
            permanent = 400 <= answer.status_code < 500 and answer.status_code != 429
            raise DeliveryRefused(f"HTTP {answer.status_code}", permanent=permanent)


@hookimpl
def sms_gateway(config):
    if config.get("gateway") != "smsbox":
        return None  # the built-in gateway, or another plugin's
    token_env = config.get("token_env")
    return SmsBoxGateway(config["url"], config["sender"], os.environ.get(token_env or ""))
