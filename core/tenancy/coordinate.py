"""Entering another tenant's space as a partner with a ``coordinate`` grant.

A partner's staff member (role ``partner_staff``, member of the partner tenant) who calls a
URL of a tenant they are not a member of gets in when that tenant has given their partner
organisation an active ``coordinate`` grant: the request pipeline then acts as a coordinator
of the owner's tenant, limited to the granted programmes
(:func:`core.tenancy.programme_scope.programme_scope`), and stamps every audit row with the
grant. The grants are read on every request, so a revocation ends the access at the next one.

The staff member's own membership of the partner tenant is read on every such request too (the
partner tenant's ``tenant_member`` row, in the partner tenant's scope, so row-level security
applies): a partner admin who removes them, or gives them another role than ``partner_staff``,
ends their access to the owner's space at the next request - the same 404 as for anybody else
(the token still naming the partner organisation and the role makes no difference). A staff
member with no row yet (never entered the partner's own space) goes by the token, as on their
first request to their own tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.models import Member
from core.db.tenant_scope import reading_another_tenant
from core.identity.principal import Principal
from core.tenancy.models import PartnershipScope, ProgrammePartnership, Tenant

#: The role a partner's staff member has in the owner's space, inside the granted programmes.
COORDINATOR_ROLE = "coordinator"
#: The role a partner tenant's member needs to use its ``coordinate`` grants.
PARTNER_STAFF_ROLE = "partner_staff"


@dataclass(frozen=True)
class PartnerAccess:
    """A request in an owner's space by a partner's staff member under ``coordinate`` grants."""

    partner_slug: str
    partner_name: str
    owner_name: str
    #: The active ``coordinate`` grants (oldest first) and their programmes.
    grant_ids: tuple[uuid.UUID, ...]
    programme_ids: frozenset[uuid.UUID]

    @property
    def grant_id(self) -> uuid.UUID:
        """The grant the audit rows name (the oldest when a partner co-runs several of the
        owner's programmes; all are in the row's detail then)."""
        return self.grant_ids[0]

    def audit_detail(self) -> dict[str, object]:
        """What every audit row of the request carries: the partner and the grant (the
        owner's partner log selects rows by ``partner_grant``)."""
        detail: dict[str, object] = {
            "partner": self.partner_slug,
            "partner_grant": str(self.grant_id),
        }
        if len(self.grant_ids) > 1:
            detail["grants"] = [str(g) for g in self.grant_ids]
        return detail


async def coordinate_access(
    session: AsyncSession, owner: Tenant, principal: Principal
) -> PartnerAccess | None:
    """The partner access of ``principal`` to ``owner``'s space, or ``None``.

    Only for a ``partner_staff`` member of a partner tenant holding an active ``coordinate``
    grant from ``owner``, whose membership of the partner tenant is neither removed nor given
    another role (:func:`still_partner_staff`). Call it with no tenant set."""
    if PARTNER_STAFF_ROLE not in principal.roles or not principal.tenants:
        return None
    rows = list(
        await session.execute(
            select(ProgrammePartnership.id, ProgrammePartnership.programme_id, Tenant)
            .join(Tenant, Tenant.id == ProgrammePartnership.partner_tenant_id)
            .where(
                ProgrammePartnership.owner_tenant_id == owner.id,
                ProgrammePartnership.scope == PartnershipScope.COORDINATE,
                ProgrammePartnership.revoked_at.is_(None),
                Tenant.slug.in_(sorted(principal.tenants)),
            )
            .order_by(ProgrammePartnership.created_at, ProgrammePartnership.id)
        )
    )
    if not rows:
        return None
    partner: Tenant = rows[0][2]
    rows = [r for r in rows if r[2].id == partner.id]
    if not await still_partner_staff(session, partner, principal):
        return None
    return PartnerAccess(
        partner_slug=partner.slug,
        partner_name=partner.name,
        owner_name=owner.name,
        grant_ids=tuple(r[0] for r in rows),
        programme_ids=frozenset(r[1] for r in rows),
    )


async def still_partner_staff(session: AsyncSession, partner: Tenant, principal: Principal) -> bool:
    """Whether the partner tenant's own member row lets ``principal`` act as its staff: not
    removed, and no role a partner admin gave other than ``partner_staff`` (no row: the token's
    roles, already checked). Read in the partner tenant's scope, in the request's transaction."""
    async with reading_another_tenant(session, partner.id):
        member = await session.scalar(select(Member).where(Member.user_id == principal.user_id))
    if member is None:
        return True
    if member.removed_at is not None:
        return False
    return member.role is None or member.role == PARTNER_STAFF_ROLE


def as_coordinator(principal: Principal, owner: Tenant) -> Principal:
    """The principal as the owner's space sees it: a coordinator of the owner (and nothing
    else), so every guard and every role check treats them as the tenant's coordinators."""
    return msgspec.structs.replace(
        principal, roles=frozenset({COORDINATOR_ROLE}), tenants=frozenset({owner.slug})
    )


async def coordinated_owners(session: AsyncSession, principal: Principal) -> list[Tenant]:
    """The tenants whose programmes ``principal``'s partner organisations co-run (the
    organisation list on ``/``). Global tables only."""
    if "partner_staff" not in principal.roles or not principal.tenants:
        return []
    partner = select(Tenant.id).where(Tenant.slug.in_(sorted(principal.tenants)))
    owners = select(ProgrammePartnership.owner_tenant_id).where(
        ProgrammePartnership.partner_tenant_id.in_(partner),
        ProgrammePartnership.scope == PartnershipScope.COORDINATE,
        ProgrammePartnership.revoked_at.is_(None),
    )
    return list(await session.scalars(select(Tenant).where(Tenant.id.in_(owners))))
