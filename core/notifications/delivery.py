"""Delivering the outbox: nothing lost, nothing twice.

A row moves ``pending -> claimed -> handing_over -> sent``, each step committed on its own:

* **claim**: ``UPDATE ... SET status='claimed' WHERE id=:id AND status='pending'`` - of several
  workers exactly one gets the row; it holds it for :data:`LEASE`;
* **handing over**: just before the transport's point of no return (:mod:`.transports`);
* **sent** once the transport has it; a refusal (:class:`DeliveryRefused`: the server is down,
  or said no) puts the row back to ``pending`` with a later ``due_at`` (:data:`BACKOFF`), until
  :data:`MAX_ATTEMPTS`, then ``failed`` - shown to coordinators.

A worker killed on the way leaves a row whose lease runs out: a ``claimed`` row was never handed
over and goes back to ``pending`` (sent later, once); a ``handing_over`` row may have reached
the receiver, so it becomes ``uncertain`` - never sent again, shown to coordinators with the
failed ones. A dead SMTP server loses nothing: the rows wait and are tried again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.db.tenant_scope import tenant_scope
from core.forloeb.rows import list_forloeb
from core.notifications.models import Notification
from core.notifications.outbox import Links
from core.notifications.preferences import choice_of
from core.notifications.transports import DeliveryRefused, Outgoing, Transport
from core.participants.models import Person
from core.tenancy.models import Tenant

logger = logging.getLogger("makker.notifications")

#: How long a worker holds a row it claimed or is handing over.
LEASE = dt.timedelta(minutes=5)
#: The wait before attempt 2, 3, ... (minutes); after the last, the row has failed.
BACKOFF = (1, 5, 15, 60, 180, 360, 720)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: Rows one tenant's delivery takes per run (the rest wait for the next minute).
BATCH = 200


@dataclass
class Transports:
    """The transports a worker has: e-mail (SMTP, or the mailbox in development; ``None`` when
    production has no SMTP), the page, and the tenant's SMS gateway (``None``: no SMS)."""

    email: Transport | None
    page: Transport
    sms_for: Callable[[Tenant], Transport | None]


