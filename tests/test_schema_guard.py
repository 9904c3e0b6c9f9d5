"""Every tenant-owned table is protected in the database: NOT NULL, leading index, RLS."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

import core.db.models  # noqa: F401 - registers every model
from core.db.base import tenant_owned_tables
from core.db.schema_guard import tenant_schema_problems
from core.db.session import create_engine


async def _problems(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: tenant_schema_problems(c, set(tenant_owned_tables()))
            )
    finally:
        await engine.dispose()


def test_tenant_owned_models_are_the_expected_tables():
    assert tenant_owned_tables() == [
        "activity",
        "activity_attendance",
        "activity_cancellation",
        "activity_member",
        "application",
        "consent",
        "consent_text",
        "contact_preference",
        "course",
        "course_attendance",
        "course_participant",
        "course_session",
        "enrolment",
        "enrolment_event",
        "forloeb",
        "forloeb_event",
        "forloeb_pause",
        "intake",
        "invitation",
        "legal_hold",
        "meeting",
        "meeting_day_count",
        "notification",
        "person",
        "planned_meeting",
        "programme",
        "questionnaire_response",
        "savings_assumption",
        "tenant_member",
    ]


async def test_migrated_schema_has_no_problems(database):
    assert await _problems(database.owner_url) == []


async def test_every_table_with_tenant_id_is_tenant_owned(database):
    engine = create_engine(database.owner_url)
    try:
        async with engine.connect() as conn:
            with_tenant = await conn.run_sync(
                lambda c: sorted(
                    t
                    for t in inspect(c).get_table_names()
                    if "tenant_id" in {col["name"] for col in inspect(c).get_columns(t)}
                )
            )
    finally:
        await engine.dispose()
    assert with_tenant == tenant_owned_tables()


async def test_unprotected_table_is_reported(fresh_database):
    fresh_database.upgrade()
    engine = create_engine(fresh_database.owner_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE rogue (id INTEGER PRIMARY KEY, tenant_id TEXT)"))
    finally:
        await engine.dispose()
    expected = [
        "rogue: has tenant_id but its model is not TenantOwned",
        "rogue: tenant_id is nullable",
        "rogue: no index leads with tenant_id",
    ]
    if fresh_database.backend == "postgresql":
        expected += [
            "rogue: row-level security is not enabled",
            "rogue: row-level security is not forced",
            "rogue: no row-level security policy",
        ]
    assert await _problems(fresh_database.owner_url) == expected


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_rls_switched_off_is_reported(fresh_database):
    fresh_database.upgrade()
    engine = create_engine(fresh_database.owner_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE person NO FORCE ROW LEVEL SECURITY"))
    finally:
        await engine.dispose()
    assert await _problems(fresh_database.owner_url) == ["person: row-level security is not forced"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_policy_beside_the_four_is_reported(fresh_database):
    """A ``FOR ALL`` policy beside the four (what migrations before 0028 made) would be joined
    to the read policy with OR: the guard names it."""
    fresh_database.upgrade()
    engine = create_engine(fresh_database.owner_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("CREATE POLICY tenant_isolation ON person USING (true) WITH CHECK (true)")
            )
            await conn.execute(text("DROP POLICY tenant_delete ON meeting"))
    finally:
        await engine.dispose()
    assert await _problems(fresh_database.owner_url) == [
        "meeting: row-level security policies tenant_insert, tenant_read, tenant_update, not "
        "tenant_delete, tenant_insert, tenant_read, tenant_update (core/db/rls.py)",
        "person: row-level security policies tenant_delete, tenant_insert, tenant_isolation, "
        "tenant_read, tenant_update, not tenant_delete, tenant_insert, tenant_read, "
        "tenant_update (core/db/rls.py)",
    ]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_migration_0028_turns_the_one_policy_into_four_and_back(fresh_database):
    fresh_database.upgrade("0027")

    async def policies():
        engine = create_engine(fresh_database.owner_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT policyname, cmd FROM pg_policies WHERE tablename = 'person' "
                        "ORDER BY policyname"
                    )
                )
                return [tuple(r) for r in rows]
        finally:
            await engine.dispose()

    # A database made before 0028 had one FOR ALL policy per table (today's migrations make the
    # four at once through core.db.rls, so the old state is made by hand here).
    engine = create_engine(fresh_database.owner_url)
    try:
        async with engine.begin() as conn:
            for name in ("tenant_read", "tenant_insert", "tenant_update", "tenant_delete"):
                await conn.execute(text(f"DROP POLICY {name} ON person"))
            await conn.execute(
                text(
                    "CREATE POLICY tenant_isolation ON person USING (tenant_id = "
                    "NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
                )
            )
    finally:
        await engine.dispose()
    assert await policies() == [("tenant_isolation", "ALL")]
    fresh_database.upgrade("0028")
    assert await policies() == [
        ("tenant_delete", "DELETE"),
        ("tenant_insert", "INSERT"),
        ("tenant_read", "SELECT"),
        ("tenant_update", "UPDATE"),
    ]
    fresh_database.downgrade("0027")
    assert await policies() == [("tenant_isolation", "ALL")]
