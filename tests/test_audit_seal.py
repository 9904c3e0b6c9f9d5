"""The audit log's hash chain (issue 15): sealing, `makker audit verify`, insert-only grants,
and retention's removal of whole sealed blocks - on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core.app import create_app
from core.audit import service as audit
from core.audit.models import AuditEvent
from core.audit.seal import (
    CONTENT_COLUMNS,
    GENESIS,
    chain_hash,
    remove_sealed_before,
    seal_pending,
    verify,
)
from core.cli import main
from core.db.session import create_engine, create_sessionmaker
from tests.conftest import settings_for
from tests.databases import TestDatabase as Database

UTC = dt.UTC


@pytest.fixture
def db(fresh_database: Database) -> Database:
    """A migrated database of this test's own: the tests tamper with the log."""
    fresh_database.upgrade()
    return fresh_database


async def _write(db: Database, clock, days: list[dt.date]) -> None:
    """One audit row per day (at noon), as requests and the CLI write them."""
    engine = create_engine(db.app_url)
    try:
        for n, day in enumerate(days):
            clock.set(dt.datetime.combine(day, dt.time(12, n), tzinfo=UTC))
            await audit.record(
                create_sessionmaker(engine),
                "person_read",
                actor="sub-1",
                tenant_slug="kolding",
                object_type="person",
                object_id=uuid.uuid4(),
                detail={"n": n, "scope": "full"},
            )
    finally:
        await engine.dispose()


async def _seal(url: str, **kwargs) -> int:
    engine = create_engine(url)
    try:
        return await seal_pending(engine, **kwargs)
    finally:
        await engine.dispose()


async def _verify(url: str):
    engine = create_engine(url)
    try:
        return await verify(engine)
    finally:
        await engine.dispose()


async def _rows(url: str) -> list[AuditEvent]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    finally:
        await engine.dispose()


async def _as_owner(db: Database, *statements: object, params: dict | None = None) -> None:
    """Tampering as the owner would: straight SQL, the guard trigger switched off first."""
    engine = create_engine(db.owner_url)
    pg = db.backend == "postgresql"
    try:
        async with engine.begin() as conn:
            if pg:
                await conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            for statement in statements:
                sql = text(statement) if isinstance(statement, str) else statement
                await conn.execute(sql, params or {})
            if pg:
                await conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    finally:
        await engine.dispose()


def _id(db: Database, value: uuid.UUID) -> str:
    return str(value) if db.backend == "postgresql" else value.hex


DAY = dt.date(2026, 3, 2)


async def test_rows_are_sealed_in_a_chain_in_batches_and_verify(db, clock):
    await _write(db, clock, [DAY] * 5)
    assert (await _verify(db.app_url)).unsealed == 5
    assert await _seal(db.app_url, batch=2) == 5  # three batches as the app role
    rows = await _rows(db.app_url)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].hash == chain_hash(GENESIS, rows[0])
    assert rows[3].hash == chain_hash(rows[2].hash, rows[3])
    assert await _seal(db.app_url) == 0
    await _write(db, clock, [DAY, DAY])
    assert await _seal(db.app_url) == 2
    verdict = await _verify(db.app_url)
    assert verdict.ok
    assert (verdict.sealed, verdict.unsealed, verdict.head_seq) == (7, 0, 7)
    assert verdict.summary() == (
        f"audit log intact: 7 sealed rows; head 7:{verdict.head_hash}; 0 rows not sealed yet"
    )
    assert verdict.head_hash == (await _rows(db.app_url))[-1].hash


async def test_verify_names_an_altered_row(db, clock):
    await _write(db, clock, [DAY] * 5)
    await _seal(db.app_url)
    third = (await _rows(db.app_url))[2]
    await _as_owner(
        db, """UPDATE audit_event SET detail = '{"n": 2, "scope": "none"}' WHERE seq = 3"""
    )
    verdict = await _verify(db.app_url)
    assert verdict.problem == (
        f"audit row 3 (id {third.id}) was altered: its content no longer matches its seal"
    )


async def test_verify_names_a_removed_row(db, clock):
    await _write(db, clock, [DAY] * 5)
    await _seal(db.app_url)
    await _as_owner(db, "DELETE FROM audit_event WHERE seq = 3")
    verdict = await _verify(db.app_url)
    assert verdict.problem == (
        "audit row 3 is missing: removed from the sealed chain (the chain goes from row 2 to row 4)"
    )


