"""Delivery over real SMTP (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL with a fixed clock
(each test runs the tick for its own tenant: the SMTP server counts what arrives from all):
e-mail goes out once with its Message-ID from the idempotency key; a dead SMTP server loses
nothing (tried again with backoff, sent once it is back); a worker killed mid-delivery and
restarted sends no duplicate; the SMTP settings refuse what production must not do."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from core.clock import COPENHAGEN
from core.forloeb.planned import PlannedMeetingIn, plan_meeting
from core.jobs.tick import tick_tenant
from core.settings import Settings, SettingsError, SmtpSettings, load_settings
from tests.live import free_port
from tests.notification_world import in_context, links, make_pair, outbox, runtime_for

DUE = dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN)


class Inbox:
    """An SMTP server's handler that keeps every message; ``hold`` makes DATA wait (the
    message is received, the answer not yet given)."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.hold = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        while self.hold.is_set():
            await asyncio.sleep(0.05)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    inbox.hold.clear()
    controller.stop()


def smtp_settings(port: int) -> Settings:
    return Settings(
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender="Makker <makker@example.org>",
            security="none",
            timeout=5,
        )
    )


async def _planned_pair(sessionmaker, tenant, clock):
    clock.set(dt.datetime(2026, 11, 30, 10, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenant, dt.date(2026, 11, 1))
    data = PlannedMeetingIn(day="2026-12-03", time="14:00", place="Caféen")
    await in_context(
        sessionmaker, tenant, lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(tenant))
    )
    return pair


async def test_an_e_mail_goes_out_once_over_smtp(sessionmaker, tenants, clock, smtp):
    await _planned_pair(sessionmaker, tenants.a, clock)
    runtime = runtime_for(sessionmaker, smtp_settings(smtp.port))
    clock.set(DUE)
    await tick_tenant(runtime, tenants.a)
    clock.set(DUE + dt.timedelta(minutes=1))
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.status, r.transport) for r in rows) == [("sent", "smtp")] * 2
    assert len(smtp.messages) == 2
    first = smtp.messages[0]
    assert first["Subject"] == "Påmindelse: møde i morgen kl. 14.00"
    assert first["From"] == "Makker <makker@example.org>"
    assert first["List-Unsubscribe"] == f"<http://127.0.0.1:8000/t/{tenants.a.slug}/beskeder/valg>"
    assert len({m["Message-ID"] for m in smtp.messages}) == 2


async def test_a_dead_smtp_server_loses_nothing(sessionmaker, tenants, clock, smtp, caplog):
    await _planned_pair(sessionmaker, tenants.a, clock)
    dead = runtime_for(sessionmaker, smtp_settings(free_port()))  # nobody listens there
    clock.set(DUE)
    with caplog.at_level("WARNING", logger="makker.notifications"):
        await tick_tenant(dead, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert (
        sorted((r.status, r.attempts, r.last_error) for r in rows)
        == [("pending", 1, "SMTPConnectError")] * 2
    )
    # the log names the row and the error's kind: no address, name or text of the message
    assert sorted(
        r.getMessage() for r in caplog.records if r.name == "makker.notifications"
    ) == sorted(
        f"notification delivery refused ({r.id}, attempt 1): SMTPConnectError" for r in rows
    )
    assert {_minutes_after_due(r.due_at) for r in rows} == {1}  # the first wait: 1 minute
    clock.set(DUE + dt.timedelta(seconds=30))  # not yet due again
    await tick_tenant(dead, tenants.a)
    assert {r.attempts for r in await outbox(sessionmaker, tenants.a)} == {1}
    clock.set(DUE + dt.timedelta(minutes=2))
    await tick_tenant(dead, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert {(r.status, r.attempts) for r in rows} == {("pending", 2)}
    assert {_minutes_after_due(r.due_at) for r in rows} == {2 + 5}  # the second wait: 5
    # the server is back
    alive = runtime_for(sessionmaker, smtp_settings(smtp.port))
    clock.set(DUE + dt.timedelta(minutes=8))
    await tick_tenant(alive, tenants.a)
    await tick_tenant(alive, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.status, r.attempts) for r in rows) == [("sent", 3)] * 2
    assert len(smtp.messages) == 2


_CHILD = """
import asyncio, datetime as dt, sys, uuid
from core import clock
from core.db.session import create_engine, create_sessionmaker
from core.notifications.delivery import deliver_due
from core.notifications.outbox import Links
from core.plugin_api import create_plugin_manager
from core.notifications.setup import make_transports
from core.settings import Settings, SmtpSettings
from core.tenancy.models import Tenant
from core.db.tenant_scope import tenant_scope

url, tenant_id, port, at = sys.argv[1], uuid.UUID(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
clock.set_clock(clock.Clock(dt.datetime.fromisoformat(at)))
settings = Settings(smtp=SmtpSettings(host="127.0.0.1", port=port,
                    sender="Makker <makker@example.org>", security="none", timeout=60))

async def main():
    engine = create_engine(url)
    sm = create_sessionmaker(engine)
    async with sm() as session:
        tenant = await session.get(Tenant, tenant_id)
    print("started", flush=True)
    await deliver_due(sm, tenant, make_transports(settings, create_plugin_manager()),
                      Links("http://127.0.0.1:8000", tenant.slug))

asyncio.run(main())
"""


async def test_a_worker_killed_mid_delivery_and_restarted_sends_no_duplicate(
    database, sessionmaker, tenants, clock, smtp
):
    pair = await _planned_pair(sessionmaker, tenants.a, clock)
    smtp.hold.set()  # the first message is received, but its "250 OK" waits
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CHILD,
            database.app_url,
            str(tenants.a.id),
            str(smtp.port),
            DUE.isoformat(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while not smtp.messages:
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker sent nothing"
            await asyncio.sleep(0.05)
        child.send_signal(signal.SIGKILL)  # killed while handing the first message over
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
    smtp.hold.clear()
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted(r.status for r in rows) == ["handing_over", "pending"]
    # the restarted worker, once the dead one's lease has run out
    runtime = runtime_for(sessionmaker, smtp_settings(smtp.port))
    clock.set(DUE + dt.timedelta(minutes=6))
    await tick_tenant(runtime, tenants.a)
    await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.status, r.last_error) for r in rows) == [
        ("sent", None),
        ("uncertain", "worker_stopped"),
    ]
    # two rows, two messages: the one handed over before the kill was not sent again
    assert len(smtp.messages) == 2
    assert len({m["To"] for m in smtp.messages}) == 2
    assert len({m["Message-ID"] for m in smtp.messages}) == 2
    assert {pair.mentee_id, pair.mentor_id} == {r.person_id for r in rows}


