"""Calendar links (coordinators, under the tenant URL): adapters over
:mod:`core.calendar.commands`."""

from __future__ import annotations

import uuid

from litestar import delete, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from core.calendar import commands
from core.calendar.queries import feed_url
from core.calendar.schemas import CalendarLinkOut
from core.context import Context
from core.identity.guards import coordinators
from core.strict_input import StrictController
from core.web.pipeline import audits


class CalendarLinkApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/calendar-link"
    tags = ["calendar"]
    guards = [coordinators]

    @post(
        "/",
        name="api_calendar_link_create",
        opt=audits("calendar_link_created", "person", "person_id"),
        status_code=201,
    )
    async def create(
        self, state: State, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> CalendarLinkOut:
        """A new link to the person's .ics feed (shown once; an earlier link stops working)."""
        token = await commands.make_link(ctx, person_id)
        return CalendarLinkOut(feed_url(state.settings.base_url, token))

    @delete(
        "/",
        name="api_calendar_link_revoke",
        opt=audits("calendar_link_revoked", "person", "person_id"),
        status_code=204,
    )
    async def revoke(self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]) -> None:
        """Revoke the person's calendar link (the feed answers 404 from then on)."""
        await commands.revoke_links(ctx, person_id)
