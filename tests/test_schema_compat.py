"""Readiness accepts the range of schemas the code runs against (expand/contract,
docs/deploy.md), and ``makker db current`` says where a database stands.

The rollout test plays two releases: "newer code" is a copy of the migrations with an expand
step and then a contract step added; this code is the old image.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import inspect, text

from core.app import create_app
from core.cli import main
from core.db import schema_compat
from core.db.migrate import MIGRATIONS_DIR, _run_outside_event_loop
from core.db.models import Base
from core.db.session import create_engine
from tests.conftest import settings_for
from tests.databases import APP_ROLE
from tests.databases import TestDatabase as Database

OLDEST = schema_compat.OLDEST_SCHEMA_REVISION
HEAD = schema_compat.head()
BELOW = schema_compat.known_revisions()[schema_compat.known_revisions().index(OLDEST) - 1]
#: How a message names the supported range ("0013" when the oldest is the newest).
SUPPORTED = OLDEST if OLDEST == HEAD else f"{OLDEST} to {HEAD}"


async def _ready(database: Database) -> tuple[int, dict[str, str]]:
    async with AsyncTestClient(app=create_app(settings_for(database))) as client:
        response = await client.get("/health/ready")
    return response.status_code, response.json()


async def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


# -- the range ---------------------------------------------------------------------------------
def test_the_supported_range_is_known_revisions():
    revisions = schema_compat.known_revisions()
    assert revisions[0] == "0001" and revisions[-1] == HEAD
    assert revisions.index(OLDEST) <= revisions.index(HEAD)
    # OLDEST may be HEAD: code that uses its newest migration at once (0013's audit columns)
    # runs on nothing older; the range then lies above HEAD (tests with newer_code below).


def test_contract_declarations_are_sound():
    """``breaks_code_before`` names an earlier-or-same known revision and never goes back."""
    script = schema_compat._script_directory()
    revisions = schema_compat.known_revisions()
    previous = revisions[0]
    for rev in revisions:
        declared = getattr(script.get_revision(rev).module, schema_compat.BREAKS_CODE_BEFORE, None)
        if declared is None:
            continue
        assert declared in revisions, rev
        assert revisions.index(declared) <= revisions.index(rev), rev
        assert revisions.index(declared) >= revisions.index(previous), rev
        previous = declared


async def test_every_mapped_column_exists_at_the_oldest_supported_revision(fresh_database):
    """The code's models are what it needs of the schema: all of it must be there at
    OLDEST_SCHEMA_REVISION, else that constant must be raised."""
    fresh_database.upgrade(OLDEST)

    def present(conn):
        inspector = inspect(conn)
        return {
            t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()
        }

    engine = create_engine(fresh_database.owner_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(present)
    finally:
        await engine.dispose()
    missing = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        if table.name not in schema_compat.OPTIONAL_TABLES
        for column in table.columns
        if column.name not in tables.get(table.name, set())
    ]
    assert missing == [], f"missing at {OLDEST}: raise OLDEST_SCHEMA_REVISION"


# -- readiness ---------------------------------------------------------------------------------
async def test_ready_at_head(database):
    assert await _ready(database) == (200, {"status": "ready", "database": "ok"})


async def test_ready_at_the_oldest_supported_revision(fresh_database):
    fresh_database.upgrade(OLDEST)
    assert await _ready(fresh_database) == (200, {"status": "ready", "database": "ok"})


async def test_not_ready_below_the_oldest_supported_revision(fresh_database):
    fresh_database.upgrade(BELOW)
    assert await _ready(fresh_database) == (
        503,
        {
            "status": "unavailable",
            "database": "migrations pending",
            "reason": f"schema {BELOW}: older than this code supports ({SUPPORTED}); "
            "run makker db upgrade",
        },
    )


async def test_not_ready_when_never_migrated(fresh_database):
    assert await _ready(fresh_database) == (
        503,
        {
            "status": "unavailable",
            "database": "migrations pending",
            "reason": "no migrations applied; run makker db upgrade",
        },
    )


async def test_unreachable_database_is_not_ready(tmp_path):
    missing = Database("sqlite", "x", f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db")
    assert await _ready(missing) == (503, {"status": "unavailable", "database": "unreachable"})


@pytest.mark.parametrize(
    ("oldest_code", "expected"),
    [
        ("0001", (200, {"status": "ready", "database": "ok"})),
        (
            "9998",
            (
                503,
                {
                    "status": "unavailable",
                    "database": "schema too new",
                    "reason": f"schema 9999: newer than this code's {HEAD}; "
                    "needs code from 9998 on",
                },
            ),
        ),
    ],
)
async def test_a_newer_schema_is_judged_by_what_it_says_of_older_code(
    fresh_database, oldest_code, expected
):
    fresh_database.upgrade()
    await _execute(
        fresh_database.owner_url,
        "UPDATE alembic_version SET version_num = '9999'",
        f"UPDATE schema_compatibility SET oldest_code_revision = '{oldest_code}'",
    )
    assert await _ready(fresh_database) == expected


# -- a release, played through -----------------------------------------------------------------
EXPAND = '''"""a newer release's expand step"""
import sqlalchemy as sa
from alembic import op

