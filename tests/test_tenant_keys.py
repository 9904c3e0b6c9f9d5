"""Keys with the tenant (issue 18, "Ready for Citus"), on SQLite and PostgreSQL: the database
itself refuses a row that points at another tenant's parent, for every foreign key to a
tenant-owned table in the models (found in ``Base.metadata``, not a list kept here), written raw
through the owner connection, past the ORM's tenant guard. Each case first writes a valid row of
the same shape with a parent of its own tenant (so the refusal is the key's, not a missing
value's). The ORM keeps addressing rows by their id alone. And migration 0027 refuses a
database that already holds such a row, naming it, and keeps the indexes and triggers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Enum, ForeignKeyConstraint, Table, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

import core.db.models  # noqa: F401 - every model
from core.db.base import Base
from core.db.citus import DISTRIBUTED_BY
from core.db.migrate import head_revision
from core.db.session import create_engine
from core.db.tenant_scope import tenant_scope
from core.participants.models import Person
from core.tenancy.models import Programme, ProgrammePartnership

_counter = itertools.count()


def _owner_column(table: Table) -> str | None:
    if "tenant_id" in table.c:
        return "tenant_id"
    return DISTRIBUTED_BY.get(table.name)


def tenant_keys() -> list[tuple[str, str, str]]:
    """(table, column, parent) of every foreign key to a tenant-owned table."""
    found = []
    for table in Base.metadata.sorted_tables:
        owner = _owner_column(table)
        for fk in table.foreign_key_constraints:
            if "tenant_id" not in fk.referred_table.c:
                continue
            (column,) = [c for c in fk.column_keys if c != owner]
            found.append((table.name, column, fk.referred_table.name))
    return found


def _choices(table: Table, column: str) -> list[str] | None:
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            found = re.match(rf"{column} IN \(([^)]*)\)", str(constraint.sqltext))
            if found:
                return re.findall(r"'([^']*)'", found.group(1))
    return None


def _value(table: Table, column: Any, n: int) -> Any:
    choices = _choices(table, column.name)
    if choices:
        return choices[0]
    if isinstance(column.type, Enum):
        return column.type.enums[0]
    try:
        python = column.type.python_type
    except NotImplementedError:
        python = str
    values: dict[type, Any] = {
        str: f"{n}-{column.name}"[: getattr(column.type, "length", None) or 60],
        int: 1,
        float: 1.0,
        bool: False,
        dt.date: dt.date(2026, 11, 30),
        dt.datetime: dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC),
        dt.time: dt.time(10, 0),
        dict: {},
        list: [],
        uuid.UUID: uuid.uuid4(),
    }
    return values[python]


class Maker:
    """Raw rows through one connection: a valid row of ``table`` for ``tenant``, its parents
    made fresh for the same tenant unless given."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgresql = conn.dialect.name == "postgresql"

    def scope(self, tenant: uuid.UUID) -> None:
        if self.postgresql:  # row-level security is forced on the owner too
            self.conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant)}
            )

    def tenant(self) -> uuid.UUID:
        return self.make("tenant", None)

    def make(self, name: str, tenant: uuid.UUID | None, **given: Any) -> uuid.UUID:
        table = Base.metadata.tables[name]
        owner = _owner_column(table)
        n = next(_counter)
        row: dict[str, Any] = {"id": uuid.uuid4()} if "id" in table.c else {}
        for fk in table.foreign_key_constraints:
            local = [c for c in fk.column_keys if c != owner]
            if fk.referred_table.name == "tenant":
                row.update({c: tenant for c in fk.column_keys})
            elif local[0] not in given:
                row[local[0]] = self.make(fk.referred_table.name, tenant)
        if owner:
            row[owner] = tenant
        row.update(given)
        for column in table.c:
            if column.name in row or column.nullable or column.default is not None:
                continue
            if column.server_default is not None:
                continue
            row[column.name] = _value(table, column, n)
        if tenant is not None:
            self.scope(tenant)
        self.conn.execute(table.insert().values(row))
        return row.get("id") or uuid.uuid4()


def _refused(error: IntegrityError, table: str, column: str, postgresql: bool) -> bool:
    message = str(error.orig)
    if postgresql:
        return "violates foreign key constraint" in message and f"fk_{table}_{column}_" in message
    return "FOREIGN KEY constraint failed" in message


