"""Reads for the public pages and the coordinator's list of applications (current tenant)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities.models import Activity, ActivityKind
from core.activities.queries import Occurrence, occurrences
from core.applications.models import Application
from core.clock import COPENHAGEN
from core.participants.models import Enrolment, EnrolmentStatus, Person
from core.tenancy.models import Programme

#: How far ahead the public page lists information meetings.
MEETINGS_AHEAD = dt.timedelta(days=400)


async def public_programmes(session: AsyncSession) -> list[Programme]:
    """The tenant's active programmes that have a public page, by name."""
    rows = await session.scalars(
        select(Programme)
        .where(Programme.archived_at.is_(None), Programme.public.is_not(None))
        .order_by(Programme.name)
    )
    return [p for p in rows if p.public]


async def coming_info_meetings(
    session: AsyncSession, programme: Programme, now: dt.datetime
) -> list[Occurrence]:
    """The published information meetings of ``programme`` (or of no programme: the whole
    organisation's) that have not ended at ``now``, not cancelled, soonest first."""
    today = now.astimezone(COPENHAGEN).date()
    meetings = await session.scalars(
        select(Activity).where(
            Activity.kind == ActivityKind.INFO_MEETING,
            Activity.published.is_(True),
            or_(Activity.programme_id == programme.id, Activity.programme_id.is_(None)),
        )
    )
    found: list[Occurrence] = []
    for meeting in list(meetings):
        found += [
            o
            for o in await occurrences(session, meeting, today, today + MEETINGS_AHEAD)
            if not o.cancelled and o.ends_at > now
        ]
    return sorted(found, key=lambda o: o.starts_at)


@dataclass(frozen=True)
class Waiting:
    """An application whose enrolment is still ``applied``: the coordinator is to call."""

    application: Application
    person: Person
    enrolment: Enrolment
    programme: Programme


def _waiting() -> Select[tuple[Application, Person, Enrolment, Programme]]:
    return (
        select(Application, Person, Enrolment, Programme)
        .join(Enrolment, Enrolment.id == Application.enrolment_id)
        .join(Person, Person.id == Application.person_id)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.status == EnrolmentStatus.APPLIED.value)
    )


async def waiting_applications(session: AsyncSession, limit: int = 200) -> list[Waiting]:
    """Applications that wait for the coordinator, newest first."""
    rows = await session.execute(
        _waiting().order_by(Application.created_at.desc(), Application.id).limit(limit)
    )
    return [Waiting(*row) for row in rows]


async def count_waiting(session: AsyncSession) -> int:
    """How many applications wait for the coordinator (no personal data: a number)."""
    found = await session.scalar(
        select(func.count())
        .select_from(Application)
        .join(Enrolment, Enrolment.id == Application.enrolment_id)
        .where(Enrolment.status == EnrolmentStatus.APPLIED.value)
    )
    return int(found or 0)


async def application_of(session: AsyncSession, enrolment_id: uuid.UUID) -> Application | None:
    """The application an enrolment came from, if it came from one."""
    return await session.scalar(
        select(Application).where(Application.enrolment_id == enrolment_id).limit(1)
    )


async def front_applications(request: Any, session: AsyncSession) -> int | None:
    """For the front page: how many applications wait, for a coordinator or tenant admin;
    ``None`` for anyone else (the page then shows nothing about applications)."""
    principal = request.scope.get("user")
    if principal is None or not principal.has_any_role("tenant_admin", "coordinator"):
        return None
    return await count_waiting(session)


async def waiting_application(session: AsyncSession, application_id: uuid.UUID) -> Waiting | None:
    """One application that still waits (its enrolment ``applied``), or ``None``."""
    row = (await session.execute(_waiting().where(Application.id == application_id))).first()
    return Waiting(*row) if row is not None else None


async def other_enrolments(session: AsyncSession, enrolment: Enrolment) -> int:
    """How many other enrolments the enrolment's person has (any programme, role or status)."""
    found = await session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.person_id == enrolment.person_id, Enrolment.id != enrolment.id)
    )
    return int(found or 0)
