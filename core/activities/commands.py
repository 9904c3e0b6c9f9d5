"""Activities: one command per action, ``async def x(ctx, data)``.

Membership rules: ``supervision`` is for mentors only (a person with an open mentor enrolment -
in the activity's programme when it has one); an ``info_meeting`` has no sign-up; the others
take anyone of the tenant. Commands validate (raising :class:`core.errors.Invalid` before
anything is written), flush, and note their audit rows with ids only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
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
from core.form_fields import in_order
from core.gdpr.erased_guard import refuse_erased
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.participants.validation import not_yet_fault, start_date_fault
from core.tenancy.models import Programme
from core.tenancy.programme_scope import visible_people
from core.web import text as chars
from core.web.i18n import gettext as _

#: The activity form's fields in the order the page shows them (the error summary's order).
FORM_ORDER = (
    "kind",
    "title",
    "programme",
    "first_on",
    "starts",
    "ends",
    "recurrence",
    "until",
    "place",
    "room",
    "description",
    "published",
)


def _invalid(field: str, message: str) -> Invalid:
    return Invalid({field: message}, detail=message)


def refused(errors: Mapping[str, str]) -> Invalid:
    """The contract's ``Invalid`` for ``errors`` (one message is also the detail)."""
    detail = next(iter(errors.values())) if len(errors) == 1 else ""
    return Invalid(errors, detail=detail)


async def _checked(
    ctx: Context, values: Mapping[str, Any]
) -> tuple[dict[str, str], uuid.UUID | None]:
    """Every fault of an activity's fields, in the form's order, and the programme's id. A field
    missing from ``values`` (a page's field that did not convert, already named) is not
    checked, nor is a rule that compares it with another field."""
    errors: dict[str, str] = {}
    kinds = {k.value for k in ActivityKind}
    if "kind" in values and values["kind"] not in kinds:
        errors["kind"] = _("Choose supervision, cafe, interest_group, event or info_meeting.")
    if "recurrence" in values and values["recurrence"] not in {r.value for r in Recurrence}:
        errors["recurrence"] = _("Choose none, weekly or monthly.")
    for key, limit in TEXT_LIMITS.items():
        if key in values and (
            message := chars.fault(values[key], limit, multiline=key == "description")
        ):
            errors[key] = message
    if "title" not in errors and "title" in values and chars.is_blank(values["title"]):
        errors["title"] = _("The activity needs a title.")
    starts, ends = values.get("starts"), values.get("ends")
    if starts is not None and ends is not None and ends <= starts:
        errors["ends"] = _("The activity must end after it starts.")
    first_on, until = values.get("first_on"), values.get("until")
    if first_on is not None and (message := start_date_fault(first_on, ctx.today())):
        errors["first_on"] = message
    if first_on is not None and until is not None and until < first_on:
        errors["until"] = _("The last date cannot be before the first.")
    if values.get("published") and values.get("kind") in kinds - {ActivityKind.INFO_MEETING.value}:
        errors["published"] = _("Only information meetings can be published.")
    programme_id = None
    if values.get("programme"):
        programme = await ctx.session.scalar(
            select(Programme).where(
                Programme.slug == values["programme"], Programme.archived_at.is_(None)
            )
        )
        if programme is None:
            errors["programme"] = _("The programme does not exist in this organisation.")
        else:
            programme_id = programme.id
    elif ctx.partner is not None and "programme" in values:
        # A partner co-runs programmes, not the municipality: its activities belong to one.
        errors["programme"] = _("Choose the programme the activity belongs to.")
    return in_order(errors, FORM_ORDER), programme_id


async def activity_faults(ctx: Context, values: Mapping[str, Any]) -> dict[str, str]:
    """Every fault of an activity's fields (a page's converted form: see :func:`_checked`),
    in the form's order; nothing is written."""
    return (await _checked(ctx, values))[0]


async def create_activity(ctx: Context, data: ActivityIn) -> Activity:
    """Validate and store an activity. :raises Invalid: naming every field at fault; nothing is
    stored then."""
    errors, programme_id = await _checked(ctx, msgspec.structs.asdict(data))
    if errors:
        raise refused(errors)
    recurrence = Recurrence(data.recurrence)
    activity = Activity(
        programme_id=programme_id,
        kind=ActivityKind(data.kind),
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
    await refuse_erased(session, people=[data.person_id])
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
    # Names the person (with the activity), so it is on the person's access log (issue 15).
    ctx.audit(
        "activity.member_add",
        object_type="person",
        object_id=data.person_id,
        detail={"activity": str(activity.id)},
    )
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
    :raises Invalid: for a cancelled occurrence, one still ahead, an unknown person, or a
        non-mentor at supervision."""
    session = ctx.session
    activity = await activity_of(session, activity_id)
    if not is_occurrence(activity, day):
        raise NotFound()
    if await is_cancelled(session, activity, day):
        raise _invalid("day", _("This occurrence is cancelled."))
    if message := not_yet_fault(day, ctx.today()):
        raise _invalid("day", message)
    wanted = set(data.present)
    if wanted:
        found = set(await session.scalars(select(Person.id).where(Person.id.in_(wanted))))
        if found != wanted:
            raise _invalid("present", _("Someone named is not known in this organisation."))
    for person_id in wanted:
        await _check_may_take_part(session, activity, person_id, "present")
    recorded = ActivityAttendance.activity_id == activity.id, ActivityAttendance.day == day
    # Only the rows of people the caller can see are rewritten: a partner's save leaves the
    # attendance of another programme's member as it was (a coordinator sees everyone).
    shown = await visible_people(
        session, await session.scalars(select(ActivityAttendance.person_id).where(*recorded))
    )
    await session.execute(
        delete(ActivityAttendance).where(*recorded, ActivityAttendance.person_id.in_(sorted(shown)))
    )
    for person_id in sorted(wanted):
        session.add(ActivityAttendance(activity_id=activity.id, day=day, person_id=person_id))
    await session.flush()
    ctx.audit("activity.attendance", object_type="activity", object_id=activity.id)
