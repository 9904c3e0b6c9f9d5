"""``makker retention run [--tenant T] [--dry-run]`` (docs/gdpr.md, "Retention")."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click


@click.group()
def retention() -> None:
    """Retention per tenant (the tenant files' [retention])."""


@retention.command("run")
@click.option("--tenant", "tenant_slug", default=None, help="One tenant (default: every tenant).")
@click.option("--dry-run", is_flag=True, help="List what would be done (ids and counts only).")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of tenant files (default: MAKKER_TENANTS_DIR).",
)
def retention_run(tenant_slug: str | None, dry_run: bool, directory: Path | None) -> None:
    """Anonymise people whose last enrolment ended more than case_data_months ago (not under
    a legal hold) and, without --tenant, remove audit rows older than audit_months as whole
    sealed blocks (the owner role: MAKKER_MIGRATION_DATABASE_URL)."""
    from core.cli import _load_tenant_files, _settings

    settings = _settings()
    configs = {c.slug: c for c in _load_tenant_files(directory or settings.tenants_dir, settings)}
    try:
        lines = asyncio.run(_run(settings, configs, tenant_slug, dry_run))
    except LookupError:
        click.echo(f"makker: no tenant {tenant_slug!r} in the database", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)


async def _run(
    settings: Any, configs: dict[str, Any], tenant_slug: str | None, dry_run: bool
) -> list[str]:
    import core.db.models  # noqa: F401 - every model, so foreign keys resolve
    from core.clock import now
    from core.db.session import create_engine, create_sessionmaker
    from core.gdpr.retention import apply_audit, apply_tenant, audit_months
    from core.jobs.tick import tenants

    engine = create_engine(settings.database_url)
    lines: list[str] = ["dry run: nothing is changed"] if dry_run else []
    try:
        sessionmaker = create_sessionmaker(engine)
        found = await tenants(sessionmaker)
        if tenant_slug is not None:
            found = [t for t in found if t.slug == tenant_slug]
            if not found:
                raise LookupError(tenant_slug)
        moment = now()
        for tenant in found:
            retention = getattr(configs.get(tenant.slug), "retention", None)
            months = getattr(retention, "case_data_months", None)
            report = await apply_tenant(sessionmaker, tenant, months, moment, dry_run=dry_run)
            lines += report.lines(dry_run)
        if tenant_slug is not None:
            lines.append("audit log: not with --tenant (the chain is shared by all tenants)")
            return lines
        months, why_not = audit_months(configs, found)
        if months is None:
            lines.append(f"audit log: nothing removed: {why_not}")
            return lines
        owner = create_engine(settings.migration_database_url)
        try:
            lines += (await apply_audit(owner, months, moment, dry_run=dry_run)).lines(dry_run)
        finally:
            await owner.dispose()
    finally:
        await engine.dispose()
    return lines