@dataclass
class Delivered:
    """What one run did, per outcome (for logs and tests)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    withdrawn: int = 0
    uncertain: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return dt.timedelta(minutes=BACKOFF[min(attempts, len(BACKOFF)) - 1])


async def _set(session: AsyncSession, row_id: uuid.UUID, when: list, **values: object) -> int:
    stmt = update(Notification).where(Notification.id == row_id, *when).values(**values)
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def recover(session: AsyncSession, now: dt.datetime, report: Delivered) -> None:
    """Rows of a worker that died: see the module's text."""
    released = await session.execute(
        update(Notification)
        .where(Notification.status == "claimed", Notification.lease_until < now)
        .values(status="pending", lease_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    report.released += int(getattr(released, "rowcount", 0) or 0)
    unknown = await session.execute(
        update(Notification)
        .where(Notification.status == "handing_over", Notification.lease_until < now)
        .values(status="uncertain", lease_until=None, last_error="worker_stopped", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    report.uncertain += int(getattr(unknown, "rowcount", 0) or 0)


async def still_so(session: AsyncSession, row: Notification) -> bool:
    """Whether what the message says is still so when it goes out: a proposal still waits for
    this party's yes. (A cancelled meeting withdraws its reminders itself.)"""
    if row.kind != "proposal_waiting" or row.subject_id is None:
        return True
    found = await list_forloeb(session, ids=[row.subject_id])
    if not found or found[0].forloeb.state != "proposed":
        return False
    f = found[0].forloeb
    if found[0].mentee.id == row.person_id:
        return f.mentee_accepted_at is None
    return f.mentor_accepted_at is None


def _address(row: Notification, person: Person | None) -> str | None:
    if row.person_id is None:
        return row.address
    if person is None:
        return None
    if row.channel == "email":
        return person.email
    if row.channel == "sms":
        return person.phone
    return person.account


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    transports: Transports,
    links: Links,
) -> Delivered:
    """Deliver the tenant's rows that are due (in the tenant's scope)."""
    report = Delivered()
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            await recover(session, clock.now(), report)
            due = list(
                await session.scalars(
                    select(Notification.id)
                    .where(Notification.status == "pending", Notification.due_at <= clock.now())
                    .order_by(Notification.due_at)
                    .limit(BATCH)
                )
            )
        for row_id in due:
            await _deliver_one(sessionmaker, tenant, row_id, transports, links, report)
    return report


def _transport(row: Notification, tenant: Tenant, transports: Transports) -> Transport | None:
    if row.channel == "page":
        return transports.page
    if row.channel == "email":
        return transports.email
    return transports.sms_for(tenant)


async def _deliver_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    row_id: uuid.UUID,
    transports: Transports,
    links: Links,
    report: Delivered,
) -> None:
    now = clock.now()
    async with sessionmaker() as session, session.begin():
        claimed = await _set(
            session,
            row_id,
            [Notification.status == "pending"],
            status="claimed",
            lease_until=now + LEASE,
            attempts=Notification.attempts + 1,
            updated_at=now,
        )
        if not claimed:
            return  # another worker has it
        row = await session.get_one(Notification, row_id)
        person = await session.get(Person, row.person_id) if row.person_id else None
        stop = "still"
        if (
            person is not None
            and row.channel not in (await choice_of(session, person, row.kind)).channels
        ):
            stop = "withdrawn"  # the person said no (or lost the address) since it was written
        elif not await still_so(session, row):
            stop = "withdrawn"  # its cause has gone: the proposal was answered
        address = _address(row, person)
        transport = _transport(row, tenant, transports)
        outgoing = Outgoing(
            to=address or "",
            title=row.title,
            body=row.body,
            idempotency_key=f"{tenant.id}:{row.idempotency_key}",
            stop_link=links.stop,
        )
        attempts = row.attempts
        if stop == "withdrawn":
            await _set(session, row_id, [], status="withdrawn", lease_until=None, updated_at=now)
            report.withdrawn += 1
            return
        if address is None or transport is None:
            code = "no_address" if address is None else f"no_{row.channel}_transport"
            await _set(
                session,
                row_id,
                [],
                status="failed",
                lease_until=None,
                last_error=code,
                updated_at=now,
            )
            report.failed += 1
            return

    handed_over = False

    async def handover() -> None:
        nonlocal handed_over
        async with sessionmaker() as s, s.begin():
            await _set(
                s,
                row_id,
                [Notification.status == "claimed"],
                status="handing_over",
                lease_until=clock.now() + LEASE,
                updated_at=clock.now(),
            )
        handed_over = True

    try:
        await transport.deliver(outgoing, handover)
    except DeliveryRefused as refused:
        async with sessionmaker() as session, session.begin():
            if refused.permanent or attempts >= MAX_ATTEMPTS:
                await _set(
                    session,
                    row_id,
                    [],
                    status="failed",
                    lease_until=None,
                    last_error=refused.code,
                    updated_at=clock.now(),
                )
                report.failed += 1
            else:
                await _set(
                    session,
                    row_id,
                    [],
                    status="pending",
                    lease_until=None,
                    last_error=refused.code,
                    due_at=clock.now() + backoff(attempts),
                    updated_at=clock.now(),
                )
                report.retried += 1
        report.errors.append(refused.code)
        logger.warning(
            "notification delivery refused (%s, attempt %d): %s", row_id, attempts, refused.code
        )
        return
    except Exception as exc:  # any other failure: was it handed over?
        async with sessionmaker() as session, session.begin():
            if handed_over:
                await _set(
                    session,
                    row_id,
                    [],
                    status="uncertain",
                    lease_until=None,
                    last_error=type(exc).__name__,
                    updated_at=clock.now(),
                )
                report.uncertain += 1
            else:
                await _set(
                    session,
                    row_id,
                    [],
                    status="pending",
                    lease_until=None,
                    last_error=type(exc).__name__,
                    due_at=clock.now() + backoff(attempts),
                    updated_at=clock.now(),
                )
                report.retried += 1
        logger.warning("notification delivery error (%s): %s", row_id, type(exc).__name__)
        return
    async with sessionmaker() as session, session.begin():
        await _set(
            session,
            row_id,
            [],
            status="sent",
            lease_until=None,
            sent_at=clock.now(),
            transport=transport.name,
            last_error=None,
            updated_at=clock.now(),
        )
    report.sent += 1
