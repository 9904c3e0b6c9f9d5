"""Mentor courses (hold): creating them, enrolling mentors, attendance, completion and state.

Everything runs in the current tenant's scope; a course, session or person of another tenant is
simply not found. Completion is the enabled plugins' rule (the ``course_completion_threshold``
hook; built in: the ``mentor_course`` plugin's ``min_sessions_attended`` setting); when a
mentor's rules all pass after their attendance is registered, an ``eligible`` mentor enrolment
moves to ``ready``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.participants.service import FieldErrors, transition
from core.plugin_api import MakkerPluginManager, Outcome
from core.programmes.service import eligibility_for
from core.tenancy.models import Programme, Tenant
from core.web.i18n import gettext as _

PLANNED, RUNNING, FINISHED = "planned", "running", "finished"
MAX_SESSIONS = 24
MAX_CAPACITY = 100


class CourseError(ValueError):
    """Bad input for a course; ``field`` names the input, the message is for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class SessionIn:
    day: dt.date
    starts: dt.time
    ends: dt.time
    topic: str
    place: str = ""


def course_state(days: Sequence[dt.date], today: dt.date) -> str:
    """``planned`` before the first session, ``finished`` after the last, else ``running``."""
    if not days or today < min(days):
        return PLANNED
    if today > max(days):
        return FINISHED
    return RUNNING


async def programme_of(session: AsyncSession, slug: str) -> Programme | None:
    return await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )


async def get_course(session: AsyncSession, course_id: uuid.UUID) -> Course | None:
    """The current tenant's course, or ``None`` (also for another tenant's)."""
    return await session.scalar(select(Course).where(Course.id == course_id))


async def create_course(
    session: AsyncSession,
    programme: Programme,
    *,
    number: int | None,
    capacity: int,
    sessions: Sequence[SessionIn],
) -> Course:
    """Create a hold with its sessions (in date order); commit.

    :raises CourseError: for a used number, a capacity outside 1-100, no sessions or more than
        24, a session ending before it starts, or an empty topic. Nothing is stored then.
    """
    if not 1 <= capacity <= MAX_CAPACITY:
        raise CourseError("capacity", _("The capacity must be between 1 and 100."))
    if not 1 <= len(sessions) <= MAX_SESSIONS:
        raise CourseError("sessions", _("A course has between 1 and 24 sessions."))
    for s in sessions:
        if s.ends <= s.starts:
            raise CourseError("sessions", _("A session must end after it starts."))
        if not s.topic.strip():
            raise CourseError("sessions", _("Each session needs a topic."))
    used = set(
        await session.scalars(select(Course.number).where(Course.programme_id == programme.id))
    )
    if number is None:
        number = max(used, default=0) + 1
    elif not 1 <= number <= 999:
        raise CourseError("number", _("The course number must be between 1 and 999."))
    elif number in used:
        raise CourseError("number", _("Course %(number)d already exists.") % {"number": number})
    ordered = sorted(sessions, key=lambda s: (s.day, s.starts))
    course = Course(
        programme_id=programme.id, number=number, start_date=ordered[0].day, capacity=capacity
    )
    session.add(course)
    await session.flush()
    for position, s in enumerate(ordered, start=1):
        session.add(
            CourseSession(
                course_id=course.id,
                position=position,
                day=s.day,
                starts=s.starts,
                ends=s.ends,
                topic=s.topic.strip(),
                place=s.place.strip(),
            )
        )
    await session.flush()
    return course


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
    if len(numbers) == 1:
        return str(numbers[0])
    word = _("and")
    return f"{', '.join(str(n) for n in numbers[:-1])} {word} {numbers[-1]}"


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


async def _mentor_enrolment(
    session: AsyncSession, programme_id: uuid.UUID, person_id: uuid.UUID
) -> Enrolment | None:
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


async def add_participant(
    session: AsyncSession, course: Course, person_id: uuid.UUID
) -> tuple[Person, bool]:
    """Enrol a mentor on the hold; commit. Returns the person and whether they were added.

    :raises LookupError: if the person does not exist in this tenant.
    :raises CourseError: if the person is not a mentor in the course's programme, or the
        course is full.
    """
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise LookupError(person_id)
    existing = await session.scalar(
        select(CourseParticipant).where(
            CourseParticipant.course_id == course.id, CourseParticipant.person_id == person_id
        )
    )
    if existing is not None:
        return person, False
    if await _mentor_enrolment(session, course.programme_id, person_id) is None:
        raise CourseError(
            "person_id", _("Only mentors enrolled in the programme can take its course.")
        )
    taken = await session.scalar(
        select(func.count())
        .select_from(CourseParticipant)
        .where(CourseParticipant.course_id == course.id)
    )
    if (taken or 0) >= course.capacity:
        raise CourseError(
            "person_id",
            _("The course is full (%(capacity)d places).") % {"capacity": course.capacity},
        )
    session.add(CourseParticipant(course_id=course.id, person_id=person_id))
    await session.flush()
    return person, True


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


