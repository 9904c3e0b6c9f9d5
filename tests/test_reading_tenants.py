"""``reading_tenants``: several named tenants read at once, read only (the partner's aggregate).

The ORM guard limits every select to the named tenants and refuses every write; on PostgreSQL
the read policy (migration 0028) admits reads of exactly those tenants and - with
``app.tenant_id`` emptied - the write policies refuse every write, also through SQL text.
Afterwards the session is its own tenant's again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, ProgrammingError

from core.db.tenant_scope import (
    CrossTenantWriteError,
    reading_another_tenant,
    reading_tenants,
    tenant_scope,
)
from core.participants.models import Person

pg_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


async def _people(sessionmaker, tenants):
    made = {}
    for tenant, names in (
        (tenants.a, ["Anna A", "Alma A"]),
        (tenants.b, ["Bo B"]),
        (tenants.partner, ["Pia P"]),
    ):
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                rows = [Person(name=n) for n in names]
                session.add_all(rows)
        made[tenant.slug] = rows
    return made


async def test_reads_exactly_the_named_tenants_then_its_own_again(sessionmaker, tenants):
    await _people(sessionmaker, tenants)
    with tenant_scope(tenants.partner.id):
        async with sessionmaker() as session:
            assert list(await session.scalars(select(Person.name))) == ["Pia P"]
            async with reading_tenants(session, [tenants.a.id, tenants.b.id]):
                names = await session.scalars(select(Person.name).order_by(Person.name))
                assert list(names) == ["Alma A", "Anna A", "Bo B"]
                counted = await session.execute(
                    select(Person.tenant_id, func.count())
                    .group_by(Person.tenant_id)
                    .order_by(func.count())
                )
                assert counted.tuples().all() == [(tenants.b.id, 1), (tenants.a.id, 2)]
            async with reading_tenants(session, [tenants.b.id]):
                assert list(await session.scalars(select(Person.name))) == ["Bo B"]
            assert list(await session.scalars(select(Person.name))) == ["Pia P"]


async def test_every_write_is_refused_and_nothing_changes(sessionmaker, tenants):
    made = await _people(sessionmaker, tenants)
    anna = made[tenants.a.slug][0]
    with tenant_scope(tenants.partner.id):
        async with sessionmaker() as session:
            async with reading_tenants(session, [tenants.a.id]):
                with pytest.raises(CrossTenantWriteError):
                    await session.execute(update(Person).values(name="Ændret"))
                person = await session.get(Person, anna.id)
                assert person is not None and person.name == "Anna A"
            with pytest.raises(CrossTenantWriteError, match="several tenants"):
                async with reading_tenants(session, [tenants.a.id]):
                    person = await session.get(Person, anna.id)
                    person.name = "Ændret"
                    await session.flush()
            await session.rollback()
            session.add(Person(name="Ny"))
            with pytest.raises(CrossTenantWriteError, match="pending changes"):
                async with reading_tenants(session, [tenants.a.id]):
                    pass
            await session.rollback()
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            names = await session.scalars(select(Person.name).order_by(Person.name))
            assert list(names) == ["Alma A", "Anna A"]


async def test_no_nesting_and_no_empty_list(sessionmaker, tenants):
    with tenant_scope(tenants.partner.id):
        async with sessionmaker() as session:
            with pytest.raises(ValueError, match="at least one tenant"):
                async with reading_tenants(session, []):
                    pass
            async with reading_tenants(session, [tenants.a.id]):
                with pytest.raises(CrossTenantWriteError, match="already reading"):
                    async with reading_tenants(session, [tenants.b.id]):
                        pass
                with pytest.raises(CrossTenantWriteError, match="several tenants"):
                    async with reading_another_tenant(session, tenants.b.id):
                        pass


@pg_only
async def test_row_level_security_reads_the_named_tenants_and_refuses_sql_writes(
    sessionmaker, tenants
):
    made = await _people(sessionmaker, tenants)
    bo = made[tenants.b.slug][0]
    with tenant_scope(tenants.partner.id):
        async with sessionmaker() as session:
            async with reading_tenants(session, [tenants.a.id, tenants.b.id]):
                rows = await session.execute(text("SELECT name FROM person ORDER BY name"))
                assert [r.name for r in rows] == ["Alma A", "Anna A", "Bo B"]
                settings = await session.execute(
                    text(
                        "SELECT current_setting('app.tenant_id', true), "
                        "current_setting('app.read_tenants', true)"
                    )
                )
                assert settings.one() == ("", "{" + f"{tenants.a.id},{tenants.b.id}" + "}")
                changed = await session.execute(
                    text("UPDATE person SET name = 'Ændret' WHERE id = :id"), {"id": bo.id}
                )
                deleted = await session.execute(
                    text("DELETE FROM person WHERE id = :id"), {"id": bo.id}
                )
                assert (changed.rowcount, deleted.rowcount) == (0, 0)
                with pytest.raises((ProgrammingError, DBAPIError)) as refused:
                    async with session.begin_nested():
                        await session.execute(
                            text(
                                "INSERT INTO person (id, tenant_id, name, created_at, "
                                "updated_at) VALUES (gen_random_uuid(), :t, 'Ny', now(), now())"
                            ),
                            {"t": tenants.b.id},
                        )
                assert "new row violates row-level security policy" in str(refused.value)
            rows = await session.execute(text("SELECT name FROM person ORDER BY name"))
            assert [r.name for r in rows] == ["Pia P"]
            settings = await session.execute(
                text(
                    "SELECT current_setting('app.tenant_id', true), "
                    "current_setting('app.read_tenants', true)"
                )
            )
            assert settings.one() == (str(tenants.partner.id), "")
    with tenant_scope(tenants.b.id):
        async with sessionmaker() as session:
            assert (await session.get(Person, bo.id)).name == "Bo B"


async def test_a_commit_inside_is_refused_and_other_tenants_rows_are_forgotten_after(
    sessionmaker, tenants
):
    made = await _people(sessionmaker, tenants)
    anna = made[tenants.a.slug][0]
    with tenant_scope(tenants.partner.id):
        async with sessionmaker() as session:
            with pytest.raises(CrossTenantWriteError, match="a commit while reading"):
                async with reading_tenants(session, [tenants.a.id]):
                    await session.commit()
            await session.rollback()
            async with reading_tenants(session, [tenants.a.id]):
                assert (await session.get(Person, anna.id)).name == "Anna A"
            # Not answered from memory in the partner's own tenant afterwards.
            assert await session.get(Person, anna.id) is None


@pg_only
async def test_a_database_error_inside_comes_out_as_itself(sessionmaker, tenants):
    with tenant_scope(tenants.partner.id):
        async with sessionmaker() as session:
            with pytest.raises(DBAPIError) as failed:
                async with reading_tenants(session, [tenants.a.id]):
                    await session.execute(text("SELECT 1/0"))
            assert "division by zero" in str(failed.value)
            await session.rollback()
            settings = await session.execute(
                text(
                    "SELECT current_setting('app.tenant_id', true), "
                    "current_setting('app.read_tenants', true)"
                )
            )
            assert settings.one() == (str(tenants.partner.id), "")
