"""Alembic environment: async engine, batch mode on SQLite, app-role grants on PostgreSQL, and
the schema_compatibility row after every upgrade and downgrade."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from core.db import schema_compat
from core.db.models import Base
from core.db.roles import grant_app_role
from core.db.session import create_engine

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if not url:
        from core.settings import load_settings

        url = load_settings().migration_database_url
    return url


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        # which code still runs against the schema now (core/db/schema_compat.py)
        schema_compat.record(connection, context.script)
        role = config.attributes.get("app_role")
        if role and connection.dialect.name == "postgresql":
            grant_app_role(connection, role)


async def run_async_migrations() -> None:
    engine = create_engine(_database_url())
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
