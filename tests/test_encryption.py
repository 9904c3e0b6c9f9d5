"""Encryption at rest of Art. 9 free text (issue 15), on SQLite and PostgreSQL: a canary value
in every encrypted column is nowhere in the database file, a raw SELECT or a backup; the
migration encrypts and its downgrade decrypts; `makker keys rotate`; the settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import Text, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.applications.models import Application
from core.cli import main
from core.db import encryption, migrate
from core.db.base import Base
from core.db.encryption import (
    ENCRYPTED_COLUMNS,
    DataKeys,
    EncryptedText,
    configure,
    development_key,
    keys_for,
)
from core.db.key_rotation import rotate
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, ForloebEvent, Meeting
from core.gdpr.models import LegalHold
from core.outcomes.models import QuestionnaireResponse
from core.participants.models import Enrolment, EnrolmentEvent, EnrolmentRole, Intake, Person
from core.settings import DEV_SECRET_KEY, SettingsError, load_settings
from core.tenancy.models import Programme, Tenant
from tests.conftest import make_tenants
from tests.databases import TestDatabase as Database
from tests.test_backup import BACKUP_ROLE, _create_backup_role, _database_name, pg_bin  # noqa: F401

#: The revision before the encryption migration (its downgrade decrypts).
MIGRATION = "0024"
#: The columns of :data:`MIGRATION` (``legal_hold.reason`` came with 0025 and 0026: its own test).
COLUMNS_0024 = {t: cs for t, cs in ENCRYPTED_COLUMNS.items() if t != "legal_hold"}


@pytest.fixture(autouse=True)
def _default_keys() -> Iterator[None]:
    """Each test starts and ends with the development keys of the default settings."""
    configure(keys_for((), DEV_SECRET_KEY))
    yield
    configure(keys_for((), DEV_SECRET_KEY))


def test_the_encrypted_columns_are_the_free_text_columns():
    typed = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    }
    assert typed == {(t, c) for t, cs in ENCRYPTED_COLUMNS.items() for c in cs}
    plain_personal_text = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if type(column.type) is Text and column.info.get("personal_data")
    }
    # A new personal TEXT column fails here: make it EncryptedText (and add it to
    # ENCRYPTED_COLUMNS and a migration like 0024) when it may hold Art. 9 free text, or add it
    # below with the reason it may stay in clear.
    assert plain_personal_text == {
        ("notification", "body"),  # no health data by rule (docs/notifications.md)
    }


def test_a_value_encrypts_differently_each_time_and_names_its_key():
    keys = DataKeys((Fernet.generate_key(),))
    one, two = keys.encrypt("Jeg har svært ved at sove"), keys.encrypt("Jeg har svært ved at sove")
    assert one != two
    assert one.startswith(f"enc1:{keys.current_id}:")
    assert keys.decrypt(one) == keys.decrypt(two) == "Jeg har svært ved at sove"
    assert keys.decrypt("skrevet før kryptering") == "skrevet før kryptering"
    other = DataKeys((Fernet.generate_key(),))
    with pytest.raises(encryption.DataKeyError) as raised:
        other.decrypt(one)
    assert str(raised.value) == (
        f"a value is encrypted with data key {keys.current_id}, not in MAKKER_DATA_KEYS"
    )


async def _world(sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, canary: str):
    """One of each row with an encrypted column, the canary in every such column."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(slug="btb", name="Borger til Borger", type="peer_mentor")
            mentee, mentor = Person(name="Kanarie Mentee"), Person(name="Kanarie Mentor")
            session.add_all([programme, mentee, mentor])
            await session.flush()
            me = Enrolment(
                person_id=mentee.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTEE,
                status="active",
                override_reason=f"override {canary}",
            )
            mo = Enrolment(
                person_id=mentor.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTOR,
                status="active",
            )
            session.add_all([me, mo])
            await session.flush()
            f = Forloeb(
                programme_id=programme.id,
                mentee_enrolment_id=me.id,
                mentor_enrolment_id=mo.id,
                state="active",
                strategy="manual",
                proposed_on=dt.date(2026, 3, 1),
                proposed_by="t",
                frequency="weekly",
                planned_months=6,
            )
            session.add(f)
            await session.flush()
            session.add_all(
                [
                    EnrolmentEvent(
                        enrolment_id=me.id, to_status="active", actor="t", reason=f"r {canary}"
                    ),
                    Intake(
                        enrolment_id=me.id,
                        motivation=f"motivation {canary}",
                        expectations=f"expectations {canary}",
                        wish_activities=f"wish {canary}",
                        challenges=f"challenges {canary}",
                        chemistry_notes=f"chemistry {canary}",
                    ),
                    ForloebEvent(
                        forloeb_id=f.id, to_state="paused", actor="t", reason=f"pause {canary}"
                    ),
                    Meeting(
                        forloeb_id=f.id,
                        day=dt.date(2026, 3, 5),
                        activity="gaatur",
                        duration_minutes=60,
                        note=f"note {canary}",
                        logged_as="mentor",
                        logged_by="t",
                    ),
                    QuestionnaireResponse(
                        forloeb_id=f.id,
                        person_id=mentee.id,
                        role="mentee",
                        instrument="who5",
                        instrument_version="1",
                        occasion="who5:mentee:start:1",
                        occasion_kind="start",
                        occasion_date=dt.date(2026, 3, 1),
                        correction_reason=f"correction {canary}",
                        entered_by="t",
                    ),
                    Application(
                        person_id=mentee.id,
                        enrolment_id=me.id,
                        hope=f"hope {canary}",
                        contact_consent_text="Ja",
                        fingerprint="0" * 64,
                    ),
                ]
            )


