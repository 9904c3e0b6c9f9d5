"""The PostgreSQL job queue: procrastinate (docs/notifications.md says why not SAQ).

``makker worker`` runs :func:`run_worker`: a procrastinate worker on the queue ``makker`` whose
one periodic task, ``makker.tick``, is deferred every minute. Procrastinate defers a periodic
task through a row unique per task and minute (``procrastinate_periodic_defers``), so however
many workers run, each minute's tick is deferred - and run - once; the tick is idempotent on top
of that. The queue's tables live in the schema ``procrastinate`` (migration 0015); the worker
connects with psycopg (procrastinate's driver) as the app role, with that schema first on its
search path.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from core.db.roles import QUEUE_SCHEMA
from core.db.session import create_app_engine, create_sessionmaker
from core.jobs.tick import JobRuntime, tick
from core.notifications.setup import make_transports
from core.plugin_api import MakkerPluginManager, create_plugin_manager
from core.settings import Settings

logger = logging.getLogger("makker.jobs")
QUEUE = "makker"
#: The runtime of this worker process (procrastinate's tasks take JSON arguments only).
_runtime: JobRuntime | None = None


def conninfo(database_url: str) -> str:
    """A libpq connection string for the SQLAlchemy URL (``postgresql+asyncpg://...``, also
    with a unix socket in ``?host=``), with the queue's schema on the search path."""
    url = make_url(database_url)
    host = url.host or url.query.get("host")
    params: dict[str, Any] = {
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
        "host": host if isinstance(host, str) else (host[0] if host else None),
        "port": url.port,
        "options": f"-c search_path={QUEUE_SCHEMA}",
    }
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def queue_app(database_url: str) -> procrastinate.App:
    """The procrastinate app on ``database_url`` with Makker's tasks."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )

    @app.periodic(cron="* * * * *", periodic_id="tick")
    @app.task(name="makker.tick", queue=QUEUE, queueing_lock="makker.tick", pass_context=False)
    # No `lock`: a tick of a worker that died would hold it for ever. Two ticks at once are
    # harmless - writing is idempotent and a row is claimed by one delivery only.
    async def makker_tick(timestamp: int) -> None:
        if _runtime is None:
            raise RuntimeError("the job runtime is not set up (run `makker worker`)")
        report = await tick(_runtime)
        logger.info(
            "tick %d: %d written, %d sent",
            timestamp,
            sum(report.written.values()),
            sum(d.sent for d in report.delivered.values()),
        )

    return app


def runtime_for(settings: Settings, plugins: MakkerPluginManager | None = None) -> JobRuntime:
    plugins = plugins or create_plugin_manager(settings.plugins)
    engine = create_app_engine(settings.database_url, settings.db_pool_size, 30.0)
    return JobRuntime(
        create_sessionmaker(engine), settings, plugins, make_transports(settings, plugins)
    )


async def run_worker(settings: Settings, *, concurrency: int = 1) -> None:
    """``makker worker``: run the queue's jobs until SIGINT/SIGTERM."""
    global _runtime
    _runtime = runtime_for(settings)
    app = queue_app(settings.database_url)
    async with app.open_async():
        await app.run_worker_async(
            queues=[QUEUE], concurrency=concurrency, delete_jobs="successful"
        )
    await _runtime.sessionmaker.kw["bind"].dispose()


def main(settings: Settings, *, concurrency: int = 1) -> None:
    """``makker worker``'s entry: run the worker until it is told to stop."""
    asyncio.run(run_worker(settings, concurrency=concurrency))
