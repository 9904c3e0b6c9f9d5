"""Engines and sessions. Every session uses :class:`core.db.tenant_scope.TenantSession`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from core.db.tenant_scope import TenantSession


def create_engine(url: str, *, immediate: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; on SQLite foreign keys are switched on for every connection.

    ``hide_parameters``: an error's message never carries the statement's values (personal
    data) into a log. On PostgreSQL every connection has ``plan_cache_mode =
    force_custom_plan`` (see below).

    ``immediate`` (the application's engine): on SQLite every transaction begins with
    ``BEGIN IMMEDIATE``: a request's transaction reads
    and then writes (at least its audit row), and two such deferred transactions on SQLite can
    deadlock, one of them failing at once with "database is locked". Taking the write lock at
    the start makes concurrent requests wait their turn (up to the busy timeout) instead."""
    kwargs.setdefault("hide_parameters", True)
    if str(url).startswith("postgresql"):
        # Every execution planned with its own values. asyncpg prepares each statement once per
        # connection, and after five executions PostgreSQL may switch a prepared statement to a
        # generic plan, made without the values: for the reports that plan was a nested loop
        # over every row - the overview's sixth run took 44.7 s instead of 155 ms
        # (docs/reports.md, "Speed"). Planning the small statements again costs a fraction of
        # a millisecond; parsing stays prepared.
        settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
        settings.setdefault("plan_cache_mode", "force_custom_plan")
    engine = _create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()
            if immediate:
                # The driver must not open transactions itself: the "begin" listener does.
                dbapi_connection.isolation_level = None

        if immediate:

            @event.listens_for(engine.sync_engine, "begin")
            def _sqlite_begin_immediate(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_app_engine(url: str, pool_size: int, pool_timeout: float) -> AsyncEngine:
    """The application's engine: a bounded pool (``pool_size`` connections, no overflow) whose
    checkout waits at most ``pool_timeout`` seconds; the pipeline answers 503 after that.
    No pre-ping: a dropped connection is detected on use and replaced by the pool."""
    return create_engine(
        url,
        immediate=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_recycle=1800,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TenantSession)
