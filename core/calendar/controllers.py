"""Calendar links (coordinators, under the tenant URL) and the public feeds and page.

The public routes live outside ``/t/`` and ``/api/v1/t/`` (which require sign-in): the
per-person feed is found by its unguessable token, the info-meeting page by the tenant slug.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar.service import (
    make_link,
    occurrence_event,
    read_person_feed_by_token,
    read_published_info_meetings,
    render_calendar,
    revoke_links,
)
from core.clock import today
from core.courses.controllers import actor
from core.identity.guards import coordinators
from core.tenancy.models import Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.pipeline import audits

ICS = "text/calendar"
ICS_SUFFIX = ".ics"


class CalendarLinkOut(msgspec.Struct):
    url: str


class CalendarLinkApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/calendar-link"
    tags = ["calendar"]
    guards = [coordinators]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @post(
        "/",
        name="api_calendar_link_create",
        opt=audits("calendar_link_created", "person", "person_id"),
        status_code=201,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        person_id: FromPath[uuid.UUID],
    ) -> CalendarLinkOut:
        """A new link to the person's .ics feed (shown once; an earlier link stops working)."""
        token = await make_link(db_session, tenant, person_id, actor(request))
        if token is None:
            raise NotFoundException()
        return CalendarLinkOut(f"{state.settings.base_url}/kalender/{token}{ICS_SUFFIX}")

    @delete(
        "/",
        name="api_calendar_link_revoke",
        opt=audits("calendar_link_revoked", "person", "person_id"),
        status_code=204,
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        person_id: FromPath[uuid.UUID],
    ) -> None:
        """Revoke the person's calendar link (the feed answers 404 from then on)."""
        if not await revoke_links(db_session, tenant, person_id, actor(request)):
            raise NotFoundException()


class PublicCalendarController(Controller):
    path = "/"
    include_in_schema = False

    @get("/kalender/{token:str}", name="person_calendar_feed")
    async def person_feed(
        self, db_session: NamedDependency[AsyncSession], token: FromPath[str]
    ) -> Response[bytes]:
        if not token.endswith(ICS_SUFFIX) or len(token) > 100:
            raise NotFoundException()
        body = await read_person_feed_by_token(db_session, token.removesuffix(ICS_SUFFIX), today())
        if body is None:
            raise NotFoundException()
        return Response(body, media_type=ICS, headers={"Cache-Control": "private, no-store"})

    @get("/offentlig/{slug:str}/informationsmoeder", name="public_info_meetings")
    async def info_page(
        self, db_session: NamedDependency[AsyncSession], slug: FromPath[str]
    ) -> Template:
        found = await read_published_info_meetings(db_session, slug, today())
        if found is None:
            raise NotFoundException()
        return Template(
            "activities/public_info_meetings.html",
            context={"public_tenant": found.tenant, "occurrences": found.occurrences},
        )

    @get("/offentlig/{slug:str}/informationsmoeder.ics", name="public_info_meetings_feed")
    async def info_feed(
        self, db_session: NamedDependency[AsyncSession], slug: FromPath[str]
    ) -> Response[bytes]:
        found = await read_published_info_meetings(db_session, slug, today())
        if found is None:
            raise NotFoundException()
        name = _("Information meetings, %(tenant)s") % {"tenant": found.tenant.name}
        body = render_calendar(name, [occurrence_event(o) for o in found.occurrences])
        return Response(body, media_type=ICS)
