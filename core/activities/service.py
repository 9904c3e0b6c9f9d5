"""Activities: create, list occurrences, members, cancellations and attendance.

Membership rules: ``supervision`` is for mentors only (a person with an open mentor enrolment -
in the activity's programme when it has one); an ``info_meeting`` has no sign-up; the others
take anyone of the tenant. Everything runs in the current tenant's scope.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities.models import (
    Activity,
    ActivityAttendance,
    ActivityCancellation,
    ActivityKind,
    ActivityMember,
    Recurrence,
)
from core.activities.recurrence import occurrence_days
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

KIND_LABELS = {
    ActivityKind.SUPERVISION: "Group supervision",
    ActivityKind.CAFE: "Café meetup",
    ActivityKind.INTEREST_GROUP: "Interest group",
    ActivityKind.EVENT: "Event",
    ActivityKind.INFO_MEETING: "Information meeting",
}


class ActivityError(ValueError):
    """Bad input for an activity; ``field`` names the input, the message is for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class ActivityIn:
    kind: str
    title: str
    first_on: dt.date
    starts: dt.time
    ends: dt.time
    recurrence: str = "none"
    until: dt.date | None = None
    programme: str | None = None
    place: str = ""
    room: str = ""
    description: str = ""
    published: bool = False


async def get_activity(session: AsyncSession, activity_id: uuid.UUID) -> Activity | None:
    """The current tenant's activity, or ``None`` (also for another tenant's)."""
    return await session.scalar(select(Activity).where(Activity.id == activity_id))


async def create_activity(session: AsyncSession, data: ActivityIn) -> Activity:
    """Validate and store an activity; commit. :raises ActivityError: nothing stored then."""
    try:
        kind = ActivityKind(data.kind)
    except ValueError:
        raise ActivityError(
            "kind", _("Choose supervision, cafe, interest_group, event or info_meeting.")
        ) from None
    try:
        recurrence = Recurrence(data.recurrence)
    except ValueError:
        raise ActivityError("recurrence", _("Choose none, weekly or monthly.")) from None
    if not data.title.strip():
        raise ActivityError("title", _("The activity needs a title."))
    if data.ends <= data.starts:
        raise ActivityError("ends", _("The activity must end after it starts."))
    if data.until is not None and data.until < data.first_on:
        raise ActivityError("until", _("The last date cannot be before the first."))
    if data.published and kind != ActivityKind.INFO_MEETING:
        raise ActivityError("published", _("Only information meetings can be published."))
    programme_id = None
    if data.programme:
        programme = await session.scalar(
            select(Programme).where(
                Programme.slug == data.programme, Programme.archived_at.is_(None)
            )
        )
        if programme is None:
            raise ActivityError(
                "programme", _("The programme does not exist in this organisation.")
            )
        programme_id = programme.id
    activity = Activity(
        programme_id=programme_id,
        kind=kind,
        title=data.title.strip(),
        description=data.description.strip(),
        place=data.place.strip(),
        room=data.room.strip(),
        first_on=data.first_on,
        starts=data.starts,
        ends=data.ends,
        recurrence=recurrence,
        until=data.until if recurrence != Recurrence.NONE else None,
        published=data.published,
    )
    session.add(activity)
    await session.flush()
    return activity


@dataclass(frozen=True)
class Occurrence:
    activity: Activity
    day: dt.date
    cancelled: bool

    @property
    def starts_at(self) -> dt.datetime:
        from core.activities.recurrence import local

        return local(self.day, self.activity.starts)

    @property
    def ends_at(self) -> dt.datetime:
        from core.activities.recurrence import local

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


async def _is_mentor(
    session: AsyncSession, person_id: uuid.UUID, programme_id: uuid.UUID | None
) -> bool:
    query = select(Enrolment.id).where(
        Enrolment.person_id == person_id,
        Enrolment.role == EnrolmentRole.MENTOR,
        Enrolment.status.not_in(("finished", "withdrawn")),
    )
    if programme_id is not None:
        query = query.where(Enrolment.programme_id == programme_id)
    return (await session.scalar(query.limit(1))) is not None


