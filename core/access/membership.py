"""Members of a tenant, applied on every tenant request (the request pipeline calls this).

Keycloak says who a sign-in is and which organizations (tenants) it belongs to; Makker's
``tenant_member`` row says what it may do there:

* the first time a sign-in enters a tenant it belongs to, a row is recorded (roles from
  Keycloak, so the members page lists everybody who has come in);
* a row with a ``role`` (set by a tenant admin, or by the invitation it accepted) gives that
  role in this tenant instead of the token's realm roles;
* a removed row refuses the request with the same 404 as for a non-member - a token that still
  names the organization makes no difference.

One indexed read per tenant request; a write only for a new member or changed Keycloak roles.
A platform admin entering a tenant they are not a member of, and a partner's staff under a
``coordinate`` grant, are not members and are left alone here; the partner's staff member's row
in their own partner tenant is read when they enter the owner's space
(:func:`core.tenancy.coordinate.still_partner_staff`), so a removal or another role there ends
that access too.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.access.models import Member
from core.db.base import utcnow

if TYPE_CHECKING:
    from core.identity.principal import Principal
    from core.web.pipeline import RequestContext

#: ``opt`` key of the routes that show and accept the caller's invitations: a removed member
#: may reach these (with no role), so that being invited again works.
INVITATION_ROUTE_OPT = "invitation_route"

#: Realm roles a member row records and may be given (platform admin is not a tenant role).
TENANT_ROLES = ("tenant_admin", "coordinator", "mentor", "mentee", "partner_staff")


def keycloak_roles(principal: Principal) -> list[str]:
    return sorted(r for r in principal.roles if r in TENANT_ROLES)


def effective_principal(principal: Principal, member: Member) -> Principal:
    """The principal as this tenant sees it: the member's role instead of the token's roles
    (a platform admin stays one)."""
    if member.role is None:
        return principal
    roles = {member.role} | ({"platform_admin"} & set(principal.roles))
    return msgspec.structs.replace(principal, roles=frozenset(roles))


async def apply_membership(ctx: RequestContext, scope: Any) -> None:
    """Record, re-role or refuse the caller in the request's tenant (already bound).

    :raises NotFoundException: the caller's access to this tenant was removed (audited as
        ``access_denied`` with the reason ``access removed``)."""
    principal, tenant = ctx.actor, ctx.tenant
    if principal is None or tenant is None or getattr(ctx, "partner", None) is not None:
        return
    if "tenant_slug" not in scope.get("path_params", {}):
        return  # a public page of the tenant: no membership involved
    if tenant.slug not in principal.tenants:
        return  # a platform admin visiting, not a member
    session = ctx.session
    member = await session.scalar(select(Member).where(Member.user_id == principal.user_id))
    if member is None:
        await _record(ctx, principal)
        return
    if member.removed_at is not None:
        handler = scope.get("route_handler")
        if (getattr(handler, "opt", None) or {}).get(INVITATION_ROUTE_OPT):
            no_role = msgspec.structs.replace(
                principal, roles=frozenset({"platform_admin"} & set(principal.roles))
            )
            ctx.actor = no_role
            scope["user"] = no_role
            return
        ctx.audit_whatever_happens(
            "access_denied", detail={"reason": "access removed", "status": 404}
        )
        raise NotFoundException()
    seen = keycloak_roles(principal)
    if member.keycloak_roles != seen or (principal.name and member.name != principal.name):
        member.keycloak_roles = seen
        member.name = principal.name or member.name
    effective = effective_principal(principal, member)
    if effective is not principal:
        ctx.actor = effective
        scope["user"] = effective


async def _record(ctx: RequestContext, principal: Principal) -> None:
    """Insert the member row, or nothing if a parallel first request just did."""
    assert ctx.tenant is not None
    values = {
        "id": uuid.uuid4(),
        "tenant_id": ctx.tenant.id,
        "user_id": principal.user_id,
        "name": principal.name[:200],
        "role": None,
        "keycloak_roles": keycloak_roles(principal),
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    dialect = ctx.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Member).values(**values).on_conflict_do_nothing()
    await ctx.session.execute(statement)