async def _in_rolled_back_transaction(url: str, work: Callable[[Connection], Any]) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.run_sync(lambda c: _rolled_back(c, work))
            return result
    finally:
        await engine.dispose()


def _rolled_back(conn: Connection, work: Callable[[Connection], Any]) -> Any:
    transaction = conn.begin()
    try:
        return work(conn)
    finally:
        transaction.rollback()


def test_every_key_to_a_tenant_owned_table_is_found():
    keys = tenant_keys()
    assert ("enrolment", "person_id", "person") in keys
    assert ("forloeb", "mentor_enrolment_id", "enrolment") in keys
    assert ("tenant_member", "invitation_id", "invitation") in keys
    assert ("calendar_link", "person_id", "person") in keys
    assert ("programme_partnership", "programme_id", "programme") in keys
    assert len(keys) == 40  # the foreign keys migration 0027 widened


async def test_the_database_refuses_a_row_whose_parent_is_another_tenants(database):
    def work(conn: Connection) -> list[str]:
        maker = Maker(conn)
        here, there = maker.tenant(), maker.tenant()
        accepted = []
        for table, column, parent in tenant_keys():
            with conn.begin_nested():  # a valid row of this shape first
                maker.make(table, here)
            foreign_parent = maker.make(parent, there)
            savepoint = conn.begin_nested()
            try:
                maker.make(table, here, **{column: foreign_parent})
            except IntegrityError as error:
                savepoint.rollback()
                assert _refused(error, table, column, maker.postgresql), (table, error)
            else:
                savepoint.rollback()
                accepted.append(f"{table}.{column}")
        return accepted

    assert await _in_rolled_back_transaction(database.owner_url, work) == []


async def test_the_orm_addresses_rows_by_id_alone(sessionmaker, tenants):
    """``session.get`` with the id, an update and a delete work as before the wider keys."""
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(slug="noegler", name="Nøgler", type="peer_mentor")
            person = Person(name="Nøgle Person")
            session.add_all([programme, person])
        async with sessionmaker() as session, session.begin():
            found = await session.get(Person, person.id)
            assert found is not None and found.name == "Nøgle Person"
            found.name = "Ny Nøgle"
        async with sessionmaker() as session, session.begin():
            assert (await session.get_one(Person, person.id)).name == "Ny Nøgle"
            await session.delete(await session.get_one(Person, person.id))
        async with sessionmaker() as session:
            assert await session.get(Person, person.id) is None
            assert await session.scalar(select(Programme.id).where(Programme.slug == "noegler"))
    assert [c.name for c in Base.metadata.tables["person"].primary_key.columns] == [
        "id",
        "tenant_id",
    ]
    assert [c.name for c in Base.metadata.tables["programme_partnership"].primary_key] == [
        "id",
        "owner_tenant_id",
    ]
    from sqlalchemy import inspect

    assert [c.name for c in inspect(ProgrammePartnership).primary_key] == ["id"]
    assert [c.name for c in inspect(Person).primary_key] == ["id"]


def test_every_foreign_key_between_tenant_tables_pairs_the_tenant_columns():
    for table in Base.metadata.sorted_tables:
        owner = _owner_column(table)
        for fk in table.foreign_key_constraints:
            if not isinstance(fk, ForeignKeyConstraint) or "tenant_id" not in fk.referred_table.c:
                continue
            pairs = {(e.parent.name, e.column.name) for e in fk.elements}
            assert (owner, "tenant_id") in pairs, (table.name, fk.name)


def _schema_objects(conn: Connection) -> list[tuple[Any, ...]]:
    """Indexes (but the primary keys', which 0027 changes), triggers and policies."""
    if conn.dialect.name == "postgresql":
        indexes = conn.execute(
            text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND indexname NOT LIKE 'pk\\_%' "
                "AND indexname NOT LIKE 'uq\\_calendar\\_link\\_token\\_hash%'"
            )
        ).all()
        triggers = conn.execute(
            text(
                "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        ).all()
        policies = conn.execute(
            text("SELECT tablename, policyname, qual, with_check FROM pg_policies")
        ).all()
        security = conn.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace"
            )
        ).all()
        return sorted(map(tuple, [*indexes, *triggers, *policies, *security]), key=str)
    rows = conn.execute(
        text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
        )
    ).all()
    return sorted(tuple(r) for r in rows)


