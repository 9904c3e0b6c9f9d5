"""Programme partnerships: the only way a partner tenant reads another tenant's data.

The owner grants a partner a scope on one programme (``aggregate``: numbers; ``participants``:
the programme's people and the numbers). Every grant, revocation and partner read is audited.
The functions that cross tenants say so in their names (``..._as_partner``) and enter the owner's
tenant scope explicitly, so the ORM guard and row-level security apply as usual.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import note
from core.db.tenant_scope import reading_another_tenant
from core.participants.models import Enrolment, Person
from core.tenancy.models import (
    PartnershipScope,
    Programme,
    ProgrammePartnership,
    Tenant,
    TenantKind,
)


class PartnershipError(ValueError):
    """Invalid grant request; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ScopeNotGranted(PermissionError):
    """The grant exists but does not cover what was asked for."""


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    owner_slug: str
    owner_name: str
    programme_slug: str
    programme_name: str
    partner_slug: str
    partner_name: str
    scope: PartnershipScope


@dataclass(frozen=True)
class ProgrammeSummary:
    mentees: int
    mentors: int
    by_status: dict[str, int]


@dataclass(frozen=True)
class ParticipantView:
    person_id: uuid.UUID
    name: str
    role: str
    status: str


async def _views(session: AsyncSession, grants: list[ProgrammePartnership]) -> list[GrantView]:
    """Describe grants; each programme name is read in its owner's tenant scope."""
    tenants = {t.id: t for t in await session.scalars(select(Tenant))}
    views = []
    for grant in grants:
        owner, partner = tenants[grant.owner_tenant_id], tenants[grant.partner_tenant_id]
        async with reading_another_tenant(session, owner.id):
            programme = await session.get(Programme, grant.programme_id)
        assert programme is not None
        views.append(
            GrantView(
                grant.id,
                owner.slug,
                owner.name,
                programme.slug,
                programme.name,
                partner.slug,
                partner.name,
                grant.scope,
            )
        )
    return views


async def _active_grants(session: AsyncSession, party: Any, tenant: Tenant) -> list[GrantView]:
    stmt = (
        select(ProgrammePartnership)
        .where(party == tenant.id, ProgrammePartnership.revoked_at.is_(None))
        .order_by(ProgrammePartnership.created_at)
    )
    grants = list(await session.scalars(stmt))
    return await _views(session, grants)


async def grants_given(session: AsyncSession, owner: Tenant) -> list[GrantView]:
    """Active grants the owner tenant has given."""
    return await _active_grants(session, ProgrammePartnership.owner_tenant_id, owner)


async def grants_received(session: AsyncSession, partner: Tenant) -> list[GrantView]:
    """Active grants given to the partner tenant."""
    return await _active_grants(session, ProgrammePartnership.partner_tenant_id, partner)


async def grant_partnership(
    session: AsyncSession,
    owner: Tenant,
    *,
    programme_slug: str,
    partner_slug: str,
    scope: str,
    actor: str,
) -> tuple[GrantView, bool]:
    """Grant (or change the scope of) a partnership. Returns the grant and whether it is new."""
    try:
        wanted = PartnershipScope(scope)
    except ValueError:
        raise PartnershipError("scope", "scope must be aggregate or participants") from None
    programme = await session.scalar(
        select(Programme).where(Programme.slug == programme_slug, Programme.archived_at.is_(None))
    )
    if programme is None:
        raise PartnershipError("programme", "no such programme in this organisation")
    partner = await session.scalar(select(Tenant).where(Tenant.slug == partner_slug))
    if partner is None or partner.kind != TenantKind.PARTNER:
        raise PartnershipError("partner", "no such partner organisation")
    grant = await session.scalar(
        select(ProgrammePartnership).where(
            ProgrammePartnership.owner_tenant_id == owner.id,
            ProgrammePartnership.programme_id == programme.id,
            ProgrammePartnership.partner_tenant_id == partner.id,
            ProgrammePartnership.revoked_at.is_(None),
        )
    )
    created = grant is None
    if grant is None:
        grant = ProgrammePartnership(
            owner_tenant_id=owner.id,
            programme_id=programme.id,
            partner_tenant_id=partner.id,
            scope=wanted,
            granted_by=actor,
        )
        session.add(grant)
    else:
        grant.scope = wanted
    await session.flush()
    view = GrantView(
        grant.id,
        owner.slug,
        owner.name,
        programme.slug,
        programme.name,
        partner.slug,
        partner.name,
        wanted,
    )
    note(
        "partnership_granted",
        object_type="programme_partnership",
        object_id=view.id,
        detail={"scope": wanted.value, "partner": partner_slug, "new": created},
    )
    return view, created


