"""Kolding's mentor course and the tenants' standing activities, through the courses and
activities commands. Each hold is planned six weeks before its first teaching day. Kolding's
mentors in forløb completed hold 1-9 (the plan's :data:`~core.demo.data.DEMO_MENTOR_HOLDS`):
they join two weeks before the first day, their attendance is registered on the day of each
session (one participant absent a time, so nobody misses more than the course rule allows -
the ``course_completion_threshold`` hook's answer), and a week after the last day each moves
``intake -> eligible -> ready`` (the rule now passes). The running hold 10 and 11 have new
mentors, still at ``intake``, registered present (all but one) at every session held by the day
of the seeding (:func:`~core.demo.plan.held_sessions`: hold 10 three or four, hold 11 one or
two, depending on the day of the month). The activities are created three weeks before their
first date; Kolding's interest group gets two mentors and five citizens in forløb on the day of
the seeding.

Hold by programme and number, activities by title: what exists is left as it is.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.activities import commands as activities
from core.activities.models import Activity, ActivityKind
from core.activities.schemas import PersonIdIn as MemberIn
from core.courses import commands as courses
from core.courses.models import Course
from core.courses.queries import min_sessions_attended
from core.courses.schemas import CourseIn, PersonIdIn, PresentIn, SessionIn
from core.demo.base import Demo
from core.demo.data import (
    DEMO_ACTIVITIES,
    DEMO_COURSE,
    DEMO_COURSE_TOPICS,
    DEMO_GROUP_MEMBERS,
    demo_course_starts,
)
from core.demo.plan import attendance, held_sessions, hold_days
from core.participants import enrolments
from core.participants.models import EnrolmentRole, EnrolmentStatus
from core.participants.schemas import TransitionIn

PLANNED_DAYS_BEFORE = 42
JOINED_DAYS_BEFORE = 14


def _hold(programme: str, number: int, first: dt.date) -> CourseIn:
    sessions = [
        SessionIn(day, dt.time(10, 0), dt.time(14, 0), topic, "Socialpsykiatrien, Mødelokale 1")
        for day, topic in zip(hold_days(first), DEMO_COURSE_TOPICS, strict=True)
    ]
    return CourseIn(programme=programme, capacity=15, sessions=sessions, number=number)


async def seed_courses(demo: Demo) -> None:
    tenant_slug, slug = DEMO_COURSE
    programme = await demo.programme(slug) if demo.tenant.slug == tenant_slug else None
    plan = demo.plan(programme) if programme is not None else None
    if programme is None or plan is None:
        return
    existing = set(
        await demo.session.scalars(select(Course.number).where(Course.programme_id == programme.id))
    )
    mentors = {p.name: (e, p) for e, p in await demo.enrolments(programme, EnrolmentRole.MENTOR)}
    ready_on = {m.name: m.ready_on for m in plan.mentors}
    threshold = min_sessions_attended(demo.plugins, demo.tenant, programme)
    for number, first in demo_course_starts(demo.today).items():
        if number in existing:
            continue
        with demo.on(first - dt.timedelta(days=PLANNED_DAYS_BEFORE)):
            view = await courses.create_course(demo.ctx(), _hold(slug, number, first))
        taking = [mentors[n] for n in plan.holds.get(number, []) if n in mentors]
        if not taking:
            continue
        with demo.on(first - dt.timedelta(days=JOINED_DAYS_BEFORE)):
            for _e, person in taking:
                await courses.add_participant(demo.ctx(), view.course.id, PersonIdIn(person.id))
        # Every session held by the day of the seeding (a running hold's too, whatever the day
        # of the month), one absent a time as long as nobody misses more than the rule allows.
        held = held_sessions(first, demo.today)
        presence = attendance(len(taking), held, len(view.sessions), threshold)
        for session, present in zip(view.sessions, presence, strict=False):
            with demo.on(session.day, hour=15):
                await courses.set_attendance(
                    demo.ctx(),
                    view.course.id,
                    session.id,
                    PresentIn([taking[i][1].id for i in present]),
                )
        if held < len(view.sessions):
            continue  # a running hold: its mentors are not ready yet
        for enrolment, person in taking:
            day = ready_on.get(person.name)
            if day is None or enrolment.status != EnrolmentStatus.INTAKE.value:
                continue
            with demo.on(day):
                await enrolments.transition(
                    demo.ctx(), enrolment.id, TransitionIn(to=EnrolmentStatus.ELIGIBLE.value)
                )
                await enrolments.transition(
                    demo.ctx(),
                    enrolment.id,
                    TransitionIn(
                        to=EnrolmentStatus.READY.value,
                        reason=f"mentorkursus gennemført (hold {number})",
                    ),
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
            active = EnrolmentStatus.ACTIVE.value
            mentors = [
                (e, p)
                for e, p in await demo.enrolments(programme, EnrolmentRole.MENTOR)
                if e.status == active
            ]
            citizens = [
                (e, p)
                for e, p in await demo.enrolments(programme, EnrolmentRole.MENTEE)
                if e.status == active
            ]
            for _e, person in mentors[-mentor_count:] + citizens[:citizen_count]:
                await activities.add_member(demo.ctx(), activity.id, MemberIn(person.id))