def min_sessions_attended(pm: MakkerPluginManager, tenant: Tenant, programme: Programme) -> int:
    """The programme's completion rule: the sessions of one hold a mentor must attend, as the
    enabled plugins answer ``course_completion_threshold`` (built in: ``mentor_course``'s
    setting); 0 when none answers (no rule: nobody is marked as completed)."""
    from core.programmes.registry import programme_context, programme_hook

    context = programme_context(pm, tenant, programme)
    answer = programme_hook(pm, "course_completion_threshold", context)(programme=context)
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
    sessions = list(
        await session.scalars(
            select(CourseSession)
            .where(CourseSession.course_id == course.id)
            .order_by(CourseSession.position)
        )
    )
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
    minimum = min_sessions_attended(pm, tenant, programme)
    progress = []
    for person in people:
        attended = sum(1 for s in sessions if person.id in present[s.id])
        missing = [s for s in sessions if s.day <= today and person.id not in present[s.id]]
        enrolment = await _mentor_enrolment(session, programme.id, person.id)
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
    return CourseDetail(view, minimum, progress, present)


async def get_session(
    session: AsyncSession, course: Course, session_id: uuid.UUID
) -> CourseSession | None:
    return await session.scalar(
        select(CourseSession).where(
            CourseSession.id == session_id, CourseSession.course_id == course.id
        )
    )


async def set_attendance(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    course: Course,
    course_session: CourseSession,
    present: Sequence[uuid.UUID],
    *,
    actor: str,
    today: dt.date,
) -> list[uuid.UUID]:
    """Record who was present at one session (everyone else was absent); commit. Then move
    every participant whose rules now all pass from ``eligible`` to ``ready`` (through the
    participants' status service: a history event each; without consent a mentor stays).

    :raises CourseError: if someone named is not a participant of the hold.
    :return: ids of the people who became ready.
    """
    participants = set(
        await session.scalars(
            select(CourseParticipant.person_id).where(CourseParticipant.course_id == course.id)
        )
    )
    wanted = set(present)
    if not wanted <= participants:
        raise CourseError(
            "present", _("Only the course's participants can be registered as present.")
        )
    await session.execute(
        delete(CourseAttendance).where(CourseAttendance.session_id == course_session.id)
    )
    for person_id in sorted(wanted):
        session.add(CourseAttendance(session_id=course_session.id, person_id=person_id))
    await session.flush()
    became_ready = await promote_ready(
        session, pm, tenant, course, sorted(participants), actor, today
    )
    await session.flush()
    return became_ready


async def promote_ready(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    course: Course,
    people: Sequence[uuid.UUID],
    actor: str,
    today: dt.date,
) -> list[uuid.UUID]:
    """Move each of ``people`` whose mentor enrolment in the course's programme is ``eligible``
    and whose rules (the course among them) all pass to ``ready``."""
    programme = await session.get_one(Programme, course.programme_id)
    ready = []
    for person_id in people:
        enrolment = await _mentor_enrolment(session, programme.id, person_id)
        if enrolment is None or enrolment.status != "eligible":
            continue
        person = await session.get_one(Person, person_id)
        report = await eligibility_for(session, pm, tenant, programme, person, "mentor", today)
        if report.outcome != Outcome.PASS:
            continue
        if await make_ready(session, pm, tenant, enrolment, course, actor, today):
            ready.append(person_id)
    return ready


async def make_ready(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    course: Course,
    actor: str,
    today: dt.date,
) -> bool:
    """``eligible -> ready`` through the participants' status service, which checks the
    machine and the consent, writes the history event (by ``actor``, with the hold as reason)
    and commits. :return: ``False`` (nothing changed) if the service refuses the change,
    e.g. because the person's consent is missing."""
    try:
        await transition(
            session,
            pm,
            tenant,
            enrolment,
            "ready",
            actor,
            today,
            reason=f"mentorkursus gennemført (hold {course.number})",
        )
    except FieldErrors:
        return False
    return True
