"""Mentor courses (hold): one command per action, ``async def x(ctx, data)``.

Commands validate (raising :class:`core.errors.Invalid` with a Danish message per field, before
anything is written), write through ``ctx.session`` (flush, never commit) and note their audit
rows with ids only. When a mentor's rules all pass after their attendance is registered, an
``eligible`` mentor enrolment moves to ``ready`` through the participants' status service.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import delete, func, select

from core.context import Context
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.courses.queries import (
    CourseView,
    course_of,
    course_state,
    mentor_enrolment,
    programme_of,
    session_of,
)
from core.courses.schemas import TEXT_MAX, CourseIn, PersonIdIn, PresentIn, SessionIn
from core.errors import Invalid, NotFound
from core.gdpr.erased_guard import refuse_erased
from core.participants.enrolments import move
from core.participants.errors import FieldErrors
from core.participants.models import Enrolment, Person
from core.participants.validation import not_yet_fault, start_date_fault
from core.plugin_api import Outcome
from core.programmes.service import eligibility_for
from core.tenancy.models import Programme
from core.tenancy.programme_scope import visible_people
from core.web import text as chars
from core.web.i18n import gettext as _

MAX_SESSIONS = 24
MAX_CAPACITY = 100
#: The most days from a hold's first session to its last (two years: 24 monthly sessions fit).
MAX_SPAN_DAYS = 731


def _invalid(field: str, message: str) -> Invalid:
    return Invalid({field: message}, detail=message)


def refused(errors: Mapping[str, str]) -> Invalid:
    """The contract's ``Invalid`` for ``errors`` (one message is also the detail)."""
    detail = next(iter(errors.values())) if len(errors) == 1 else ""
    return Invalid(errors, detail=detail)


def _sessions_fault(sessions: Sequence[SessionIn], today: dt.date) -> str | None:
    """The first fault of a hold's sessions: how many, the first day (the hold's start, within
    :func:`core.participants.validation.start_date_fault`'s years), the last more than
    :data:`MAX_SPAN_DAYS` after it, a session ending before it starts, an empty topic, a topic or
    place too long or with a forbidden character."""
    if not 1 <= len(sessions) <= MAX_SESSIONS:
        return _("A course has between 1 and 24 sessions.")
    days = sorted(s.day for s in sessions)
    if message := start_date_fault(days[0], today):
        return message
    if (days[-1] - days[0]).days > MAX_SPAN_DAYS:
        return _("A course's sessions must lie within two years of the first.")
    for s in sessions:
        if s.ends <= s.starts:
            return _("A session must end after it starts.")
        if chars.is_blank(s.topic):
            return _("Each session needs a topic.")
        if message := chars.fault(s.topic, TEXT_MAX) or chars.fault(s.place, TEXT_MAX):
            return message
    return None


async def _checked(
    ctx: Context, values: Mapping[str, Any]
) -> tuple[dict[str, str], Programme | None, int]:
    """Every fault of a new hold's fields (``programme``, ``capacity``, ``sessions``,
    ``number``; one given to a page's form is checked only if present), the programme and the
    hold's number."""
    session = ctx.session
    errors: dict[str, str] = {}
    programme = None
    if "programme" in values:
        programme = await programme_of(session, values["programme"])
        if programme is None:
            errors["programme"] = _("The programme does not exist in this organisation.")
    if "capacity" in values and not 1 <= values["capacity"] <= MAX_CAPACITY:
        errors["capacity"] = _("The capacity must be between 1 and 100.")
    if "sessions" in values and (message := _sessions_fault(values["sessions"], ctx.today())):
        errors["sessions"] = message
    number = values.get("number")
    used: set[int] = set()
    if programme is not None:
        used = set(
            await session.scalars(select(Course.number).where(Course.programme_id == programme.id))
        )
    if number is None:
        number = max(used, default=0) + 1
    elif not 1 <= number <= 999:
        errors["number"] = _("The course number must be between 1 and 999.")
    elif number in used:
        errors["number"] = _("Course %(number)d already exists.") % {"number": number}
    return errors, programme, number


async def course_faults(ctx: Context, values: Mapping[str, Any]) -> dict[str, str]:
    """Every fault of a new hold's fields (see :func:`_checked`); nothing is written."""
    return (await _checked(ctx, values))[0]


