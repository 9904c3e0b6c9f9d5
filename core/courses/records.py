"""A person's course attendance as plugin rules see it (:class:`core.plugin_api.CourseRecord`).

Kept apart from :mod:`core.courses.service` so that :mod:`core.programmes.service` can build a
person's context without importing the course service (which itself uses the programme rules).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.plugin_api import CourseRecord
from core.tenancy.models import Programme


async def course_records(session: AsyncSession, person_id: uuid.UUID) -> tuple[CourseRecord, ...]:
    """Attendance on every hold ``person_id`` takes part in (current tenant), by programme."""
    courses = (
        await session.execute(
            select(Course.id, Course.number, Programme.slug)
            .join(CourseParticipant, CourseParticipant.course_id == Course.id)
            .join(Programme, Programme.id == Course.programme_id)
            .where(CourseParticipant.person_id == person_id)
            .order_by(Programme.slug, Course.number)
        )
    ).all()
    if not courses:
        return ()
    ids = [c.id for c in courses]
    sessions: dict[uuid.UUID, int] = {}
    counted = await session.execute(
        select(CourseSession.course_id, func.count())
        .where(CourseSession.course_id.in_(ids))
        .group_by(CourseSession.course_id)
    )
    for course_id, count in counted.tuples():
        sessions[course_id] = int(count)
    attended = {
        row.course_id: (row.n, row.last)
        for row in await session.execute(
            select(
                CourseSession.course_id,
                func.count().label("n"),
                func.max(CourseSession.day).label("last"),
            )
            .join(CourseAttendance, CourseAttendance.session_id == CourseSession.id)
            .where(CourseSession.course_id.in_(ids), CourseAttendance.person_id == person_id)
            .group_by(CourseSession.course_id)
        )
    }
    return tuple(
        CourseRecord(
            programme=c.slug,
            number=c.number,
            sessions=int(sessions.get(c.id, 0)),
            attended=int(attended.get(c.id, (0, None))[0]),
            last_attended_on=attended.get(c.id, (0, None))[1],
        )
        for c in courses
    )
