"""The job queue (issue 16): procrastinate on PostgreSQL - several workers defer each minute's
tick once, and a worker runs it in each tenant's scope; ``makker worker`` refuses SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.cli import main
from core.clock import COPENHAGEN
from core.forloeb.planned import PlannedMeetingIn, plan_meeting
from core.jobs import queue
from tests.notification_world import in_context, links, make_pair, outbox, runtime_for


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_several_workers_defer_and_run_each_minutes_tick_once(
    backend, database, sessionmaker, tenants, clock
):
    from procrastinate.periodic import PeriodicDeferrer

    clock.set(dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    data = PlannedMeetingIn(day="2026-12-03", time="14:00", place="Caféen")
    await in_context(
        sessionmaker,
        tenants.a,
        lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(tenants.a)),
    )
    apps = [queue.queue_app(database.app_url) for _ in range(3)]
    minute = 1_796_000_040 - 1_796_000_040 % 60
    try:
        for app in apps:
            await app.open_async()
        for app in apps:  # three workers' deferrers see the same minute
            deferrer = PeriodicDeferrer(app.periodic_registry)
            tasks = list(app.periodic_registry.periodic_tasks.values())
            await deferrer.defer_jobs([(task, minute) for task in tasks])
        engine = create_async_engine(database.owner_url)
        async with engine.connect() as conn:
            jobs = (
                await conn.execute(
                    text(
                        "SELECT task_name, status FROM procrastinate.procrastinate_jobs ORDER BY id"
                    )
                )
            ).all()
        assert [tuple(j) for j in jobs] == [("makker.tick", "todo")]
        queue._runtime = runtime_for(sessionmaker)
        await apps[1].run_worker_async(
            queues=[queue.QUEUE], wait=False, install_signal_handlers=False
        )
        async with engine.connect() as conn:
            jobs = (
                await conn.execute(
                    text(
                        "SELECT status FROM procrastinate.procrastinate_jobs"
                        " WHERE (args->>'timestamp')::bigint = :minute"
                    ),
                    {"minute": minute},
                )
            ).all()
        await engine.dispose()
        # (the worker's own deferrer may have added the real minute's tick: not counted here)
        assert [j[0] for j in jobs] == ["succeeded"]
    finally:
        queue._runtime = None
        for app in apps:
            await app.close_async()
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((r.kind, r.status) for r in rows) == [("meeting_reminder", "sent")] * 2


def test_makker_worker_refuses_sqlite(monkeypatch, tmp_path):
    monkeypatch.setenv("MAKKER_ENV", "development")
    monkeypatch.setenv("MAKKER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3")
    result = CliRunner().invoke(main, ["worker"])
    assert (result.exit_code, result.output.strip()) == (
        2,
        "makker: configuration error: makker worker needs PostgreSQL (MAKKER_DATABASE_URL); "
        "on SQLite the app (makker demo, makker serve) runs the jobs itself",
    )


def test_the_worker_connects_with_the_queue_schema_first():
    assert queue.conninfo("postgresql+asyncpg://makker_app:pw@/makker?host=%2Ftmp%2Fpg") == (
        "dbname=makker user=makker_app password=pw host=/tmp/pg "
        "options='-c search_path=procrastinate'"
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_makker_worker_starts_on_postgresql_and_stops_on_sigterm(backend, database):
    """The command itself: it starts, and SIGTERM stops it cleanly (exit 0)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {
        **os.environ,
        "MAKKER_ENV": "development",
        "MAKKER_DATABASE_URL": database.app_url,
        "MAKKER_LOG_FORMAT": "text",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "worker", "--concurrency", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(4)
        assert worker.poll() is None, worker.stdout.read().decode()[-2000:] if worker.stdout else ""
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        if worker.stdout:
            worker.stdout.close()
