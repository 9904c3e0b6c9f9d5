"""Planned meetings: the pair (or a coordinator) plans the next meeting - day, time, place - and
either of them gives an afbud from the reminder's link.

Planning writes the meeting *and* its reminders to the outbox in the same transaction (one per
party and channel, due the day before at 17:00 Danish time or the tenant's ``reminder_time`` -
:func:`core.notifications.schedule.reminder_time`); an afbud cancels the meeting, withdraws the
reminders not yet sent and tells the other party, again in one transaction. The meeting is
shown in the forløb and in both people's calendar feeds (:mod:`core.calendar.queries`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from sqlalchemy import select

from core.clock import local
from core.context import Context
from core.errors import Invalid, NotFound
from core.forloeb.access import access_forloeb
from core.forloeb.lifecycle import ForloebState
from core.forloeb.models import PlannedMeeting
from core.forloeb.rows import ForloebRow
from core.forloeb.schemas import CheckedDate
from core.gdpr.erased_guard import refuse_erased
from core.notifications.outbox import (
    Links,
    links_for,
    local_moment,
    notify,
    values_for,
    withdraw,
)
from core.notifications.schedule import day_before_at, reminder_time
from core.participants.models import Person
from core.participants.validation import text
from core.web.i18n import gettext as _

#: A meeting can be planned this far ahead.
PLAN_AHEAD_DAYS = 120
PLACE_MAX = 200
#: No reminder for a meeting planned less than this before it starts.
REMINDER_LEAD = dt.timedelta(hours=2)
CheckedTime = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": r"^\d{2}:\d{2}$"})]


class PlannedMeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    """The next meeting: ``day`` (``YYYY-MM-DD``) and ``time`` (``HH:MM``, Danish time) and
    ``place``. Missing values get the command's Danish messages."""

    day: CheckedDate | msgspec.UnsetType = msgspec.UNSET
    time: CheckedTime | msgspec.UnsetType = msgspec.UNSET
    # the length is the command's check (a Danish message naming the limit), not msgspec's
    place: (
        Annotated[str, msgspec.Meta(extra_json_schema={"maxLength": PLACE_MAX})] | msgspec.UnsetType
    ) = msgspec.UNSET


def _day(raw: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        return None


def _time(raw: object) -> dt.time | None:
    if not isinstance(raw, str) or len(raw) != 5 or raw[2] != ":":
        return None
    try:
        return dt.time.fromisoformat(raw)
    except ValueError:
        return None


def planned_path(tenant_slug: str, forloeb_id: uuid.UUID, planned_id: uuid.UUID) -> str:
    return f"/t/{tenant_slug}/forloeb/{forloeb_id}/planlagt/{planned_id}"


async def plan_meeting(
    ctx: Context, forloeb_id: uuid.UUID, data: PlannedMeetingIn, links: Links | None = None
) -> PlannedMeeting:
    """Plan the pair's next meeting and write its reminders; audited ``forloeb.plan_meeting``.

    :raises NotFound: no such forløb for the caller.
    :raises Invalid: a message per wrong field; nothing is stored."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    await refuse_erased(ctx.session, forloebs=[row.forloeb.id])
    if row.forloeb.state != ForloebState.ACTIVE.value:
        raise Invalid({"day": _("Meetings can only be planned while the forløb is active.")})
    errors: dict[str, str] = {}
    day = _day(data.day)
    at = _time(data.time)
    today = ctx.today()
    if day is None:
        errors["day"] = _("Enter the date of the meeting.")
    elif day < today:
        errors["day"] = _("The date has passed; choose today or a later day.")
    elif day > today + dt.timedelta(days=PLAN_AHEAD_DAYS):
        errors["day"] = _("A meeting can be planned at most %(n)d days ahead.") % {
            "n": PLAN_AHEAD_DAYS
        }
    if at is None:
        errors["time"] = _("Enter the time as HH:MM, e.g. 14:00.")
    place = text(data.place if isinstance(data.place, str) else None, PLACE_MAX, "place", errors)
    if place is None and "place" not in errors:
        errors["place"] = _("Write where you meet.")
    starts_at = local_moment(day, at) if day is not None and at is not None else None
    if starts_at is not None and "day" not in errors and starts_at <= ctx.now():
        errors["time"] = _("The time has passed; choose a later time.")
    if errors:
        raise Invalid(errors)
    assert starts_at is not None and day is not None and place is not None
    planned = PlannedMeeting(
        forloeb_id=row.forloeb.id,
        starts_at=starts_at,
        place=place,
        planned_as=viewer,
        planned_by=ctx.actor,
    )
    ctx.session.add(planned)
    await ctx.session.flush()
    await _remind(ctx, row, planned, links or links_for(ctx))
    ctx.audit("forloeb.plan_meeting", object_type="forloeb", object_id=row.forloeb.id)
    return planned


async def _remind(ctx: Context, row: ForloebRow, planned: PlannedMeeting, links: Links) -> None:
    """The reminders, one per party and channel: the day before at the tenant's reminder time
    (17:00 Danish time unless its file says otherwise) - or now, when the meeting is planned
    later than that (and more than two hours ahead)."""
    day = local(planned.starts_at).date()
    due = day_before_at(day, reminder_time(ctx.tenant))
    now = ctx.now()
    if due < now and planned.starts_at - now < REMINDER_LEAD:
        return
    path = planned_path(ctx.tenant.slug, row.forloeb.id, planned.id)
    values = values_for(ctx.tenant, links, path, at=planned.starts_at)
    for person in (row.mentee, row.mentor):
        await notify(
            ctx.session,
            ctx.tenant,
            person,
            "meeting_reminder",
            occasion=planned.starts_at.isoformat(),
            due_at=max(due, now),
            values=values,
            now=now,
            subject_id=planned.id,
            programme_id=row.forloeb.programme_id,
        )


async def planned_meeting(
    ctx: Context, forloeb_id: uuid.UUID, planned_id: uuid.UUID
) -> tuple[ForloebRow, str, PlannedMeeting]:
    """A planned meeting of a forløb the caller may see. :raises NotFound: otherwise."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    planned = await ctx.session.scalar(
        select(PlannedMeeting).where(
            PlannedMeeting.id == planned_id, PlannedMeeting.forloeb_id == row.forloeb.id
        )
    )
    if planned is None:
        raise NotFound()
    return row, viewer, planned


