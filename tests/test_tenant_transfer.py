"""``makker tenants export`` / ``import`` (issue 18), on SQLite and PostgreSQL: a populated
municipality (the report tests' hand-built tenant, an encrypted meeting note, two grants) is
exported from the shared test database and imported into a new one under other data keys. Every
table that moves has the same rows per table, the overview report gives the same figures, the
note reads the same and is encrypted with the target's key. A file of another schema revision,
a tenant that exists, a damaged, edited or cut file and a row the database refuses are refused
in one line naming the file (and line), and nothing is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text, update

from core.cli import main
from core.db import encryption
from core.db.base import Base
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Meeting
from core.plugin_api import create_plugin_manager
from core.reports.overview import overview
from core.reports.period import Period
from core.reports.schemas import figures_out
from core.tenancy.models import PartnershipScope, ProgrammePartnership, Tenant, TenantKind
from core.tenancy.transfer import SHARED_OWNED_BY, moved_tables
from tests.report_world import END, START, TODAY, build

NOTE = "Talte om angsten før jobsamtalen"
TARGET_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _development_keys():
    """The CLI configures the process's data keys; the rest of the session expects the
    development ones."""
    yield
    encryption.configure(encryption.keys_for((), _dev_secret()))


def _dev_secret() -> str:
    from core.settings import DEV_SECRET_KEY

    return DEV_SECRET_KEY


async def _makker(*args: str, **env: str):
    """The command in a thread: it runs its own event loop."""
    return await asyncio.to_thread(
        CliRunner().invoke, main, list(args), env={"MAKKER_ENV": "development", **env}
    )


async def _counts(url: str, tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows of the tenant in every table that moves."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
                )
            counts = {}
            for table in [*moved_tables(), Base.metadata.tables["meeting_day_count"]]:
                column = (
                    table.c.id
                    if table.name == "tenant"
                    else table.c.get("tenant_id", table.c.get(SHARED_OWNED_BY.get(table.name, "")))
                )
                counts[table.name] = await conn.scalar(
                    select(func.count()).select_from(table).where(column == tenant_id)
                )
            return counts
    finally:
        await engine.dispose()


async def _overview(sessionmaker, slug: str) -> tuple[object, object]:
    async with sessionmaker() as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            found = await overview(
                session,
                tenant,
                None,
                Period(START, END),
                plugins=create_plugin_manager(),
                today=TODAY,
            )
    return (
        {p.slug: msgspec.to_builtins(figures_out(p.figures)) for p in found.programmes},
        msgspec.to_builtins(figures_out(found.total)),
    )


async def _populate(sessionmaker, tenants) -> None:
    ids = await build(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            first = (await session.execute(select(Meeting.id).order_by(Meeting.id))).scalars()
            await session.execute(
                update(Meeting).where(Meeting.id == next(iter(first))).values(note=NOTE)
            )
    async with sessionmaker() as session, session.begin():
        session.add_all(
            ProgrammePartnership(
                owner_tenant_id=tenants.a.id,
                programme_id=ids["btb"],
                partner_tenant_id=partner.id,
                scope=PartnershipScope.AGGREGATE,
                granted_by="admin-a",
            )
            for partner in (tenants.partner, tenants.b)
        )


def _rewrite(path: Path, change) -> None:
    """Change the file's lines with ``change(lines)`` and seal it again (a checksum that
    matches), as a file of another version or a hand-made one would be."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]
    lines = change(lines)
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    end = json.dumps({"end": {"rows": len(lines) - 1, "sha256": digest}}) + "\n"
    path.write_text("".join(lines) + end, encoding="utf-8")


