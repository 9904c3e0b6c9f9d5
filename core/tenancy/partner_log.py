"""The owner's log of what partners did in its programmes (grant scope ``coordinate``).

Every request of a partner's staff member in the owner's space writes audit rows in the owner's
tenant carrying ``detail.partner_grant`` (see :class:`core.tenancy.coordinate.PartnerAccess`);
this reads them back for the owner's tenant admins - revoked grants included: the history stays.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.context import Context
from core.identity.principal import Principal
from core.tenancy.models import PartnershipScope, Programme, ProgrammePartnership, Tenant
from core.web.paging import check_paging


@dataclass(frozen=True)
class PartnerLogRow:
    at: dt.datetime
    partner_name: str
    programme_name: str
    grant_id: uuid.UUID
    #: The audit action (``person.read``, ``forloeb.propose``, ``access_denied``, ...).
    action: str
    object_type: str | None
    object_id: str | None
    #: The partner's staff member (the pseudonymous ``sub``, as in every audit row).
    actor: str | None
    #: The status of a refused request (401, 403, 404), else ``None``.
    refused: int | None


@dataclass(frozen=True)
class PartnerLog:
    rows: list[PartnerLogRow]
    total: int


async def read_partner_log(ctx: Context, limit: int, offset: int) -> PartnerLog:
    """The newest partner rows of the owner's audit log (``limit`` from ``offset``).

    :raises Invalid: a limit or offset out of range."""
    check_paging(limit, offset)
    session = ctx.session
    grants = {
        g.id: g
        for g in await session.scalars(
            select(ProgrammePartnership).where(
                ProgrammePartnership.owner_tenant_id == ctx.tenant.id
            )
        )
    }
    if not grants:
        return PartnerLog([], 0)
    partners = {
        t.id: t.name
        for t in await session.scalars(
            select(Tenant).where(Tenant.id.in_({g.partner_tenant_id for g in grants.values()}))
        )
    }
    programmes = {
        p.id: p.name
        for p in await session.scalars(
            select(Programme).where(Programme.id.in_({g.programme_id for g in grants.values()}))
        )
    }
    mine = (
        AuditEvent.tenant_slug == ctx.tenant.slug,
        AuditEvent.detail["partner_grant"].as_string().in_(sorted(str(g) for g in grants)),
    )
    total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*mine)) or 0
    events = await session.scalars(
        select(AuditEvent)
        .where(*mine)
        .order_by(AuditEvent.at.desc(), AuditEvent.id)
        .limit(limit)
        .offset(offset)
    )
    rows = []
    for event in events:
        grant = grants[uuid.UUID(str(event.detail["partner_grant"]))]
        status = event.detail.get("status")
        rows.append(
            PartnerLogRow(
                at=event.at,
                partner_name=partners.get(grant.partner_tenant_id, ""),
                programme_name=programmes.get(grant.programme_id, ""),
                grant_id=grant.id,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                actor=event.actor,
                refused=status if isinstance(status, int) else None,
            )
        )
    ctx.audit("partner_log.read", detail={"rows": len(rows), "offset": offset})
    return PartnerLog(rows, total)


async def revoked_grant_detail(
    session: AsyncSession, owner: Tenant, principal: Principal
) -> dict[str, object]:
    """For a refusal in ``owner``'s space: the partner and the newest revoked ``coordinate``
    grant of one of ``principal``'s organisations (a partner's staff member only), so the
    refused attempts after a revocation are on the owner's partner log; else ``{}``.
    Global tables only: call it with no tenant set."""
    if "partner_staff" not in principal.roles or not principal.tenants:
        return {}
    found = (
        await session.execute(
            select(ProgrammePartnership.id, Tenant.slug)
            .join(Tenant, Tenant.id == ProgrammePartnership.partner_tenant_id)
            .where(
                ProgrammePartnership.owner_tenant_id == owner.id,
                ProgrammePartnership.scope == PartnershipScope.COORDINATE,
                ProgrammePartnership.revoked_at.is_not(None),
                Tenant.slug.in_(sorted(principal.tenants)),
            )
            .order_by(ProgrammePartnership.revoked_at.desc(), ProgrammePartnership.id)
            .limit(1)
        )
    ).first()
    if found is None:
        return {}
    return {"partner": found[1], "partner_grant": str(found[0])}
