"""A person's course attendance as plugin rules see it (:class:`core.plugin_api.CourseRecord`).

Kept apart from :mod:`core.courses.service` so that :mod:`core.programmes.service` can build a
person's context without importing the course service (which itself uses the programme rules).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.plugin_api import CourseRecord
from core.tenancy.models import Programme


async def course_records(session: AsyncSession, person_id: uuid.UUID) -> tuple[CourseRecord, ...]:
    """Attendance on every hold ``person_id`` takes part in (current tenant), by programme."""
    return (await course_records_of(session, [person_id])).get(person_id, ())


#: Ids per ``IN (...)`` list: well below SQLite's and asyncpg's limits on bind parameters.
CHUNK = 5000


async def course_records_of(
    session: AsyncSession, person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[CourseRecord, ...]]:
    """:func:`course_records` of many people in three statements (per 5,000 people): the holds
    they take part in, the sessions of those holds, and each person's attendance. People on no
    hold are missing from the answer."""
    wanted = list(dict.fromkeys(person_ids))
    found: dict[uuid.UUID, tuple[CourseRecord, ...]] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(await _records_of(session, wanted[start : start + CHUNK]))
    return found


async def _records_of(
    session: AsyncSession, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[CourseRecord, ...]]:
    taken = (
        await session.execute(
            select(CourseParticipant.person_id, Course.id, Course.number, Programme.slug)
            .join(Course, CourseParticipant.course_id == Course.id)
            .join(Programme, Programme.id == Course.programme_id)
            .where(CourseParticipant.person_id.in_(person_ids))
            .order_by(Programme.slug, Course.number)
        )
    ).all()
    if not taken:
        return {}
    course_ids = list({row.id for row in taken})
    sessions = {
        course_id: int(count)
        for course_id, count in (
            await session.execute(
                select(CourseSession.course_id, func.count())
                .where(CourseSession.course_id.in_(course_ids))
                .group_by(CourseSession.course_id)
            )
        ).tuples()
    }
    attended = {
        (row.person_id, row.course_id): (int(row.n), row.last)
        for row in await session.execute(
            select(
                CourseAttendance.person_id,
                CourseSession.course_id,
                func.count().label("n"),
                func.max(CourseSession.day).label("last"),
            )
            .join(CourseAttendance, CourseAttendance.session_id == CourseSession.id)
            .where(
                CourseSession.course_id.in_(course_ids),
                CourseAttendance.person_id.in_(person_ids),
            )
            .group_by(CourseAttendance.person_id, CourseSession.course_id)
        )
    }
    records: dict[uuid.UUID, list[CourseRecord]] = {}
    for row in taken:
        n, last = attended.get((row.person_id, row.id), (0, None))
        records.setdefault(row.person_id, []).append(
            CourseRecord(
                programme=row.slug,
                number=row.number,
                sessions=sessions.get(row.id, 0),
                attended=n,
                last_attended_on=last,
            )
        )
    return {person_id: tuple(found) for person_id, found in records.items()}