async def _read(sessionmaker, tenant: Tenant) -> list[str | None]:
    """Every encrypted value of ``tenant`` through the models (decrypted)."""
    models = {
        m.__tablename__: m
        for m in (
            Intake,
            Enrolment,
            EnrolmentEvent,
            ForloebEvent,
            Meeting,
            QuestionnaireResponse,
            Application,
        )
    }
    values: list[str | None] = []
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            for table, columns in COLUMNS_0024.items():
                model = models[table]
                for column in columns:
                    values += list(await session.scalars(select(getattr(model, column))))
    return values


async def _raw(
    url: str, backend: str, tenant: Tenant, columns_of: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    """Every encrypted column's stored text of ``tenant`` (of 0024, or ``columns_of``), read
    past the models."""
    engine = create_engine(url)
    values: list[str] = []
    try:
        async with engine.begin() as conn:
            if backend == "postgresql":
                await conn.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant.id)}
                )
            tid = str(tenant.id) if backend == "postgresql" else tenant.id.hex
            for table, columns in (columns_of or COLUMNS_0024).items():
                for column in columns:
                    rows = await conn.execute(
                        text(f"SELECT {column} FROM {table} WHERE tenant_id = :t"), {"t": tid}
                    )
                    values += [v for v in rows.scalars() if v is not None]
    finally:
        await engine.dispose()
    return values


def _expected(canary: str) -> list[str]:
    return sorted(
        f"{p} {canary}"
        for p in (
            "motivation",
            "expectations",
            "wish",
            "challenges",
            "chemistry",
            "override",
            "r",
            "pause",
            "note",
            "correction",
            "hope",
        )
    )


