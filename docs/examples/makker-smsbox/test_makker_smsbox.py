import functools

import httpx
import makker_smsbox
import pytest

from core.plugin_api import DeliveryRefused
from core.testing import PluginHarness

CONFIG = {"gateway": "smsbox", "url": "https://smsbox.example/send", "sender": "Makker"}


def gateway_answering(status: int, seen: list):
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)

    gateway = PluginHarness(makker_smsbox, name="smsbox").sms_gateway(CONFIG)
    gateway.client = functools.partial(httpx.AsyncClient, transport=httpx.MockTransport(answer))
    return gateway


def test_a_message_is_posted_once_after_the_handover():
    seen: list = []
    gateway = gateway_answering(200, seen)
    assert PluginHarness.send_sms(gateway, "+4512345678", "Husk mødet i morgen kl. 10.")
    [request] = seen
    assert request.headers["X-Reference"] == "test-key"
    assert b"to=%2B4512345678" in request.content


def test_a_refusal_names_the_status_and_says_whether_to_try_again():
    with pytest.raises(DeliveryRefused) as caught:
        PluginHarness.send_sms(gateway_answering(400, []), "+4512345678", "Hej")
    assert (caught.value.code, caught.value.permanent) == ("HTTP 400", True)
    with pytest.raises(DeliveryRefused) as caught:
        PluginHarness.send_sms(gateway_answering(503, []), "+4512345678", "Hej")
    assert (caught.value.code, caught.value.permanent) == ("HTTP 503", False)


def test_another_gateway_is_left_to_others():
    harness = PluginHarness(makker_smsbox, name="smsbox")
    assert harness.sms_gateway({**CONFIG, "gateway": "http"}) is None
