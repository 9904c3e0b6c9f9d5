"""Mentor courses (hold): reads for the API, the pages and the commands.

Everything runs in the current tenant's scope; a course, session or person of another tenant is
simply not found (:class:`core.errors.NotFound`, the same 404 as a missing one). Completion is
the enabled plugins' rule (the ``course_completion_threshold`` hook; built in: the
``mentor_course`` plugin's ``min_sessions_attended`` setting).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.errors import NotFound
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.plugin_api import MakkerPluginManager
from core.tenancy.models import Programme, Tenant
from core.web.filters import and_list
from core.web.i18n import gettext as _

PLANNED, RUNNING, FINISHED = "planned", "running", "finished"


def course_state(days: Sequence[dt.date], today: dt.date) -> str:
    """``planned`` before the first session, ``finished`` after the last, else ``running``."""
    if not days or today < min(days):
        return PLANNED
    if today > max(days):
        return FINISHED
    return RUNNING


async def programme_of(session: AsyncSession, slug: str) -> Programme | None:
    """The tenant's active programme ``slug``, if any."""
    return await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )


async def course_of(session: AsyncSession, course_id: uuid.UUID) -> Course:
    """The current tenant's course. :raises NotFound: also for another tenant's."""
    course = await session.scalar(select(Course).where(Course.id == course_id))
    if course is None:
        raise NotFound()
    return course


async def session_of(session: AsyncSession, course: Course, session_id: uuid.UUID) -> CourseSession:
    """One session of ``course``. :raises NotFound: no such session of this course."""
    found = await session.scalar(
        select(CourseSession).where(
            CourseSession.id == session_id, CourseSession.course_id == course.id
        )
    )
    if found is None:
        raise NotFound()
    return found


async def sessions_of(session: AsyncSession, course: Course) -> list[CourseSession]:
    return list(
        await session.scalars(
            select(CourseSession)
            .where(CourseSession.course_id == course.id)
            .order_by(CourseSession.position)
        )
    )


@dataclass
class CourseView:
    course: Course
    programme: Programme
    state: str
    sessions: list[CourseSession]
    participants: int

    @property
    def title(self) -> str:
        return _("Course %(number)d") % {"number": self.course.number}


async def list_courses(session: AsyncSession, today: dt.date) -> list[CourseView]:
    """All holds of the tenant, by programme and number."""
    rows = (
        await session.execute(
            select(Course, Programme)
            .join(Programme, Programme.id == Course.programme_id)
            .order_by(Programme.name, Course.number)
        )
    ).all()
    sessions: dict[uuid.UUID, list[CourseSession]] = {}
    for s in await session.scalars(select(CourseSession).order_by(CourseSession.position)):
        sessions.setdefault(s.course_id, []).append(s)
    counts: dict[uuid.UUID, int] = {}
    counted = await session.execute(
        select(CourseParticipant.course_id, func.count()).group_by(CourseParticipant.course_id)
    )
    for course_id, count in counted.tuples():
        counts[course_id] = int(count)
    views = []
    for course, programme in rows:
        own = sessions.get(course.id, [])
        views.append(
            CourseView(
                course,
                programme,
                course_state([s.day for s in own], today),
                own,
                int(counts.get(course.id, 0)),
            )
        )
    return views


def _numbers(numbers: list[int]) -> str:
    return and_list(numbers)


def programme_summary(views: Sequence[CourseView]) -> str:
    """E.g. "9 hold afsluttet, hold 10 og 11 i gang" for one programme's holds."""
    by_state: dict[str, list[int]] = {PLANNED: [], RUNNING: [], FINISHED: []}
    for v in views:
        by_state[v.state].append(v.course.number)
    parts = []
    if by_state[FINISHED]:
        parts.append(_("%(count)d finished") % {"count": len(by_state[FINISHED])})
    if by_state[RUNNING]:
        parts.append(_("course %(numbers)s running") % {"numbers": _numbers(by_state[RUNNING])})
    if by_state[PLANNED]:
        parts.append(_("course %(numbers)s planned") % {"numbers": _numbers(by_state[PLANNED])})
    return ", ".join(parts) if parts else _("No courses yet")


def grouped(views: list[CourseView]) -> list[tuple[Any, str, list[CourseView]]]:
    """(programme, summary, holds) per programme."""
    groups: dict[uuid.UUID, list[CourseView]] = {}
    for v in views:
        groups.setdefault(v.programme.id, []).append(v)
    return [(vs[0].programme, programme_summary(vs), vs) for vs in groups.values()]


