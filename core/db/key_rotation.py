"""``makker keys rotate``: re-encrypt every encrypted value with the current data key.

Safe while the app runs: it works tenant by tenant (row-level security: each transaction sets
the tenant, as requests do), ``batch`` rows per column and transaction, and writes a value only
if it is still the one it read (``WHERE id = :id AND col = :old``) - a value the app changed
meanwhile was written with the current key anyway. On SQLite give it an engine whose
transactions begin immediately (``create_engine(url, immediate=True)``, as ``makker keys
rotate`` does): a batch then waits for the write lock instead of failing on a snapshot a
request made stale. A value with no ``enc1:`` prefix (written before migration 0024) is
encrypted. Run it after every process has the new key first in ``MAKKER_DATA_KEYS``
(docs/operations.md, "Data keys"); then the old key can go.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db.encryption import ENCRYPTED_COLUMNS, PREFIX, DataKeys, current_keys

BATCH = 500


async def rotate(engine: AsyncEngine, *, batch: int = BATCH, keys: DataKeys | None = None) -> int:
    """Re-encrypt every value not encrypted with the current key; the number of values."""
    keys = keys or current_keys()
    current = f"{PREFIX}{keys.current_id}:%"
    pg = engine.dialect.name == "postgresql"
    async with engine.connect() as conn:
        tenant_ids = list((await conn.execute(text("SELECT id FROM tenant ORDER BY id"))).scalars())
    done = 0
    for tenant_id in tenant_ids:
        for table, columns in ENCRYPTED_COLUMNS.items():
            for column in columns:
                while True:
                    async with engine.begin() as conn:
                        if pg:
                            await conn.execute(
                                text("SELECT set_config('app.tenant_id', :t, true)"),
                                {"t": str(tenant_id)},
                            )
                        rows = (
                            await conn.execute(
                                text(
                                    f"SELECT id, {column} FROM {table} WHERE tenant_id = :t "
                                    f"AND {column} IS NOT NULL AND {column} NOT LIKE :current "
                                    "LIMIT :n"
                                ),
                                {"t": tenant_id, "current": current, "n": batch},
                            )
                        ).all()
                        if rows:
                            await conn.execute(
                                text(
                                    f"UPDATE {table} SET {column} = :new "
                                    f"WHERE id = :id AND {column} = :old"
                                ),
                                [
                                    {"id": r[0], "old": r[1], "new": _again(keys, r[1])}
                                    for r in rows
                                ],
                            )
                    done += len(rows)
                    if len(rows) < batch:
                        break
    return done


def _again(keys: DataKeys, stored: str) -> str:
    return keys.encrypt(keys.decrypt(stored))
