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
from dataclasses import dataclass, field, replace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.clock import local
from core.db.tenant_scope import tenant_scope
from core.forloeb.rows import list_forloeb
from core.notifications.messages import MessageValues, render
from core.notifications.models import Notification
from core.notifications.outbox import Links, key_of, local_moment, notify, values_for
from core.notifications.preferences import Choice, choice_of
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
    #: put off: due inside the person's quiet hours as they are now
    moved: int = 0
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


#: Reminders of something that starts at a moment: not sent once it has started.
REMINDERS = ("meeting_reminder", "course_session", "activity")


def _occasion_day(row: Notification) -> dt.date | None:
    """The day a course session's or activity's reminder is about (its key's occasion)."""
    parts = row.idempotency_key.split(":")
    try:
        return dt.date.fromisoformat(parts[2]) if len(parts) >= 5 else None
    except ValueError:
        return None


async def starts_at(session: AsyncSession, row: Notification) -> dt.datetime | None | bool:
    """When what a reminder is about starts (UTC), ``False`` if it is no longer so for the row's
    person (the meeting was cancelled or its forløb is no longer active; the session, the
    activity or its occurrence is gone or cancelled; the person left the hold or activity),
    ``None`` for a message that is not such a reminder."""
    from core.activities.models import Activity, ActivityMember
    from core.activities.queries import is_cancelled, is_occurrence
    from core.courses.models import CourseParticipant, CourseSession
    from core.forloeb.models import Forloeb, PlannedMeeting

    if row.kind not in REMINDERS and row.kind != "meeting_cancelled":
        return None
    if row.subject_id is None:
        return False
    if row.kind in ("meeting_reminder", "meeting_cancelled"):
        planned = await session.get(PlannedMeeting, row.subject_id)
        if planned is None:
            return False
        if row.kind == "meeting_cancelled":
            return planned.starts_at
        forloeb = await session.get(Forloeb, planned.forloeb_id)
        if planned.cancelled_at is not None or forloeb is None or forloeb.state != "active":
            return False
        return planned.starts_at
    day = _occasion_day(row)
    if row.kind == "course_session":
        found = await session.get(CourseSession, row.subject_id)
        if found is None or found.day != day:
            return False
        member = await session.scalar(
            select(CourseParticipant.id).where(
                CourseParticipant.course_id == found.course_id,
                CourseParticipant.person_id == row.person_id,
            )
        )
        return local_moment(found.day, found.starts) if member is not None else False
    activity = await session.get(Activity, row.subject_id)
    if (
        activity is None
        or day is None
        or not is_occurrence(activity, day)
        or await is_cancelled(session, activity, day)
    ):
        return False
    member = await session.scalar(
        select(ActivityMember.id).where(
            ActivityMember.activity_id == activity.id, ActivityMember.person_id == row.person_id
        )
    )
    return local_moment(day, activity.starts) if member is not None else False


async def still_so(
    session: AsyncSession, row: Notification, now: dt.datetime | None = None
) -> bool:
    """Whether what the message says is still so when it goes out: a proposal still waits for
    this party's yes; a reminder's meeting, session or activity occurrence is still on, for
    this person (and its forløb active), and has not started (a late reminder is stale)."""
    if row.kind in REMINDERS:
        start = await starts_at(session, row)
        if start is False:
            return False
        return not (isinstance(start, dt.datetime) and start <= (now or clock.now()))
    if row.kind != "proposal_waiting" or row.subject_id is None:
        return True
    found = await list_forloeb(session, ids=[row.subject_id])
    if not found or found[0].forloeb.state != "proposed":
        return False
    f = found[0].forloeb
    if found[0].mentee.id == row.person_id:
        return f.mentee_accepted_at is None
    return f.mentor_accepted_at is None


async def _values_again(
    session: AsyncSession, tenant: Tenant, row: Notification, links: Links
) -> MessageValues | None:
    """The values a meeting's, session's or activity's message was written with (to write it
    again on another channel, or for another day); ``None`` for other kinds."""
    start = await starts_at(session, row)
    if not isinstance(start, dt.datetime):
        return None
    return replace(values_for(tenant, links, ""), link=row.link, at=start)