async def _target_tenants(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list(
                (await conn.execute(text("SELECT slug FROM tenant ORDER BY slug"))).scalars()
            )
    finally:
        await engine.dispose()


async def test_a_tenant_moves_with_all_its_rows_to_a_new_instance(
    database, fresh_database, sessionmaker, tenants, clock, tmp_path
):
    clock.set(TODAY)
    await _populate(sessionmaker, tenants)
    before = await _counts(database.app_url, tenants.a.id)
    assert before["meeting"] and before["forloeb"] and before["programme"] == 2
    assert before["programme_partnership"] == 2
    in_file = sum(before.values()) - before["meeting_day_count"]
    export = tmp_path / "a.jsonl"
    result = await _makker(
        "tenants",
        "export",
        tenants.a.slug,
        "--output",
        str(export),
        MAKKER_DATABASE_URL=database.app_url,
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"exported {tenants.a.slug}: {in_file} rows of ")
    assert f"to {export}\n" in result.output
    assert export.stat().st_mode & 0o777 == 0o600
    text_ = export.read_text(encoding="utf-8")
    assert NOTE in text_  # in clear: the target has other keys
    assert "enc1:" not in text_

    target = fresh_database
    target.upgrade()
    target_maker = create_sessionmaker(create_engine(target.app_url))
    partner_here = Tenant(
        slug=tenants.partner.slug, name="Partner", kind=TenantKind.PARTNER, plugins={}
    )
    async with target_maker() as session, session.begin():
        session.add(partner_here)
    result = await _makker(
        "tenants",
        "import",
        str(export),
        MAKKER_DATABASE_URL=target.app_url,
        MAKKER_DATA_KEYS=TARGET_KEY,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    grant_line = next(i for i, line in enumerate(text_.splitlines(), 1) if tenants.b.slug in line)
    assert lines == [
        f"skipped line {grant_line}: the grant to {tenants.b.slug} is skipped: no such tenant "
        "here (grant it again once it exists)",
        f"imported {tenants.a.slug}: {in_file - 1} rows from {export}",
        "next: copy its tenant file into MAKKER_TENANTS_DIR and run makker tenants sync",
    ]
    after = await _counts(target.app_url, tenants.a.id)
    assert after == {**before, "programme_partnership": 1}
    # The grant points at the partner of the target (its own id).
    async with target_maker() as session:
        grant = (await session.execute(select(ProgrammePartnership))).scalar_one()
    assert grant.partner_tenant_id == partner_here.id

    # The same overview, and the note is encrypted with the target's key.
    moved, kept = (
        await _overview(target_maker, tenants.a.slug),
        await _overview(sessionmaker, tenants.a.slug),
    )
    assert moved == kept
    engine = create_engine(target.app_url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenants.a.id)}
                )
            stored = await conn.scalar(text("SELECT note FROM meeting WHERE note IS NOT NULL"))
    finally:
        await engine.dispose()
    target_key_id = encryption.key_id(TARGET_KEY.encode())
    assert stored.startswith(f"enc1:{target_key_id}:")
    with tenant_scope(tenants.a.id):
        async with target_maker() as session:
            notes = await session.execute(select(Meeting.note).where(Meeting.note.is_not(None)))
            assert list(notes.scalars()) == [NOTE]

    # A second import of the same file: the tenant exists.
    again = await _makker("tenants", "import", str(export), MAKKER_DATABASE_URL=target.app_url)
    assert (again.exit_code, again.output) == (
        1,
        f"makker: {export}: a tenant {tenants.a.slug!r} already exists here; nothing was "
        "imported\n",
    )
    assert await _counts(target.app_url, tenants.a.id) == after