async def create_course(ctx: Context, data: CourseIn) -> CourseView:
    """Create a hold with its sessions (in date order).

    :raises Invalid: naming every field at fault - an unknown programme, a capacity outside
        1-100, no sessions or more than 24, a session ending before it starts, an empty topic,
        a number outside 1-999 or already used."""
    session = ctx.session
    errors, programme, number = await _checked(ctx, msgspec.structs.asdict(data))
    if errors:
        raise refused(errors)
    assert programme is not None
    ordered = sorted(data.sessions, key=lambda s: (s.day, s.starts))
    course = Course(
        programme_id=programme.id, number=number, start_date=ordered[0].day, capacity=data.capacity
    )
    session.add(course)
    await session.flush()
    rows = [
        CourseSession(
            course_id=course.id,
            position=position,
            day=s.day,
            starts=s.starts,
            ends=s.ends,
            topic=s.topic.strip(),
            place=s.place.strip(),
        )
        for position, s in enumerate(ordered, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return CourseView(course, programme, course_state([s.day for s in rows], ctx.today()), rows, 0)


async def add_participant(ctx: Context, course_id: uuid.UUID, data: PersonIdIn) -> bool:
    """Enrol a mentor of the course's programme on the hold. :return: whether they were added
    (``False``: already on it).

    :raises NotFound: no such course or person in this tenant.
    :raises Invalid: the person is not a mentor in the course's programme, or the hold is full.
    """
    session = ctx.session
    course = await course_of(session, course_id)
    person_id = data.person_id
    if await session.scalar(select(Person.id).where(Person.id == person_id)) is None:
        raise NotFound()
    await refuse_erased(session, people=[person_id])
    existing = await session.scalar(
        select(CourseParticipant.id).where(
            CourseParticipant.course_id == course.id, CourseParticipant.person_id == person_id
        )
    )
    if existing is not None:
        return False
    if await mentor_enrolment(session, course.programme_id, person_id) is None:
        raise _invalid(
            "person_id", _("Only mentors enrolled in the programme can take its course.")
        )
    taken = await session.scalar(
        select(func.count())
        .select_from(CourseParticipant)
        .where(CourseParticipant.course_id == course.id)
    )
    if (taken or 0) >= course.capacity:
        raise _invalid(
            "person_id",
            _("The course is full (%(capacity)d places).") % {"capacity": course.capacity},
        )
    session.add(CourseParticipant(course_id=course.id, person_id=person_id))
    await session.flush()
    # Names the person (with the hold), so it is on the person's access log (issue 15).
    ctx.audit(
        "course.participant_add",
        object_type="person",
        object_id=person_id,
        detail={"course": str(course.id)},
    )
    return True


async def set_attendance(
    ctx: Context, course_id: uuid.UUID, session_id: uuid.UUID, data: PresentIn
) -> list[uuid.UUID]:
    """Record who was present at one session (everyone else was absent). Then move every
    participant whose rules now all pass from ``eligible`` to ``ready`` (a history event each,
    by ``ctx.actor``; without consent a mentor stays).

    :raises NotFound: no such course, or no such session of it.
    :raises Invalid: the session is still ahead, or someone named is not a participant of the
        hold.
    :return: ids of the people who became ready.
    """
    session = ctx.session
    course = await course_of(session, course_id)
    course_session = await session_of(session, course, session_id)
    if message := not_yet_fault(course_session.day, ctx.today()):
        raise _invalid("present", message)
    # The participants the caller can see (a partner: those in the programmes it co-runs).
    participants = await visible_people(
        session,
        await session.scalars(
            select(CourseParticipant.person_id).where(CourseParticipant.course_id == course.id)
        ),
    )
    wanted = set(data.present)
    if not wanted <= participants:
        raise _invalid("present", _("Only the course's participants can be registered as present."))
    # Only their rows are rewritten: a hidden participant's attendance stays as it was.
    recorded = CourseAttendance.session_id == course_session.id
    shown = await visible_people(
        session, await session.scalars(select(CourseAttendance.person_id).where(recorded))
    )
    await session.execute(
        delete(CourseAttendance).where(recorded, CourseAttendance.person_id.in_(sorted(shown)))
    )
    for person_id in sorted(wanted):
        session.add(CourseAttendance(session_id=course_session.id, person_id=person_id))
    await session.flush()
    became_ready = await promote_ready(ctx, course, sorted(participants))
    await session.flush()
    ctx.audit("course.attendance", object_type="course_session", object_id=course_session.id)
    return became_ready


async def promote_ready(
    ctx: Context, course: Course, people: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Move each of ``people`` whose mentor enrolment in the course's programme is ``eligible``
    and whose rules (the course among them) all pass to ``ready``."""
    session = ctx.session
    programme = await session.get_one(Programme, course.programme_id)
    ready = []
    for person_id in people:
        enrolment = await mentor_enrolment(session, programme.id, person_id)
        if enrolment is None or enrolment.status != "eligible":
            continue
        person = await session.get_one(Person, person_id)
        report = await eligibility_for(
            session, ctx.plugins, ctx.tenant, programme, person, "mentor", ctx.today()
        )
        if report.outcome != Outcome.PASS:
            continue
        if await make_ready(ctx, enrolment, course):
            ready.append(person_id)
    return ready


async def make_ready(ctx: Context, enrolment: Enrolment, course: Course) -> bool:
    """``eligible -> ready`` through :func:`core.participants.enrolments.move`, which checks the
    machine and the consent and writes the history event (by ``ctx.actor``, with the hold as
    reason). :return: ``False`` (nothing changed) if the service refuses the change, e.g.
    because the person's consent is missing."""
    try:
        reason = f"mentorkursus gennemført (hold {course.number})"
        await move(ctx, enrolment, "ready", reason=reason)
    except FieldErrors:
        return False
    return True