async def _run(url: str, work: Callable[[Connection], Any]) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


async def test_migration_0027_refuses_cross_tenant_rows_and_keeps_indexes_and_triggers(
    fresh_database,
):
    db = fresh_database
    db.upgrade("0026")
    made: dict[str, Any] = {}

    def populate(conn: Connection) -> None:
        maker = Maker(conn)
        here, there = maker.tenant(), maker.tenant()
        made.update(here=here, there=there)
        made["meeting"] = maker.make("meeting", here)  # with its forløb, enrolments...
        made["member"] = maker.make("tenant_member", here)
        made["link"] = maker.make("calendar_link", here)
        foreign = maker.make("programme", there)
        made["bad"] = maker.make("enrolment", here, programme_id=foreign)  # 0026 lets it in
        maker.make("course_participant", here, person_id=maker.make("person", there))

    await _run(db.owner_url, populate)

    def objects(conn: Connection) -> list[tuple[Any, ...]]:
        return _schema_objects(conn)

    before = await _run(db.owner_url, objects)
    with pytest.raises(Exception) as refused:
        db.upgrade("0027")
    message = str(refused.value)
    assert "Migration 0027 refused" in message
    assert "enrolment.programme_id: 1 rows point at a programme of another tenant" in message
    assert "course_participant.person_id: 1 rows point at a person of another tenant" in message
    assert await _run(db.owner_url, objects) == before

    def version(conn: Connection) -> str:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    assert await _run(db.owner_url, version) == "0026"

    def fix(conn: Connection) -> None:
        Maker(conn).scope(made["here"])
        conn.execute(text("DELETE FROM enrolment WHERE id = :i"), {"i": _id(conn, made["bad"])})
        conn.execute(text("DELETE FROM course_participant"))

    await _run(db.owner_url, fix)
    db.upgrade("0027")
    assert await _run(db.owner_url, version) == "0027"
    assert await _run(db.owner_url, objects) == before

    def check(conn: Connection) -> dict[str, Any]:
        maker = Maker(conn)
        maker.scope(made["here"])
        counts = {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in ("meeting", "forloeb", "enrolment", "tenant_member", "calendar_link")
        }
        # meeting_day_count's triggers still count: one more meeting on the same forløb
        forloeb = conn.execute(text("SELECT forloeb_id FROM meeting")).scalar_one()
        maker.make("meeting", made["here"], forloeb_id=_uuid(forloeb))
        counts["meetings counted"] = conn.execute(
            text("SELECT sum(meetings) FROM meeting_day_count")
        ).scalar_one()
        return counts

    assert await _run(db.owner_url, check) == {
        "meeting": 1,
        "forloeb": 1,
        "enrolment": 2,
        "tenant_member": 1,
        "calendar_link": 1,
        "meetings counted": 2,
    }
    db.downgrade("0026")
    assert await _run(db.owner_url, objects) == before
    db.upgrade()
    assert await _run(db.owner_url, version) == head_revision()


def _id(conn: Connection, value: uuid.UUID) -> Any:
    return str(value) if conn.dialect.name == "postgresql" else value.hex


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def test_an_invitations_member_link_is_cleared_before_its_person_goes(sessionmaker, tenants):
    """``tenant_member.invitation_id`` was ON DELETE SET NULL; the key with the tenant refuses
    the deletion instead, so the code clears the link first (core/access/forget.py)."""
    from sqlalchemy import delete

    from core.access.forget import forget_invitations_of
    from core.access.models import Invitation, Member

    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            person = Person(name="Inviteret Person")
            session.add(person)
            await session.flush()
            invitation = Invitation(
                email="inviteret@example.org",
                role="mentee",
                person_id=person.id,
                status="accepted",
                created_by="test",
                expires_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
            )
            session.add(invitation)
            await session.flush()
            member = Member(user_id=f"iss#{uuid.uuid4()}", invitation_id=invitation.id)
            session.add(member)
        with pytest.raises(IntegrityError):  # the key refuses: the member still points at it
            async with sessionmaker() as session, session.begin():
                await session.execute(delete(Person).where(Person.id == person.id))
        async with sessionmaker() as session, session.begin():
            assert await forget_invitations_of(session, [person.id]) == 1
            await session.execute(delete(Person).where(Person.id == person.id))
        async with sessionmaker() as session:
            kept = await session.get_one(Member, member.id)
            assert kept.invitation_id is None
            assert await session.get(Invitation, invitation.id) is None


