"""``makker audit seal`` and ``makker audit verify`` (docs/operations.md, "The audit log")."""

from __future__ import annotations

import asyncio
import sys

import click


@click.group()
def audit() -> None:
    """The audit log's hash chain: seal pending rows, verify the whole log."""


@audit.command("seal")
def audit_seal() -> None:
    """Seal the audit rows not sealed yet (the jobs do it every minute and the app when it
    stops; this is for an operator who wants it now)."""
    from core.audit.seal import seal_pending
    from core.cli import _settings
    from core.db.session import create_engine

    settings = _settings()

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            return await seal_pending(engine)
        finally:
            await engine.dispose()

    click.echo(f"sealed {asyncio.run(run())} audit rows")


@audit.command("verify")
@click.option(
    "--head",
    "head_text",
    default=None,
    metavar="N:HASH",
    help="A head an earlier run printed (kept outside the database): the chain must still "
    "reach row N with that hash.",
)
def audit_verify(head_text: str | None) -> None:
    """Check the whole audit log's hash chain. Exit 0 and the head (number and hash: keep it
    outside the database) when intact; exit 1 naming the first altered, inserted or removed
    row otherwise."""
    from core.audit.seal import verify
    from core.cli import _settings
    from core.db.session import create_engine

    head = None
    if head_text is not None:
        number, _, digest = head_text.partition(":")
        if not number.isdigit() or len(digest) != 64:
            click.echo("makker: --head must be N:HASH as verify printed it", err=True)
            sys.exit(2)
        head = (int(number), digest.lower())
    settings = _settings()

    async def run() -> tuple[bool, str]:
        engine = create_engine(settings.database_url)
        try:
            verdict = await verify(engine, head=head)
        finally:
            await engine.dispose()
        return verdict.ok, verdict.summary()

    ok, summary = asyncio.run(run())
    if ok:
        click.echo(summary)
        return
    click.echo(f"makker: audit log not intact: {summary}", err=True)
    sys.exit(1)
