"""The job queue (issue 16): procrastinate on PostgreSQL - several workers defer each minute's
tick once, and a worker runs it in each tenant's scope; ``makker worker`` refuses SQLite, where
the app runs the same tick in its own process. The tick walks every tenant, so the tests that
prove it use a database of their own (the shared one holds thousands late in a full run)."""

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
from tests.notification_world import (
    in_context,
    links,
    make_pair,
    only_tenants,
    outbox,
    runtime_for,
)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_several_workers_defer_and_run_each_minutes_tick_once(
    backend, database, sessionmaker, tenants, clock, monkeypatch
):
    from procrastinate.periodic import PeriodicDeferrer

    only_tenants(monkeypatch, tenants.a)

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


async def _own_database(fresh_database):
    """A migrated database of the test's own, with two municipalities and a partner only."""
    from core.db.session import create_engine, create_sessionmaker
    from tests.conftest import make_tenants

    fresh_database.upgrade()
    engine = create_engine(fresh_database.app_url)
    sessionmaker = create_sessionmaker(engine)
    return engine, sessionmaker, await make_tenants(sessionmaker)


async def _plan_tomorrow(sessionmaker, tenant) -> None:
    pair = await make_pair(sessionmaker, tenant, dt.date(2026, 11, 1))
    data = PlannedMeetingIn(day="2026-12-03", time="14:00", place="Caféen")
    await in_context(
        sessionmaker, tenant, lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(tenant))
    )


async def test_the_tick_walks_every_tenant_each_in_its_own_scope(fresh_database, clock):
    """``tick`` (what the worker and the in-process runner call) works on every tenant; each
    tenant's reminders are sent in its own run, none of another's."""
    from core.jobs.tick import tick

    engine, sessionmaker, tenants = await _own_database(fresh_database)
    try:
        clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=COPENHAGEN))
        await _plan_tomorrow(sessionmaker, tenants.a)
        await _plan_tomorrow(sessionmaker, tenants.b)
        clock.set(dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN))
        report = await tick(runtime_for(sessionmaker))
        slugs = sorted(t.slug for t in (tenants.a, tenants.b, tenants.partner))
        assert sorted(report.written) == slugs
        assert sorted(report.delivered) == slugs
        assert {slug: d.sent for slug, d in report.delivered.items()} == {
            tenants.a.slug: 2,
            tenants.b.slug: 2,
            tenants.partner.slug: 0,
        }
        for tenant in (tenants.a, tenants.b):
            rows = await outbox(sessionmaker, tenant)
            assert {r.tenant_id for r in rows} == {tenant.id}
            assert [r.status for r in rows] == ["sent", "sent"]
        again = await tick(runtime_for(sessionmaker))  # idempotent: nothing new
        assert sum(d.sent for d in again.delivered.values()) == 0
    finally:
        await engine.dispose()


async def test_a_tenant_that_fails_is_logged_by_type_and_the_others_go_on(
    fresh_database, clock, monkeypatch, caplog
):
    from core.jobs import tick as tick_module

    engine, sessionmaker, tenants = await _own_database(fresh_database)
    real = tick_module.tick_tenant

    async def failing(runtime, tenant):
        if tenant.id == tenants.a.id:
            raise ValueError("Anna Demosen 01234567")  # a message that quotes a person
        return await real(runtime, tenant)

    monkeypatch.setattr(tick_module, "tick_tenant", failing)
    try:
        clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=COPENHAGEN))
        await _plan_tomorrow(sessionmaker, tenants.b)
        clock.set(dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN))
        with caplog.at_level("ERROR", logger="makker.jobs"):
            report = await tick_module.tick(runtime_for(sessionmaker))
        assert sorted(report.delivered) == sorted([tenants.b.slug, tenants.partner.slug])
        assert report.delivered[tenants.b.slug].sent == 2
        assert [r.getMessage() for r in caplog.records if r.name == "makker.jobs"] == [
            f"the periodic job failed for tenant {tenants.a.slug} (ValueError)"
        ]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_on_sqlite_the_app_process_runs_the_tick_itself(backend, fresh_database, clock):
    """The embedded default (``makker demo``): no queue, no worker - the app's lifespan starts
    :class:`InProcessJobs`, which runs the same tick every interval until it is stopped."""
    import asyncio

    from core.jobs.inprocess import InProcessJobs, in_process_jobs
    from core.plugin_api import create_plugin_manager
    from core.settings import Settings, load_settings

    assert load_settings(
        {"MAKKER_ENV": "development", "MAKKER_DATABASE_URL": "sqlite+aiosqlite:///x.sqlite3"}
    ).jobs_in_app
    engine, sessionmaker, tenants = await _own_database(fresh_database)
    plugins = create_plugin_manager()
    assert in_process_jobs(sessionmaker, Settings(), plugins) is None  # PostgreSQL: the worker
    clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=COPENHAGEN))
    await _plan_tomorrow(sessionmaker, tenants.a)
    clock.set(dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN))
    jobs = in_process_jobs(sessionmaker, Settings(jobs_in_app=True), plugins)
    assert isinstance(jobs, InProcessJobs)
    try:
        for _ in range(300):  # up to 30 s (the first run starts at once)
            rows = await outbox(sessionmaker, tenants.a)
            if [r.status for r in rows] == ["sent", "sent"]:
                break
            await asyncio.sleep(0.1)
        assert [(r.kind, r.status, r.transport) for r in rows] == [
            ("meeting_reminder", "sent", "mailbox")
        ] * 2
    finally:
        await jobs.stop()
        await engine.dispose()
    assert jobs._task is None
