"""Partnership API and pages, under the URL tenant (owner or partner)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import NotFound
from core.identity.guards import requires_roles, tenant_admins
from core.strict_input import StrictController
from core.tenancy.models import Tenant, TenantKind
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
    PartnershipsOut,
    SummaryOut,
)
from core.web.deps import provide_tenant
from core.web.pipeline import NO_PERSONAL_DATA, audits

view_partnerships = requires_roles("tenant_admin", "coordinator", "partner_staff")
partner_staff_only = requires_roles("partner_staff")


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
        """Grant a partner organisation a scope (`aggregate` or `participants`) on a programme.

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
        granted, received = await _listing(ctx.session, ctx.tenant)
        return Template(
            "tenancy/partnerships.html",
            context={
                "tenant": ctx.tenant,
                "granted": granted,
                "received": received,
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
        if grant.scope.value == "participants":
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