revision = "next_expand"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("release_probe", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("release_probe")
'''

CONTRACT = '''"""the release after: a contract step (code from next_expand on does without it)"""
from alembic import op

revision = "next_contract"
down_revision = "next_expand"
branch_labels = None
depends_on = None
breaks_code_before = "next_expand"


def upgrade():
    op.execute("ALTER TABLE tenant DROP COLUMN accessibility_statement_url")


def downgrade():
    import sqlalchemy as sa

    op.add_column("tenant", sa.Column("accessibility_statement_url", sa.String(500)))
'''


@pytest.fixture
def newer_code(tmp_path: Path):
    """The migrations of two later releases: an expand step, then a contract step."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "next_expand.py").write_text(EXPAND.replace("{head}", HEAD))
    (directory / "versions" / "next_contract.py").write_text(CONTRACT)

    def run(database: Database, verb: str, revision: str) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(directory))
        cfg.attributes["database_url"] = database.owner_url
        cfg.attributes["app_role"] = APP_ROLE if database.backend == "postgresql" else None
        _run_outside_event_loop(lambda: getattr(command, verb)(cfg, revision))

    return run


async def test_migration_job_before_rollout_and_rollback(fresh_database, newer_code):
    db = fresh_database
    db.upgrade()
    assert (await _ready(db))[0] == 200
    # The new release's Job runs first: an expand step; this (old) code stays ready.
    newer_code(db, "upgrade", "next_expand")
    assert await _ready(db) == (200, {"status": "ready", "database": "ok"})
    # A later release contracts what this code used: it steps out, saying why.
    newer_code(db, "upgrade", "next_contract")
    status, body = await _ready(db)
    assert (status, body["database"]) == (503, "schema too new")
    assert body["reason"] == (
        f"schema next_contract: newer than this code's {HEAD}; needs code from next_expand on"
    )
    # Rolling back to this image means first taking the schema back (with the newer image).
    newer_code(db, "downgrade", HEAD)
    assert await _ready(db) == (200, {"status": "ready", "database": "ok"})


# -- makker db current -------------------------------------------------------------------------
def _current(database: Database, *args: str):
    env = {
        "MAKKER_ENV": "development",
        "MAKKER_DATABASE_URL": database.app_url,
        "MAKKER_MIGRATION_DATABASE_URL": database.owner_url,
    }
    return CliRunner().invoke(main, ["db", "current", *args], env=env)


def test_db_current_prints_the_revision(fresh_database):
    result = _current(fresh_database)
    assert (result.exit_code, result.output) == (
        0,
        "none (no migrations applied; run makker db upgrade)\n",
    )
    assert _current(fresh_database, "--check").exit_code == 1
    fresh_database.upgrade(BELOW)
    result = _current(fresh_database, "--check")
    assert (result.exit_code, result.output) == (
        1,
        f"{BELOW} (older than this code supports ({SUPPORTED}); run makker db upgrade)\n",
    )
    fresh_database.upgrade(OLDEST)
    note = "head" if OLDEST == HEAD else f"supported; this code's head is {HEAD}"
    assert _current(fresh_database).output == f"{OLDEST} ({note})\n"
    fresh_database.upgrade()
    result = _current(fresh_database, "--check")
    assert (result.exit_code, result.output) == (0, f"{HEAD} (head)\n")


def test_db_current_reports_an_unreachable_database_in_one_line(postgres):
    url = postgres.url_for(APP_ROLE, "no_such_database")
    result = _current(Database("postgresql", url, url))
    assert result.exit_code == 1
    assert result.output.startswith("makker: cannot read the schema revision from postgresql")
    assert "no_such_database" in result.output
    assert result.output.count("\n") == 1


async def test_a_connection_that_fails_mid_check_is_unreachable_not_migrations_pending(database):
    """The connection is had (a pooled one, say) but dies with the server under the check's
    first statement: readiness says the database is unreachable, not that migrations are
    pending (which would send the operator to ``makker db upgrade`` during an outage)."""
    from sqlalchemy import event

    app = create_app(settings_for(database))

    def cut(*_: object) -> None:
        raise ConnectionResetError("connection reset by peer")

    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/health/ready")).status_code == 200
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", cut)
        try:
            response = await client.get("/health/ready")
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", cut)
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
    with pytest.raises(ConnectionResetError):
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", cut)
        try:
            await schema_compat.read_state(app.state.engine)
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", cut)
