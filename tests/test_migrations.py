"""Models and migrations agree; upgrade -> downgrade -> upgrade keeps rows."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.db.migrate import head_revision
from core.db.models import Base
from core.db.session import create_engine


async def _run(url: str, fn):
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _diff(conn):
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_models_and_migrations_agree(database):
    assert await _run(database.owner_url, _diff) == []


async def _scalar(url: str, sql: str):
    return await _run(url, lambda c: c.execute(text(sql)).scalar())


async def test_upgrade_downgrade_upgrade_keeps_rows(fresh_database):
    db = fresh_database
    db.upgrade()
    tenant_id, person_id = uuid.uuid4(), uuid.uuid4()
    is_pg = db.backend == "postgresql"
    tid = str(tenant_id) if is_pg else tenant_id.hex
    pid = str(person_id) if is_pg else person_id.hex

    def insert(conn):
        conn.execute(
            text(
                "INSERT INTO tenant (id, slug, name, kind, plugins, created_at, updated_at) "
                "VALUES (:id, 'roundtrip', 'Roundtrip', 'municipality', '{}', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": tid},
        )
        if is_pg:  # the owner is bound by FORCE'd RLS too
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tid})
        conn.execute(
            text(
                "INSERT INTO person (id, tenant_id, name, created_at, updated_at) "
                "VALUES (:id, :t, 'Rund Tur', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": pid, "t": tid},
        )

    await _run(db.owner_url, insert)
    db.downgrade("0001")  # RLS off
    assert await _scalar(db.owner_url, "SELECT count(*) FROM person") == 1
    db.upgrade()
    assert await _scalar(db.owner_url, "SELECT version_num FROM alembic_version") == head_revision()

    def count_as_tenant(conn):
        if is_pg:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tid})
        return conn.execute(text("SELECT name FROM person")).scalars().all()

    assert await _run(db.owner_url, count_as_tenant) == ["Rund Tur"]
    if is_pg:  # RLS is back: without a tenant the row is invisible
        assert await _scalar(db.owner_url, "SELECT count(*) FROM person") == 0
    db.downgrade("base")
    db.upgrade()
    assert await _scalar(db.owner_url, "SELECT count(*) FROM tenant") == 0
    assert await _run(db.owner_url, _diff) == []