def _minutes_after_due(moment: dt.datetime) -> int:
    """Whole minutes from DUE (the test clock runs on by milliseconds)."""
    return int((moment - DUE).total_seconds() // 60)


def _env(**values: str) -> dict[str, str]:
    return {"MAKKER_ENV": "development", **values}


def test_smtp_settings_are_read_and_refused_in_one_line():
    smtp = load_settings(
        _env(MAKKER_SMTP_HOST="smtp.example.org", MAKKER_SMTP_FROM="Makker <m@example.org>")
    ).smtp
    assert smtp == SmtpSettings("smtp.example.org", 587, "Makker <m@example.org>", "starttls")
    assert load_settings(_env()).smtp is None
    cases = {
        "MAKKER_SMTP_HOST is required when MAKKER_SMTP_FROM is set": _env(
            MAKKER_SMTP_FROM="m@example.org"
        ),
        "MAKKER_SMTP_FROM must be the sender's address, e.g. Makker <makker@kolding.dk>": _env(
            MAKKER_SMTP_HOST="smtp.example.org"
        ),
        "MAKKER_SMTP_USERNAME and MAKKER_SMTP_PASSWORD go together": _env(
            MAKKER_SMTP_HOST="smtp.example.org",
            MAKKER_SMTP_FROM="m@example.org",
            MAKKER_SMTP_USERNAME="u",
        ),
        "MAKKER_SMTP_SECURITY must be one of starttls, tls, none": _env(
            MAKKER_SMTP_HOST="smtp.example.org",
            MAKKER_SMTP_FROM="m@example.org",
            MAKKER_SMTP_SECURITY="ssl",
        ),
    }
    for message, env in cases.items():
        with pytest.raises(SettingsError) as raised:
            load_settings(env)
        assert str(raised.value) == message
    production = {
        "MAKKER_ENV": "production",
        "MAKKER_DATABASE_URL": "postgresql+asyncpg://app@db/makker",
        "MAKKER_SECRET_KEY": "x" * 40,
        "MAKKER_BASE_URL": "https://makker.example.dk",
        "MAKKER_OIDC_ISSUER": "https://login.example.dk/realms/makker",
        "MAKKER_OIDC_CLIENT_SECRET": "s" * 20,
        "MAKKER_SMTP_HOST": "smtp.example.org",
        "MAKKER_SMTP_FROM": "m@example.org",
        "MAKKER_SMTP_SECURITY": "none",
    }
    with pytest.raises(SettingsError) as raised:
        load_settings(production)
    assert str(raised.value) == (
        "MAKKER_SMTP_SECURITY must be starttls or tls when MAKKER_ENV=production "
        "(messages and the password would cross the network unencrypted)"
    )
