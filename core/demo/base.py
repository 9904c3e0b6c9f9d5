"""How the demo runs a command: in one tenant's session, as the demo actor, with the clock set
to the day the action happened (so a forløb that started months ago has its history on those
days), collecting the commands' audit notes as audit rows of the same transaction."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.audit.service import notes_written_to
from core.context import Context, context_for
from core.db.tenant_scope import tenant_scope
from core.demo.data import DEMO_ACTOR
from core.demo.plan import ProgrammePlan, programme_plan
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.plugin_api import MakkerPluginManager
from core.tenancy.models import Programme, Tenant


@dataclass(frozen=True)
class TickingClock(clock.Clock):
    """A clock set to ``fixed`` that moves on a millisecond each time it is read, so rows
    written one after the other on the same demo day keep their order."""

    ticks: Iterator[int] = field(default_factory=itertools.count)

    def now(self) -> dt.datetime:
        return super().now() + dt.timedelta(milliseconds=next(self.ticks))


@dataclass
class Demo:
    """One tenant's seeding: its session (one transaction), the plugins, and "today" as it was
    when the seeding started (every past date is counted back from it)."""

    session: AsyncSession
    tenant: Tenant
    plugins: MakkerPluginManager
    today: dt.date

    def ctx(self) -> Context:
        """A command context on the clock in force (see :meth:`on`)."""
        return context_for(self.session, self.tenant, self.plugins, DEMO_ACTOR)

    @contextmanager
    def on(self, day: dt.date, hour: int = 10) -> Iterator[None]:
        """Run the block's commands as if it were ``day`` (at ``hour``, Danish time)."""
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=clock.COPENHAGEN)
        previous = clock.get_clock()
        clock.set_clock(TickingClock(moment))
        try:
            yield
        finally:
            clock.set_clock(previous)

    def days_ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    def plan(self, programme: Programme) -> ProgrammePlan | None:
        """The demo's plan of ``programme`` in this tenant (:mod:`core.demo.plan`)."""
        return programme_plan(self.tenant.slug, programme, self.today)

    async def programme(self, slug: str) -> Programme | None:
        return await self.session.scalar(select(Programme).where(Programme.slug == slug))

    async def people(self, names: list[str] | None = None) -> dict[str, Person]:
        query = select(Person)
        if names is not None:
            query = query.where(Person.name.in_(names))
        return {p.name: p for p in await self.session.scalars(query)}

    async def enrolments(
        self, programme: Programme, role: EnrolmentRole | None = None
    ) -> list[tuple[Enrolment, Person]]:
        """The programme's enrolments (in ``role``) with their person, by name."""
        query = (
            select(Enrolment, Person)
            .join(Person, Person.id == Enrolment.person_id)
            .where(Enrolment.programme_id == programme.id)
            .order_by(Person.name, Enrolment.id)
        )
        if role is not None:
            query = query.where(Enrolment.role == role)
        return [(e, p) for e, p in (await self.session.execute(query)).tuples()]


@asynccontextmanager
async def seeding(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, plugins: MakkerPluginManager
) -> AsyncIterator[Demo]:
    """One transaction in ``tenant``; the commands' audit notes become its audit rows."""
    today = clock.today()
    with tenant_scope(tenant.id):
        async with (
            sessionmaker() as session,
            session.begin(),
            notes_written_to(session, actor=DEMO_ACTOR, tenant_slug=tenant.slug),
        ):
            yield Demo(session, tenant, plugins, today)