async def mentor_enrolment(
    session: AsyncSession, programme_id: uuid.UUID, person_id: uuid.UUID
) -> Enrolment | None:
    """The person's open mentor enrolment in the programme (the newest), if any."""
    return await session.scalar(
        select(Enrolment)
        .where(
            Enrolment.person_id == person_id,
            Enrolment.programme_id == programme_id,
            Enrolment.role == EnrolmentRole.MENTOR,
            Enrolment.status.not_in(("finished", "withdrawn")),
        )
        .order_by(Enrolment.created_at.desc())
        .limit(1)
    )


@dataclass
class ParticipantProgress:
    person: Person
    attended: int
    #: Sessions held (on or before today) that the person missed.
    missing: list[CourseSession] = field(default_factory=list)
    completed: bool = False
    status: str | None = None


@dataclass
class CourseDetail:
    view: CourseView
    minimum: int
    participants: list[ParticipantProgress]
    #: session id -> ids of the people present
    present: dict[uuid.UUID, set[uuid.UUID]]
    #: What the coordinator should know (Danish): a plugin failed to give the completion rule.
    notices: list[str] = field(default_factory=list)


def min_sessions_attended(
    pm: MakkerPluginManager,
    tenant: Tenant,
    programme: Programme,
    notices: list[str] | None = None,
) -> int:
    """The programme's completion rule: the sessions of one hold a mentor must attend, as the
    enabled plugins answer ``course_completion_threshold`` (built in: ``mentor_course``'s
    setting); 0 when none answers (no rule: nobody is marked as completed).

    A plugin that fails to answer is logged and skipped - the next one answers, in the end the
    built-in - and ``notices`` gets a Danish line saying so."""
    from core.programmes.registry import programme_context, programme_hook

    context = programme_context(pm, tenant, programme)
    hook = programme_hook(pm, "course_completion_threshold", context)
    answer, failures = pm.answer_isolated(hook, programme=context)
    if notices is not None:
        notices += [
            _(
                "The plugin %(plugin)s failed to give the course's completion rule; Makker "
                "uses the next rule (%(count)d sessions) until it is fixed."
            )
            % {"plugin": plugin, "count": int(answer or 0)}
            for plugin in failures
        ]
    return int(answer or 0)


async def course_detail(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    course: Course,
    today: dt.date,
) -> CourseDetail:
    """The hold with each participant's attendance, missed sessions and completion."""
    programme = await session.get_one(Programme, course.programme_id)
    sessions = await sessions_of(session, course)
    people = list(
        await session.scalars(
            select(Person)
            .join(CourseParticipant, CourseParticipant.person_id == Person.id)
            .where(CourseParticipant.course_id == course.id)
            .order_by(Person.name)
        )
    )
    present: dict[uuid.UUID, set[uuid.UUID]] = {s.id: set() for s in sessions}
    if sessions:
        for a in await session.scalars(
            select(CourseAttendance).where(
                CourseAttendance.session_id.in_([s.id for s in sessions])
            )
        ):
            present[a.session_id].add(a.person_id)
    notices: list[str] = []
    minimum = min_sessions_attended(pm, tenant, programme, notices)
    progress = []
    for person in people:
        attended = sum(1 for s in sessions if person.id in present[s.id])
        missing = [s for s in sessions if s.day <= today and person.id not in present[s.id]]
        enrolment = await mentor_enrolment(session, programme.id, person.id)
        progress.append(
            ParticipantProgress(
                person,
                attended,
                missing,
                completed=minimum > 0 and attended >= minimum,
                status=enrolment.status if enrolment else None,
            )
        )
    view = CourseView(
        course,
        programme,
        course_state([s.day for s in sessions], today),
        sessions,
        len(people),
    )
    return CourseDetail(view, minimum, progress, present, notices)


async def candidates(
    session: AsyncSession, course: Course, enrolled: set[uuid.UUID]
) -> list[Person]:
    """Mentors of the course's programme who are not on the hold yet (the page's choices)."""
    return [
        p
        for p in await session.scalars(
            select(Person)
            .join(Enrolment, Enrolment.person_id == Person.id)
            .where(
                Enrolment.programme_id == course.programme_id,
                Enrolment.role == EnrolmentRole.MENTOR,
                Enrolment.status.not_in(("finished", "withdrawn")),
            )
            .order_by(Person.name)
        )
        if p.id not in enrolled
    ]