async def test_a_canary_is_in_no_stored_value_and_not_in_the_sqlite_file(
    database, sessionmaker, backend
):
    canary = f"KANARIE-{uuid.uuid4().hex}"
    tenants = await make_tenants(sessionmaker)
    await _world(sessionmaker, tenants.a, canary)
    assert sorted(v for v in await _read(sessionmaker, tenants.a) if v) == _expected(canary)
    raw = await _raw(database.owner_url, backend, tenants.a)
    assert len(raw) == 11
    assert all(v.startswith(f"enc1:{encryption.current_keys().current_id}:") for v in raw)
    assert not any(canary in v for v in raw)
    if backend == "sqlite":
        path = Path(database.app_url.split("///", 1)[1])
        stored = b"".join(
            p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        assert canary.encode() not in stored
        assert b"enc1:" in stored


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_canary_is_not_in_a_makker_db_backup(backend, postgres, pg_bin, tmp_path):  # noqa: F811
    db = postgres.create_database()
    db.upgrade()
    canary = f"KANARIE-{uuid.uuid4().hex}"

    async def seed() -> None:
        engine = create_engine(db.app_url)
        try:
            sm = create_sessionmaker(engine)
            await _world(sm, (await make_tenants(sm)).a, canary)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    assert _create_backup_role(postgres, db).exit_code == 0
    dump = tmp_path / "makker.dump"
    backup_url = postgres.url_for(BACKUP_ROLE, _database_name(db))
    result = CliRunner().invoke(
        main,
        ["db", "backup", str(dump)],
        env={
            "MAKKER_ENV": "development",
            "MAKKER_BACKUP_DATABASE_URL": backup_url,
            "MAKKER_PG_BIN": pg_bin,
        },
    )
    assert result.exit_code == 0, result.output
    # the custom format compresses: turn it into plain SQL to look at every value
    plain = subprocess.run(
        [f"{pg_bin}/pg_restore", "--data-only", "--file=-", str(dump)],
        capture_output=True,
        check=True,
    ).stdout
    assert b"Kanarie Mentee" in plain  # the dump holds the rows (names are not encrypted)
    assert plain.count(b"enc1:") >= 11
    assert canary.encode() not in plain
    assert canary.encode() not in dump.read_bytes()


async def test_the_migration_encrypts_existing_rows_and_its_downgrade_decrypts(fresh_database):
    db: Database = fresh_database
    db.upgrade()
    canary = f"KANARIE-{uuid.uuid4().hex}"
    engine = create_engine(db.app_url)
    try:
        sm = create_sessionmaker(engine)
        tenants = await make_tenants(sm)
        await _world(sm, tenants.a, canary)
        previous = migrate_previous()
        db.downgrade(previous)  # decrypts: the values as code before issue 15 wrote them
        raw = await _raw(db.owner_url, db.backend, tenants.a)
        assert len(raw) == 11, (
            f"the downgrade to {previous} lost rows: on SQLite a later migration's "
            "batch_alter_table on a parent table (person) recreates it, and its foreign keys' "
            "ON DELETE CASCADE empties the tables below (use ALTER TABLE ... DROP COLUMN)"
        )
        assert sorted(raw) == _expected(canary)
        assert sorted(v for v in await _read(sm, tenants.a) if v) == _expected(canary)
        db.upgrade()
        raw = await _raw(db.owner_url, db.backend, tenants.a)
        assert len(raw) == 11 and all(v.startswith("enc1:") for v in raw)
        assert not any(canary in v for v in raw)
        assert sorted(v for v in await _read(sm, tenants.a) if v) == _expected(canary)
    finally:
        await engine.dispose()


async def test_migration_0026_encrypts_legal_hold_reasons_and_its_downgrade_decrypts(
    fresh_database,
):
    db: Database = fresh_database
    db.upgrade("0025")
    canary = f"KANARIE-{uuid.uuid4().hex}"
    engine = create_engine(db.app_url)
    try:
        sm = create_sessionmaker(engine)
        tenants = await make_tenants(sm)
        with tenant_scope(tenants.a.id):
            async with sm() as session, session.begin():
                person = Person(name="Kanarie Hold")
                session.add(person)
                await session.flush()
                person_id = person.id
        tid = str(tenants.a.id) if db.backend == "postgresql" else tenants.a.id.hex
        pid = str(person_id) if db.backend == "postgresql" else person_id.hex
        hold_id = uuid.uuid4()
        owner = create_engine(db.owner_url)
        try:
            async with owner.begin() as conn:
                if db.backend == "postgresql":
                    await conn.execute(
                        text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tid}
                    )
                await conn.execute(
                    text(
                        "INSERT INTO legal_hold (id, tenant_id, person_id, reason, ends_on, set_by,"
                        " created_at, updated_at) VALUES (:i, :t, :p, :r, :e, 'admin', :n, :n)"
                    ),
                    {
                        "i": str(hold_id) if db.backend == "postgresql" else hold_id.hex,
                        "t": tid,
                        "p": pid,
                        "r": f"sag {canary}",
                        "e": dt.date(2027, 1, 1),
                        "n": dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
                    },
                )
        finally:
            await owner.dispose()

        async def stored() -> list[str]:
            return await _raw(db.owner_url, db.backend, tenants.a, {"legal_hold": ("reason",)})

        assert await stored() == [f"sag {canary}"]
        db.upgrade()
        raw = await stored()
        assert len(raw) == 1 and raw[0].startswith(f"enc1:{encryption.current_keys().current_id}:")
        assert canary not in raw[0]
        with tenant_scope(tenants.a.id):
            async with sm() as session:
                assert list(await session.scalars(select(LegalHold.reason))) == [f"sag {canary}"]
        db.downgrade("0025")
        assert await stored() == [f"sag {canary}"]
    finally:
        await engine.dispose()


