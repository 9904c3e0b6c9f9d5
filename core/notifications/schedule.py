"""What time makes due, written by the periodic job (:func:`write_due`), each with an
idempotency key so that a tick every minute writes each message once:

* **course sessions** and **activities** (supervision, interest groups, ...) a person takes
  part in: the day before, at :data:`REMINDER_TIME` Danish time (or the tenant file's
  ``reminder_time``);
* **proposals** waiting for a party's yes: once per party and proposal;
* **questionnaires** due (``core.outcomes.results.due_in_tenant``): once per occasion and
  person, when it opens;
* the coordinators' **weekly digest**, Monday from :data:`DIGEST_TIME` (or the tenant
  file's ``digest_day`` and ``digest_time``), to the tenant file's ``digest_to``: the attention
  list, new applications, questionnaires that closed unanswered in the week and deliveries that
  failed.

A planned meeting's reminder is not here: it is written with the meeting, in the same
transaction (:mod:`core.forloeb.planned`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.activities.models import Activity, ActivityMember
from core.activities.queries import is_cancelled, is_occurrence
from core.context import Context
from core.courses.models import Course, CourseParticipant, CourseSession
from core.forloeb.lifecycle import ForloebState
from core.forloeb.rows import ForloebRow, list_forloeb
from core.notifications.models import Notification
from core.notifications.outbox import Links, local_moment, notify, notify_address, values_for
from core.participants.models import Person
from core.tenancy.models import Tenant

#: The day-before reminders go out at this Danish time (the tenant file's
#: ``[notifications] reminder_time`` may say another).
REMINDER_TIME = dt.time(17, 0)
#: The weekly digest: Monday from this Danish time (``digest_day``, ``digest_time``).
DIGEST_DAY = "monday"
DIGEST_TIME = dt.time(7, 0)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _setting_time(tenant: Tenant, key: str, default: dt.time) -> dt.time:
    raw = (tenant.notifications or {}).get(key)
    try:
        return dt.time.fromisoformat(raw) if isinstance(raw, str) else default
    except ValueError:  # the tenant file's check refuses it; an old row falls back
        return default


def reminder_time(tenant: Tenant) -> dt.time:
    """The Danish time of the tenant's day-before reminders (default 17:00)."""
    return _setting_time(tenant, "reminder_time", REMINDER_TIME)


def digest_moment(tenant: Tenant) -> tuple[int, dt.time]:
    """The weekday (0 = Monday) and Danish time of the tenant's weekly digest."""
    day = (tenant.notifications or {}).get("digest_day") or DIGEST_DAY
    weekday = WEEKDAYS.index(day) if day in WEEKDAYS else 0
    return weekday, _setting_time(tenant, "digest_time", DIGEST_TIME)


def day_before_at(day: dt.date, at: dt.time = REMINDER_TIME) -> dt.datetime:
    """``at`` Danish time on the day before ``day``, in UTC."""
    return local_moment(day - dt.timedelta(days=1), at)


async def _course_sessions(ctx: Context, links: Links, tomorrow: dt.date) -> int:
    written = 0
    rows = await ctx.session.execute(
        select(CourseSession, Person, Course.programme_id)
        .join(Course, Course.id == CourseSession.course_id)
        .join(CourseParticipant, CourseParticipant.course_id == CourseSession.course_id)
        .join(Person, Person.id == CourseParticipant.person_id)
        .where(CourseSession.day == tomorrow)
    )
    for session_row, person, programme_id in rows:
        at = local_moment(session_row.day, session_row.starts)
        values = values_for(
            ctx.tenant, links, f"/t/{ctx.tenant.slug}/hold/{session_row.course_id}", at=at
        )
        written += len(
            await notify(
                ctx.session,
                ctx.tenant,
                person,
                "course_session",
                occasion=session_row.day,
                due_at=day_before_at(session_row.day, reminder_time(ctx.tenant)),
                values=values,
                now=ctx.now(),
                subject_id=session_row.id,
                programme_id=programme_id,
            )
        )
    return written


async def _activities(ctx: Context, links: Links, tomorrow: dt.date) -> int:
    written = 0
    for activity in await ctx.session.scalars(select(Activity)):
        if not is_occurrence(activity, tomorrow) or await is_cancelled(
            ctx.session, activity, tomorrow
        ):
            continue
        people = await ctx.session.scalars(
            select(Person)
            .join(ActivityMember, ActivityMember.person_id == Person.id)
            .where(ActivityMember.activity_id == activity.id)
        )
        at = local_moment(tomorrow, activity.starts)
        values = values_for(
            ctx.tenant, links, f"/t/{ctx.tenant.slug}/aktiviteter/{activity.id}", at=at
        )
        for person in people:
            written += len(
                await notify(
                    ctx.session,
                    ctx.tenant,
                    person,
                    "activity",
                    occasion=tomorrow,
                    due_at=day_before_at(tomorrow, reminder_time(ctx.tenant)),
                    values=values,
                    now=ctx.now(),
                    subject_id=activity.id,
                    programme_id=activity.programme_id,
                )
            )
    return written