async def test_verify_names_an_inserted_row_even_with_a_valid_looking_hash(db, clock):
    await _write(db, clock, [DAY] * 5)
    await _seal(db.app_url)
    rows = await _rows(db.app_url)
    forged = AuditEvent(
        id=uuid.uuid4(),
        at=rows[2].at,
        actor="sub-1",
        tenant_slug="kolding",
        action="person_read",
        route=None,
        object_type="person",
        object_id="forged",
        detail={"n": 2, "scope": "full"},
        request_id=None,
        client_address=None,
    )
    # the forger knows the algorithm: the row's hash follows row 2 like the real row 3's
    forged_hash = chain_hash(rows[1].hash, forged)
    values = {c: getattr(forged, c) for c in CONTENT_COLUMNS}
    await _as_owner(
        db,
        "DROP INDEX uq_audit_event_seq",
        AuditEvent.__table__.insert().values(**values, seq=3, hash=forged_hash),
    )
    verdict = await _verify(db.app_url)
    assert verdict.problem == (
        f"audit row 3 (id {forged.id}) was inserted: a second row with the number of a sealed row"
    )


async def test_verify_names_a_row_put_in_the_place_of_a_removed_one(db, clock):
    await _write(db, clock, [DAY] * 5)
    await _seal(db.app_url)
    forged_id = uuid.uuid4()
    await _as_owner(
        db,
        "DELETE FROM audit_event WHERE seq = 3",
        "INSERT INTO audit_event (id, at, action, detail, seq, hash) VALUES "
        "(:id, CURRENT_TIMESTAMP, 'sign_in', '{}', 3, :hash)",
        params={"id": _id(db, forged_id), "hash": "f" * 64},
    )
    verdict = await _verify(db.app_url)
    assert verdict.problem == (
        f"audit row 3 (id {forged_id}) was inserted: it is not part of the sealed chain "
        "(its hash does not follow row 2, and row 4 does not follow it)"
    )


async def test_a_head_kept_outside_shows_a_cut_or_recomputed_end(db, clock):
    await _write(db, clock, [DAY] * 5)
    await _seal(db.app_url)
    head = (5, (await _rows(db.app_url))[-1].hash)
    engine = create_engine(db.app_url)
    try:
        assert (await verify(engine, head=head)).ok
        assert (await verify(engine, head=(3, (await _rows(db.app_url))[2].hash))).ok
    finally:
        await engine.dispose()
    # the forger removes the last row: the chain alone looks intact
    await _as_owner(db, "DELETE FROM audit_event WHERE seq = 5")
    engine = create_engine(db.app_url)
    try:
        assert (await verify(engine)).ok
        assert (await verify(engine, head=head)).problem == (
            "audit row 5 (the head given) is missing: the chain ends at row 4, so rows were "
            "removed from its end"
        )
    finally:
        await engine.dispose()
    # ... and writes a row 5 of its own, sealed with a hash that follows row 4
    forged = AuditEvent(id=uuid.uuid4(), at=dt.datetime(2026, 3, 2, 13, tzinfo=UTC))
    forged.actor = forged.tenant_slug = forged.route = forged.object_type = None
    forged.object_id = forged.request_id = forged.client_address = None
    forged.action, forged.detail = "sign_in", {}
    rows = await _rows(db.app_url)
    values = {c: getattr(forged, c) for c in CONTENT_COLUMNS}
    await _as_owner(
        db,
        AuditEvent.__table__.insert().values(
            **values, seq=5, hash=chain_hash(rows[-1].hash, forged)
        ),
    )
    engine = create_engine(db.app_url)
    try:
        assert (await verify(engine)).ok
        assert (await verify(engine, head=head)).problem == (
            "audit row 5 (the head given) no longer has the hash recorded: the chain was "
            "recomputed from row 5 or before"
        )
    finally:
        await engine.dispose()


def test_makker_audit_verify_exits_1_naming_the_row(db, clock):
    import asyncio

    asyncio.run(_write(db, clock, [DAY] * 3))
    env = {"MAKKER_ENV": "development", "MAKKER_DATABASE_URL": db.app_url}
    sealed = CliRunner().invoke(main, ["audit", "seal"], env=env)
    assert (sealed.exit_code, sealed.output) == (0, "sealed 3 audit rows\n")
    ok = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert ok.exit_code == 0
    assert ok.output.startswith("audit log intact: 3 sealed rows; head 3:")
    head = ok.output.split("; head ")[1].split(";")[0]
    again = CliRunner().invoke(main, ["audit", "verify", "--head", head], env=env)
    assert (again.exit_code, again.output) == (0, ok.output)
    asyncio.run(_as_owner(db, "UPDATE audit_event SET action = 'nothing' WHERE seq = 2"))
    row = asyncio.run(_rows(db.app_url))[1]
    bad = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert bad.exit_code == 1
    assert bad.stderr == (
        f"makker: audit log not intact: audit row 2 (id {row.id}) was altered: its content "
        "no longer matches its seal\n"
    )


