"""Invitations and members: the JSON API (adapters of :mod:`core.access.commands`).

Tenant admins: ``GET/POST /api/v1/t/{tenant}/invitations``, ``DELETE .../invitations/{id}``
(revoke), ``GET /api/v1/t/{tenant}/members``, ``PUT .../members/{id}/role``,
``DELETE .../members/{id}`` (remove access). Any signed-in member of the tenant (a newly
invited person has no role yet): ``GET .../invitations/mine`` and
``POST .../invitations/{id}/accept``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody

from core.access import commands, queries
from core.access.membership import INVITATION_ROUTE_OPT
from core.access.schemas import (
    AcceptedOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberRoleIn,
    MyInvitationOut,
)
from core.context import Context
from core.identity.guards import current_principal, tenant_admins
from core.identity.principal import ROLES
from core.strict_input import StrictController
from core.web.pipeline import audits


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Any signed-in member of the URL's tenant, with or without a role (membership itself is
    checked by the request pipeline): a person who has just joined through an invitation has
    no role until they accept it."""
    if current_principal(connection) is None:
        raise NotAuthorizedException()


signed_in.roles = ROLES  # type: ignore[attr-defined]  # read by the route-matrix test

#: ``opt`` of the caller's own invitation routes (a removed member may reach them).
INVITATION_ROUTE = {INVITATION_ROUTE_OPT: True}


class InvitationApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/invitations"
    tags = ["access"]

    @get("/", name="api_invitations", opt=audits("invitation.list"), guards=[tenant_admins])
    async def list_invitations(self, ctx: NamedDependency[Context]) -> list[InvitationOut]:
        """The tenant's invitations, newest first (``expired``: open but past its date)."""
        return [queries.invitation_out(i, s) for i, s in await queries.invitations(ctx)]

    @post(
        "/",
        name="api_invitation_create",
        opt=audits("invitation.create", "invitation"),
        guards=[tenant_admins],
    )
    async def create(
        self, ctx: NamedDependency[Context], data: JSONBody[InvitationIn]
    ) -> Response[InvitationOut]:
        """Invite an address as coordinator, mentor or citizen (``mentee``), optionally as a
        person of the tenant. Stored as ``pending``; ``makker invitations send`` has Keycloak
        e-mail it. 400 with a message per field; nothing stored then."""
        invitation = await commands.invite(ctx, data)
        return Response(queries.invitation_out(invitation, "pending"), status_code=201)

    @delete(
        "/{invitation_id:uuid}",
        name="api_invitation_revoke",
        opt=audits("invitation.revoke", "invitation", "invitation_id"),
        guards=[tenant_admins],
        status_code=204,
    )
    async def revoke(
        self, ctx: NamedDependency[Context], invitation_id: FromPath[uuid.UUID]
    ) -> None:
        """Withdraw an open invitation."""
        await commands.revoke_invitation(ctx, invitation_id)

    @get(
        "/mine",
        name="api_my_invitations",
        opt={**audits("invitation.read_own"), **INVITATION_ROUTE},
        guards=[signed_in],
    )
    async def mine(self, ctx: NamedDependency[Context]) -> list[MyInvitationOut]:
        """The caller's open invitations to this tenant (to their verified e-mail address)."""
        return [
            MyInvitationOut(i.id, i.role, p.name if p else None)
            for i, p in await commands.my_invitations(ctx)
        ]

    @post(
        "/{invitation_id:uuid}/accept",
        name="api_invitation_accept",
        opt={**audits("invitation.accept", "invitation", "invitation_id"), **INVITATION_ROUTE},
        guards=[signed_in],
        status_code=200,
    )
    async def accept(
        self, ctx: NamedDependency[Context], invitation_id: FromPath[uuid.UUID]
    ) -> AcceptedOut:
        """Accept an invitation to the caller's verified address: the sign-in gets its role and
        is linked to its person. 404 for any other invitation."""
        invitation = await commands.accept_invitation(ctx, invitation_id)
        return AcceptedOut(invitation.id, invitation.role, invitation.person_id)


class MemberApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/members"
    tags = ["access"]
    guards = [tenant_admins]

    @get("/", name="api_members", opt=audits("member.list"))
    async def list_members(self, ctx: NamedDependency[Context]) -> list[MemberOut]:
        """Who has access to the tenant, with which roles (removed members last)."""
        return [v.out() for v in await queries.members(ctx)]

    @put(
        "/{member_id:uuid}/role",
        name="api_member_role",
        opt=audits("member.role", "member", "member_id"),
    )
    async def change_role(
        self,
        ctx: NamedDependency[Context],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[MemberRoleIn],
    ) -> MemberOut:
        """Give the member one role in this tenant; effective at their next request."""
        member = await commands.change_role(ctx, member_id, data)
        return next(v.out() for v in await queries.members(ctx) if v.member.id == member.id)

    @delete(
        "/{member_id:uuid}",
        name="api_member_remove",
        opt=audits("member.remove", "member", "member_id"),
        status_code=204,
    )
    async def remove(self, ctx: NamedDependency[Context], member_id: FromPath[uuid.UUID]) -> None:
        """Remove the member's access: their web sessions end at once, and their next request
        to the tenant (page or API) is refused."""
        await commands.remove_member(ctx, member_id)
