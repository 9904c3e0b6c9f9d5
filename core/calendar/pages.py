"""The public calendar feeds and page (outside ``/t/``: no sign-in, no tenant route).

The per-person feed is found by its unguessable token, the info-meeting page by the tenant slug;
:mod:`core.calendar.queries` reads them in the owner's tenant scope.
"""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar.queries import (
    ICS_SUFFIX,
    occurrence_event,
    read_person_feed_by_token,
    read_published_info_meetings,
    render_calendar,
)
from core.clock import today
from core.errors import NotFound
from core.web.i18n import gettext as _

ICS = "text/calendar"


class PublicCalendarController(Controller):
    path = "/"
    include_in_schema = False

    @get("/kalender/{token:str}", name="person_calendar_feed")
    async def person_feed(
        self, db_session: NamedDependency[AsyncSession], token: FromPath[str]
    ) -> Response[bytes]:
        if not token.endswith(ICS_SUFFIX) or len(token) > 100:
            raise NotFound()
        body = await read_person_feed_by_token(db_session, token.removesuffix(ICS_SUFFIX), today())
        if body is None:
            raise NotFound()
        return Response(body, media_type=ICS, headers={"Cache-Control": "private, no-store"})

    @get("/offentlig/{slug:str}/informationsmoeder", name="public_info_meetings")
    async def info_page(
        self, db_session: NamedDependency[AsyncSession], slug: FromPath[str]
    ) -> Template:
        found = await read_published_info_meetings(db_session, slug, today())
        if found is None:
            raise NotFound()
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
            raise NotFound()
        name = _("Information meetings, %(tenant)s") % {"tenant": found.tenant.name}
        body = render_calendar(name, [occurrence_event(o) for o in found.occurrences])
        return Response(body, media_type=ICS)
