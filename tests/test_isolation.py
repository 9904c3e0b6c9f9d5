"""Tenant isolation through the ORM (both backends) and through raw SQL on PostgreSQL (RLS)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, ProgrammingError

from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import CrossTenantWriteError, TenantNotSetError, tenant_scope
from core.participants.models import Person
from core.tenancy.models import Programme
from tests.databases import APP_ROLE


async def _add_people(sessionmaker, tenant, *names):
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            people = [Person(name=n) for n in names]
            session.add_all(people)
    return people


async def test_orm_query_without_tenant_raises(sessionmaker, tenants):
    async with sessionmaker() as session:
        with pytest.raises(TenantNotSetError):
            await session.scalars(select(Person))
        with pytest.raises(TenantNotSetError):
            await session.scalar(select(func.count()).select_from(Person))
        with pytest.raises(TenantNotSetError):
            await session.get(Person, uuid.uuid4())


async def test_orm_write_without_tenant_raises(sessionmaker, tenants):
    async with sessionmaker() as session:
        session.add(Person(name="Uden Lejer"))
        with pytest.raises(TenantNotSetError):
            await session.flush()


async def test_new_row_is_stamped_with_current_tenant(sessionmaker, tenants):
    (person,) = await _add_people(sessionmaker, tenants.a, "Anna Demosen")
    assert person.tenant_id == tenants.a.id


async def test_tenant_cannot_read_other_tenants_rows(sessionmaker, tenants):
    (a_person,) = await _add_people(sessionmaker, tenants.a, "Anna A")
    (b_person,) = await _add_people(sessionmaker, tenants.b, "Bo B")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            names = list(await session.scalars(select(Person.name)))
            assert names == ["Anna A"]
            assert await session.scalar(select(func.count()).select_from(Person)) == 1
            assert await session.get(Person, b_person.id) is None
            assert (await session.get(Person, a_person.id)).name == "Anna A"
            where_b = select(Person).where(Person.tenant_id == tenants.b.id)
            assert list(await session.scalars(where_b)) == []


async def test_a_tenant_owned_table_only_in_a_where_clause_is_refused(sessionmaker, tenants):
    """The loader criteria reach a select's entities, columns, FROM and joins - not a table
    named only in its WHERE clause: such a count or exists() would read another tenant's rows
    on SQLite, so it is refused; the same count with its FROM named is scoped."""
    from sqlalchemy import exists

    from core.db.tenant_scope import UnscopedStatementError
    from core.participants.models import Enrolment

    await _add_people(sessionmaker, tenants.a, "Anna A")
    await _add_people(sessionmaker, tenants.b, "Bo B", "Bo B")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            with pytest.raises(UnscopedStatementError):
                await session.scalar(select(func.count()).where(Person.name == "Bo B"))
            with pytest.raises(UnscopedStatementError):
                await session.scalars(
                    select(Person.id).where(exists().where(Enrolment.person_id == Person.id))
                )
            named = select(func.count()).select_from(Person).where(Person.name == "Bo B")
            assert await session.scalar(named) == 0
            assert await session.scalar(select(func.count(Person.id))) == 1
            correlated = select(Person.name).where(
                ~exists(select(Enrolment.id).where(Enrolment.person_id == Person.id))
            )
            assert list(await session.scalars(correlated)) == ["Anna A"]


def test_the_where_only_check_is_remembered_by_the_statements_shape():
    """The guard's check compiles every select of a statement, so its answer is kept by the
    statement's structure (SQLAlchemy's cache key, not the bound values): the same shape with
    other values gets the same answer - a refusal too - and another shape is checked anew."""
    from core.db import tenant_scope as scope

    owned = frozenset({"person"})
    unscoped = [select(func.count()).where(Person.name == name) for name in ("Bo B", "Anna A")]
    scoped = select(func.count()).select_from(Person).where(Person.name == "Bo B")
    scope._where_only_cache.clear()
    assert scope.tables_only_in_where(unscoped[0], owned) == ["person"]
    assert len(scope._where_only_cache) == 1
    assert scope.tables_only_in_where(unscoped[1], owned) == ["person"]
    assert len(scope._where_only_cache) == 1
    assert scope.tables_only_in_where(scoped, owned) == []
    assert scope.tables_only_in_where(unscoped[0], frozenset({"enrolment"})) == []
    assert len(scope._where_only_cache) == 3


async def test_tenant_cannot_update_or_delete_other_tenants_rows(sessionmaker, tenants):
    (b_person,) = await _add_people(sessionmaker, tenants.b, "Bo B")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            updated = await session.execute(
                update(Person).where(Person.id == b_person.id).values(name="Hacked")
            )
            deleted = await session.execute(delete(Person).where(Person.id == b_person.id))
            assert updated.rowcount == 0
            assert deleted.rowcount == 0
    with tenant_scope(tenants.b.id):
        async with sessionmaker() as session:
            assert (await session.get(Person, b_person.id)).name == "Bo B"


async def test_new_row_naming_another_tenant_is_rejected(sessionmaker, tenants):
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            session.add(Person(name="Forkert", tenant_id=tenants.b.id))
            with pytest.raises(CrossTenantWriteError):
                await session.flush()


async def test_changing_or_deleting_an_object_of_another_tenant_is_rejected(sessionmaker, tenants):
    (b_person,) = await _add_people(sessionmaker, tenants.b, "Bo B")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            # An object that leaked from elsewhere (here: merged in) must not be written.
            leaked = await session.merge(b_person, load=False)
            leaked.name = "Hacked"
            with pytest.raises(CrossTenantWriteError):
                await session.flush()
        async with sessionmaker() as session:
            leaked = await session.merge(b_person, load=False)
            await session.delete(leaked)
            with pytest.raises(CrossTenantWriteError):
                await session.flush()


async def test_moving_a_row_to_another_tenant_is_rejected(sessionmaker, tenants):
    (a_person,) = await _add_people(sessionmaker, tenants.a, "Anna A")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            person = await session.get(Person, a_person.id)
            person.tenant_id = tenants.b.id
            with pytest.raises(CrossTenantWriteError):
                await session.flush()


async def test_switching_tenant_inside_a_transaction_raises(sessionmaker, tenants):
    async with sessionmaker() as session:
        with tenant_scope(tenants.a.id):
            await session.scalars(select(Person))
        with tenant_scope(tenants.b.id), pytest.raises(CrossTenantWriteError):
            await session.scalars(select(Person))


# -- PostgreSQL: row-level security through raw SQL as the app role --------------------------
pg_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pg_only
async def test_app_role_is_not_owner_superuser_or_bypassrls(engine):
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT current_user, rolsuper, rolbypassrls, "
                    "(SELECT tableowner FROM pg_tables WHERE tablename = 'person') "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
    assert row == (APP_ROLE, False, False, "makker_owner")


@pg_only
async def test_raw_sql_sees_only_current_tenant(sessionmaker, tenants):
    await _add_people(sessionmaker, tenants.a, "Anna A", "Alma A")
    await _add_people(sessionmaker, tenants.b, "Bo B")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            rows = (await session.execute(text("SELECT name FROM person ORDER BY name"))).all()
            assert [r.name for r in rows] == ["Alma A", "Anna A"]
            where_b = text("SELECT count(*) FROM person WHERE tenant_id = :b")
            assert await session.scalar(where_b, {"b": tenants.b.id}) == 0


@pg_only
async def test_raw_sql_without_tenant_sees_nothing(sessionmaker, tenants):
    await _add_people(sessionmaker, tenants.a, "Anna A")
    async with sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM person")) == 0


@pg_only
async def test_raw_sql_cannot_update_or_delete_other_tenant(sessionmaker, tenants):
    (b_person,) = await _add_people(sessionmaker, tenants.b, "Bo B")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            upd = await session.execute(
                text("UPDATE person SET name = 'Hacked' WHERE id = :id"), {"id": b_person.id}
            )
            dele = await session.execute(
                text("DELETE FROM person WHERE id = :id"), {"id": b_person.id}
            )
            assert (upd.rowcount, dele.rowcount) == (0, 0)
    with tenant_scope(tenants.b.id):
        async with sessionmaker() as session:
            assert (await session.get(Person, b_person.id)).name == "Bo B"


@pg_only
async def test_raw_sql_insert_for_another_tenant_is_rejected(sessionmaker, tenants):
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            with pytest.raises((ProgrammingError, DBAPIError)) as excinfo:
                await session.execute(
                    text(
                        "INSERT INTO person (id, tenant_id, name, created_at, updated_at) "
                        "VALUES (:id, :t, 'Forkert', now(), now())"
                    ),
                    {"id": uuid.uuid4(), "t": tenants.b.id},
                )
            assert "new row violates row-level security policy" in str(excinfo.value)


@pg_only
async def test_pooled_connection_starts_with_no_tenant(database, tenants):
    engine = create_engine(database.app_url, pool_size=1, max_overflow=0)
    sessionmaker = create_sessionmaker(engine)
    try:
        await _add_people(sessionmaker, tenants.a, "Anna A")
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session:
                pid_a = await session.scalar(text("SELECT pg_backend_pid()"))
                assert await session.scalar(text("SELECT count(*) FROM person")) == 1
        async with sessionmaker() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            setting = await session.scalar(text("SELECT current_setting('app.tenant_id', true)"))
            count = await session.scalar(text("SELECT count(*) FROM person"))
        assert pid == pid_a  # the very same pooled connection
        assert (setting, count) == ("", 0)
    finally:
        await engine.dispose()


@pg_only
async def test_app_role_cannot_change_migration_state(engine):
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError) as excinfo:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'x'"))
    assert "permission denied" in str(excinfo.value)


async def test_programmes_are_scoped_like_people(sessionmaker, tenants):
    for tenant in (tenants.a, tenants.b):
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                session.add(
                    Programme(
                        slug="p",
                        name=tenant.name,
                        type="peer_mentor",
                        areas=["psykiatri"],
                        policy={},
                        plugins={},
                    )
                )
    with tenant_scope(tenants.b.id):
        async with sessionmaker() as session:
            assert list(await session.scalars(select(Programme.name))) == ["Kommune B"]
