"""Shared fixtures. Database tests run on SQLite *and* real PostgreSQL (see tests/databases.py).

Every database test has two municipalities and one partner at hand (``tenants``), with slugs
unique to the test, so tests never see each other's rows.

``pytest`` runs on every CPU at once (pytest-xdist: ``-n auto --dist loadfile`` in pyproject's
addopts): each worker is its own process with its own temporary directory, its own embedded
PostgreSQL (its own socket) and its own session fixtures, and runs whole test files, so a file's
module fixtures are built once. Nothing mutable is shared between workers but ``seeded_demo``,
which is read-only once made. ``pytest -n 0`` runs serially in one process (for ``--pdb``,
``breakpoint()`` or print debugging).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import clock as app_clock
from core.db.session import create_engine, create_sessionmaker
from core.settings import Settings
from core.tenancy.models import Tenant, TenantKind
from tests.databases import PostgresProvider, TestDatabase, create_sqlite_database
from tests.live import LiveServer, free_port, start_live_server

BACKENDS = ("sqlite", "postgresql")
_slugs = itertools.count()

#: Test clients wait up to 30 s for an answer unless they say otherwise (httpx's default is
#: 5 s). With two workers on two cores, a loaded machine made a live server's page take 5.3 s
#: now and then: a timeout there tells nothing about the code, and the test's own assertions
#: still decide. A client that names its own timeout keeps it.
_httpx_init = httpx.AsyncClient.__init__


def _patient_client(self: httpx.AsyncClient, *args: object, **kwargs: object) -> None:
    kwargs.setdefault("timeout", 30.0)
    _httpx_init(self, *args, **kwargs)  # type: ignore[arg-type]


httpx.AsyncClient.__init__ = _patient_client  # type: ignore[method-assign]


@dataclass(frozen=True)
class _RunningClock(app_clock.Clock):
    """A clock set to ``fixed`` when ``time.monotonic()`` was ``started``, ticking on from there.

    Unlike a stopped clock, rows written one after the other get distinct timestamps, so
    histories keep their order."""

    started: float = 0.0

    def now(self) -> dt.datetime:
        return super().now() + dt.timedelta(seconds=time.monotonic() - self.started)


class AppClock:
    """The app's clock in a test (see the ``clock`` fixture)."""

    def set(self, at: dt.date | dt.datetime) -> None:
        """Set the app's time to ``at`` (a date means noon in Copenhagen); it runs on from there."""
        moment = at if isinstance(at, dt.datetime) else app_clock.at_noon(at)
        if moment.tzinfo is None:
            raise ValueError("clock.set() needs an aware datetime or a date")
        app_clock.set_clock(_RunningClock(moment, time.monotonic()))

    def today(self) -> dt.date:
        """Today in Copenhagen, as the app sees it."""
        return app_clock.today()


