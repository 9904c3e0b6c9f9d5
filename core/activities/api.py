"""Activities: the JSON API, adapters over :mod:`core.activities.commands`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core.activities import commands
from core.activities.models import Activity
from core.activities.queries import (
    activity_of,
    list_activities,
    members,
    occurrences,
    programme_slugs,
)
from core.activities.schemas import (
    ActivityDetailOut,
    ActivityIn,
    ActivityOut,
    OccurrenceOut,
    PersonIdIn,
    PresentIn,
)
from core.context import Context
from core.identity.guards import any_member, coordinators
from core.strict_input import StrictController
from core.web.paging import PageLimit, PageOffset, check_paging, page_of
from core.web.pipeline import NO_PERSONAL_DATA, audits


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


class ActivityApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/activities"
    tags = ["activities"]

    @get("/", name="api_activities", opt=audits("activity.list"), guards=[any_member])
    async def list(
        self, ctx: NamedDependency[Context], limit: PageLimit = 500, offset: PageOffset = 0
    ) -> list[ActivityOut]:
        """The organisation's activities; ``limit`` (1-500) from ``offset``."""
        check_paging(limit, offset)
        slugs = await programme_slugs(ctx.session)
        found = page_of(await list_activities(ctx.session), limit, offset)
        return [activity_out(a, slugs) for a in found]

    @post("/", name="api_activity_create", opt=NO_PERSONAL_DATA, guards=[coordinators])
    async def create(
        self, ctx: NamedDependency[Context], data: JSONBody[ActivityIn]
    ) -> Response[ActivityOut]:
        """Create an activity (`kind`: supervision, cafe, interest_group, event, info_meeting;
        `recurrence`: none, weekly, monthly; `published` only for info meetings)."""
        activity = await commands.create_activity(ctx, data)
        return Response(activity_out(activity, await programme_slugs(ctx.session)), status_code=201)

    @get(
        "/{activity_id:uuid}",
        name="api_activity",
        opt=audits("activity.read", "activity", "activity_id"),
        guards=[any_member],
    )
    async def detail(
        self,
        ctx: NamedDependency[Context],
        activity_id: FromPath[uuid.UUID],
        start: FromQuery[dt.date | None] = None,
        days: Annotated[int, QueryParameter(ge=1, le=400)] = 90,
    ) -> ActivityDetailOut:
        """The activity, its members and its occurrences from `start` (default today) for
        `days` days (1-400)."""
        activity = await activity_of(ctx.session, activity_id)
        first = start or ctx.today()
        # The calendar ends on 9999-12-31: a window reaching past it stops there.
        last = first + dt.timedelta(days=min(days, (dt.date.max - first).days))
        coming = await occurrences(ctx.session, activity, first, last)
        return ActivityDetailOut(
            activity_out(activity, await programme_slugs(ctx.session)),
            [p.id for p in await members(ctx.session, activity)],
            [OccurrenceOut(o.day, o.starts_at, o.ends_at, o.cancelled) for o in coming],
        )

    @post(
        "/{activity_id:uuid}/members",
        name="api_activity_member_add",
        opt=audits("activity.member_add", "activity", "activity_id"),
        guards=[coordinators],
    )
    async def add(
        self,
        ctx: NamedDependency[Context],
        activity_id: FromPath[uuid.UUID],
        data: JSONBody[PersonIdIn],
    ) -> Response[Any]:
        """Add a member (201; 200 if already one). Supervision takes mentors only."""
        added = await commands.add_member(ctx, activity_id, data)
        return Response({"person_id": str(data.person_id)}, status_code=201 if added else 200)

    @put(
        "/{activity_id:uuid}/occurrences/{day:date}/attendance",
        name="api_activity_attendance",
        opt=audits("activity.attendance", "activity", "activity_id"),
        guards=[coordinators],
    )
    async def attendance(
        self,
        ctx: NamedDependency[Context],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
        data: JSONBody[PresentIn],
    ) -> dict[str, Any]:
        """Who was present at the occurrence on `day` (404 if the activity has none that day)."""
        await commands.set_occurrence_attendance(ctx, activity_id, day, data)
        return {"day": day.isoformat(), "present": sorted(str(p) for p in set(data.present))}

    @post(
        "/{activity_id:uuid}/occurrences/{day:date}/cancel",
        name="api_activity_cancel",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        status_code=200,
    )
    async def cancel(
        self,
        ctx: NamedDependency[Context],
        activity_id: FromPath[uuid.UUID],
        day: FromPath[dt.date],
    ) -> dict[str, Any]:
        """Cancel one occurrence (the series continues)."""
        await commands.cancel_occurrence(ctx, activity_id, day)
        return {"day": day.isoformat(), "cancelled": True}
