"""What the person linked to a sign-in sees on "Mit forløb" (``/t/<tenant>/mit/``, ``/me``).

The person is the one whose ``person.account`` is the principal's user id (``iss#sub``; linked
by :func:`core.mine.commands.link_account`). Everything here runs in the current tenant's
scope, so a person of another tenant is never found.

What a person sees follows their open enrolments, not the sign-in's roles: a mentor sees the
holds they take part in (sessions and their own attendance) and group supervision; everybody
sees cafés, events and information meetings (of their programmes, or of no programme) and the
interest groups they are a member of.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities.models import Activity
from core.activities.queries import KIND_LABELS, Occurrence, occurrences, person_activities
from core.context import Context
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.courses.queries import course_state
from core.errors import NotFound
from core.forloeb.rows import ForloebRow, list_forloeb
from core.participants.models import FINAL_STATUSES, Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

#: How far ahead "next occurrences" look, and how many are shown per activity.
LOOKAHEAD_DAYS, NEXT_COUNT = 120, 3


async def person_for_account(session: AsyncSession, user_id: str) -> Person | None:
    """The current tenant's person linked to the sign-in ``user_id``, if any."""
    return await session.scalar(select(Person).where(Person.account == user_id))


@dataclass(frozen=True)
class SessionLine:
    session: CourseSession
    #: ``True``/``False`` for a session held on or before today, ``None`` for a coming one.
    attended: bool | None


@dataclass(frozen=True)
class MyCourse:
    course: Course
    programme: Programme
    state: str
    sessions: list[SessionLine]

    @property
    def title(self) -> str:
        return _("Course %(number)d") % {"number": self.course.number}

    @property
    def attended(self) -> int:
        return sum(1 for s in self.sessions if s.attended)


@dataclass(frozen=True)
class MyActivity:
    activity: Activity
    next: list[Occurrence]

    @property
    def kind_label(self) -> str:
        return _(KIND_LABELS[self.activity.kind])


@dataclass
class MyForloeb:
    row: ForloebRow
    #: ``mentor`` or ``mentee``: the person's part in it.
    role: str

    @property
    def other(self) -> Person:
        return self.row.mentee if self.role == "mentor" else self.row.mentor


@dataclass
class MyOverview:
    person: Person
    #: ``mentor`` and/or ``mentee``, from the person's open enrolments.
    roles: list[str]
    courses: list[MyCourse] = field(default_factory=list)
    activities: list[MyActivity] = field(default_factory=list)
    #: The person's own forløb (as mentor or citizen), newest first - never anyone else's.
    forloeb: list[MyForloeb] = field(default_factory=list)

    @property
    def is_mentor(self) -> bool:
        return EnrolmentRole.MENTOR.value in self.roles


async def _open_enrolments(session: AsyncSession, person_id: uuid.UUID) -> list[Enrolment]:
    return list(
        await session.scalars(
            select(Enrolment).where(
                Enrolment.person_id == person_id,
                Enrolment.status.not_in([s.value for s in FINAL_STATUSES]),
            )
        )
    )


async def _courses(session: AsyncSession, person_id: uuid.UUID, today: dt.date) -> list[MyCourse]:
    rows = (
        await session.execute(
            select(Course, Programme)
            .join(CourseParticipant, CourseParticipant.course_id == Course.id)
            .join(Programme, Programme.id == Course.programme_id)
            .where(CourseParticipant.person_id == person_id)
            .order_by(Course.start_date, Course.number)
        )
    ).all()
    result = []
    for course, programme in rows:
        sessions = list(
            await session.scalars(
                select(CourseSession)
                .where(CourseSession.course_id == course.id)
                .order_by(CourseSession.position)
            )
        )
        present = set(
            await session.scalars(
                select(CourseAttendance.session_id).where(
                    CourseAttendance.person_id == person_id,
                    CourseAttendance.session_id.in_([s.id for s in sessions]),
                )
            )
        )
        lines = [SessionLine(s, (s.id in present) if s.day <= today else None) for s in sessions]
        result.append(
            MyCourse(course, programme, course_state([s.day for s in sessions], today), lines)
        )
    return result


async def overview(session: AsyncSession, person: Person, today: dt.date) -> MyOverview:
    """What the person sees on their own page: holds (mentors) and the activities open to
    them with their next occurrences (from ``today``, at most :data:`NEXT_COUNT` each)."""
    enrolments = await _open_enrolments(session, person.id)
    roles = sorted({EnrolmentRole(e.role).value for e in enrolments}, reverse=True)
    end = today + dt.timedelta(days=LOOKAHEAD_DAYS)
    activities = []
    for activity in await person_activities(session, person.id):
        coming = (await occurrences(session, activity, today, end))[:NEXT_COUNT]
        if coming:
            activities.append(MyActivity(activity, coming))
    activities.sort(key=lambda a: (a.next[0].day, a.activity.starts, a.activity.title))
    courses = await _courses(session, person.id, today)
    own = [
        MyForloeb(row, "mentor" if row.mentor.id == person.id else "mentee")
        for row in await list_forloeb(session, person_id=person.id)
    ]
    return MyOverview(person, roles, courses, activities, own)


def not_linked_text() -> str:
    return _("Your sign-in is not linked to a participant yet. Contact your coordinator.")


async def my_person(ctx: Context) -> Person | None:
    """The tenant's person linked to the caller's sign-in, if any."""
    return await person_for_account(ctx.session, ctx.user_id) if ctx.user_id else None


async def my_person_or_404(ctx: Context) -> Person:
    """The person linked to the caller's sign-in, for an action on their own behalf (their
    calendar link).

    :raises NotFound: the sign-in is not linked to a person of the tenant."""
    person = await my_person(ctx)
    if person is None:
        raise NotFound()
    return person


async def my_overview(ctx: Context) -> MyOverview | None:
    """The overview of the person linked to the caller's sign-in; ``None`` if there is none."""
    person = await my_person(ctx)
    if person is None:
        return None
    return await overview(ctx.session, person, ctx.today())
