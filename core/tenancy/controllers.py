"""The tenant front page (UI) and the programme list (JSON API)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.queries import front_applications
from core.context import Context
from core.identity.guards import any_member
from core.reports.pages import front_figures
from core.reports.partner_pages import partner_front
from core.strict_input import StrictController
from core.tenancy.models import Programme, Tenant
from core.tenancy.schemas import DurationMonthsOut, ProgrammeOut, TenantOut
from core.tenancy.service import list_active_programmes
from core.web.deps import provide_tenant
from core.web.pipeline import NO_PERSONAL_DATA


def programme_out(programme: Programme) -> ProgrammeOut:
    months = programme.policy["duration_months"]
    return ProgrammeOut(
        slug=programme.slug,
        name=programme.name,
        type=programme.type,
        areas=list(programme.areas),
        duration_months=DurationMonthsOut(min=months["min"], max=months["max"]),
        meeting_frequencies=list(programme.policy["meeting_frequencies"]),
        description=programme.description,
    )


class TenantPagesController(Controller):
    path = "/t/{tenant_slug:str}"
    include_in_schema = False
    guards = [any_member]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="tenant_front", opt=NO_PERSONAL_DATA)
    async def front(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        ctx: NamedDependency[Context],
    ) -> Template:
        programmes = await list_active_programmes(db_session)
        return Template(
            "tenancy/front.html",
            context={
                "tenant": tenant,
                "programmes": programmes,
                "active_nav": "home",
                # Coordinators: how many applications wait (a number; the list is audited).
                "applications_waiting": await front_applications(request, db_session),
                # Coordinators: the overview's headline figures (counts only).
                "report_front": await front_figures(ctx),
                # Partner staff: the partner's aggregate in total (suppressed counts only).
                "partner_front": await partner_front(ctx),
            },
        )


class TenantApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["tenancy"]
    guards = [any_member]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="api_tenant", opt=NO_PERSONAL_DATA)
    async def tenant(self, tenant: NamedDependency[Tenant]) -> TenantOut:
        """The organisation named in the URL."""
        return TenantOut(
            slug=tenant.slug,
            name=tenant.name,
            kind=tenant.kind.value,
            municipality_code=tenant.municipality_code,
        )

    @get("/programmes", name="api_programmes", opt=NO_PERSONAL_DATA)
    async def programmes(self, db_session: NamedDependency[AsyncSession]) -> list[ProgrammeOut]:
        """The organisation's active programmes with their forløb policy."""
        return [programme_out(p) for p in await list_active_programmes(db_session)]
