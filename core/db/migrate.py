"""Alembic, driven from Python (``makker db ...``); no alembic.ini needed.

Migrations run with ``MAKKER_MIGRATION_DATABASE_URL`` (the owner role on PostgreSQL). When
``MAKKER_DB_APP_ROLE`` is set, every upgrade grants that role DML on all tables (and only
SELECT on ``alembic_version``), so the app never owns what row-level security protects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, app_role: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["app_role"] = app_role
    return cfg


class MigrationRefused(RuntimeError):  # noqa: N818 - a refusal, with the operator's message
    """A migration refuses the data it finds (and changed nothing); the message says what to
    correct. ``makker db upgrade`` prints it alone, without a traceback."""


def _run_outside_event_loop(fn: Callable[[], None]) -> None:
    """The Alembic environment runs its own event loop; from inside a running loop (tests,
    an async caller) it must run in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn).result()


def upgrade(database_url: str, revision: str = "head", app_role: str | None = None) -> None:
    cfg = alembic_config(database_url, app_role)
    _run_outside_event_loop(lambda: command.upgrade(cfg, revision))


def downgrade(database_url: str, revision: str = "-1", app_role: str | None = None) -> None:
    cfg = alembic_config(database_url, app_role)
    _run_outside_event_loop(lambda: command.downgrade(cfg, revision))


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head
