"""Kolding's mentor course and the tenants' standing activities, through the courses and
activities commands: each hold is planned six weeks before its first teaching day, the running
hold 10 and 11 get their eight mentors two weeks before it, and attendance is registered on the
day of each session already held (every participant present but one, a different one each
time). The activities are created three weeks before their first date; Kolding's interest
group gets two mentors and five citizens on the day of the seeding.

Hold by programme and number, activities by title: what exists is left as it is.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.activities import commands as activities
from core.activities.models import Activity, ActivityKind
from core.activities.recurrence import monthly_days
from core.activities.schemas import PersonIdIn as MemberIn
from core.courses import commands as courses
from core.courses.models import Course
from core.courses.schemas import CourseIn, PersonIdIn, PresentIn, SessionIn
from core.demo.base import Demo
from core.demo.data import (
    DEMO_ACTIVITIES,
    DEMO_ATTENDED_SESSIONS,
    DEMO_COURSE,
    DEMO_COURSE_MENTORS,
    DEMO_COURSE_TOPICS,
    DEMO_GROUP_MEMBERS,
    demo_course_starts,
)
from core.participants.models import EnrolmentRole

PLANNED_DAYS_BEFORE = 42
JOINED_DAYS_BEFORE = 14


def _hold(programme: str, number: int, first: dt.date) -> CourseIn:
    days = monthly_days(first, len(DEMO_COURSE_TOPICS))
    sessions = [
        SessionIn(day, dt.time(10, 0), dt.time(14, 0), topic, "Socialpsykiatrien, Mødelokale 1")
        for day, topic in zip(days, DEMO_COURSE_TOPICS, strict=True)
    ]
    return CourseIn(programme=programme, capacity=15, sessions=sessions, number=number)


async def seed_courses(demo: Demo) -> None:
    tenant_slug, slug = DEMO_COURSE
    programme = await demo.programme(slug) if demo.tenant.slug == tenant_slug else None
    if programme is None:
        return
    existing = set(
        await demo.session.scalars(select(Course.number).where(Course.programme_id == programme.id))
    )
    mentors = [p for _e, p in await demo.enrolments(programme, EnrolmentRole.MENTOR)]
    for number, first in demo_course_starts(demo.today).items():
        if number in existing:
            continue
        with demo.on(first - dt.timedelta(days=PLANNED_DAYS_BEFORE)):
            view = await courses.create_course(demo.ctx(), _hold(slug, number, first))
        held = DEMO_ATTENDED_SESSIONS.get(number)
        if held is None:
            continue
        offset = (number - 10) * DEMO_COURSE_MENTORS
        people = mentors[offset : offset + DEMO_COURSE_MENTORS]
        with demo.on(first - dt.timedelta(days=JOINED_DAYS_BEFORE)):
            for person in people:
                await courses.add_participant(demo.ctx(), view.course.id, PersonIdIn(person.id))
        for k, session in enumerate(view.sessions[:held]):
            present = [p.id for i, p in enumerate(people) if i != k % len(people)]
            with demo.on(session.day, hour=15):
                await courses.set_attendance(
                    demo.ctx(), view.course.id, session.id, PresentIn(present)
                )


async def seed_activities(demo: Demo) -> None:
    titles = set(await demo.session.scalars(select(Activity.title)))
    for spec in DEMO_ACTIVITIES.get(demo.tenant.slug, []):
        if spec.title in titles:
            continue
        with demo.on(spec.first_on - dt.timedelta(days=21)):
            activity = await activities.create_activity(demo.ctx(), spec)
        with demo.on(demo.today, hour=9):
            if activity.kind != ActivityKind.INTEREST_GROUP or spec.programme is None:
                continue
            programme = await demo.programme(spec.programme)
            if programme is None:
                continue
            mentor_count, citizen_count = DEMO_GROUP_MEMBERS
            mentors = await demo.enrolments(programme, EnrolmentRole.MENTOR)
            citizens = await demo.enrolments(programme, EnrolmentRole.MENTEE)
            for _e, person in mentors[-mentor_count:] + citizens[:citizen_count]:
                await activities.add_member(demo.ctx(), activity.id, MemberIn(person.id))
