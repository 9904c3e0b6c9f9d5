"""``makker db backup`` / ``restore`` / ``create-backup-role``: pg_dump and pg_restore under
forced row-level security (docs/operations.md).

Every tenant table has RLS *forced*, so the owner is bound by it: ``pg_dump`` as the owner
stops with "query would be affected by row-level security policy", and with
``--enable-row-security`` it exits 0 having left out every tenant's rows. A complete dump needs
a role with ``BYPASSRLS``: the backup role, read-only. A restore runs as the owner into an
empty database (objects owned by whoever restores, no ownership or grants taken from the
dump), then grants the app role and the backup role again and checks that RLS is forced.

Errors are :class:`BackupError` with a one-line message; the command prints it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from core.db import roles

#: libpq parameters a Makker URL may carry in its query string (asyncpg spells sslmode "ssl").
_LIBPQ_QUERY = {
    "host": "PGHOST",
    "port": "PGPORT",
    "ssl": "PGSSLMODE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


class BackupError(Exception):
    """A backup, restore or role step failed; the message is one line."""


def _one_line(text_: str) -> str:
    lines = [line.strip() for line in text_.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return (errors or lines or ["(no message)"])[0]


def find_tool(name: str, bin_dir: str | None = None) -> str:
    """``pg_dump``/``pg_restore`` from ``bin_dir`` (``MAKKER_PG_BIN``), else from ``PATH``."""
    if bin_dir:
        candidate = Path(bin_dir) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise BackupError(f"{name} not found in MAKKER_PG_BIN={bin_dir}")
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools (the server's major "
            "version or newer) or set MAKKER_PG_BIN to their directory"
        )
    return found


def _parse(url: str, setting: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BackupError(f"{setting} is not a database URL") from None
    if parsed.get_backend_name() != "postgresql":
        raise BackupError(
            f"{setting} must be a postgresql+asyncpg:// URL (backups are for PostgreSQL), "
            f"got {parsed.drivername}://"
        )
    if not parsed.database:
        raise BackupError(f"{setting} names no database")
    return parsed


def libpq_environment(url: str, setting: str) -> dict[str, str]:
    """The ``PG*`` variables pg_dump/pg_restore connect with: the password stays out of the
    command line (and so out of ``ps``)."""
    parsed = _parse(url, setting)
    env = {"PGDATABASE": str(parsed.database)}
    if parsed.host:
        env["PGHOST"] = parsed.host
    if parsed.port:
        env["PGPORT"] = str(parsed.port)
    if parsed.username:
        env["PGUSER"] = parsed.username
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    for key, value in parsed.query.items():
        if key not in _LIBPQ_QUERY:
            raise BackupError(f"{setting}: the URL parameter {key!r} is not supported here")
        env[_LIBPQ_QUERY[key]] = value if isinstance(value, str) else value[-1]
    return env


def _shown(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.username or '?'}@{parsed.host or 'localhost'}/{parsed.database}"


def _run(command: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    full_env.update(env)
    return subprocess.run(command, env=full_env, capture_output=True, text=True, check=False)


async def _query(url: str, work: Any) -> Any:
    from core.db.session import create_engine

    engine = create_engine(url)
    try:
        try:
            conn = await engine.connect()
        except Exception as exc:  # noqa: BLE001 - said in one line
            raise BackupError(f"cannot connect to {_shown(url)}: {_one_line(str(exc))}") from None
        try:
            async with conn.begin():
                return await work(conn)
        except BackupError:
            raise
        except Exception as exc:  # noqa: BLE001 - said in one line
            raise BackupError(f"{_shown(url)}: {_one_line(str(exc))}") from None
        finally:
            await conn.close()
    finally:
        await engine.dispose()


# -- backup ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    tables: int
    role: str


async def _check_backup_role(conn: Any) -> str:
    row = (
        await conn.execute(
            text(
                "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                "WHERE rolname = current_user"
            )
        )
    ).one()
    forced = await conn.scalar(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relrowsecurity"
        )
    )
    if forced and not (row.rolsuper or row.rolbypassrls):
        raise BackupError(
            f"{row.current_user} is bound by row-level security on {forced} tables: a dump "
            "would fail or leave out every tenant's rows; back up as the backup role "
            "(BYPASSRLS, read-only; makker db create-backup-role)"
        )
    return str(row.current_user)


def backup(
    url: str, path: Path, *, bin_dir: str | None = None, force: bool = False
) -> BackupResult:
    """Dump the database at ``url`` (the backup role) to ``path`` in pg_dump's custom format."""
    pg_dump = find_tool("pg_dump", bin_dir)
    env = libpq_environment(url, "MAKKER_BACKUP_DATABASE_URL")
    if path.exists() and not force:
        raise BackupError(f"{path} exists; pass --force to overwrite it")
    role = asyncio.run(_query(url, _check_backup_role))
    partial = path.with_name(path.name + ".partial")
    result = _run([pg_dump, "--format=custom", "--no-password", f"--file={partial}"], env)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {_one_line(result.stderr)}")
    listing = _run([find_tool("pg_restore", bin_dir), "--list", str(partial)], {})
    if listing.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the dump cannot be read back: {_one_line(listing.stderr)}")
    tables = sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
    partial.replace(path)
    return BackupResult(path, path.stat().st_size, tables, role)