async def _check_may_take_part(
    session: AsyncSession, activity: Activity, person_id: uuid.UUID, field: str
) -> None:
    if activity.kind == ActivityKind.SUPERVISION and not await _is_mentor(
        session, person_id, activity.programme_id
    ):
        raise ActivityError(field, _("Group supervision is for mentors only."))


async def add_member(
    session: AsyncSession, activity: Activity, person_id: uuid.UUID
) -> tuple[Person, bool]:
    """Add a member; commit. Returns the person and whether they were added.

    :raises LookupError: if the person does not exist in this tenant.
    :raises ActivityError: for an info meeting (no sign-up) or a non-mentor in supervision.
    """
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise LookupError(person_id)
    if activity.kind == ActivityKind.INFO_MEETING:
        raise ActivityError("person_id", _("Information meetings need no sign-up."))
    await _check_may_take_part(session, activity, person_id, "person_id")
    exists = await session.scalar(
        select(ActivityMember.id).where(
            ActivityMember.activity_id == activity.id, ActivityMember.person_id == person_id
        )
    )
    if exists is not None:
        return person, False
    session.add(ActivityMember(activity_id=activity.id, person_id=person_id))
    await session.flush()
    return person, True


async def members(session: AsyncSession, activity: Activity) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(ActivityMember, ActivityMember.person_id == Person.id)
            .where(ActivityMember.activity_id == activity.id)
            .order_by(Person.name)
        )
    )


async def cancel_occurrence(session: AsyncSession, activity: Activity, day: dt.date) -> bool:
    """Cancel the occurrence on ``day``; commit. :return: ``False`` if there is none that day."""
    if not is_occurrence(activity, day):
        return False
    exists = await session.scalar(
        select(ActivityCancellation.id).where(
            ActivityCancellation.activity_id == activity.id, ActivityCancellation.day == day
        )
    )
    if exists is None:
        session.add(ActivityCancellation(activity_id=activity.id, day=day))
        await session.flush()
    return True


async def attendance(session: AsyncSession, activity: Activity, day: dt.date) -> set[uuid.UUID]:
    return set(
        await session.scalars(
            select(ActivityAttendance.person_id).where(
                ActivityAttendance.activity_id == activity.id, ActivityAttendance.day == day
            )
        )
    )


async def set_occurrence_attendance(
    session: AsyncSession, activity: Activity, day: dt.date, present: Sequence[uuid.UUID]
) -> bool:
    """Record who was present on ``day``; commit. :return: ``False`` if there is no such
    occurrence. :raises ActivityError: for a cancelled occurrence, an unknown person, or a
    non-mentor at supervision."""
    if not is_occurrence(activity, day):
        return False
    cancelled = await session.scalar(
        select(ActivityCancellation.id).where(
            ActivityCancellation.activity_id == activity.id, ActivityCancellation.day == day
        )
    )
    if cancelled is not None:
        raise ActivityError("day", _("This occurrence is cancelled."))
    wanted = set(present)
    if wanted:
        found = set(await session.scalars(select(Person.id).where(Person.id.in_(wanted))))
        if found != wanted:
            raise ActivityError("present", _("Someone named is not known in this organisation."))
    for person_id in wanted:
        await _check_may_take_part(session, activity, person_id, "present")
    await session.execute(
        delete(ActivityAttendance).where(
            ActivityAttendance.activity_id == activity.id, ActivityAttendance.day == day
        )
    )
    for person_id in sorted(wanted):
        session.add(ActivityAttendance(activity_id=activity.id, day=day, person_id=person_id))
    await session.flush()
    return True


async def list_activities(session: AsyncSession) -> list[Activity]:
    return list(await session.scalars(select(Activity).order_by(Activity.first_on, Activity.title)))


async def person_activities(session: AsyncSession, person_id: uuid.UUID) -> list[Activity]:
    """Activities a person takes part in: groups they are a member of, plus the open ones
    (café, events) of the tenant, and supervision when they are a mentor."""
    own = set(
        await session.scalars(
            select(ActivityMember.activity_id).where(ActivityMember.person_id == person_id)
        )
    )
    result = []
    for a in await list_activities(session):
        if a.id in own or a.kind in (ActivityKind.CAFE, ActivityKind.EVENT):
            result.append(a)
    return result