async def test_deleting_an_application_whose_person_was_invited_clears_the_members_link(
    sessionmaker, tenants
):
    """The one place the code deletes invitations (with their person): deleting a waiting
    application of a person no one else knows. The member who accepted the person's
    invitation stays, without the link; before 0027 the key set it null."""
    from core.access.models import Invitation, Member
    from core.applications.commands import delete_application
    from core.applications.models import Application
    from core.participants.models import Enrolment
    from tests.notification_world import in_context

    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(slug=f"p{uuid.uuid4().hex[:8]}", name="P", type="peer_mentor")
            person = Person(name="Ansøger med invitation")
            session.add_all([programme, person])
            await session.flush()
            enrolment = Enrolment(
                person_id=person.id, programme_id=programme.id, role="mentee", status="applied"
            )
            invitation = Invitation(
                email="ansoeger@example.org",
                role="mentee",
                person_id=person.id,
                status="accepted",
                created_by="test",
                expires_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
            )
            session.add_all([enrolment, invitation])
            await session.flush()
            application = Application(
                person_id=person.id,
                enrolment_id=enrolment.id,
                contact_consent_text="Ja",
                fingerprint="f" * 64,
            )
            member = Member(user_id=f"iss#{uuid.uuid4()}", invitation_id=invitation.id)
            session.add_all([application, member])

    deleted = await in_context(
        sessionmaker, tenants.a, lambda ctx: delete_application(ctx, application.id)
    )
    assert deleted.person_deleted is True
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            assert await session.get(Person, person.id) is None
            assert await session.get(Invitation, invitation.id) is None
            assert (await session.get_one(Member, member.id)).invitation_id is None


async def test_db_upgrade_prints_0027s_refusal_alone_and_forgets_empty_counts(fresh_database):
    """``makker db upgrade`` says what 0027 refuses in one message, exit 1, no traceback; a
    ``meeting_day_count`` row counting nothing under another tenant than its programme's (what
    the triggers leave behind once the meetings are corrected) is derived: 0027 removes it."""
    from click.testing import CliRunner

    from core.cli import main
    from tests.databases import APP_ROLE

    db = fresh_database
    db.upgrade("0026")
    made: dict[str, Any] = {}

    def populate(conn: Connection) -> None:
        maker = Maker(conn)
        here, there = maker.tenant(), maker.tenant()
        foreign = maker.make("programme", there)
        made.update(here=here, bad=maker.make("enrolment", here, programme_id=foreign))
        maker.make("meeting_day_count", here, programme_id=foreign, meetings=0, minutes=0)

    await _run(db.owner_url, populate)
    env = {
        "MAKKER_ENV": "development",
        "MAKKER_DATABASE_URL": db.app_url,
        "MAKKER_MIGRATION_DATABASE_URL": db.owner_url,
        **({"MAKKER_DB_APP_ROLE": APP_ROLE} if db.backend == "postgresql" else {}),
    }
    refused = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert (refused.exit_code, refused.output) == (
        1,
        "makker: Migration 0027 refused: rows point at another tenant's parent, which the new "
        "keys with tenant_id do not allow. Nothing was changed; correct or remove these rows "
        "and upgrade again: enrolment.programme_id: 1 rows point at a programme of another "
        "tenant\n",
    )

    def fix(conn: Connection) -> None:
        Maker(conn).scope(made["here"])
        conn.execute(text("DELETE FROM enrolment WHERE id = :i"), {"i": _id(conn, made["bad"])})

    await _run(db.owner_url, fix)
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert (upgraded.exit_code, upgraded.output) == (0, "database upgraded to head\n")

    def counts(conn: Connection) -> int:
        Maker(conn).scope(made["here"])
        return conn.execute(text("SELECT count(*) FROM meeting_day_count")).scalar_one()

    assert await _run(db.owner_url, counts) == 0