async def test_remove_sealed_before_removes_whole_blocks_and_the_chain_continues(db, clock):
    day1, day2, day3 = DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    await _write(db, clock, [day1, day1, day1, day2, day2])
    await _seal(db.app_url)
    await _write(db, clock, [day3])  # not sealed yet: removal seals first
    owner = create_engine(db.owner_url)
    try:
        cut = dt.datetime.combine(day2, dt.time(0), tzinfo=UTC)
        anchor = await remove_sealed_before(owner, cut)
        assert anchor is not None
        assert (anchor.through_seq, anchor.removed_rows) == (3, 3)
        assert await remove_sealed_before(owner, cut) is None  # nothing more before the cut
    finally:
        await owner.dispose()
    rows = await _rows(db.app_url)
    assert [r.seq for r in rows] == [4, 5, 6]
    await _write(db, clock, [day3])
    await _seal(db.app_url)
    verdict = await _verify(db.app_url)
    assert verdict.ok
    assert (verdict.sealed, verdict.starts_after, verdict.head_seq) == (4, 3, 7)
    assert verdict.summary().startswith(
        "audit log intact: 4 sealed rows, continuing after row 3 (older rows removed by "
        "retention); head 7:"
    )
    await _as_owner(db, "DELETE FROM audit_event WHERE seq = 4")
    assert (await _verify(db.app_url)).problem == (
        "audit row 4 is missing: removed from the sealed chain (the chain goes from row 3 to row 5)"
    )


async def test_the_periodic_job_seals_and_logs_a_failure_by_type_only(db, clock, caplog):
    from core.jobs.tick import seal_audit

    await _write(db, clock, [DAY] * 3)
    engine = create_engine(db.app_url)
    try:
        assert await seal_audit(create_sessionmaker(engine)) == 3
    finally:
        await engine.dispose()
    broken = create_engine(db.app_url.replace("makker_", "missing_makker_"))
    try:
        with caplog.at_level("ERROR", logger="makker.jobs"):
            assert await seal_audit(create_sessionmaker(broken)) == 0
    finally:
        await broken.dispose()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "sealing the audit log failed"
    ]


async def test_the_app_seals_its_rows_when_it_stops(db, clock):
    await _write(db, clock, [DAY] * 2)
    app = create_app(settings_for(db))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/health/live")).status_code == 200
    assert [r.seq for r in await _rows(db.app_url)] == [1, 2]


# -- PostgreSQL: the database enforces insert-only ------------------------------------------


async def _error(url: str, statement: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    except DBAPIError as exc:
        return str(exc.orig).splitlines()[0]
    finally:
        await engine.dispose()
    return "no error"


@pytest.mark.parametrize("backend", ["postgresql"])  # roles and triggers are PostgreSQL's
async def test_postgresql_app_role_may_only_insert_select_and_seal(db, clock, backend):
    await _write(db, clock, [DAY] * 2)
    await _seal(db.app_url)
    await _write(db, clock, [DAY])  # row 3 stays unsealed
    denied = "permission denied for table audit_event"
    app = db.app_url
    assert denied in await _error(app, "UPDATE audit_event SET action = 'x'")
    assert denied in await _error(app, "DELETE FROM audit_event")
    assert denied in await _error(app, "TRUNCATE audit_event")
    assert "permission denied for table audit_seal_anchor" in await _error(
        app,
        "INSERT INTO audit_seal_anchor VALUES (9, 'x', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    # the seal columns: once, by the sealer; a sealed row's seal never changes
    assert "audit_event row 1 is sealed and cannot change" in await _error(
        app, "UPDATE audit_event SET hash = 'x' WHERE seq = 1"
    )
    # the owner is held by the trigger too (it would have to switch it off: verify shows that)
    owner = db.owner_url
    assert "audit_event row 1 is sealed and cannot change" in await _error(
        owner, "UPDATE audit_event SET action = 'x' WHERE seq = 1"
    )
    assert "audit_event rows cannot change; they can only be sealed" in await _error(
        owner, "UPDATE audit_event SET action = 'x' WHERE seq IS NULL"
    )
    assert "audit_event rows are removed only in whole sealed blocks" in await _error(
        owner, "DELETE FROM audit_event WHERE seq = 1"
    )
    assert "audit_event is insert-only: no TRUNCATE" in await _error(owner, "TRUNCATE audit_event")
    assert "audit_seal_anchor is insert-only" in await _error(owner, "TRUNCATE audit_seal_anchor")
    assert await _seal(db.app_url) == 1
    assert (await _verify(db.app_url)).ok