def migrate_previous() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite+aiosqlite://"))
    down = script.get_revision(MIGRATION).down_revision
    assert isinstance(down, str)
    return down


async def test_keys_rotate_re_encrypts_every_value_with_the_new_key(fresh_database):
    db: Database = fresh_database
    db.upgrade()
    old, new = Fernet.generate_key(), Fernet.generate_key()
    canary = f"KANARIE-{uuid.uuid4().hex}"
    engine = create_engine(db.app_url)
    try:
        sm = create_sessionmaker(engine)
        configure(DataKeys((old,)))
        tenants = await make_tenants(sm)
        await _world(sm, tenants.a, canary)
        await _world(sm, tenants.b, canary)
        configure(DataKeys((new, old)))  # every process has the new key first, then:
        assert await rotate(engine, batch=4) == 22
        assert await rotate(engine) == 0
        new_id = DataKeys((new,)).current_id
        for tenant in (tenants.a, tenants.b):
            raw = await _raw(db.owner_url, db.backend, tenant)
            assert len(raw) == 11 and all(v.startswith(f"enc1:{new_id}:") for v in raw)
        configure(DataKeys((new,)))  # the old key is gone
        assert sorted(v for v in await _read(sm, tenants.b) if v) == _expected(canary)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])  # a second writer inside the batch
async def test_keys_rotate_leaves_a_value_the_app_changed_meanwhile(
    backend, fresh_database, monkeypatch
):
    import psycopg

    from core.db import key_rotation

    db: Database = fresh_database
    db.upgrade()
    old, new = Fernet.generate_key(), Fernet.generate_key()
    engine = create_engine(db.app_url)
    try:
        sm = create_sessionmaker(engine)
        configure(DataKeys((old,)))
        tenants = await make_tenants(sm)
        await _world(sm, tenants.a, "KANARIE")
        configure(DataKeys((new, old)))
        real = key_rotation._again

        def again_while_the_app_writes(keys: DataKeys, stored: str) -> str:
            if keys.decrypt(stored).startswith("note "):
                # the app saves the meeting note between the batch's read and its write
                dsn = db.app_url.replace("postgresql+asyncpg", "postgresql", 1)
                with psycopg.connect(dsn, autocommit=True) as app:
                    app.execute(
                        "SELECT set_config('app.tenant_id', %s, false)", (str(tenants.a.id),)
                    )
                    saved = app.execute(
                        "UPDATE meeting SET note = %s", (keys.encrypt("saved meanwhile"),)
                    )
                    assert saved.rowcount == 1
            return real(keys, stored)

        monkeypatch.setattr(key_rotation, "_again", again_while_the_app_writes)
        await rotate(engine)
        with tenant_scope(tenants.a.id):
            async with sm() as session:
                assert await session.scalar(select(Meeting.note)) == "saved meanwhile"
        new_id = DataKeys((new,)).current_id
        raw = await _raw(db.owner_url, db.backend, tenants.a)
        assert len(raw) == 11 and all(v.startswith(f"enc1:{new_id}:") for v in raw)
    finally:
        await engine.dispose()