async def revoke_partnership(
    session: AsyncSession, owner: Tenant, grant_id: uuid.UUID, actor: str
) -> bool:
    """Revoke the owner's grant; ``False`` if there is no such active grant of this owner."""
    grant = await session.get(ProgrammePartnership, grant_id)
    if grant is None or grant.owner_tenant_id != owner.id or grant.revoked_at is not None:
        return False
    grant.revoked_at, grant.revoked_by = clock.now(), actor
    await session.flush()
    note("partnership_revoked", object_type="programme_partnership", object_id=grant_id)
    return True


async def _grant_for_partner(
    session: AsyncSession, partner: Tenant, grant_id: uuid.UUID
) -> ProgrammePartnership | None:
    grant = await session.get(ProgrammePartnership, grant_id)
    if grant is None or grant.partner_tenant_id != partner.id or grant.revoked_at is not None:
        return None
    return grant


async def read_summary_as_partner(
    session: AsyncSession, partner: Tenant, grant_id: uuid.UUID, actor: str
) -> ProgrammeSummary | None:
    """Numbers for the granted programme (any scope). ``None``: no such grant for this partner."""
    grant = await _grant_for_partner(session, partner, grant_id)
    if grant is None:
        return None
    async with reading_another_tenant(session, grant.owner_tenant_id):
        rows = list(
            await session.execute(
                select(Enrolment.role, Enrolment.status).where(
                    Enrolment.programme_id == grant.programme_id
                )
            )
        )
    note(
        "partner_read",
        object_type="programme_partnership",
        object_id=grant.id,
        detail={"scope": "aggregate"},
    )
    roles = Counter(str(r.role.value if hasattr(r.role, "value") else r.role) for r in rows)
    return ProgrammeSummary(
        mentees=roles["mentee"],
        mentors=roles["mentor"],
        by_status=dict(sorted(Counter(r.status for r in rows).items())),
    )


async def read_participants_as_partner(
    session: AsyncSession, partner: Tenant, grant_id: uuid.UUID, actor: str
) -> list[ParticipantView] | None:
    """The granted programme's people. ``None``: no such grant; raises :class:`ScopeNotGranted`
    when the grant is for numbers only (the pipeline records the 403 as a refusal)."""
    grant = await _grant_for_partner(session, partner, grant_id)
    if grant is None:
        return None
    if grant.scope != PartnershipScope.PARTICIPANTS:
        raise ScopeNotGranted()
    async with reading_another_tenant(session, grant.owner_tenant_id):
        rows = list(
            await session.execute(
                select(Person.id, Person.name, Enrolment.role, Enrolment.status)
                .join(Enrolment, Enrolment.person_id == Person.id)
                .where(Enrolment.programme_id == grant.programme_id)
                .order_by(Person.name)
            )
        )
    note(
        "partner_read",
        object_type="programme_partnership",
        object_id=grant.id,
        detail={"scope": "participants", "rows": len(rows)},
    )
    return [
        ParticipantView(r.id, r.name, str(getattr(r.role, "value", r.role)), r.status) for r in rows
    ]
