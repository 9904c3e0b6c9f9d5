"""Pages: "Hvem har set oplysningerne" and the printable export of a person (coordinators and
tenant admins), and the signed-in person's own log ("Mit forløb"). The same commands as the
JSON API (:mod:`core.gdpr.commands`)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from core.context import Context
from core.errors import Invalid
from core.gdpr.api import LOG_PAGE
from core.gdpr.commands import export_person, read_access_log, read_own_access_log
from core.gdpr.labels import action_label, column_label, table_label
from core.gdpr.queries import is_staff_column, member_names
from core.identity.dev_users import role_label
from core.identity.guards import any_member, coordinators
from core.mine.queries import my_person_or_404
from core.participants.lookup import get_person
from core.web.i18n import gettext as _
from core.web.pipeline import audits


def _offset(page: int) -> int:
    if not 1 <= page <= 100_000:
        raise Invalid({"page": _("The page number must be 1 or more.")})
    return (page - 1) * LOG_PAGE


def _page(name: str, ctx: Context, **context: Any) -> Template:
    return Template(
        f"gdpr/{name}.html",
        context={
            "tenant": ctx.tenant,
            "action_label": action_label,
            "role_label": role_label,
            **context,
        },
        media_type=MediaType.HTML,
    )


class PersonGdprPagesController(Controller):
    path = "/t/{tenant_slug:str}/deltagere/{person_id:uuid}"
    include_in_schema = False
    guards = [coordinators]

    @get(
        "/adgangslog",
        name="person_access_log_page",
        opt=audits("gdpr.access_log", "person", "person_id"),
    )
    async def access_log(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        page: FromQuery[int] = 1,
    ) -> Template:
        """Who has seen the person's data, 50 rows a page."""
        log = await read_access_log(ctx, person_id, LOG_PAGE, _offset(page))
        person = await get_person(ctx.session, person_id)
        return _page(
            "access_log",
            ctx,
            person=person,
            log=log,
            current=page,
            pages=max(1, -(-log.total // LOG_PAGE)),
            active_nav="participants",
            base=f"/t/{ctx.tenant.slug}/deltagere/{person_id}/adgangslog",
        )

    @get("/indsigt", name="person_export_page", opt=audits("gdpr.export", "person", "person_id"))
    async def export(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Template:
        """Everything held about the person, on one page that prints (or saves as PDF) well."""
        export = await export_person(ctx, person_id)
        person = await get_person(ctx.session, person_id)
        names = await member_names(ctx)
        return _page(
            "export",
            ctx,
            person=person,
            export=export,
            table_label=table_label,
            column_label=column_label,
            # Who recorded or changed something: the member's name where it is known.
            staff_name=lambda column, value: (
                names.get(value, value)
                if is_staff_column(column) and isinstance(value, str)
                else value
            ),
            active_nav="participants",
        )


class MyAccessLogPagesController(Controller):
    path = "/t/{tenant_slug:str}/mit/adgangslog"
    include_in_schema = False
    guards = [any_member]

    @get("/", name="my_access_log_page", opt=audits("gdpr.access_log", "person"))
    async def own(self, ctx: NamedDependency[Context], page: FromQuery[int] = 1) -> Template:
        """Who has seen the signed-in person's own data (404 without a linked person)."""
        person = await my_person_or_404(ctx)
        log = await read_own_access_log(ctx, person.id, LOG_PAGE, _offset(page))
        return _page(
            "my_access_log",
            ctx,
            person=person,
            log=log,
            current=page,
            pages=max(1, -(-log.total // LOG_PAGE)),
            active_nav="mine",
            base=f"/t/{ctx.tenant.slug}/mit/adgangslog/",
        )
