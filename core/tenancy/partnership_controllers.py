"""Partnership API and pages, under the URL tenant (owner or partner)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.guards import current_principal, requires_roles, tenant_admins
from core.tenancy.models import Tenant, TenantKind
from core.tenancy.partnerships import (
    GrantView,
    PartnershipError,
    ScopeNotGranted,
    grant_partnership,
    grants_given,
    grants_received,
    read_participants_as_partner,
    read_summary_as_partner,
    revoke_partnership,
)
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

view_partnerships = requires_roles("tenant_admin", "coordinator", "partner_staff")
partner_staff_only = requires_roles("partner_staff")


class GrantOut(msgspec.Struct):
    id: uuid.UUID
    owner: str
    programme: str
    programme_name: str
    partner: str
    scope: str


class PartnershipsOut(msgspec.Struct):
    granted: list[GrantOut]
    received: list[GrantOut]


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    programme: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    partner: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    scope: str


class SummaryOut(msgspec.Struct):
    mentees: int
    mentors: int
    by_status: dict[str, int]


class ParticipantOut(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    role: str
    status: str


class FieldErrorOut(msgspec.Struct):
    status_code: int
    detail: str
    field: str


def _out(view: GrantView) -> GrantOut:
    return GrantOut(
        id=view.id,
        owner=view.owner_slug,
        programme=view.programme_slug,
        programme_name=view.programme_name,
        partner=view.partner_slug,
        scope=view.scope.value,
    )


def _actor(request: Request[Any, Any, Any]) -> str:
    principal = current_principal(request)
    assert principal is not None
    return principal.subject


async def _listing(
    db_session: NamedDependency[AsyncSession], tenant: Tenant
) -> tuple[list[GrantView], list[GrantView]]:
    granted = await grants_given(db_session, tenant)
    received = (
        await grants_received(db_session, tenant) if tenant.kind == TenantKind.PARTNER else []
    )
    return granted, received


class PartnershipApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/partnerships"
    tags = ["partnerships"]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="api_partnerships", opt=NO_PERSONAL_DATA, guards=[view_partnerships])
    async def list_partnerships(
        self, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
    ) -> PartnershipsOut:
        """Grants this organisation has given (owner) and received (partner)."""
        granted, received = await _listing(db_session, tenant)
        return PartnershipsOut([_out(g) for g in granted], [_out(g) for g in received])

    @post(
        "/",
        name="api_partnership_grant",
        opt=audits("partnership_granted", "programme_partnership"),
        guards=[tenant_admins],
    )
    async def grant(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        data: JSONBody[GrantIn],
    ) -> Response[Any]:
        """Grant a partner organisation a scope (`aggregate` or `participants`) on a programme.

        Granting again changes the scope of the existing grant."""
        try:
            view, created = await grant_partnership(
                db_session,
                tenant,
                programme_slug=data.programme,
                partner_slug=data.partner,
                scope=data.scope,
                actor=_actor(request),
            )
        except PartnershipError as exc:
            messages = {
                "scope": _("Choose the scope aggregate (numbers) or participants (people)."),
                "programme": _("The programme does not exist in this organisation."),
                "partner": _("There is no partner organisation with that name."),
            }
            return Response(FieldErrorOut(400, messages[exc.field], exc.field), status_code=400)
        return Response(_out(view), status_code=201 if created else 200)

    @delete(
        "/{grant_id:uuid}",
        name="api_partnership_revoke",
        opt=audits("partnership_revoked", "programme_partnership", "grant_id"),
        guards=[tenant_admins],
        status_code=204,
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        grant_id: FromPath[uuid.UUID],
    ) -> None:
        """Revoke a grant this organisation gave."""
        if not await revoke_partnership(db_session, tenant, grant_id, _actor(request)):
            raise NotFoundException()

    @get(
        "/{grant_id:uuid}/summary",
        name="api_partnership_summary",
        opt=audits("partner_read", "programme_partnership", "grant_id"),
        guards=[partner_staff_only],
    )
    async def summary(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        grant_id: FromPath[uuid.UUID],
    ) -> SummaryOut:
        """Numbers for a programme granted to this partner organisation (audited)."""
        result = await read_summary_as_partner(db_session, tenant, grant_id, _actor(request))
        if result is None:
            raise NotFoundException()
        return SummaryOut(result.mentees, result.mentors, result.by_status)

    @get(
        "/{grant_id:uuid}/participants",
        name="api_partnership_participants",
        opt=audits("partner_read", "programme_partnership", "grant_id"),
        guards=[partner_staff_only],
    )
    async def participants(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        grant_id: FromPath[uuid.UUID],
    ) -> list[ParticipantOut]:
        """The people of a programme granted with scope `participants` (audited)."""
        try:
            rows = await read_participants_as_partner(db_session, tenant, grant_id, _actor(request))
        except ScopeNotGranted:
            raise PermissionDeniedException(
                detail=_("The partnership gives access to numbers only.")
            ) from None
        if rows is None:
            raise NotFoundException()
        return [ParticipantOut(r.person_id, r.name, r.role, r.status) for r in rows]


class PartnershipPagesController(Controller):
    path = "/t/{tenant_slug:str}/partnerskaber"
    include_in_schema = False
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="partnerships_page", opt=NO_PERSONAL_DATA, guards=[view_partnerships])
    async def index(
        self, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
    ) -> Template:
        granted, received = await _listing(db_session, tenant)
        return Template(
            "tenancy/partnerships.html",
            context={
                "tenant": tenant,
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
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        grant_id: FromPath[uuid.UUID],
    ) -> Template:
        received = {g.id: g for g in await grants_received(db_session, tenant)}
        grant = received.get(grant_id)
        if grant is None:
            raise NotFoundException()
        actor = _actor(request)
        summary = await read_summary_as_partner(db_session, tenant, grant_id, actor)
        participants = None
        if grant.scope.value == "participants":
            participants = await read_participants_as_partner(db_session, tenant, grant_id, actor)
        return Template(
            "tenancy/partnership.html",
            context={
                "tenant": tenant,
                "grant": grant,
                "summary": summary,
                "participants": participants,
                "active_nav": "partnerships",
            },
        )