async def _write_on_new_channels(
    session: AsyncSession,
    tenant: Tenant,
    row: Notification,
    person: Person,
    links: Links,
    now: dt.datetime,
) -> list[uuid.UUID]:
    """The person chose another channel after ``row`` was written: write the message on the
    channel(s) chosen now (idempotent: one row per channel, ever), due now (out of quiet
    hours). Only for the messages written once (a meeting's reminder and afbud); the tick
    writes the others again each minute on the channels chosen then. Returns the new rows."""
    if row.kind not in ("meeting_reminder", "meeting_cancelled") or not await still_so(
        session, row, now
    ):
        return []
    values = await _values_again(session, tenant, row, links)
    if values is None or values.at is None:
        return []
    occasion = values.at.isoformat()
    channels = await notify(
        session,
        tenant,
        person,
        row.kind,
        occasion=occasion,
        due_at=now,
        values=values,
        now=now,
        subject_id=row.subject_id,
        programme_id=row.programme_id,
    )
    keys = [key_of(row.kind, row.subject_id, occasion, person.id, c) for c in channels]
    if not keys:
        return []
    return list(
        await session.scalars(
            select(Notification.id).where(
                Notification.idempotency_key.in_(keys), Notification.due_at <= now
            )
        )
    )


async def _moved(
    session: AsyncSession,
    tenant: Tenant,
    row: Notification,
    choice: Choice,
    links: Links,
    when: dt.datetime,
) -> dict[str, object]:
    """The new ``due_at`` of an e-mail or SMS put off to ``when``, out of the person's quiet
    hours as they are now - and, for a reminder, its text again for the day it will go out
    ("i dag" instead of "i morgen")."""
    if row.channel == "page":
        return {"due_at": when}
    when = choice.out_of_quiet_hours(when)
    changes: dict[str, object] = {"due_at": when}
    values = await _values_again(session, tenant, row, links)
    if values is not None and row.kind in REMINDERS:
        rendered = render(row.kind, row.channel, values, choice.language, local(when).date())
        changes.update(title=rendered.title[:200], body=rendered.body)
    return changes


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
        while due:
            # a row written on a newly chosen channel goes out in the same run
            due.extend(
                await _deliver_one(sessionmaker, tenant, due.pop(0), transports, links, report)
            )
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
) -> list[uuid.UUID]:
    """Deliver one row; returns rows written for it now (on a newly chosen channel)."""
    now = clock.now()
    choice: Choice | None = None
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
            return []  # another worker has it
        row = await session.get_one(Notification, row_id)
        person = await session.get(Person, row.person_id) if row.person_id else None
        stop = "still"
        replaced: list[uuid.UUID] = []
        if person is not None:
            choice = await choice_of(session, person, row.kind)
        if person is not None and choice is not None and row.channel not in choice.channels:
            stop = "withdrawn"  # the person said no (or lost the address) since it was written
            # withdrawn first: a claimed row counts as gone out for the new channel's row
            await _set(session, row_id, [], status="withdrawn", lease_until=None, updated_at=now)
            replaced = await _write_on_new_channels(session, tenant, row, person, links, now)
        elif not await still_so(session, row, now):
            stop = "withdrawn"  # its cause has gone (a proposal answered, a cancelled
            # occurrence, an ended forløb) or it has started: a late reminder is stale
        elif (
            choice is not None and row.channel != "page" and choice.in_quiet_hours(now)
        ):  # the person's quiet hours as they are now: put it off, not drop it
            moved = await _moved(session, tenant, row, choice, links, now)
            await _set(
                session,
                row_id,
                [],
                status="pending",
                lease_until=None,
                attempts=row.attempts - 1,
                updated_at=now,
                **moved,
            )
            report.moved += 1
            return []
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
            return replaced
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
            return []

    async def retry_at(when: dt.datetime) -> dict[str, object]:
        """A retry's moment, out of the person's quiet hours (and a reminder's text for it)."""
        if choice is None:
            return {"due_at": when}
        async with sessionmaker() as s:
            again = await s.get_one(Notification, row_id)
            return await _moved(s, tenant, again, choice, links, when)

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
                    updated_at=clock.now(),
                    **await retry_at(clock.now() + backoff(attempts)),
                )
                report.retried += 1
        report.errors.append(refused.code)
        logger.warning(
            "notification delivery refused (%s, attempt %d): %s", row_id, attempts, refused.code
        )
        return []
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
                    updated_at=clock.now(),
                    **await retry_at(clock.now() + backoff(attempts)),
                )
                report.retried += 1
        logger.warning("notification delivery error (%s): %s", row_id, type(exc).__name__)
        return []
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
    return []
