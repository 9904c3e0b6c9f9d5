"""The JSON API of a mentor's own availability (:mod:`core.mine.availability`)."""

from __future__ import annotations

from litestar import get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.context import Context
from core.identity.guards import any_member
from core.mine.availability import (
    AvailabilityIn,
    AvailabilityOut,
    my_availability,
    set_my_availability,
)
from core.strict_input import StrictController
from core.web.pipeline import audits


class MyAvailabilityApi(StrictController):
    """``GET /api/v1/t/{tenant}/me/availability``: the caller's open mentor enrolments with their
    capacity and pause; ``PUT .../{programme}`` sets them (:func:`set_my_availability`)."""

    path = "/api/v1/t/{tenant_slug:str}/me/availability"
    tags = ["me"]
    guards = [any_member]

    @get("/", name="api_me_availability", opt=audits("mine.availability_read"))
    async def read(self, ctx: NamedDependency[Context]) -> list[AvailabilityOut]:
        """The caller's availability per programme they are a mentor in (404 if the sign-in
        is not linked to a person of the tenant; an empty list for a citizen)."""
        return [a.out() for a in await my_availability(ctx)]

    @put(
        "/{programme_slug:str}",
        name="api_me_availability_set",
        opt=audits("mine.availability", "enrolment"),
    )
    async def set(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        data: JSONBody[AvailabilityIn],
    ) -> AvailabilityOut:
        """Set how many citizens the caller takes at once (1-10) and a pause (no new citizen
        before `paused_until`; `null` ends it). 400 with Danish messages per field; 404 without
        an open mentor enrolment in the programme; 409 before the før-samtale is recorded."""
        return (await set_my_availability(ctx, programme_slug, data)).out()
