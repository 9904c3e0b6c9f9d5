"""Mentor courses (hold): the pages, adapters over :mod:`core.courses.commands`.

A form is converted into the command's Struct (:mod:`core.web.forms`); an ``Invalid`` shows the
form again with its errors and status 400."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.context import Context
from core.courses import commands
from core.courses.models import Course
from core.courses.queries import (
    candidates,
    course_detail,
    course_of,
    grouped,
    list_courses,
    session_of,
)
from core.courses.schemas import PLAN_FORM_ORDER, CoursePlanIn, PersonIdIn, PresentIn, plan_faults
from core.errors import Invalid
from core.form_fields import in_order
from core.identity.guards import any_member, coordinators
from core.tenancy.service import list_active_programmes
from core.web.forms import convert_fields, form_struct, page, read_form
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

#: The new-hold form's first values.
_NEW_COURSE = {"count": "6", "starts": "10:00", "ends": "15:00", "capacity": "15"}


async def _index(ctx: Context, errors: Invalid | None = None, form: Any = None) -> Template:
    programmes = await list_active_programmes(ctx.session)
    # The command's "sessions" (how many, their times) is the form's number of sessions.
    shown = {
        "count" if k == "sessions" else k: m for k, m in (errors.errors if errors else {}).items()
    }
    return page(
        "courses/index.html",
        400 if errors else 200,
        tenant=ctx.tenant,
        groups=grouped(await list_courses(ctx.session, ctx.today())),
        programmes=programmes,
        programme_options=[(p.slug, p.name) for p in programmes],
        errors=shown,
        form=form or _NEW_COURSE,
        active_nav="courses",
    )


async def _detail(ctx: Context, course: Course, errors: Invalid | None = None) -> Template:
    detail = await course_detail(ctx.session, ctx.plugins, ctx.tenant, course, ctx.today())
    enrolled = {p.person.id for p in detail.participants}
    return page(
        "courses/detail.html",
        400 if errors else 200,
        tenant=ctx.tenant,
        detail=detail,
        candidates=await candidates(ctx.session, course, enrolled),
        errors=errors.errors if errors else {},
        today=ctx.today(),
        active_nav="courses",
    )


def _course_page(ctx: Context, course_id: uuid.UUID) -> Redirect:
    return Redirect(f"/t/{ctx.tenant.slug}/hold/{course_id}", status_code=303)


class CoursePagesController(Controller):
    path = "/t/{tenant_slug:str}/hold"
    include_in_schema = False

    @get("/", name="courses_page", opt=audits("course.list"), guards=[any_member])
    async def index(self, ctx: NamedDependency[Context]) -> Template:
        return await _index(ctx)

    @post(
        "/",
        name="course_create_page",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def create(self, ctx: NamedDependency[Context], request: Request[Any, Any, Any]) -> Any:
        form = await read_form(request)
        # Every field at fault at once: the form's own checks and the command's run on the
        # fields that convert.
        values, errors = convert_fields(form, CoursePlanIn, CoursePlanIn.messages())
        errors |= plan_faults(values, ctx.today())
        errors |= await commands.course_faults(
            ctx, {k: values[k] for k in ("programme", "capacity") if k in values}
        )
        try:
            if errors:
                raise commands.refused(in_order(errors, PLAN_FORM_ORDER))
            view = await commands.create_course(ctx, CoursePlanIn(**values).course_in(ctx.today()))
        except Invalid as exc:
            return await _index(ctx, exc, form)
        return _course_page(ctx, view.course.id)

    @get(
        "/{course_id:uuid}",
        name="course_page",
        opt=audits("course.read", "course", "course_id"),
        guards=[coordinators],
    )
    async def detail(
        self, ctx: NamedDependency[Context], course_id: FromPath[uuid.UUID]
    ) -> Template:
        return await _detail(ctx, await course_of(ctx.session, course_id))

    @post(
        "/{course_id:uuid}/deltagere",
        name="course_participant_page",
        opt=audits("course.participant_add", "course", "course_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def add(
        self,
        ctx: NamedDependency[Context],
        request: Request[Any, Any, Any],
        course_id: FromPath[uuid.UUID],
    ) -> Any:
        form = await read_form(request)
        try:
            data = form_struct(form, PersonIdIn, {"person_id": _("Choose a mentor.")})
            await commands.add_participant(ctx, course_id, data)
        except Invalid as exc:
            return await _detail(ctx, await course_of(ctx.session, course_id), exc)
        return _course_page(ctx, course_id)

    @get(
        "/{course_id:uuid}/gange/{session_id:uuid}",
        name="course_attendance_page",
        opt=audits("course.attendance_read", "course_session", "session_id"),
        guards=[coordinators],
    )
    async def attendance_form(
        self,
        ctx: NamedDependency[Context],
        course_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
    ) -> Template:
        course = await course_of(ctx.session, course_id)
        course_session = await session_of(ctx.session, course, session_id)
        detail = await course_detail(ctx.session, ctx.plugins, ctx.tenant, course, ctx.today())
        return page(
            "courses/attendance.html",
            tenant=ctx.tenant,
            detail=detail,
            session=course_session,
            present=detail.present[course_session.id],
            active_nav="courses",
        )

    @post(
        "/{course_id:uuid}/gange/{session_id:uuid}",
        name="course_attendance_save_page",
        opt=audits("course.attendance", "course_session", "session_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def attendance_save(
        self,
        ctx: NamedDependency[Context],
        request: Request[Any, Any, Any],
        course_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
    ) -> Any:
        form = await read_form(request, lists=("present",))
        try:
            data = form_struct(form, PresentIn, {"present": _("Choose participants.")})
            await commands.set_attendance(ctx, course_id, session_id, data)
        except Invalid as exc:
            return await _detail(ctx, await course_of(ctx.session, course_id), exc)
        return _course_page(ctx, course_id)
