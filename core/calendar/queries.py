"""iCalendar feeds, generated with the ``icalendar`` library.

* A person's feed (their hold sessions and activities) behind ``/kalender/<token>.ics``: the
  token is ``secrets.token_urlsafe(32)``, shown once; only its SHA-256 is stored. Making a new
  link revokes the old one; a revoked or unknown token is a 404.
* A municipality's published information meetings, at ``/offentlig/<tenant>/informationsmoeder``
  (page) and ``.../informationsmoeder.ics``.

The public URLs carry no tenant the middleware could scope to, so the functions here that serve
them are the explicitly named cross-tenant entry points: they find the owner first and then
read inside that tenant's scope only. Making and revoking links are commands
(:mod:`core.calendar.commands`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.activities.models import Activity, ActivityKind
from core.activities.queries import Occurrence, occurrences, person_activities
from core.activities.recurrence import local
from core.calendar.models import CalendarLink
from core.courses.models import Course, CourseParticipant, CourseSession
from core.db.tenant_scope import reading_another_tenant
from core.tenancy.models import Programme, Tenant, TenantKind
from core.web.i18n import gettext as _

PRODID = "-//Makker//Makker//DA"
#: A person's feed covers this window around today.
PAST_DAYS, FUTURE_DAYS = 60, 400
#: A person's feed URL ends in this (``/kalender/<token>.ics``).
ICS_SUFFIX = ".ics"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(base_url: str, token: str) -> str:
    """The public URL of the feed behind ``token`` (``<base>/kalender/<token>.ics``)."""
    return f"{base_url}/kalender/{token}{ICS_SUFFIX}"


def webcal_url(url: str) -> str:
    """The same feed as a ``webcal://`` link: a phone or calendar program opens it as a
    subscription (it fetches the feed over HTTP(S) and keeps it up to date)."""
    return "webcal://" + url.split("://", 1)[-1]


async def active_link(
    session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID
) -> CalendarLink | None:
    """The person's calendar link that still works, if any (the token is not stored, so the
    link itself cannot be shown again; :attr:`CalendarLink.created_at` says when it was made).
    The table is global: the tenant is named explicitly."""
    return await session.scalar(
        select(CalendarLink)
        .where(
            CalendarLink.owner_tenant_id == tenant_id,
            CalendarLink.person_id == person_id,
            CalendarLink.revoked_at.is_(None),
        )
        .order_by(CalendarLink.created_at.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    summary: str
    #: A date (not a datetime) makes an all-day event: forløb meetings are logged by day.
    starts_at: dt.datetime | dt.date
    ends_at: dt.datetime | dt.date
    location: str = ""
    description: str = ""
    cancelled: bool = False


def render_calendar(name: str, events: Iterable[FeedEvent]) -> bytes:
    """An RFC 5545 calendar with a VTIMEZONE for Europe/Copenhagen."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = clock.now().replace(microsecond=0)
    for e in events:
        event = Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("summary", e.summary)
        event.add("dtstart", e.starts_at)
        event.add("dtend", e.ends_at)
        if e.location:
            event.add("location", e.location)
        if e.description:
            event.add("description", e.description)
        event.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _where(activity: Activity) -> str:
    return ", ".join(p for p in (activity.place, activity.room) if p)


def occurrence_event(o: Occurrence) -> FeedEvent:
    a = o.activity
    return FeedEvent(
        uid=f"activity-{a.id}-{o.day.isoformat()}@makker",
        summary=a.title,
        starts_at=o.starts_at,
        ends_at=o.ends_at,
        location=_where(a),
        description=a.description,
        cancelled=o.cancelled,
    )


async def person_events(
    session: AsyncSession, person_id: uuid.UUID, today: dt.date
) -> list[FeedEvent]:
    """The person's hold sessions and activity occurrences around ``today`` (current tenant)."""
    start, end = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=FUTURE_DAYS)
    events = []
    rows = await session.execute(
        select(CourseSession, Course, Programme)
        .join(Course, Course.id == CourseSession.course_id)
        .join(Programme, Programme.id == Course.programme_id)
        .join(CourseParticipant, CourseParticipant.course_id == Course.id)
        .where(
            CourseParticipant.person_id == person_id,
            CourseSession.day >= start,
            CourseSession.day <= end,
        )
        .order_by(CourseSession.day)
    )
    for s, course, programme in rows:
        title = _("Mentor course, course %(number)d") % {"number": course.number}
        events.append(
            FeedEvent(
                uid=f"course-session-{s.id}@makker",
                summary=f"{title}: {s.topic}",
                starts_at=local(s.day, s.starts),
                ends_at=local(s.day, s.ends),
                location=s.place,
                description=programme.name,
            )
        )
    for activity in await person_activities(session, person_id):
        events += [occurrence_event(o) for o in await occurrences(session, activity, start, end)]
    events += await _forloeb_meetings(session, person_id, start, end)
    return sorted(events, key=_sort_key)


