"""Partnership API and pages, under the URL tenant (owner or partner): the grants, granting and
revoking (the owner's tenant admins), what a grant shows the partner, and the owner's log of what
partners did in its programmes."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Invalid, NotFound
from core.identity.guards import requires_roles, tenant_admins
from core.strict_input import StrictController
from core.tenancy.models import PartnershipScope, Tenant, TenantKind
from core.tenancy.partner_log import PartnerLog, read_partner_log
from core.tenancy.partnerships import (
    GrantView,
    grant_partnership,
    grants_given,
    grants_received,
    read_participants_as_partner,
    read_summary_as_partner,
    revoke_partnership,
)
from core.tenancy.schemas import (
    GrantIn,
    GrantOut,
    ParticipantOut,
    PartnerLogOut,
    PartnerLogRowOut,
    PartnershipsOut,
    SummaryOut,
)
from core.tenancy.service import list_active_programmes
from core.web.deps import provide_tenant
from core.web.forms import form_struct, page, read_form
from core.web.i18n import gettext as _
from core.web.paging import PageLimit, PageOffset
from core.web.pipeline import NO_PERSONAL_DATA, audits

view_partnerships = requires_roles("tenant_admin", "coordinator", "partner_staff")
partner_staff_only = requires_roles("partner_staff")
#: Rows per page of the partner log.
LOG_PAGE = 50


def _out(view: GrantView) -> GrantOut:
    return GrantOut(
        id=view.id,
        owner=view.owner_slug,
        programme=view.programme_slug,
        programme_name=view.programme_name,
        partner=view.partner_slug,
        scope=view.scope.value,
    )


async def _listing(
    session: AsyncSession, tenant: Tenant
) -> tuple[list[GrantView], list[GrantView]]:
    granted = await grants_given(session, tenant)
    received = await grants_received(session, tenant) if tenant.kind == TenantKind.PARTNER else []
    return granted, received


def _log_out(log: PartnerLog) -> PartnerLogOut:
    return PartnerLogOut(
        [
            PartnerLogRowOut(
                at=r.at.isoformat(),
                partner=r.partner_name,
                programme=r.programme_name,
                grant_id=r.grant_id,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                actor=r.actor,
                refused=r.refused,
            )
            for r in log.rows
        ],
        log.total,
    )


async def _index(
    ctx: Context, errors: Invalid | None = None, form: dict[str, Any] | None = None
) -> Template:
    granted, received = await _listing(ctx.session, ctx.tenant)
    admin = ctx.principal is not None and ctx.principal.has_any_role("tenant_admin")
    grantable = admin and ctx.tenant.kind == TenantKind.MUNICIPALITY
    partners = (
        [
            (t.slug, t.name)
            for t in await ctx.session.scalars(
                select(Tenant).where(Tenant.kind == TenantKind.PARTNER).order_by(Tenant.name)
            )
        ]
        if grantable
        else []
    )
    programmes = (
        [(p.slug, p.name) for p in await list_active_programmes(ctx.session)] if grantable else []
    )
    return page(
        "tenancy/partnerships.html",
        400 if errors else 200,
        tenant=ctx.tenant,
        granted=granted,
        received=received,
        admin=admin,
        programmes=programmes,
        partners=partners,
        scopes=[s.value for s in PartnershipScope],
        errors=errors.errors if errors else {},
        form=form or {},
        active_nav="partnerships",
    )


class PartnershipApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/partnerships"
    tags = ["partnerships"]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="api_partnerships", opt=NO_PERSONAL_DATA, guards=[view_partnerships])
    async def list_partnerships(self, ctx: NamedDependency[Context]) -> PartnershipsOut:
        """Grants this organisation has given (owner) and received (partner)."""
        granted, received = await _listing(ctx.session, ctx.tenant)
        return PartnershipsOut([_out(g) for g in granted], [_out(g) for g in received])

    @post(
        "/",
        name="api_partnership_grant",
        opt=audits("partnership_granted", "programme_partnership"),
        guards=[tenant_admins],
    )
    async def grant(self, ctx: NamedDependency[Context], data: JSONBody[GrantIn]) -> Response[Any]:
        """Grant a partner organisation a scope on a programme: `aggregate` (numbers),
        `participants` (the people and the numbers) or `coordinate` (the partner's staff co-run
        the programme as its coordinators, in this organisation's space; docs/identity.md).

        Granting again changes the scope of the existing grant."""
        view, created = await grant_partnership(ctx, data)
        return Response(_out(view), status_code=201 if created else 200)

    @delete(
        "/{grant_id:uuid}",
        name="api_partnership_revoke",
        opt=audits("partnership_revoked", "programme_partnership", "grant_id"),
        guards=[tenant_admins],
        status_code=204,
    )
    async def revoke(self, ctx: NamedDependency[Context], grant_id: FromPath[uuid.UUID]) -> None:
        """Revoke a grant this organisation gave."""
        await revoke_partnership(ctx, grant_id)

    @get(
        "/activity",
        name="api_partner_log",
        opt=audits("partner_log.read"),
        guards=[tenant_admins],
    )
    async def partner_log(
        self, ctx: NamedDependency[Context], limit: PageLimit = LOG_PAGE, offset: PageOffset = 0
    ) -> PartnerLogOut:
        """What partners' staff did in this organisation's programmes under `coordinate` grants
        (revoked ones too), newest first; `limit` (1-500) from `offset`."""
        return _log_out(await read_partner_log(ctx, limit, offset))

    @get(
        "/{grant_id:uuid}/summary",
        name="api_partnership_summary",
        opt=audits("partner_read", "programme_partnership", "grant_id"),
        guards=[partner_staff_only],
    )
    async def summary(
        self, ctx: NamedDependency[Context], grant_id: FromPath[uuid.UUID]
    ) -> SummaryOut:
        """Numbers for a programme granted to this partner organisation (audited)."""
        result = await read_summary_as_partner(ctx, grant_id)
        return SummaryOut(result.mentees, result.mentors, result.by_status)

    @get(
        "/{grant_id:uuid}/participants",
        name="api_partnership_participants",
        opt=audits("partner_read", "programme_partnership", "grant_id"),
        guards=[partner_staff_only],
    )
    async def participants(
        self, ctx: NamedDependency[Context], grant_id: FromPath[uuid.UUID]
    ) -> list[ParticipantOut]:
        """The people of a programme granted with scope `participants` (audited)."""
        rows = await read_participants_as_partner(ctx, grant_id)
        return [ParticipantOut(r.person_id, r.name, r.role, r.status) for r in rows]


class PartnershipPagesController(Controller):
    path = "/t/{tenant_slug:str}/partnerskaber"
    include_in_schema = False
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="partnerships_page", opt=NO_PERSONAL_DATA, guards=[view_partnerships])
    async def index(self, ctx: NamedDependency[Context]) -> Template:
        return await _index(ctx)

    @post(
        "/",
        name="partnership_grant_page",
        opt=audits("partnership_granted", "programme_partnership"),
        guards=[tenant_admins],
        media_type=MediaType.HTML,
    )
    async def grant(self, ctx: NamedDependency[Context], request: Request[Any, Any, Any]) -> Any:
        """The grant form: the same command as the API."""
        form = await read_form(request)
        try:
            data = form_struct(
                form,
                GrantIn,
                {
                    "programme": _("Choose the programme."),
                    "partner": _("Choose the partner organisation."),
                    "scope": _("Choose what the partner may do."),
                },
            )
            await grant_partnership(ctx, data)
        except Invalid as exc:
            return await _index(ctx, exc, form)
        return Redirect(f"/t/{ctx.tenant.slug}/partnerskaber/", status_code=303)

    @post(
        "/{grant_id:uuid}/tilbagekald",
        name="partnership_revoke_page",
        opt=audits("partnership_revoked", "programme_partnership", "grant_id"),
        guards=[tenant_admins],
        media_type=MediaType.HTML,
    )
    async def revoke(self, ctx: NamedDependency[Context], grant_id: FromPath[uuid.UUID]) -> Any:
        await revoke_partnership(ctx, grant_id)
        return Redirect(f"/t/{ctx.tenant.slug}/partnerskaber/", status_code=303)

    @get(
        "/aktivitet",
        name="partner_log_page",
        opt=audits("partner_log.read"),
        guards=[tenant_admins],
    )
    async def partner_log(
        self, ctx: NamedDependency[Context], page: FromQuery[int] = 1
    ) -> Template:
        """What partners did in this organisation's programmes, 50 rows a page."""
        if not 1 <= page <= 100_000:
            raise Invalid({"page": _("The page number must be 1 or more.")})
        log = await read_partner_log(ctx, LOG_PAGE, (page - 1) * LOG_PAGE)
        return Template(
            "tenancy/partner_log.html",
            context={
                "tenant": ctx.tenant,
                "log": log,
                "current": page,
                "pages": max(1, -(-log.total // LOG_PAGE)),
                "active_nav": "partnerships",
            },
        )

    @get(
        "/{grant_id:uuid}",
        name="partnership_page",
        opt=audits("partner_read", "programme_partnership", "grant_id"),
        guards=[partner_staff_only],
    )
    async def detail(
        self, ctx: NamedDependency[Context], grant_id: FromPath[uuid.UUID]
    ) -> Template:
        received = {g.id: g for g in await grants_received(ctx.session, ctx.tenant)}
        grant = received.get(grant_id)
        if grant is None:
            raise NotFound()
        summary = await read_summary_as_partner(ctx, grant_id)
        participants = None
        if grant.scope.value in ("participants", "coordinate"):
            participants = await read_participants_as_partner(ctx, grant_id)
        return Template(
            "tenancy/partnership.html",
            context={
                "tenant": ctx.tenant,
                "grant": grant,
                "summary": summary,
                "participants": participants,
                "active_nav": "partnerships",
            },
        )
