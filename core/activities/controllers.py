"""Activities: JSON API and pages. Another tenant's activity is the same 404."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities.models import Activity
from core.activities.service import (
    KIND_LABELS,
    ActivityError,
    ActivityIn,
    add_member,
    attendance,
    cancel_occurrence,
    create_activity,
    get_activity,
    is_occurrence,
    list_activities,
    members,
    occurrences,
    set_occurrence_attendance,
)
from core.clock import today
from core.courses.controllers import field_error
from core.identity.guards import any_member, coordinators
from core.participants.models import Person
from core.tenancy.models import Programme, Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

Text = Annotated[str, msgspec.Meta(max_length=200)]


class ActivityInS(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    title: Text
    first_on: dt.date
    starts: dt.time
    ends: dt.time
    recurrence: str = "none"
    until: dt.date | None = None
    programme: str | None = None
    place: Text = ""
    room: Annotated[str, msgspec.Meta(max_length=100)] = ""
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    published: bool = False


class OccurrenceOut(msgspec.Struct):
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    cancelled: bool


class ActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    programme: str | None
    place: str
    room: str
    first_on: dt.date
    starts: dt.time
    ends: dt.time
    recurrence: str
    until: dt.date | None
    published: bool


class ActivityDetailOut(msgspec.Struct):
    activity: ActivityOut
    members: list[uuid.UUID]
    occurrences: list[OccurrenceOut]


class PersonIdIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID


class PresentIn(msgspec.Struct, forbid_unknown_fields=True):
    present: list[uuid.UUID]


async def _slugs(session: AsyncSession) -> dict[uuid.UUID, str]:
    return {p.id: p.slug for p in await session.scalars(select(Programme))}


def activity_out(a: Activity, slugs: dict[uuid.UUID, str]) -> ActivityOut:
    return ActivityOut(
        id=a.id,
        kind=a.kind.value,
        title=a.title,
        programme=slugs.get(a.programme_id) if a.programme_id else None,
        place=a.place,
        room=a.room,
        first_on=a.first_on,
        starts=a.starts,
        ends=a.ends,
        recurrence=a.recurrence.value,
        until=a.until,
        published=a.published,
    )


async def _activity(session: AsyncSession, activity_id: uuid.UUID) -> Activity:
    activity = await get_activity(session, activity_id)
    if activity is None:
        raise NotFoundException()
    return activity


def _window(start: dt.date | None, days: int = 90) -> tuple[dt.date, dt.date]:
    first = start or today()
    return first, first + dt.timedelta(days=days)


class ActivityApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/activities"
    tags = ["activities"]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="api_activities", opt=audits("activity.list"), guards=[any_member])
    async def list(self, db_session: NamedDependency[AsyncSession]) -> list[ActivityOut]:
        """The organisation's activities."""
        slugs = await _slugs(db_session)
        return [activity_out(a, slugs) for a in await list_activities(db_session)]

    @post("/", name="api_activity_create", opt=NO_PERSONAL_DATA, guards=[coordinators])
    async def create(
        self, db_session: NamedDependency[AsyncSession], data: JSONBody[ActivityInS]
    ) -> Response[Any]:
        """Create an activity (`kind`: supervision, cafe, interest_group, event, info_meeting;
        `recurrence`: none, weekly, monthly; `published` only for info meetings)."""
        try:
            activity = await create_activity(db_session, ActivityIn(**msgspec.structs.asdict(data)))
        except ActivityError as exc:
            await db_session.rollback()
            return field_error(exc.field, exc.message)
        return Response(activity_out(activity, await _slugs(db_session)), status_code=201)

    @get(
        "/{activity_id:uuid}",
        name="api_activity",
        opt=audits("activity.read", "activity", "activity_id"),
        guards=[any_member],
    )
    async def detail(
        self,
        db_session: NamedDependency[AsyncSession],
        activity_id: FromPath[uuid.UUID],
        start: FromQuery[dt.date | None] = None,
        days: FromQuery[Annotated[int, msgspec.Meta(ge=1, le=400)]] = 90,
    ) -> ActivityDetailOut:
        """The activity, its members and its occurrences from `start` (default today)."""
        activity = await _activity(db_session, activity_id)
        first, last = _window(start, days)
        return ActivityDetailOut(
            activity_out(activity, await _slugs(db_session)),
            [p.id for p in await members(db_session, activity)],
            [
                OccurrenceOut(o.day, o.starts_at, o.ends_at, o.cancelled)
                for o in await occurrences(db_session, activity, first, last)
            ],
        )

    @post(
        "/{activity_id:uuid}/members",
        name="api_activity_member_add",
        opt=audits("activity.member_add", "activity", "activity_id"),
        guards=[coordinators],
    )
    async def add(
        self,
        db_session: NamedDependency[AsyncSession],
        activity_id: FromPath[uuid.UUID],
        data: JSONBody[PersonIdIn],
    ) -> Response[Any]:
        """Add a member (201; 200 if already one). Supervision takes mentors only."""
        activity = await _activity(db_session, activity_id)
        try:
            _person, added = await add_member(db_session, activity, data.person_id)
        except LookupError:
            raise NotFoundException() from None
        except ActivityError as exc:
            await db_session.rollback()
            return field_error(exc.field, exc.message)
        return Response({"person_id": str(data.person_id)}, status_code=201 if added else 200)

    @put(
        "/{activity_id:uuid}/occurrences/{day:date}/attendance",
        name="api_activity_attendance",
        opt=audits("activity.attendance", "activity", "activity_id"),
        guards=[coordinators],
    )
    async def attendance(
        self,
        db_session: NamedDependency[AsyncSession],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
        data: JSONBody[PresentIn],
    ) -> Response[Any]:
        """Who was present at the occurrence on `day` (404 if the activity has none that day)."""
        activity = await _activity(db_session, activity_id)
        try:
            found = await set_occurrence_attendance(db_session, activity, day, data.present)
        except ActivityError as exc:
            await db_session.rollback()
            return field_error(exc.field, exc.message)
        if not found:
            raise NotFoundException()
        return Response(
            {"day": day.isoformat(), "present": sorted(str(p) for p in set(data.present))}
        )

    @post(
        "/{activity_id:uuid}/occurrences/{day:date}/cancel",
        name="api_activity_cancel",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        status_code=200,
    )
    async def cancel(
        self,
        db_session: NamedDependency[AsyncSession],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> dict[str, Any]:
        """Cancel one occurrence (the series continues)."""
        activity = await _activity(db_session, activity_id)
        if not await cancel_occurrence(db_session, activity, day):
            raise NotFoundException()
        return {"day": day.isoformat(), "cancelled": True}


def _parse_activity_form(form: Any) -> tuple[dict[str, str], ActivityIn | None]:
    errors: dict[str, str] = {}
    try:
        first_on = dt.date.fromisoformat(form.get("first_on", ""))
    except ValueError:
        errors["first_on"] = _("Enter the date of the first time.")
    times: dict[str, dt.time] = {}
    for key in ("starts", "ends"):
        try:
            times[key] = dt.time.fromisoformat(form.get(key, ""))
        except ValueError:
            errors[key] = _("Enter a time like 10:00.")
    if errors:
        return errors, None
    return errors, ActivityIn(
        kind=form.get("kind", ""),
        title=form.get("title", "")[:200],
        first_on=first_on,
        starts=times["starts"],
        ends=times["ends"],
        recurrence=form.get("recurrence", "none"),
        programme=form.get("programme") or None,
        place=form.get("place", "")[:200],
        room=form.get("room", "")[:100],
        description=form.get("description", "")[:2000],
        published=form.get("published") == "on",
    )


class ActivityPagesController(Controller):
    path = "/t/{tenant_slug:str}/aktiviteter"
    include_in_schema = False
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    async def _index(
        self,
        db_session: AsyncSession,
        tenant: Tenant,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        from core.tenancy.service import list_active_programmes

        first, last = _window(None, 60)
        upcoming = []
        for a in await list_activities(db_session):
            upcoming += await occurrences(db_session, a, first, last)
        return Template(
            "activities/index.html",
            context={
                "tenant": tenant,
                "activities": await list_activities(db_session),
                "upcoming": sorted(upcoming, key=lambda o: o.starts_at)[:30],
                "kinds": KIND_LABELS,
                "programmes": await list_active_programmes(db_session),
                "errors": errors or {},
                "form": form or {},
                "active_nav": "activities",
            },
            status_code=status_code,
            media_type=MediaType.HTML,
        )

    @get("/", name="activities_page", opt=audits("activity.list"), guards=[any_member])
    async def index(
        self, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
    ) -> Template:
        return await self._index(db_session, tenant)

    @post(
        "/",
        name="activity_create_page",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
    ) -> Any:
        form = await request.form()
        raw = {k: str(v) for k, v in form.items()}
        errors, data = _parse_activity_form(form)
        if data is not None:
            try:
                activity = await create_activity(db_session, data)
            except ActivityError as exc:
                await db_session.rollback()
                errors[exc.field] = exc.message
            else:
                return Redirect(f"/t/{tenant.slug}/aktiviteter/{activity.id}", status_code=303)
        return await self._index(db_session, tenant, errors, raw, 400)

    @get(
        "/{activity_id:uuid}",
        name="activity_page",
        opt=audits("activity.read", "activity", "activity_id"),
        guards=[any_member],
    )
    async def detail(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        activity_id: FromPath[uuid.UUID],
    ) -> Template:
        activity = await _activity(db_session, activity_id)
        first, last = _window(None, 120)
        return Template(
            "activities/detail.html",
            context={
                "tenant": tenant,
                "activity": activity,
                "kinds": KIND_LABELS,
                "members": await members(db_session, activity),
                "occurrences": await occurrences(db_session, activity, first, last),
                "active_nav": "activities",
            },
        )

    @get(
        "/{activity_id:uuid}/{day:date}",
        name="activity_attendance_page",
        opt=audits("activity.attendance_read", "activity", "activity_id"),
        guards=[coordinators],
    )
    async def attendance_form(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> Template:
        activity = await _activity(db_session, activity_id)
        if not is_occurrence(activity, day):
            raise NotFoundException()
        group = await members(db_session, activity)
        present = await attendance(db_session, activity, day)
        people = list(group)
        if not people:  # open activities: anyone of the organisation who came
            people = list(await db_session.scalars(select(Person).order_by(Person.name).limit(200)))
        return Template(
            "activities/attendance.html",
            context={
                "tenant": tenant,
                "activity": activity,
                "day": day,
                "people": people,
                "present": present,
                "errors": {},
                "active_nav": "activities",
            },
        )

    @post(
        "/{activity_id:uuid}/{day:date}",
        name="activity_attendance_save_page",
        opt=audits("activity.attendance", "activity", "activity_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def attendance_save(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> Any:
        activity = await _activity(db_session, activity_id)
        form = await request.form()
        try:
            present = [uuid.UUID(v) for v in form.getall("present", [])]
            found = await set_occurrence_attendance(db_session, activity, day, present)
        except (ValueError, ActivityError) as exc:
            await db_session.rollback()
            message = exc.message if isinstance(exc, ActivityError) else _("Choose participants.")
            return Template(
                "activities/attendance.html",
                context={
                    "tenant": tenant,
                    "activity": activity,
                    "day": day,
                    "people": await members(db_session, activity),
                    "present": set(),
                    "errors": {"present": message},
                    "active_nav": "activities",
                },
                status_code=400,
                media_type=MediaType.HTML,
            )
        if not found:
            raise NotFoundException()
        return Redirect(f"/t/{tenant.slug}/aktiviteter/{activity.id}", status_code=303)

    @post(
        "/{activity_id:uuid}/{day:date}/aflys",
        name="activity_cancel_page",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def cancel(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> Any:
        activity = await _activity(db_session, activity_id)
        if not await cancel_occurrence(db_session, activity, day):
            raise NotFoundException()
        return Redirect(f"/t/{tenant.slug}/aktiviteter/{activity.id}", status_code=303)