def _sort_key(e: FeedEvent) -> dt.datetime:
    if isinstance(e.starts_at, dt.datetime):
        return e.starts_at
    return local(e.starts_at, dt.time(0))


async def _forloeb_meetings(
    session: AsyncSession, person_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[FeedEvent]:
    """The logged meetings and afbud of the person's forløb, as all-day events (no names and
    no notes: the feed is read by calendar programs)."""
    from core.forloeb.labels import activity_label
    from core.forloeb.models import Meeting
    from core.forloeb.rows import list_forloeb

    ids = [row.forloeb.id for row in await list_forloeb(session, person_id=person_id)]
    if not ids:
        return []
    meetings = await session.scalars(
        select(Meeting).where(Meeting.forloeb_id.in_(ids), Meeting.day >= start, Meeting.day <= end)
    )
    logged = [
        FeedEvent(
            uid=f"meeting-{m.id}@makker",
            summary=_("Forløb meeting: %(activity)s") % {"activity": activity_label(m.activity)},
            starts_at=m.day,
            ends_at=m.day + dt.timedelta(days=1),
            cancelled=m.cancelled,
        )
        for m in meetings
    ]
    return logged + await _planned_meetings(session, ids, start, end)


async def _planned_meetings(
    session: AsyncSession, forloeb_ids: list[uuid.UUID], start: dt.date, end: dt.date
) -> list[FeedEvent]:
    """The pair's planned meetings (issue 16) as timed events of an hour, with the place the
    pair wrote; an afbud makes the event cancelled. No names."""
    from core.forloeb.models import PlannedMeeting

    rows = await session.scalars(
        select(PlannedMeeting).where(
            PlannedMeeting.forloeb_id.in_(forloeb_ids),
            PlannedMeeting.starts_at >= clock.local(dt.datetime.combine(start, dt.time(0))),
            PlannedMeeting.starts_at <= clock.local(dt.datetime.combine(end, dt.time(23, 59))),
        )
    )
    return [
        FeedEvent(
            uid=f"planned-meeting-{p.id}@makker",
            summary=_("Meeting with your makker"),
            starts_at=clock.local(p.starts_at),
            ends_at=clock.local(p.starts_at) + dt.timedelta(hours=1),
            location=p.place,
            cancelled=p.cancelled_at is not None,
        )
        for p in rows
    ]


async def read_person_feed_by_token(
    session: AsyncSession, token: str, today: dt.date
) -> bytes | None:
    """Cross-tenant entry point for ``/kalender/<token>.ics``: the feed of the link's person,
    read in the owner tenant's scope; ``None`` for an unknown or revoked token."""
    link = await session.scalar(
        select(CalendarLink).where(
            CalendarLink.token_hash == token_hash(token),
            CalendarLink.revoked_at.is_(None),
        )
    )
    if link is None:
        return None
    async with reading_another_tenant(session, link.owner_tenant_id):
        events = await person_events(session, link.person_id, today)
    return render_calendar(_("Makker calendar"), events)


@dataclass(frozen=True)
class PublishedMeetings:
    tenant: Tenant
    occurrences: list[Occurrence]


async def read_published_info_meetings(
    session: AsyncSession, tenant_slug: str, today: dt.date
) -> PublishedMeetings | None:
    """Cross-tenant entry point for the public info-meeting page and feed: the municipality's
    *published* information meetings from today on; ``None`` for an unknown tenant."""
    tenant = await session.scalar(
        select(Tenant).where(Tenant.slug == tenant_slug, Tenant.kind == TenantKind.MUNICIPALITY)
    )
    if tenant is None:
        return None
    found: list[Occurrence] = []
    async with reading_another_tenant(session, tenant.id):
        meetings = await session.scalars(
            select(Activity).where(
                Activity.kind == ActivityKind.INFO_MEETING, Activity.published.is_(True)
            )
        )
        for meeting in list(meetings):
            found += [
                o
                for o in await occurrences(
                    session, meeting, today, today + dt.timedelta(days=FUTURE_DAYS)
                )
                if not o.cancelled
            ]
    return PublishedMeetings(tenant, sorted(found, key=lambda o: o.starts_at))