async def tell_proposal(ctx: Context, row: ForloebRow, links: Links) -> int:
    """A proposal waits for a yes: each party who has not said it is told, once (also written
    by the proposal command, in its transaction; the tick catches any it did not write)."""
    f = row.forloeb
    values = values_for(ctx.tenant, links, f"/t/{ctx.tenant.slug}/forloeb/{f.id}")
    written = 0
    for person, accepted in (
        (row.mentee, f.mentee_accepted_at),
        (row.mentor, f.mentor_accepted_at),
    ):
        if accepted is None:
            written += len(
                await notify(
                    ctx.session,
                    ctx.tenant,
                    person,
                    "proposal_waiting",
                    occasion="yes",
                    due_at=ctx.now(),
                    values=values,
                    now=ctx.now(),
                    subject_id=f.id,
                    programme_id=f.programme_id,
                )
            )
    return written


async def _proposals(ctx: Context, links: Links) -> int:
    written = 0
    for row in await list_forloeb(ctx.session, states=[ForloebState.PROPOSED.value]):
        written += await tell_proposal(ctx, row, links)
    return written


async def _questionnaires(ctx: Context, links: Links) -> int:
    from core.outcomes.results import due_in_tenant

    written = 0
    for line in await due_in_tenant(ctx):
        occasion = line.view.occasion
        path = f"/t/{ctx.tenant.slug}/forloeb/{line.row.forloeb.id}/spoergeskema/{occasion.key}"
        values = values_for(ctx.tenant, links, path, on=occasion.closes_on)
        written += len(
            await notify(
                ctx.session,
                ctx.tenant,
                line.person,
                "questionnaire_due",
                occasion=f"{occasion.key}:{occasion.opens_on}",
                due_at=ctx.now(),
                values=values,
                now=ctx.now(),
                subject_id=line.row.forloeb.id,
                programme_id=line.row.forloeb.programme_id,
            )
        )
    return written


async def digest_counts(ctx: Context, since: dt.datetime) -> dict[str, int]:
    """The digest's numbers (no names, no health data)."""
    from core.forloeb.queries import attention_list
    from core.outcomes.schedule import OccasionStatus

    attention = len(await attention_list(ctx))
    failed = await ctx.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.status.in_(("failed", "uncertain")), Notification.updated_at >= since
        )
    )
    missed = 0
    from core.outcomes.answers import questionnaires_of_row
    from core.outcomes.results import _rows_with_schedules

    week_start = ctx.today() - dt.timedelta(days=7)
    for row in await _rows_with_schedules(ctx):
        found = await questionnaires_of_row(ctx, row, "coordinator")
        missed += sum(
            1
            for v in found.occasions
            if v.status == OccasionStatus.MISSED and week_start <= v.occasion.closes_on
        )
    return {
        "attention": attention,
        "applications": await _new_applications(ctx, since),
        "missed": missed,
        "failed": int(failed or 0),
    }


async def _new_applications(ctx: Context, since: dt.datetime) -> int:
    """Applications from the public page since ``since`` (0 where that feature is absent)."""
    try:
        from core.applications.models import Application
    except ImportError:  # pragma: no cover - before the applications issue landed
        return 0
    found = await ctx.session.scalar(
        select(func.count(Application.id)).where(Application.created_at >= since)
    )
    return int(found or 0)


async def _digest(ctx: Context, links: Links) -> int:
    address = (ctx.tenant.notifications or {}).get("digest_to")
    if not address:
        return 0
    today = ctx.today()
    weekday, at = digest_moment(ctx.tenant)
    # this ISO week's digest day (the week runs Monday to Sunday)
    digest_day = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=weekday)
    if ctx.now() < local_moment(digest_day, at):
        return 0
    week = today.isocalendar()
    occasion = f"{week.year}-W{week.week:02d}"
    exists = await ctx.session.scalar(
        select(Notification.id).where(
            Notification.kind == "digest",
            Notification.idempotency_key.like(f"digest:%:{occasion}:%"),
        )
    )
    if exists is not None:
        return 0
    counts = await digest_counts(ctx, ctx.now() - dt.timedelta(days=7))
    values = values_for(ctx.tenant, links, f"/t/{ctx.tenant.slug}/forloeb/opmaerksomhed", **counts)
    done = await notify_address(
        ctx.session,
        ctx.tenant,
        str(address),
        "digest",
        occasion=occasion,
        due_at=ctx.now(),
        values=values,
        now=ctx.now(),
    )
    return int(done)


async def write_due(ctx: Context, links: Links) -> int:
    """Write every message time has made due in the tenant; returns how many rows."""
    tomorrow = ctx.today() + dt.timedelta(days=1)
    return (
        await _course_sessions(ctx, links, tomorrow)
        + await _activities(ctx, links, tomorrow)
        + await _proposals(ctx, links)
        + await _questionnaires(ctx, links)
        + await _digest(ctx, links)
    )
