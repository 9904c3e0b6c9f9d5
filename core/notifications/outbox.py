"""Writing messages to the outbox, in the caller's transaction.

:func:`notify` is how any domain says "tell this person": it decides the channels from the
person's choices (:mod:`core.notifications.preferences`), moves an e-mail or SMS out of their
quiet hours, renders the text in the person's language (Danish unless they chose English) and
adds one row per channel, each with its idempotency key - so calling it twice for the same
cause writes nothing the second time. The rows are part
of the caller's transaction: they exist exactly when the change that caused them was committed.
:func:`withdraw` takes back what has not gone out yet (an afbud withdraws the reminders).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import COPENHAGEN, local
from core.context import Context
from core.notifications import preferences
from core.notifications.messages import MessageValues, render
from core.notifications.models import Notification
from core.participants.models import Person
from core.tenancy.models import Tenant

#: Where a person's messages and choices live (behind sign-in).
INBOX_PATH = "/t/{slug}/beskeder/"
CHOICES_PATH = "/t/{slug}/beskeder/valg"


@dataclass(frozen=True)
class Links:
    """Absolute links for a tenant's messages (``base_url`` is ``MAKKER_BASE_URL``)."""

    base_url: str
    tenant_slug: str

    def to(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @property
    def stop(self) -> str:
        return self.to(CHOICES_PATH.format(slug=self.tenant_slug))


def links_for(ctx: Context) -> Links:
    """The tenant's links with the app's ``MAKKER_BASE_URL`` (from the current request; outside
    one - the demo, the CLI - the links are relative)."""
    from core.web.pipeline import current_context

    request = current_context()
    settings = request.scope["app"].state.settings if request is not None else None
    return Links(settings.base_url if settings is not None else "", ctx.tenant.slug)


def contact_line(tenant: Tenant) -> str:
    """The tenant file's ``[notifications] contact``, or the tenant's name alone."""
    return str((tenant.notifications or {}).get("contact") or tenant.name)


def signature(tenant: Tenant) -> str:
    """The name messages sign with: ``[notifications] name``, else the tenant's name."""
    return str((tenant.notifications or {}).get("name") or tenant.name)


def values_for(tenant: Tenant, links: Links, path: str, **extra: object) -> MessageValues:
    return replace(
        MessageValues(
            tenant_name=signature(tenant),
            contact=contact_line(tenant),
            link=links.to(path),
            stop_link=links.stop,
        ),
        **extra,  # type: ignore[arg-type]
    )


def key_of(kind: str, subject: object, occasion: object, person_id: object, channel: str) -> str:
    """The idempotency key: one message per kind, object, occasion, person and channel."""
    return f"{kind}:{subject}:{occasion}:{person_id}:{channel}"[:200]


async def _insert_once(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert the row unless its idempotency key is there already (no error, no second row)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = values["created_at"]
    stmt = (
        insert(Notification)
        .values(id=uuid.uuid4(), updated_at=now, status="pending", attempts=0, **values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


#: An e-mail or SMS in these states has gone out (or may have): the person has the message.
GONE_OUT = ("claimed", "handing_over", "sent", "uncertain")


async def _gone_out_elsewhere(
    session: AsyncSession,
    kind: str,
    subject_id: uuid.UUID | None,
    occasion: object,
    person_id: uuid.UUID,
    channel: str,
) -> bool:
    """Whether the message went out by e-mail or SMS on the other channel - a person who
    switched channel after it was sent does not get it twice (the tick writes the day-before
    reminders again each minute on the channels chosen then)."""
    others = [key_of(kind, subject_id, occasion, person_id, c) for c in ("email", "sms")]
    others.remove(key_of(kind, subject_id, occasion, person_id, channel))
    found = await session.scalar(
        select(Notification.id).where(
            Notification.idempotency_key.in_(others), Notification.status.in_(GONE_OUT)
        )
    )
    return found is not None


async def notify(
    session: AsyncSession,
    tenant: Tenant,
    person: Person,
    kind: str,
    *,
    occasion: object,
    due_at: dt.datetime,
    values: MessageValues,
    now: dt.datetime,
    subject_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None,
) -> list[str]:
    """Write ``kind`` for ``person`` to the outbox, due at ``due_at`` (UTC), on the channels the
    person chose; returns the channels written now (none if the person turned the kind off, or
    every row was there already). ``programme_id``: the programme the message is about (its
    course, activity or forløb), ``None`` if none - a partner never sees such a row."""
    choice = await preferences.choice_of(session, person, kind)
    written = []
    for channel in choice.channels:
        if channel != "page" and await _gone_out_elsewhere(
            session, kind, subject_id, occasion, person.id, channel
        ):
            continue  # already sent on the channel chosen before: not again on this one
        when = max(due_at if channel == "page" else choice.out_of_quiet_hours(due_at), now)
        # the day it goes out (Danish time): a reminder says "i dag" or "i morgen" from there
        rendered = render(kind, channel, values, choice.language, sent_on=local(when).date())
        done = await _insert_once(
            session,
            {
                "tenant_id": tenant.id,
                "idempotency_key": key_of(kind, subject_id, occasion, person.id, channel),
                "kind": kind,
                "channel": channel,
                "person_id": person.id,
                "subject_id": subject_id,
                "programme_id": programme_id,
                "due_at": when,
                "title": rendered.title[:200],
                "body": rendered.body,
                "link": values.link[:500],
                "created_at": now,
            },
        )
        if done:
            written.append(channel)
    return written


async def notify_address(
    session: AsyncSession,
    tenant: Tenant,
    address: str,
    kind: str,
    *,
    occasion: object,
    due_at: dt.datetime,
    values: MessageValues,
    now: dt.datetime,
) -> bool:
    """An e-mail to an address that is not a person's (the coordinators' digest)."""
    rendered = render(kind, "email", values)
    return await _insert_once(
        session,
        {
            "tenant_id": tenant.id,
            "idempotency_key": key_of(kind, tenant.id, occasion, "team", "email"),
            "kind": kind,
            "channel": "email",
            "address": address,
            "due_at": due_at,
            "title": rendered.title[:200],
            "body": rendered.body,
            "link": values.link[:500],
            "created_at": now,
        },
    )


async def withdraw(
    session: AsyncSession, subject_id: uuid.UUID, kinds: tuple[str, ...], now: dt.datetime
) -> int:
    """Take back the messages about ``subject_id`` that have not gone out (pending); those
    already sent or being sent stay as they are. Returns how many were withdrawn."""
    result = await session.execute(
        update(Notification)
        .where(
            Notification.subject_id == subject_id,
            Notification.kind.in_(kinds),
            Notification.status == "pending",
        )
        .values(status="withdrawn", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def person_messages(
    session: AsyncSession, person_id: uuid.UUID, now: dt.datetime, limit: int = 50
) -> list[Notification]:
    """The person's page messages that have arrived, newest first."""
    rows = await session.scalars(
        select(Notification)
        .where(
            Notification.person_id == person_id,
            Notification.channel == "page",
            Notification.status == "sent",
        )
        .order_by(Notification.sent_at.desc())
        .limit(limit)
    )
    return list(rows)


def local_moment(day: dt.date, at: dt.time) -> dt.datetime:
    """``day`` at ``at`` on the Danish wall clock, as an aware UTC moment (zoneinfo picks the
    offset of that day: +01:00 in winter, +02:00 in summer)."""
    return dt.datetime.combine(day, at, tzinfo=COPENHAGEN).astimezone(dt.UTC)