# -- restore -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RestoreResult:
    database: str
    revision: str | None
    tables: int
    granted: tuple[str, ...]


async def _relations(conn: Any) -> int:
    return int(
        await conn.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            )
        )
    )


def restore(
    url: str,
    path: Path,
    *,
    app_role: str | None,
    backup_role: str | None = roles.DEFAULT_BACKUP_ROLE,
    bin_dir: str | None = None,
    force: bool = False,
) -> RestoreResult:
    """Restore ``path`` into the database at ``url`` (the owner role), then grant the app role
    DML and the backup role SELECT again and check that every tenant table has RLS forced."""
    pg_restore = find_tool("pg_restore", bin_dir)
    env = libpq_environment(url, "MAKKER_MIGRATION_DATABASE_URL")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if app_role:
        roles.check_role_name(app_role, "MAKKER_DB_APP_ROLE")
    existing = asyncio.run(_query(url, _relations))
    if existing and not force:
        raise BackupError(
            f"database {_shown(url)} is not empty ({existing} tables, views or sequences); "
            "restore into a new empty database, or pass --force to replace what is there"
        )
    command = [
        pg_restore,
        "--no-password",
        "--no-owner",  # everything belongs to the role restoring: the owner
        "--no-acl",  # grants are given again below, to this installation's roles
        "--single-transaction",  # all or nothing
        "--exit-on-error",
        f"--dbname={env['PGDATABASE']}",
    ]
    if existing:
        command += ["--clean", "--if-exists"]
    result = _run([*command, str(path)], env)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was restored): {_one_line(result.stderr)}")

    async def after(conn: Any) -> RestoreResult:
        granted = []
        if app_role:
            await conn.run_sync(lambda c: roles.grant_app_role(c, app_role))
            granted.append(f"{app_role} (read and write)")
        if backup_role and await conn.scalar(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": backup_role}
        ):
            for statement in roles.backup_grant_statements(backup_role, None):
                await conn.execute(text(statement))
            granted.append(f"{backup_role} (read)")
        problems = await conn.run_sync(_rls_problems)
        if problems:
            raise BackupError(f"restored, but not safe to serve: {problems[0]}")
        revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        tables = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        )
        return RestoreResult(_shown(url), revision, int(tables), tuple(granted))

    return asyncio.run(_query(url, after))  # type: ignore[no-any-return]


def _rls_problems(connection: Any) -> list[str]:
    import core.db.models  # noqa: F401 - registers every model
    from core.db.base import tenant_owned_tables
    from core.db.schema_guard import tenant_schema_problems

    return tenant_schema_problems(connection, set(tenant_owned_tables()))


# -- the backup role ---------------------------------------------------------------------------
def create_backup_role(admin_url: str, role: str, owner: str, password: str | None) -> list[str]:
    """Create the backup role or bring it to its definition (idempotent), as a superuser
    connected to the Makker database; return what was done, one line each."""
    database = str(_parse(admin_url, "MAKKER_ADMIN_DATABASE_URL").database)
    statements = roles.backup_role_statements(role, owner, database)

    async def work(conn: Any) -> list[str]:
        if not await conn.scalar(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ):
            raise BackupError(
                "MAKKER_ADMIN_DATABASE_URL must be a superuser's: only one may grant BYPASSRLS"
            )
        if not await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": owner}):
            raise BackupError(f"the owner role {owner} does not exist")
        existed = bool(
            await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        )
        if not existed and password is None:
            raise BackupError(f"set MAKKER_BACKUP_DB_PASSWORD: the role {role} is new")
        for statement in statements:
            await conn.execute(text(statement))
        done = [
            f"role {role}: {'corrected' if existed else 'created'} (LOGIN BYPASSRLS, read-only)"
        ]
        if password is not None:
            alter = await conn.scalar(
                text(roles.SET_PASSWORD), {"role": role, "password": password}
            )
            try:
                await conn.exec_driver_sql(alter)
            except Exception:  # noqa: BLE001 - the statement holds the password: never shown
                raise BackupError(f"setting the password of {role} failed") from None
            done.append(f"role {role}: password set")
        done.append(f"role {role}: SELECT on every table of {database}, now and later ({owner}'s)")
        return done

    return asyncio.run(_query(admin_url, work))  # type: ignore[no-any-return]
