"""Benchmark: matching through the service on a real database (SQLite and PostgreSQL).

Run:  python -m tests.benchmarks.bench_forloeb

Seeds one programme with 1,000 candidates (600 citizens, 400 mentors of capacity 1-2 with their
før-samtaler; most mentors have completed a mentor course of 4 sessions, the ``mentor_course``
rule is enabled, some candidates are paused) and measures, through the commands
(:mod:`core.matching.waiting_list`, :mod:`core.forloeb.proposals`; a context of their own):

* the waiting list plus the global assignment of the whole list;
* suggestions for one citizen;
* 500 proposals (the first 500 pairs of the assignment), committed; and the same through the
  API's command (``propose``: the programme looked up, the proposals read back in one statement,
  an audit row each).

Prints, per backend, the SQL statements sent and the median wall time of several runs (a fresh
session each run, as a request would have). PostgreSQL is ``MAKKER_TEST_DATABASE_URL`` or an
embedded server (see ``tests/databases.py``). Targets (2-core machine): waiting list plus
assignment within 0.3 s, suggestions well under that, 500 proposals within 1 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.audit.service import notes_written_to
from core.clock import Clock, at_noon
from core.context import Context, context_for
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, ForloebEvent
from core.forloeb.proposals import create_proposals, propose
from core.forloeb.schemas import PairIn, ProposalsIn
from core.matching.waiting_list import assign, suggestions_for, waiting_list
from core.participants.models import (
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    Intake,
    Person,
)
from core.plugin_api import MakkerPluginManager, create_plugin_manager
from core.tenancy.models import Programme, Tenant, TenantKind
from plugins.postcodes_dk import CENTROIDS
from tests.databases import PostgresProvider, TestDatabase, create_sqlite_database

TODAY = dt.date(2026, 11, 23)
MENTEES, MENTORS, PROPOSALS = 600, 400, 500
RUNS, PROPOSAL_RUNS = 5, 3
AREAS = ("psykiatri", "handicap", "misbrug")
CHALLENGES = tuple(f"udfordring-{i}" for i in range(40))
INTERESTS = tuple(f"interesse-{i}" for i in range(60))
SLOTS = tuple(
    f"{d}-{t}"
    for d in ("man", "tir", "ons", "tor", "fre", "lør", "søn")
    for t in ("formiddag", "eftermiddag", "aften")
)
POSTCODES = tuple(CENTROIDS)


async def seed(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[Tenant, Programme]:
    """A tenant and a programme with the candidates described above."""
    rng = random.Random(1000)
    tenant = Tenant(
        slug=f"bench-{uuid.uuid4().hex[:8]}",
        name="Benchmark kommune",
        kind=TenantKind.MUNICIPALITY,
        municipality_code="999",
        plugins={},
    )
    async with sessionmaker() as session, session.begin():
        session.add(tenant)
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                id=uuid.uuid4(),
                slug="btb",
                name="Borger til Borger",
                type="peer_mentor",
                areas=list(AREAS),
                policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
                plugins={"mentor_course": {"min_sessions_attended": 3}},
            )
            session.add(programme)
            await session.flush()
            courses = [
                Course(
                    id=uuid.uuid4(),
                    programme_id=programme.id,
                    number=n,
                    start_date=TODAY - dt.timedelta(days=60 + 30 * n),
                    capacity=50,
                )
                for n in range(1, 11)
            ]
            sessions = {
                c.id: [
                    CourseSession(
                        id=uuid.uuid4(),
                        course_id=c.id,
                        position=p,
                        day=c.start_date + dt.timedelta(days=7 * p),
                        starts=dt.time(17),
                        ends=dt.time(20),
                        topic=f"Emne {p}",
                    )
                    for p in range(1, 5)
                ]
                for c in courses
            }
            session.add_all(courses)
            await session.flush()
            session.add_all([s for group in sessions.values() for s in group])
            await session.flush()
            people: list[Person] = []
            enrolments: list[Enrolment] = []
            intakes: list[Intake] = []
            participants: list[CourseParticipant] = []
            attendance: list[CourseAttendance] = []
            for i in range(MENTEES + MENTORS):
                mentor = i >= MENTEES
                person = Person(
                    id=uuid.uuid4(),
                    name=f"Person {i}",
                    gender=rng.choice(("kvinde", "mand", None)),
                    birth_year=rng.randint(1950, 2005),
                    postal_code=rng.choice(POSTCODES),
                    interests=rng.sample(INTERESTS, rng.randint(1, 5)),
                    availability=rng.sample(SLOTS, rng.randint(1, 6)),
                )
                enrolment = Enrolment(
                    id=uuid.uuid4(),
                    person_id=person.id,
                    programme_id=programme.id,
                    role=EnrolmentRole.MENTOR if mentor else EnrolmentRole.MENTEE,
                    status="ready",
                )
                intakes.append(
                    Intake(
                        enrolment_id=enrolment.id,
                        held_on=TODAY - dt.timedelta(days=30),
                        lived_experience=rng.sample(AREAS, rng.randint(1, 2)),
                        challenges=", ".join(rng.sample(CHALLENGES, rng.randint(0, 3))),
                        wish_gender=rng.choice((None, None, "kvinde", "mand")),
                        wish_gender_required=rng.random() < 0.05,
                        wish_age_min=rng.choice((None, 25, 40)),
                        wish_age_max=rng.choice((None, 50, 70)),
                        capacity=rng.randint(1, 2) if mentor else 1,
                        paused_until=TODAY + dt.timedelta(days=30) if rng.random() < 0.03 else None,
                    )
                )
                people.append(person)
                enrolments.append(enrolment)
                if mentor and rng.random() < 0.9:  # the others have no course: excluded
                    course = rng.choice(courses)
                    participants.append(CourseParticipant(course_id=course.id, person_id=person.id))
                    attendance += [
                        CourseAttendance(session_id=s.id, person_id=person.id)
                        for s in rng.sample(sessions[course.id], rng.choice((3, 3, 4)))
                    ]
            # No relationships are mapped, so the unit of work needs the order spelt out.
            for rows in (people, enrolments, intakes, participants, attendance):
                session.add_all(rows)
                await session.flush()
    return tenant, programme


class Counter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


#: (statements of one run, wall-clock seconds of each run, CPU seconds of this process each run)
Figures = tuple[int, list[float], list[float]]


async def measure(counter: Counter, runs: int, action: Callable[[], Awaitable[Any]]) -> Figures:
    walls, cpus, statements = [], [], 0
    for _ in range(runs):
        before = counter.count
        t0, c0 = time.perf_counter(), time.process_time()
        await action()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        statements = counter.count - before
    return statements, walls, cpus


async def bench(database: TestDatabase) -> dict[str, Figures]:
    engine = create_engine(database.app_url)
    sessionmaker = create_sessionmaker(engine)
    pm: MakkerPluginManager = create_plugin_manager()
    tenant, programme = await seed(sessionmaker)
    if database.backend == "postgresql":
        # A live database has planner statistics (autovacuum analyses it); right after seeding
        # it has none, and the planner's guesses for the 500-id read-back cost about a second.
        owner = create_engine(database.owner_url)
        async with owner.connect() as connection:
            await connection.exec_driver_sql("ANALYZE")
        await owner.dispose()
    counter = Counter(engine)
    results: dict[str, Figures] = {}
    clock = Clock(at_noon(TODAY))

    def ctx_of(session: AsyncSession) -> Context:
        return context_for(session, tenant, pm, "bench", clock)

    with tenant_scope(tenant.id):

        async def waiting_and_assignment() -> list[Any]:
            async with sessionmaker() as session:
                waiting = await waiting_list(ctx_of(session), programme)
                return assign(waiting, TODAY)

        async with sessionmaker() as session:
            waiting = await waiting_list(ctx_of(session), programme)
            plan = assign(waiting, TODAY)
            citizen = waiting.open_mentees[len(waiting.open_mentees) // 2].enrolment.id
        pairs = [(uuid.UUID(p.mentee), uuid.UUID(p.mentor)) for p in plan][:PROPOSALS]
        assert len(pairs) == PROPOSALS, len(pairs)

        async def one_citizen() -> Any:
            async with sessionmaker() as session:
                return await suggestions_for(ctx_of(session), programme, citizen)

        async def proposals() -> None:
            async with sessionmaker() as session:
                created = await create_proposals(ctx_of(session), programme, pairs)
                await session.commit()
                assert len(created) == PROPOSALS

        async def proposals_command() -> None:
            data = ProposalsIn([PairIn(mentee, mentor) for mentee, mentor in pairs])
            async with sessionmaker() as session:
                with_audit = notes_written_to(session, actor="bench", tenant_slug=tenant.slug)
                async with with_audit:
                    rows = await propose(ctx_of(session), programme.slug, data)
                await session.commit()
                assert len(rows) == PROPOSALS

        async def reset() -> None:
            async with sessionmaker() as session, session.begin():
                ids = select(Enrolment.id).where(Enrolment.programme_id == programme.id)
                forloeb = select(Forloeb.id).where(Forloeb.programme_id == programme.id)
                await session.execute(
                    delete(ForloebEvent).where(ForloebEvent.forloeb_id.in_(forloeb))
                )
                await session.execute(delete(Forloeb).where(Forloeb.programme_id == programme.id))
                await session.execute(
                    delete(EnrolmentEvent).where(EnrolmentEvent.enrolment_id.in_(ids))
                )
                await session.execute(
                    update(Enrolment)
                    .where(Enrolment.programme_id == programme.id)
                    .values(status="ready")
                )

        await waiting_and_assignment()  # warm up (imports, caches)
        results["waiting list + assignment"] = await measure(counter, RUNS, waiting_and_assignment)
        results["suggestions for one citizen"] = await measure(counter, RUNS, one_citizen)
        for name, action in (
            (f"{PROPOSALS} proposals", proposals),
            (f"{PROPOSALS} proposals (command)", proposals_command),
        ):
            walls: list[float] = []
            cpus: list[float] = []
            statements = 0
            for _ in range(PROPOSAL_RUNS):
                await reset()
                statements, wall, cpu = await measure(counter, 1, action)
                walls, cpus = walls + wall, cpus + cpu
            results[name] = (statements, walls, cpus)
    await engine.dispose()
    return results


def main() -> None:
    backends = sys.argv[1:] or ["sqlite", "postgresql"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            if backend == "sqlite":
                database = create_sqlite_database(Path(tmp))
            else:
                database = PostgresProvider(Path(tmp)).create_database()
            database.upgrade()
            results = asyncio.run(bench(database))
            print(f"{backend} ({MENTEES} citizens, {MENTORS} mentors):")
            for name, (statements, walls, cpus) in results.items():
                median, fastest, cpu = statistics.median(walls), min(walls), statistics.median(cpus)
                print(
                    f"  {name:28} {statements:5d} statements  median {median:.3f} s"
                    f" (fastest {fastest:.3f} s; CPU of this process {cpu:.3f} s)"
                )


if __name__ == "__main__":
    main()
