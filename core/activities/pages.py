"""Activities: the pages, adapters over :mod:`core.activities.commands`.

A form is converted into the command's Struct (:mod:`core.web.forms`); an ``Invalid`` shows the
form again with its errors and status 400."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.activities import commands
from core.activities.queries import (
    KIND_LABELS,
    activity_of,
    attendance,
    attendance_choices,
    is_occurrence,
    list_activities,
    members,
    occurrences,
)
from core.activities.schemas import ActivityIn, PresentIn
from core.context import Context
from core.errors import Invalid, NotFound
from core.form_fields import in_order
from core.identity.guards import any_member, coordinators
from core.tenancy.service import list_active_programmes
from core.web.forms import convert_fields, form_struct, page, read_form
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits


async def _index(ctx: Context, errors: Invalid | None = None, form: Any = None) -> Template:
    first = ctx.today()
    last = first + dt.timedelta(days=60)
    activities = await list_activities(ctx.session)
    upcoming = []
    for a in activities:
        upcoming += await occurrences(ctx.session, a, first, last)
    return page(
        "activities/index.html",
        400 if errors else 200,
        tenant=ctx.tenant,
        activities=activities,
        upcoming=sorted(upcoming, key=lambda o: o.starts_at)[:30],
        kinds=KIND_LABELS,
        programmes=await list_active_programmes(ctx.session),
        errors=errors.errors if errors else {},
        form=form or {"starts": "17:00", "ends": "19:00"},
        active_nav="activities",
    )


async def _attendance(
    ctx: Context, activity_id: uuid.UUID, day: dt.date, errors: Invalid | None = None
) -> Template:
    activity = await activity_of(ctx.session, activity_id)
    if not is_occurrence(activity, day):
        raise NotFound()
    return page(
        "activities/attendance.html",
        400 if errors else 200,
        tenant=ctx.tenant,
        activity=activity,
        day=day,
        people=await attendance_choices(ctx.session, activity),
        present=set() if errors else await attendance(ctx.session, activity, day),
        errors=errors.errors if errors else {},
        active_nav="activities",
    )


def _activity_page(ctx: Context, activity_id: uuid.UUID) -> Redirect:
    return Redirect(f"/t/{ctx.tenant.slug}/aktiviteter/{activity_id}", status_code=303)


class ActivityPagesController(Controller):
    path = "/t/{tenant_slug:str}/aktiviteter"
    include_in_schema = False

    @get("/", name="activities_page", opt=audits("activity.list"), guards=[any_member])
    async def index(self, ctx: NamedDependency[Context]) -> Template:
        return await _index(ctx)

    @post(
        "/",
        name="activity_create_page",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def create(self, ctx: NamedDependency[Context], request: Request[Any, Any, Any]) -> Any:
        form = await read_form(request, checks=("published",))
        # Every field at fault at once: the command checks the fields that convert.
        values, errors = convert_fields(form, ActivityIn, ActivityIn.messages())
        errors |= await commands.activity_faults(ctx, values)
        try:
            if errors:
                raise commands.refused(in_order(errors, commands.FORM_ORDER))
            activity = await commands.create_activity(ctx, ActivityIn(**values))
        except Invalid as exc:
            return await _index(ctx, exc, form)
        return _activity_page(ctx, activity.id)

    @get(
        "/{activity_id:uuid}",
        name="activity_page",
        opt=audits("activity.read", "activity", "activity_id"),
        guards=[any_member],
    )
    async def detail(
        self, ctx: NamedDependency[Context], activity_id: FromPath[uuid.UUID]
    ) -> Template:
        activity = await activity_of(ctx.session, activity_id)
        first = ctx.today()
        return page(
            "activities/detail.html",
            tenant=ctx.tenant,
            activity=activity,
            kinds=KIND_LABELS,
            members=await members(ctx.session, activity),
            occurrences=await occurrences(
                ctx.session, activity, first, first + dt.timedelta(days=120)
            ),
            active_nav="activities",
        )

    @get(
        "/{activity_id:uuid}/{day:date}",
        name="activity_attendance_page",
        opt=audits("activity.attendance_read", "activity", "activity_id"),
        guards=[coordinators],
    )
    async def attendance_form(
        self,
        ctx: NamedDependency[Context],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> Template:
        return await _attendance(ctx, activity_id, day)

    @post(
        "/{activity_id:uuid}/{day:date}",
        name="activity_attendance_save_page",
        opt=audits("activity.attendance", "activity", "activity_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def attendance_save(
        self,
        ctx: NamedDependency[Context],
        request: Request[Any, Any, Any],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> Any:
        form = await read_form(request, lists=("present",))
        try:
            data = form_struct(form, PresentIn, {"present": _("Choose participants.")})
            await commands.set_occurrence_attendance(ctx, activity_id, day, data)
        except Invalid as exc:
            return await _attendance(ctx, activity_id, day, exc)
        return _activity_page(ctx, activity_id)

    @post(
        "/{activity_id:uuid}/{day:date}/aflys",
        name="activity_cancel_page",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def cancel(
        self,
        ctx: NamedDependency[Context],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> Redirect:
        await commands.cancel_occurrence(ctx, activity_id, day)
        return _activity_page(ctx, activity_id)
