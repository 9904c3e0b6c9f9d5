"""SMS (issue 16): the built-in generic HTTP gateway (JSON, bearer token from the environment
variable the tenant file names, Idempotency-Key), its refusals, and which transport a process
uses: in production the tenant's gateway, in development the mailbox."""

from __future__ import annotations

import datetime as dt
import functools
import json

import httpx
import pytest
from sqlalchemy import update

from core.clock import COPENHAGEN
from core.db.tenant_scope import tenant_scope
from core.forloeb.planned import PlannedMeetingIn, plan_meeting
from core.jobs.tick import JobRuntime, tick_tenant
from core.notifications.delivery import Transports
from core.notifications.models import ContactPreference
from core.notifications.setup import make_transports
from core.notifications.sms import HttpSmsGateway, SmsTransport, builtin_gateway
from core.notifications.transports import DeliveryRefused, MailboxTransport, Outgoing
from core.plugin_api import create_plugin_manager
from core.settings import Settings
from core.tenancy.models import Tenant
from tests.notification_world import in_context, links, make_pair, outbox

CONFIG = {
    "gateway": "http",
    "url": "https://sms.example.dk/send",
    "sender": "Kommune",
    "token_env": "MAKKER_SMS_TOKEN_TEST",
}
MESSAGE = Outgoing("01234567", "Påmindelse", "Husk mødet i morgen kl. 14.00.", "k-1", "https://x")


def _gateway(status: int, seen: list[httpx.Request], error: Exception | None = None):
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if error is not None:
            raise error
        return httpx.Response(status)

    gateway = builtin_gateway(CONFIG, {"MAKKER_SMS_TOKEN_TEST": "hemmelig"})
    assert isinstance(gateway, HttpSmsGateway)
    gateway.client = functools.partial(httpx.AsyncClient, transport=httpx.MockTransport(answer))
    return gateway


async def _handed() -> None:
    return None


async def test_the_http_gateway_posts_json_with_token_and_idempotency_key():
    seen: list[httpx.Request] = []
    await _gateway(202, seen).send(MESSAGE, _handed)
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", "https://sms.example.dk/send")
    assert json.loads(request.content) == {
        "to": "01234567",
        "from": "Kommune",
        "text": "Husk mødet i morgen kl. 14.00.",
    }
    assert request.headers["Authorization"] == "Bearer hemmelig"
    assert request.headers["Idempotency-Key"] == "k-1"


@pytest.mark.parametrize(
    ("status", "error", "code", "permanent"),
    [
        (400, None, "HTTP 400", True),
        (429, None, "HTTP 429", False),
        (503, None, "HTTP 503", False),
        (0, httpx.ConnectError("refused"), "ConnectError", False),
        (0, httpx.ConnectTimeout("no connection"), "ConnectTimeout", False),
        (0, httpx.PoolTimeout("no connection"), "PoolTimeout", False),
    ],
)
async def test_the_http_gateway_says_what_failed_and_whether_to_try_again(
    status, error, code, permanent
):
    with pytest.raises(DeliveryRefused) as refused:
        await _gateway(status, [], error).send(MESSAGE, _handed)
    assert (refused.value.code, refused.value.permanent) == (code, permanent)


def test_another_gateway_kind_is_not_the_builtin_one():
    assert builtin_gateway({**CONFIG, "gateway": "smsbox"}) is None
    assert builtin_gateway({"gateway": "http"}) is None  # no url


def _tenant(**notifications) -> Tenant:
    return Tenant(slug="t", name="Kommune", kind="municipality", notifications=notifications)


def test_production_uses_the_tenants_gateway_and_development_the_mailbox():
    plugins = create_plugin_manager()
    production = make_transports(Settings(env="production"), plugins)
    sms = production.sms_for(_tenant(contact="x", sms=CONFIG))
    assert isinstance(sms, SmsTransport) and sms.name == "sms-http"
    assert production.sms_for(_tenant(contact="x")) is None
    assert production.email is None  # no MAKKER_SMTP_HOST: production sends no e-mail
    development = make_transports(Settings(), plugins)
    assert isinstance(development.sms_for(_tenant(contact="x", sms=CONFIG)), MailboxTransport)
    assert isinstance(development.email, MailboxTransport)


async def test_an_sms_reminder_goes_through_the_gateway_once(sessionmaker, tenants, clock):
    clock.set(dt.datetime(2026, 11, 30, 10, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ContactPreference).values(channels={"meeting_reminder": "sms"})
            )
    data = PlannedMeetingIn(day="2026-12-03", time="14:00", place="Caféen")
    await in_context(
        sessionmaker,
        tenants.a,
        lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(tenants.a)),
    )
    seen: list[httpx.Request] = []
    gateway = _gateway(200, seen)
    plugins = create_plugin_manager()
    base = make_transports(Settings(env="production"), plugins)
    runtime = JobRuntime(
        sessionmaker,
        Settings(),
        plugins,
        Transports(email=None, page=base.page, sms_for=lambda tenant: SmsTransport(gateway)),
    )
    clock.set(dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN))
    await tick_tenant(runtime, tenants.a)
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert (
        sorted((r.channel, r.status, r.transport) for r in rows)
        == [("sms", "sent", "sms-http")] * 2
    )
    assert len(seen) == 2
    texts = [json.loads(r.content)["text"] for r in seen]
    assert all(
        "kl. 14.00" in t and "Caféen" not in t and "Borger til Borger" not in t for t in texts
    )
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 2


async def test_a_read_timeout_after_the_request_went_out_is_uncertain_not_sent_again(
    sessionmaker, tenants, clock
):
    """The gateway got the request but did not answer in time: it may have sent the SMS, so
    the row is ``uncertain`` (shown to coordinators), never retried - one request in all."""
    clock.set(dt.datetime(2026, 11, 30, 10, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == pair.mentee_id)
                .values(channels={"meeting_reminder": "sms"})
            )
    with pytest.raises(httpx.ReadTimeout):
        await _gateway(0, [], httpx.ReadTimeout("slow")).send(MESSAGE, _handed)
    data = PlannedMeetingIn(day="2026-12-03", time="14:00", place="Caféen")
    await in_context(
        sessionmaker,
        tenants.a,
        lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(tenants.a)),
    )
    seen: list[httpx.Request] = []
    gateway = _gateway(0, seen, httpx.ReadTimeout("slow"))
    plugins = create_plugin_manager()
    base = make_transports(Settings(env="production"), plugins)
    runtime = JobRuntime(
        sessionmaker,
        Settings(),
        plugins,
        Transports(email=None, page=base.page, sms_for=lambda tenant: SmsTransport(gateway)),
    )
    for minute in (0, 2, 10, 30):
        clock.set(dt.datetime(2026, 12, 2, 17, minute, tzinfo=COPENHAGEN))
        await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    sms = [(r.status, r.last_error, r.attempts) for r in rows if r.channel == "sms"]
    assert sms == [("uncertain", "ReadTimeout", 1)]
    assert len(seen) == 1
