"""At start-up the app says in the log when its database does not answer or is not migrated,
and still starts (readiness answers 503 until the database is there)."""

from __future__ import annotations

import logging
from pathlib import Path

from litestar.testing import AsyncTestClient

from core.app import create_app
from core.db.session import create_app_engine
from core.web.health import report_database_at_start
from tests.conftest import settings_for


async def test_an_unreachable_database_is_a_warning_without_the_url(caplog):
    engine = create_app_engine("postgresql+asyncpg://makker:hemmelig@127.0.0.1:9/makker", 1, 1.0)
    with caplog.at_level(logging.WARNING, logger="makker.health"):
        ready = await report_database_at_start(engine, timeout=5.0)
    await engine.dispose()
    assert ready is False
    assert [r.getMessage() for r in caplog.records] == [
        "database unreachable at start-up (ConnectionRefusedError); /health/ready answers 503 "
        "until it answers"
    ]


async def test_a_database_without_migrations_is_a_warning(tmp_path: Path, caplog):
    engine = create_app_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}", 1, 1.0)
    with caplog.at_level(logging.WARNING, logger="makker.health"):
        ready = await report_database_at_start(engine)
    await engine.dispose()
    assert ready is False
    assert [r.getMessage() for r in caplog.records] == [
        "database schema not ready at start-up: migrations pending (no migrations applied; run "
        "makker db upgrade)"
    ]


async def test_a_migrated_database_starts_without_a_warning(database, caplog):
    with caplog.at_level(logging.WARNING, logger="makker.health"):
        async with AsyncTestClient(app=create_app(settings_for(database))) as client:
            response = await client.get("/health/ready")
    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == "makker.health"] == []