def test_makker_keys_rotate_and_new(fresh_database):
    db: Database = fresh_database
    db.upgrade()
    dev = development_key(DEV_SECRET_KEY).decode()
    canary = "KANARIE"

    async def seed() -> None:
        engine = create_engine(db.app_url)
        try:
            sm = create_sessionmaker(engine)
            await _world(sm, (await make_tenants(sm)).a, canary)
        finally:
            await engine.dispose()

    asyncio.run(seed())  # with the development key
    made = CliRunner().invoke(main, ["keys", "new"])
    assert made.exit_code == 0
    key = made.output.strip()
    assert len(Fernet(key.encode())._signing_key) == 16
    env = {
        "MAKKER_ENV": "development",
        "MAKKER_DATABASE_URL": db.app_url,
        "MAKKER_DATA_KEYS": f"{key},{dev}",
    }
    result = CliRunner().invoke(main, ["keys", "rotate"], env=env)
    assert (result.exit_code, result.output) == (
        0,
        f"re-encrypted 11 values with data key {DataKeys((key.encode(),)).current_id}\n",
    )
    missing = CliRunner().invoke(
        main, ["keys", "rotate"], env={**env, "MAKKER_DATA_KEYS": Fernet.generate_key().decode()}
    )
    assert missing.exit_code == 1
    assert missing.stderr == (
        f"makker: a value is encrypted with data key {DataKeys((key.encode(),)).current_id}, "
        "not in MAKKER_DATA_KEYS\n"
    )


PRODUCTION = {
    "MAKKER_ENV": "production",
    "MAKKER_DATABASE_URL": "postgresql+asyncpg://makker_app@db/makker",
    "MAKKER_SECRET_KEY": "x" * 32,
    "MAKKER_BASE_URL": "https://makker.example.dk",
    "MAKKER_OIDC_ISSUER": "https://login.example.dk/realms/makker",
    "MAKKER_OIDC_CLIENT_SECRET": "s3cret",
}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            None,
            "MAKKER_DATA_KEYS is required when MAKKER_ENV=production (the key that encrypts "
            "health notes at rest; make one with `makker keys new`)",
        ),
        (
            "not-a-key",
            "MAKKER_DATA_KEYS: key 1 is not a Fernet key (32 bytes in URL-safe base64, as "
            "`makker keys new` prints)",
        ),
        (
            development_key(DEV_SECRET_KEY).decode(),
            "MAKKER_DATA_KEYS holds the development key from the repository; production needs "
            "a key of its own",
        ),
    ],
)
def test_production_refuses_to_start_without_a_data_key_of_its_own(keys, message):
    env = dict(PRODUCTION)
    if keys is not None:
        env["MAKKER_DATA_KEYS"] = keys
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value) == message


def test_production_takes_its_keys_and_development_derives_one():
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings({**PRODUCTION, "MAKKER_DATA_KEYS": f" {first} , {second} "})
    assert settings.data_keys == (first, second)
    dev = load_settings({"MAKKER_ENV": "development", "MAKKER_SECRET_KEY": "d" * 40})
    assert dev.data_keys == ()
    keys = keys_for(dev.data_keys, dev.secret_key)
    assert keys.keys == (development_key("d" * 40), development_key(DEV_SECRET_KEY))
    assert keys_for(dev.data_keys, dev.secret_key).keys == keys.keys  # deterministic