async def cancel_meeting(
    ctx: Context, forloeb_id: uuid.UUID, planned_id: uuid.UUID, links: Links | None = None
) -> PlannedMeeting:
    """An afbud: the meeting is cancelled, its reminders not yet sent are withdrawn, and the
    other party (both, when a coordinator cancels) is told; audited ``forloeb.cancel_meeting``.

    An afbud to a meeting cancelled already changes nothing.

    :raises NotFound: no such meeting for the caller.
    :raises Invalid: the meeting has begun."""
    row, viewer, planned = await planned_meeting(ctx, forloeb_id, planned_id)
    now = ctx.now()
    if planned.cancelled_at is not None:
        return planned  # an afbud twice is one afbud (nobody is told again)
    if planned.starts_at <= now:
        raise Invalid({"meeting": _("The meeting has begun; an afbud is no longer possible.")})
    planned.cancelled_at = now
    planned.cancelled_as = viewer
    planned.cancelled_by = ctx.actor
    await ctx.session.flush()
    await withdraw(ctx.session, planned.id, ("meeting_reminder",), now)
    path = f"/t/{ctx.tenant.slug}/forloeb/{row.forloeb.id}"
    values = values_for(ctx.tenant, links or links_for(ctx), path, at=planned.starts_at)
    told: list[Person] = [
        p for party, p in (("mentee", row.mentee), ("mentor", row.mentor)) if party != viewer
    ]
    for person in told:
        await notify(
            ctx.session,
            ctx.tenant,
            person,
            "meeting_cancelled",
            occasion=planned.starts_at.isoformat(),
            due_at=now,
            values=values,
            now=now,
            subject_id=planned.id,
            programme_id=row.forloeb.programme_id,
        )
    ctx.audit("forloeb.cancel_meeting", object_type="forloeb", object_id=row.forloeb.id)
    return planned


async def upcoming(ctx: Context, forloeb_id: uuid.UUID) -> list[PlannedMeeting]:
    """The forløb's planned meetings from yesterday on (cancelled ones too), soonest first."""
    since = ctx.now() - dt.timedelta(days=1)
    return list(
        await ctx.session.scalars(
            select(PlannedMeeting)
            .where(PlannedMeeting.forloeb_id == forloeb_id, PlannedMeeting.starts_at >= since)
            .order_by(PlannedMeeting.starts_at)
        )
    )