@pytest.fixture
def clock() -> Iterator[AppClock]:
    """The one place tests set the date and time (:mod:`core.clock`): ``clock.set(day)``.

    The process-wide clock is followed by services, pages, plugins and the live server (a thread
    of this process); it is real time again after the test."""
    previous = app_clock.get_clock()
    yield AppClock()
    app_clock.set_clock(previous)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """The workers of ``-n auto``: the CPUs this process may run on (its affinity mask and a
    cgroup v2 CPU quota count; xdist's own guess counts the whole machine's cores).
    ``PYTEST_XDIST_AUTO_NUM_WORKERS=N`` overrides it."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return cpus


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary directory of the whole run: shared by the xdist workers (each has its own
    ``popen-gwN`` below it), the session's own without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database of one first ``makker demo --no-serve``, seeded once per run (about 40 s) for
    every worker: the first worker to need it seeds it under a file lock, the others wait and
    read it. Never write to it - copy it (``demo_db`` in tests/test_demo.py)."""
    root = run_root(tmp_path_factory)
    workdir = root / "demo-seeded"
    done = workdir / "seeded"
    with (root / "demo-seeded.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(workdir, ignore_errors=True)  # a failed attempt's leftovers
            workdir.mkdir()
            seeded = subprocess.run(
                [sys.executable, "-m", "core.cli", "demo", "--no-serve"],
                cwd=workdir,
                env={k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")},
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert seeded.returncode == 0, seeded.stderr[-2000:]
            assert "demo people added: kolding 216, vejle 67" in seeded.stdout
            done.touch()
    return workdir / "makker.sqlite3"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> PostgresProvider:
    return PostgresProvider(tmp_path_factory.mktemp("postgres"))


@pytest.fixture(scope="session")
def _migrated(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, TestDatabase]:
    """One migrated database per backend, shared by the session (created on first use)."""
    return {}


@pytest.fixture(scope="session")
def _sqlite_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the session's SQLite database lives: in memory (tmpfs) where there is one - SQLite
    flushes every commit to disk, and most tests commit - else in the temporary directory."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("sqlite")
        return
    directory = Path(tempfile.mkdtemp(prefix="makker-test-sqlite-", dir=shm))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> TestDatabase:
    """An empty database (no migrations applied) on ``backend``."""
    if backend == "sqlite":
        return create_sqlite_database(tmp_path)
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def database(
    backend: str,
    _migrated: dict[str, TestDatabase],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> TestDatabase:
    """A migrated database on ``backend``, shared across tests of the session."""
    return migrated_database(backend, _migrated, tmp_path_factory, request)


def migrated_database(
    backend: str,
    migrated: dict[str, TestDatabase],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> TestDatabase:
    """The session's migrated database on ``backend``, for fixtures of any scope."""
    if backend not in migrated:
        if backend == "sqlite":
            db = create_sqlite_database(request.getfixturevalue("_sqlite_directory"))
        else:
            db = request.getfixturevalue("postgres").create_database()
        db.upgrade()
        migrated[backend] = db
    return migrated[backend]


@pytest.fixture
async def engine(database: TestDatabase) -> AsyncIterator[AsyncEngine]:
    """An engine connected as the application role."""
    eng = create_engine(database.app_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@dataclass
class Tenants:
    a: Tenant  # municipality
    b: Tenant  # municipality
    partner: Tenant


@pytest.fixture
async def tenants(sessionmaker: async_sessionmaker[AsyncSession]) -> Tenants:
    """Two municipalities and a partner, with slugs unique to this test."""
    return await make_tenants(sessionmaker)


async def make_tenants(sessionmaker: async_sessionmaker[AsyncSession]) -> Tenants:
    """Two new municipalities and a partner, with unique slugs (for fixtures of any scope)."""
    n = f"{next(_slugs)}-{uuid.uuid4().hex[:6]}"
    made = [
        Tenant(
            slug=f"kommune-a-{n}",
            name="Kommune A",
            kind=TenantKind.MUNICIPALITY,
            municipality_code="101",
            plugins={},
        ),
        Tenant(
            slug=f"kommune-b-{n}",
            name="Kommune B",
            kind=TenantKind.MUNICIPALITY,
            municipality_code="102",
            plugins={},
        ),
        Tenant(slug=f"partner-{n}", name="Partner", kind=TenantKind.PARTNER, plugins={}),
    ]
    async with sessionmaker() as session, session.begin():
        session.add_all(made)
    return Tenants(*made)


def settings_for(database: TestDatabase, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database.app_url,
        "migration_database_url": database.owner_url,
        # The suite makes many requests as one user and signs in often from one address: the
        # rate limits are tested with low limits of their own (tests/test_rate_limits.py).
        "rate_limit_user": 1_000_000,
        "rate_limit_address": 1_000_000,
        "rate_limit_sign_in": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def _live_servers() -> Iterator[dict[str, LiveServer]]:
    servers: dict[str, LiveServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def live(backend: str, database: TestDatabase, _live_servers: dict[str, LiveServer]) -> LiveServer:
    """A real server (one per backend, shared by the session) with its development issuer."""
    return live_server(backend, database, _live_servers)


def live_server(backend: str, database: TestDatabase, servers: dict[str, LiveServer]) -> LiveServer:
    """The session's live server on ``backend``, for fixtures of any scope."""
    if backend not in servers:
        port = free_port()
        servers[backend] = start_live_server(
            settings_for(
                database,
                base_url=f"http://127.0.0.1:{port}",
                oidc_issuer=f"http://127.0.0.1:{port}/realms/makker",
            )
        )
    return servers[backend]
