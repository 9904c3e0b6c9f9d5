"""``makker tenants sync``: apply validated tenant files to the database, idempotently.

Tenants and programmes are matched by slug. A programme missing from its file is archived,
never deleted; a tenant without a file is kept. Running sync twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.base import utcnow
from core.db.tenant_scope import tenant_scope
from core.reports.savings import record_file_version
from core.tenancy.config import TenantConfig
from core.tenancy.models import Programme, Tenant, TenantKind


@dataclass
class SyncReport:
    """What one sync did, per tenant slug: ``created``, ``updated`` or ``unchanged``."""

    tenants: dict[str, str] = field(default_factory=dict)
    programmes: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(v != "unchanged" for v in (*self.tenants.values(), *self.programmes.values()))

    def lines(self) -> list[str]:
        out = [f"tenant {slug}: {state}" for slug, state in self.tenants.items()]
        out += [f"programme {slug}: {state}" for slug, state in self.programmes.items()]
        return out


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _programme_values(config: Any) -> dict[str, Any]:
    return {
        "name": config.name,
        "type": config.type,
        "areas": list(config.areas),
        "policy": {
            "duration_months": {
                "min": config.policy.duration_months.min,
                "max": config.policy.duration_months.max,
            },
            "meeting_frequencies": list(config.policy.meeting_frequencies),
        },
        "plugins": dict(config.plugins),
        "outcomes": [msgspec.to_builtins(o) for o in config.outcomes],
        "description": config.description,
        "public": msgspec.to_builtins(config.public) if config.public is not None else None,
        "archived_at": None,
    }


async def sync_tenants(
    sessionmaker: async_sessionmaker[AsyncSession], configs: list[TenantConfig]
) -> SyncReport:
    """Create or update tenants and their programmes from validated ``configs``."""
    report = SyncReport()
    for config in configs:
        async with sessionmaker() as session, session.begin():
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == config.slug))
            values = {
                "name": config.name,
                "kind": TenantKind(config.kind),
                "municipality_code": config.municipality_code,
                "plugins": dict(config.plugins),
                "accessibility_statement_url": config.accessibility_statement_url,
                "notifications": msgspec.to_builtins(config.notifications)
                if config.notifications is not None
                else {},
            }
            if tenant is None:
                tenant = Tenant(slug=config.slug, **values)
                session.add(tenant)
                report.tenants[config.slug] = "created"
            else:
                report.tenants[config.slug] = "updated" if _apply(tenant, values) else "unchanged"
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                existing = {p.slug: p for p in await session.scalars(select(Programme))}
                for programme_config in config.programmes:
                    key = f"{config.slug}/{programme_config.slug}"
                    values = _programme_values(programme_config)
                    programme = existing.pop(programme_config.slug, None)
                    if programme is None:
                        programme = Programme(slug=programme_config.slug, **values)
                        session.add(programme)
                        await session.flush()
                        await record_file_version(session, programme.id, programme_config.savings)
                        report.programmes[key] = "created"
                    else:
                        changed = _apply(programme, values)
                        # A change of the file's savings assumptions is a new version of them.
                        changed |= await record_file_version(
                            session, programme.id, programme_config.savings
                        )
                        report.programmes[key] = "updated" if changed else "unchanged"
                for slug, programme in existing.items():
                    key = f"{config.slug}/{slug}"
                    if programme.archived_at is None:
                        programme.archived_at = utcnow()
                        report.programmes[key] = "archived"
                    else:
                        report.programmes[key] = "unchanged"
    return report