async def test_a_bad_file_is_refused_naming_it_and_nothing_is_stored(
    database, fresh_database, sessionmaker, tenants, clock, tmp_path
):
    clock.set(TODAY)
    await _populate(sessionmaker, tenants)
    export = tmp_path / "a.jsonl"
    result = await _makker(
        "tenants",
        "export",
        tenants.a.slug,
        "--output",
        str(export),
        MAKKER_DATABASE_URL=database.app_url,
    )
    assert result.exit_code == 0, result.output
    again = await _makker(
        "tenants",
        "export",
        tenants.a.slug,
        "--output",
        str(export),
        MAKKER_DATABASE_URL=database.app_url,
    )
    assert (again.exit_code, again.output) == (
        1,
        f"makker: {export} exists; pass --force to overwrite it\n",
    )
    missing = await _makker("tenants", "export", "no-such", MAKKER_DATABASE_URL=database.app_url)
    assert (missing.exit_code, missing.output) == (
        1,
        "makker: no tenant 'no-such' in this database\n",
    )
    target = fresh_database
    target.upgrade()
    original = export.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    count = len(lines)
    header = json.loads(lines[0])
    revision = header["schema_revision"]

    async def refused(path: Path) -> str:
        result = await _makker("tenants", "import", str(path), MAKKER_DATABASE_URL=target.app_url)
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1
        return result.output.removeprefix("makker: ").rstrip("\n")

    cases: list[tuple[str, str]] = []
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-3]), encoding="utf-8")
    cases.append(
        (cut, f"{cut} line {count - 3}: the file ends before its last line: it is incomplete")
    )
    edited = tmp_path / "edited.jsonl"
    edited.write_text(
        original.replace("Borger til Borger", "Borger til borger", 1), encoding="utf-8"
    )
    cases.append(
        (
            edited,
            f"{edited} line {count}: the checksum does not match the lines before "
            "it: the file was changed or damaged",
        )
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        "".join([*lines[:4], lines[4][: len(lines[4]) // 2] + "\n", *lines[5:]]), encoding="utf-8"
    )
    cases.append((broken, f"{broken} line 5: not valid JSON ("))
    other = tmp_path / "other.jsonl"
    other.write_text(original, encoding="utf-8")
    _rewrite(other, lambda ls: [json.dumps({**header, "schema_revision": "0001"}) + "\n", *ls[1:]])
    cases.append(
        (
            other,
            f"{other} was exported at schema revision 0001; this database is at "
            f"{revision}: bring both to the same Makker version (makker db upgrade) and "
            "export again",
        )
    )
    alien = tmp_path / "alien.jsonl"
    alien.write_text(original, encoding="utf-8")

    def add_column(ls: list[str]) -> list[str]:
        row = json.loads(ls[2])
        row["row"]["shoe_size"] = 42
        return [*ls[:2], json.dumps(row) + "\n", *ls[3:]]

    _rewrite(alien, add_column)
    table3 = json.loads(lines[2])["table"]
    cases.append(
        (
            alien,
            f"{alien} line 3: the {table3} row does not fit this schema (unknown: "
            "shoe_size; missing: -)",
        )
    )
    for path, expected in cases:
        assert (await refused(path)).startswith(expected), path
    # A row the database refuses (a consent text of a programme that is not in the file) after
    # the tenant's row and others were written: all of it is rolled back.
    orphan = tmp_path / "orphan.jsonl"
    orphan.write_text(original, encoding="utf-8")

    def orphan_row(ls: list[str]) -> list[str]:
        out = []
        for line in ls:
            obj = json.loads(line)
            if obj.get("table") == "course":
                obj["row"]["programme_id"] = str(uuid.uuid4())
            out.append(json.dumps(obj, ensure_ascii=False) + "\n")
        return out

    _rewrite(orphan, orphan_row)
    message = await refused(orphan)
    assert message.startswith(f"{orphan}: the database refused the course rows (")
    assert message.endswith("); nothing was imported")
    assert await _target_tenants(target.app_url) == []
    # The untouched file imports.
    result = await _makker("tenants", "import", str(export), MAKKER_DATABASE_URL=target.app_url)
    assert result.exit_code == 0, result.output
    assert await _target_tenants(target.app_url) == [tenants.a.slug]


async def test_an_unmigrated_database_is_refused_in_one_line(
    database, fresh_database, tenants, tmp_path
):
    """Export from or import into a database that was never migrated: the message says to run
    ``makker db upgrade``, not a driver's traceback about a missing table."""
    export = tmp_path / "a.jsonl"
    done = await _makker(
        "tenants", "export", tenants.a.slug, "--output", str(export),
        MAKKER_DATABASE_URL=database.app_url,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    bare = fresh_database.app_url
    answers = [
        await _makker(
            "tenants", "export", tenants.a.slug, "--output", str(tmp_path / "b.jsonl"),
            MAKKER_DATABASE_URL=bare,
        ),
        await _makker("tenants", "import", str(export), MAKKER_DATABASE_URL=bare),
    ]  # fmt: skip
    assert [(a.exit_code, a.output) for a in answers] == [
        (1, "makker: the database has no schema revision: run makker db upgrade\n")
    ] * 2
    assert not (tmp_path / "b.jsonl").exists()
