"""``makker keys new`` and ``makker keys rotate`` (docs/operations.md, "Data keys")."""

from __future__ import annotations

import asyncio
import sys

import click


@click.group()
def keys() -> None:
    """The data keys that encrypt health notes at rest (MAKKER_DATA_KEYS)."""


@keys.command("new")
def keys_new() -> None:
    """Print a new data key (put it first in MAKKER_DATA_KEYS, keep the old ones after it)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@keys.command("rotate")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 10_000))
def keys_rotate(batch: int) -> None:
    """Re-encrypt every encrypted value with the current (first) key, in batches, while the
    app runs. Then the other keys can be removed from MAKKER_DATA_KEYS."""
    from core.cli import _settings
    from core.db.encryption import DataKeyError, key_id
    from core.db.key_rotation import rotate
    from core.db.session import create_engine

    settings = _settings()

    async def run() -> int:
        # immediate: on SQLite each batch takes the write lock at its start, as the app's
        # requests do, instead of failing on a snapshot that a request made stale
        engine = create_engine(settings.database_url, immediate=True)
        try:
            return await rotate(engine, batch=batch)
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(run())
    except DataKeyError as exc:
        click.echo(f"makker: {exc}", err=True)
        sys.exit(1)
    from core.db.encryption import current_keys

    click.echo(f"re-encrypted {done} values with data key {key_id(current_keys().keys[0])}")
