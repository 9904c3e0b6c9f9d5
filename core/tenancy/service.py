"""Reading tenants and programmes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy.models import Programme, Tenant


async def get_tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    """The tenant with ``slug``, or ``None``. Tenants are global rows: no scope needed."""
    return await session.scalar(select(Tenant).where(Tenant.slug == slug))


async def list_tenants(session: AsyncSession) -> list[Tenant]:
    return list(await session.scalars(select(Tenant).order_by(Tenant.name)))


async def list_active_programmes(session: AsyncSession) -> list[Programme]:
    """Programmes of the current tenant that are not archived, by name."""
    stmt = select(Programme).where(Programme.archived_at.is_(None)).order_by(Programme.name)
    return list(await session.scalars(stmt))
