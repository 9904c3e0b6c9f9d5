"""``makker tenants export`` and ``makker tenants import`` (:mod:`core.tenancy.transfer`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click


async def _with_engine(url: str, work: Any) -> Any:
    import core.db.models  # noqa: F401 - every model, so Base.metadata is complete
    from core.db.session import create_engine

    engine = create_engine(url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


def _fail(exc: Exception) -> None:
    click.echo(f"makker: {exc}", err=True)
    sys.exit(1)


@click.command("export")
@click.argument("tenant")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file to write (default: makker-tenant-TENANT-DATE.jsonl here).",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def tenants_export(tenant: str, output: Path | None, force: bool) -> None:
    """Write one tenant with all its data to a file, to import on another instance.

    The file holds special-category personal data in clear (docs/operations.md): keep it
    encrypted at rest, move it by a secure channel, delete it after the import."""
    from core.cli import _settings
    from core.tenancy.transfer import TransferError, export_tenant

    settings = _settings()
    path = output or Path(f"makker-tenant-{tenant}-{dt.date.today().isoformat()}.jsonl")
    try:
        result = asyncio.run(
            _with_engine(
                settings.database_url, lambda e: export_tenant(e, tenant, path, force=force)
            )
        )
    except TransferError as exc:
        _fail(exc)
    total = sum(result.rows.values())
    click.echo(
        f"exported {result.tenant}: {total} rows of {sum(1 for n in result.rows.values() if n)} "
        f"tables at schema revision {result.schema_revision} to {result.path}"
    )
    click.echo("the file holds special-category personal data in clear: handle it as such")


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def tenants_import(file: Path) -> None:
    """Store a tenant from a file written by ``makker tenants export`` (all or nothing)."""
    from core.cli import _settings
    from core.tenancy.transfer import TransferError, import_tenant

    settings = _settings()
    try:
        result = asyncio.run(_with_engine(settings.database_url, lambda e: import_tenant(e, file)))
    except TransferError as exc:
        _fail(exc)
    for line in result.skipped:
        click.echo(f"skipped {line}")
    click.echo(f"imported {result.tenant}: {sum(result.rows.values())} rows from {file}")
    click.echo("next: copy its tenant file into MAKKER_TENANTS_DIR and run makker tenants sync")
