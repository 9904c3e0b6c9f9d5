"""Writing audit events. Callers pass identifiers and reasons, never personal field values."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEvent


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    action: str,
    *,
    actor: str | None,
    tenant_slug: str | None = None,
    route: str | None = None,
    object_type: str | None = None,
    object_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit event in its own transaction (it survives a rollback of the caller)."""
    async with sessionmaker() as session, session.begin():
        session.add(
            AuditEvent(
                action=action,
                actor=actor,
                tenant_slug=tenant_slug,
                route=route,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                detail=detail or {},
            )
        )
