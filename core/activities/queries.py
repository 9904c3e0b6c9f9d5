"""Activities: reads for the API, the pages, the calendar and "Mit forløb".

Everything runs in the current tenant's scope; another tenant's activity is simply not found
(:class:`core.errors.NotFound`, the same 404 as a missing one).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities.models import (
    Activity,
    ActivityAttendance,
    ActivityCancellation,
    ActivityKind,
    ActivityMember,
)
from core.activities.recurrence import local, occurrence_days
from core.errors import NotFound
from core.participants.models import FINAL_STATUSES, Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme

KIND_LABELS = {
    ActivityKind.SUPERVISION: "Group supervision",
    ActivityKind.CAFE: "Café meetup",
    ActivityKind.INTEREST_GROUP: "Interest group",
    ActivityKind.EVENT: "Event",
    ActivityKind.INFO_MEETING: "Information meeting",
}


async def activity_of(session: AsyncSession, activity_id: uuid.UUID) -> Activity:
    """The current tenant's activity. :raises NotFound: also for another tenant's."""
    activity = await session.scalar(select(Activity).where(Activity.id == activity_id))
    if activity is None:
        raise NotFound()
    return activity


async def list_activities(session: AsyncSession) -> list[Activity]:
    return list(await session.scalars(select(Activity).order_by(Activity.first_on, Activity.title)))


async def programme_slugs(session: AsyncSession) -> dict[uuid.UUID, str]:
    return {p.id: p.slug for p in await session.scalars(select(Programme))}


@dataclass(frozen=True)
class Occurrence:
    activity: Activity
    day: dt.date
    cancelled: bool

    @property
    def starts_at(self) -> dt.datetime:
        return local(self.day, self.activity.starts)

    @property
    def ends_at(self) -> dt.datetime:
        return local(self.day, self.activity.ends)


async def occurrences(
    session: AsyncSession, activity: Activity, start: dt.date, end: dt.date
) -> list[Occurrence]:
    """The activity's occurrences between ``start`` and ``end`` (inclusive), cancelled marked."""
    cancelled = set(
        await session.scalars(
            select(ActivityCancellation.day).where(ActivityCancellation.activity_id == activity.id)
        )
    )
    days = occurrence_days(activity.first_on, activity.recurrence, activity.until, start, end)
    return [Occurrence(activity, d, d in cancelled) for d in days]


def is_occurrence(activity: Activity, day: dt.date) -> bool:
    return day in occurrence_days(activity.first_on, activity.recurrence, activity.until, day, day)


async def is_cancelled(session: AsyncSession, activity: Activity, day: dt.date) -> bool:
    found = await session.scalar(
        select(ActivityCancellation.id).where(
            ActivityCancellation.activity_id == activity.id, ActivityCancellation.day == day
        )
    )
    return found is not None


async def members(session: AsyncSession, activity: Activity) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(ActivityMember, ActivityMember.person_id == Person.id)
            .where(ActivityMember.activity_id == activity.id)
            .order_by(Person.name)
        )
    )


async def attendance(session: AsyncSession, activity: Activity, day: dt.date) -> set[uuid.UUID]:
    return set(
        await session.scalars(
            select(ActivityAttendance.person_id).where(
                ActivityAttendance.activity_id == activity.id, ActivityAttendance.day == day
            )
        )
    )


async def attendance_choices(session: AsyncSession, activity: Activity) -> list[Person]:
    """Whom the attendance form lists: the members, or for an open activity (no members)
    anyone of the organisation who came (the first 200 by name)."""
    people = await members(session, activity)
    if people:
        return people
    return list(await session.scalars(select(Person).order_by(Person.name).limit(200)))


def open_to(
    activity: Activity,
    member_of: set[uuid.UUID],
    programmes: set[uuid.UUID],
    mentor_programmes: set[uuid.UUID],
) -> bool:
    """Whether a person takes part in ``activity``: groups they are a member of; supervision
    when they are a mentor (of its programme); cafés, events and information meetings of their
    programmes or of no programme. ``programmes`` and ``mentor_programmes`` are the ids of their
    open enrolments (all, and as mentor)."""
    if activity.id in member_of:
        return activity.kind != ActivityKind.SUPERVISION or bool(mentor_programmes)
    in_programme = activity.programme_id is None or activity.programme_id in programmes
    if activity.kind == ActivityKind.SUPERVISION:
        return bool(mentor_programmes) and (
            activity.programme_id is None or activity.programme_id in mentor_programmes
        )
    if activity.kind == ActivityKind.INTEREST_GROUP:
        return False
    return in_programme


async def person_activities(session: AsyncSession, person_id: uuid.UUID) -> list[Activity]:
    """The activities a person takes part in (:func:`open_to`): the same on "Mit forløb" and in
    the person's calendar feed."""
    enrolments = (
        await session.execute(
            select(Enrolment.programme_id, Enrolment.role).where(
                Enrolment.person_id == person_id,
                Enrolment.status.not_in([s.value for s in FINAL_STATUSES]),
            )
        )
    ).all()
    programmes = {programme for programme, _role in enrolments}
    mentors = {p for p, role in enrolments if EnrolmentRole(role) == EnrolmentRole.MENTOR}
    member_of = set(
        await session.scalars(
            select(ActivityMember.activity_id).where(ActivityMember.person_id == person_id)
        )
    )
    return [a for a in await list_activities(session) if open_to(a, member_of, programmes, mentors)]
