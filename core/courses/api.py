"""Mentor courses (hold): the JSON API, adapters over :mod:`core.courses.commands`."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.context import Context
from core.courses import commands
from core.courses.queries import CourseDetail, CourseView, course_detail, course_of, list_courses
from core.courses.schemas import (
    AttendanceOut,
    CourseDetailOut,
    CourseIn,
    CourseOut,
    PersonIdIn,
    PresentIn,
    ProgressOut,
    SessionOut,
)
from core.identity.guards import any_member, coordinators
from core.strict_input import StrictController
from core.web.paging import PageLimit, PageOffset, check_paging, page_of
from core.web.pipeline import NO_PERSONAL_DATA, audits


def course_out(view: CourseView) -> CourseOut:
    c = view.course
    return CourseOut(
        id=c.id,
        programme=view.programme.slug,
        number=c.number,
        state=view.state,
        start_date=c.start_date,
        capacity=c.capacity,
        participants=view.participants,
        sessions=[
            SessionOut(s.id, s.position, s.day, s.starts, s.ends, s.topic, s.place)
            for s in view.sessions
        ],
    )


def detail_out(detail: CourseDetail) -> CourseDetailOut:
    return CourseDetailOut(
        course=course_out(detail.view),
        min_sessions_attended=detail.minimum,
        participants=[
            ProgressOut(
                p.person.id,
                p.person.name,
                p.attended,
                p.completed,
                p.status,
                [s.position for s in p.missing],
            )
            for p in detail.participants
        ],
    )


class CourseApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/courses"
    tags = ["courses"]

    @get("/", name="api_courses", opt=audits("course.list"), guards=[any_member])
    async def list(
        self, ctx: NamedDependency[Context], limit: PageLimit = 500, offset: PageOffset = 0
    ) -> list[CourseOut]:
        """The organisation's mentor courses (hold) with their state and sessions; ``limit``
        (1-500) from ``offset``."""
        check_paging(limit, offset)
        views = await list_courses(ctx.session, ctx.today())
        return [course_out(v) for v in page_of(views, limit, offset)]

    @post("/", name="api_course_create", opt=NO_PERSONAL_DATA, guards=[coordinators])
    async def create(
        self, ctx: NamedDependency[Context], data: JSONBody[CourseIn]
    ) -> Response[Any]:
        """Create a hold with its sessions (`number` defaults to the next free one)."""
        return Response(course_out(await commands.create_course(ctx, data)), status_code=201)

    @get(
        "/{course_id:uuid}",
        name="api_course",
        opt=audits("course.read", "course", "course_id"),
        guards=[coordinators],
    )
    async def detail(
        self, ctx: NamedDependency[Context], course_id: FromPath[uuid.UUID]
    ) -> CourseDetailOut:
        """The hold, its completion rule, and each participant's attendance and missed sessions."""
        course = await course_of(ctx.session, course_id)
        detail = await course_detail(ctx.session, ctx.plugins, ctx.tenant, course, ctx.today())
        return detail_out(detail)

    @post(
        "/{course_id:uuid}/participants",
        name="api_course_participant_add",
        opt=audits("course.participant_add", "course", "course_id"),
        guards=[coordinators],
    )
    async def add(
        self,
        ctx: NamedDependency[Context],
        course_id: FromPath[uuid.UUID],
        data: JSONBody[PersonIdIn],
    ) -> Response[Any]:
        """Enrol a mentor of the course's programme (201; 200 if already enrolled)."""
        added = await commands.add_participant(ctx, course_id, data)
        return Response({"person_id": str(data.person_id)}, status_code=201 if added else 200)

    @put(
        "/{course_id:uuid}/sessions/{session_id:uuid}/attendance",
        name="api_course_attendance",
        opt=audits("course.attendance", "course_session", "session_id"),
        guards=[coordinators],
    )
    async def attendance(
        self,
        ctx: NamedDependency[Context],
        course_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        data: JSONBody[PresentIn],
    ) -> AttendanceOut:
        """Who was present at the session (everyone else was absent). Mentors who thereby
        complete the course and pass every rule move from `eligible` to `ready`."""
        ready = await commands.set_attendance(ctx, course_id, session_id, data)
        return AttendanceOut(session_id, sorted(set(data.present)), ready)
