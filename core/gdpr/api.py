"""JSON API of a person's access log and data export (coordinators and tenant admins), and the
signed-in person's own access log. Adapters over :mod:`core.gdpr.commands`."""

from __future__ import annotations

import uuid

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath

from core.context import Context
from core.gdpr.commands import (
    entry_out,
    export_out,
    export_person,
    read_access_log,
    read_own_access_log,
)
from core.gdpr.queries import AccessLog
from core.gdpr.schemas import AccessLogOut, ExportOut
from core.identity.guards import any_member, coordinators
from core.mine.queries import my_person_or_404
from core.strict_input import StrictController
from core.web.paging import PageLimit, PageOffset
from core.web.pipeline import audits

#: Rows per page of an access log (the API's default ``limit``, the pages' page size).
LOG_PAGE = 50


def log_out(person_id: uuid.UUID, log: AccessLog) -> AccessLogOut:
    return AccessLogOut(person_id, [entry_out(e) for e in log.entries], log.total)


class PersonGdprApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}"
    tags = ["gdpr"]
    guards = [coordinators]

    @get(
        "/access-log",
        name="api_person_access_log",
        opt=audits("gdpr.access_log", "person", "person_id"),
    )
    async def access_log(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        limit: PageLimit = LOG_PAGE,
        offset: PageOffset = 0,
    ) -> AccessLogOut:
        """Who has read or changed the person's data (name and role), when and what, newest
        first; `limit` (1-500) from `offset`. Not for a partner's staff (403)."""
        return log_out(person_id, await read_access_log(ctx, person_id, limit, offset))

    @get("/export", name="api_person_export", opt=audits("gdpr.export", "person", "person_id"))
    async def export(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> ExportOut:
        """Everything held about the person (GDPR Art. 15): every row of every table that
        belongs to the person, and the access log. Not for a partner's staff (403)."""
        return export_out(ctx, person_id, await export_person(ctx, person_id))


class MyAccessLogApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/me/access-log"
    tags = ["me"]
    guards = [any_member]

    @get("/", name="api_me_access_log", opt=audits("gdpr.access_log", "person"))
    async def own(
        self, ctx: NamedDependency[Context], limit: PageLimit = LOG_PAGE, offset: PageOffset = 0
    ) -> AccessLogOut:
        """Who has read or changed the caller's own data in the tenant (404 for a sign-in not
        linked to a person)."""
        person = await my_person_or_404(ctx)
        return log_out(person.id, await read_own_access_log(ctx, person.id, limit, offset))
