"""Activities: one command per action, ``async def x(ctx, data)``.

Membership rules: ``supervision`` is for mentors only (a person with an open mentor enrolment -
in the activity's programme when it has one); an ``info_meeting`` has no sign-up; the others
take anyone of the tenant. Commands validate (raising :class:`core.errors.Invalid` before
anything is written), flush, and note their audit rows with ids only.
"""

from __future__ import annotations

import datetime as dt
import uuid

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
from core.activities.queries import activity_of, is_cancelled, is_occurrence
from core.activities.schemas import TEXT_LIMITS, ActivityIn, PersonIdIn, PresentIn
from core.context import Context
from core.errors import Invalid, NotFound
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from core.web import text as chars
from core.web.i18n import gettext as _


def _invalid(field: str, message: str) -> Invalid:
    return Invalid({field: message}, detail=message)


async def create_activity(ctx: Context, data: ActivityIn) -> Activity:
    """Validate and store an activity. :raises Invalid: nothing is stored then."""
    try:
        kind = ActivityKind(data.kind)
    except ValueError:
        raise _invalid(
            "kind", _("Choose supervision, cafe, interest_group, event or info_meeting.")
        ) from None
    try:
        recurrence = Recurrence(data.recurrence)
    except ValueError:
        raise _invalid("recurrence", _("Choose none, weekly or monthly.")) from None
    texts = {
        key: message
        for key, limit in TEXT_LIMITS.items()
        if (message := chars.fault(getattr(data, key), limit, multiline=key == "description"))
    }
    if texts:
        raise Invalid(texts, detail=next(iter(texts.values())))
    if chars.is_blank(data.title):
        raise _invalid("title", _("The activity needs a title."))
    if data.ends <= data.starts:
        raise _invalid("ends", _("The activity must end after it starts."))
    if data.until is not None and data.until < data.first_on:
        raise _invalid("until", _("The last date cannot be before the first."))
    if data.published and kind != ActivityKind.INFO_MEETING:
        raise _invalid("published", _("Only information meetings can be published."))
    programme_id = None
    if data.programme:
        programme = await ctx.session.scalar(
            select(Programme).where(
                Programme.slug == data.programme, Programme.archived_at.is_(None)
            )
        )
        if programme is None:
            raise _invalid("programme", _("The programme does not exist in this organisation."))
        programme_id = programme.id
    activity = Activity(
        programme_id=programme_id,
        kind=kind,
        title=data.title.strip(),
        description=chars.line_feeds(data.description).strip(),
        place=data.place.strip(),
        room=data.room.strip(),
        first_on=data.first_on,
        starts=data.starts,
        ends=data.ends,
        recurrence=recurrence,
        until=data.until if recurrence != Recurrence.NONE else None,
        published=data.published,
    )
    ctx.session.add(activity)
    await ctx.session.flush()
    return activity


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
        raise _invalid(field, _("Group supervision is for mentors only."))


async def add_member(ctx: Context, activity_id: uuid.UUID, data: PersonIdIn) -> bool:
    """Add a member. :return: whether they were added (``False``: already one).

    :raises NotFound: no such activity or person in this tenant.
    :raises Invalid: for an info meeting (no sign-up) or a non-mentor in supervision.
    """
    session = ctx.session
    activity = await activity_of(session, activity_id)
    if await session.scalar(select(Person.id).where(Person.id == data.person_id)) is None:
        raise NotFound()
    if activity.kind == ActivityKind.INFO_MEETING:
        raise _invalid("person_id", _("Information meetings need no sign-up."))
    await _check_may_take_part(session, activity, data.person_id, "person_id")
    exists = await session.scalar(
        select(ActivityMember.id).where(
            ActivityMember.activity_id == activity.id, ActivityMember.person_id == data.person_id
        )
    )
    if exists is not None:
        return False
    session.add(ActivityMember(activity_id=activity.id, person_id=data.person_id))
    await session.flush()
    ctx.audit("activity.member_add", object_type="activity", object_id=activity.id)
    return True


async def cancel_occurrence(ctx: Context, activity_id: uuid.UUID, day: dt.date) -> None:
    """Cancel the occurrence on ``day`` (the series continues; cancelling twice is one).

    :raises NotFound: no such activity, or it has no occurrence that day."""
    activity = await activity_of(ctx.session, activity_id)
    if not is_occurrence(activity, day):
        raise NotFound()
    if not await is_cancelled(ctx.session, activity, day):
        ctx.session.add(ActivityCancellation(activity_id=activity.id, day=day))
        await ctx.session.flush()


async def set_occurrence_attendance(
    ctx: Context, activity_id: uuid.UUID, day: dt.date, data: PresentIn
) -> None:
    """Record who was present on ``day`` (everyone else was absent).

    :raises NotFound: no such activity, or it has no occurrence that day.
    :raises Invalid: for a cancelled occurrence, an unknown person, or a non-mentor at
        supervision."""
    session = ctx.session
    activity = await activity_of(session, activity_id)
    if not is_occurrence(activity, day):
        raise NotFound()
    if await is_cancelled(session, activity, day):
        raise _invalid("day", _("This occurrence is cancelled."))
    wanted = set(data.present)
    if wanted:
        found = set(await session.scalars(select(Person.id).where(Person.id.in_(wanted))))
        if found != wanted:
            raise _invalid("present", _("Someone named is not known in this organisation."))
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
    ctx.audit("activity.attendance", object_type="activity", object_id=activity.id)
