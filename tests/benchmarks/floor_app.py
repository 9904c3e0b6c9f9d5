"""The floor for ``bench_api``: the people list with nothing but Litestar and SQLAlchemy async.

``GET /api/v1/t/{tenant_slug}/people?limit=50&offset=0`` runs the same three queries as Makker's
list on the same tables - the total, one page of people ordered by name, and their enrolments
with the programme - and answers the same JSON shape. Each query carries the same
``tenant_id = ...`` conditions as the SQL Makker's ORM guard produces (without them the enrolment
query has no index to use: ``enrolment.person_id`` is not indexed). What it leaves out is
everything else Makker adds: no authentication, no tenant lookup or membership check (the slug
is a subquery in the WHERE), no ORM guard, no row-level security (it connects as a role that
bypasses it), no ``set_config``, no audit row, no middleware.

Run: ``FLOOR_DATABASE_URL=... python -m tests.benchmarks.floor_app --port N`` (one uvicorn
worker on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated

import msgspec
import uvicorn
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.participants.models import Enrolment, Person
from core.tenancy.models import Programme, Tenant


class EnrolmentBrief(msgspec.Struct):
    id: uuid.UUID
    programme: str
    programme_name: str
    role: str
    status: str


class PersonSummary(msgspec.Struct):
    id: uuid.UUID
    name: str
    enrolments: list[EnrolmentBrief]


class PeoplePage(msgspec.Struct):
    items: list[PersonSummary]
    total: int
    page: int
    pages: int
    page_size: int


@get("/api/v1/t/{tenant_slug:str}/people")
async def list_people(
    state: State,
    tenant_slug: FromPath[str],
    limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
    offset: Annotated[int, Parameter(ge=0)] = 0,
) -> PeoplePage:
    tenant_id = select(Tenant.id).where(Tenant.slug == tenant_slug).scalar_subquery()
    async with state.sessionmaker() as session:
        total = (
            await session.scalar(
                select(func.count()).select_from(Person).where(Person.tenant_id == tenant_id)
            )
            or 0
        )
        people = list(
            await session.scalars(
                select(Person)
                .where(Person.tenant_id == tenant_id)
                .order_by(Person.name, Person.id)
                .offset(offset)
                .limit(limit)
            )
        )
        by_person: dict[uuid.UUID, list[EnrolmentBrief]] = {}
        if people:
            rows = await session.execute(
                select(Enrolment, Programme)
                .join(Programme, Programme.id == Enrolment.programme_id)
                .where(
                    Enrolment.person_id.in_([p.id for p in people]),
                    Enrolment.tenant_id == tenant_id,
                    Programme.tenant_id == tenant_id,
                )
                .order_by(Enrolment.created_at)
            )
            for enrolment, programme in rows.tuples():
                by_person.setdefault(enrolment.person_id, []).append(
                    EnrolmentBrief(
                        enrolment.id,
                        programme.slug,
                        programme.name,
                        str(getattr(enrolment.role, "value", enrolment.role)),
                        enrolment.status,
                    )
                )
    return PeoplePage(
        items=[PersonSummary(p.id, p.name, by_person.get(p.id, [])) for p in people],
        total=total,
        page=offset // limit + 1,
        pages=max(1, -(-total // limit)),
        page_size=limit,
    )


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def create_floor_app(database_url: str) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_async_engine(database_url)
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        try:
            yield
        finally:
            await engine.dispose()

    return Litestar(route_handlers=[list_people, health], lifespan=[lifespan])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_floor_app(os.environ["FLOOR_DATABASE_URL"])
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, workers=1, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
