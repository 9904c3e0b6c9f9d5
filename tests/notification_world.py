"""Shared builders for the notification tests: an active forløb with two people, a job
runtime on the test database, and the outbox rows as plain tuples."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.service import notes_written_to
from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb
from core.jobs.tick import JobRuntime
from core.notifications.models import ContactPreference, Notification
from core.notifications.outbox import Links
from core.notifications.setup import make_transports
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.plugin_api import create_plugin_manager
from core.settings import Settings
from core.tenancy.models import Programme, Tenant

BASE_URL = "http://127.0.0.1:8000"


@dataclass
class Pair:
    tenant: Tenant
    forloeb_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID


async def make_pair(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    started_on: dt.date,
    *,
    consent: bool = True,
    mentee_account: str | None = None,
    mentor_account: str | None = None,
    programme_name: str = "Borger til Borger",
) -> Pair:
    """An active forløb; both people have an e-mail address and a phone number and (with
    ``consent``) have said yes to be contacted."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == "btb"))
            if programme is None:
                programme = Programme(
                    slug="btb",
                    name=programme_name,
                    type="peer_mentor",
                    areas=["psykiatri"],
                    policy={"duration_months": {"min": 6, "max": 9}},
                    plugins={},
                )
                session.add(programme)
                await session.flush()
            people = []
            for name, role, account in (
                ("Anna Demosen", EnrolmentRole.MENTEE, mentee_account),
                ("Mette Mentorsen", EnrolmentRole.MENTOR, mentor_account),
            ):
                person = Person(
                    name=name,
                    email=f"{uuid.uuid4().hex[:8]}@example.org",
                    phone="01234567",
                    account=account,
                )
                session.add(person)
                await session.flush()
                enrolment = Enrolment(
                    person_id=person.id, programme_id=programme.id, role=role, status="active"
                )
                session.add(enrolment)
                await session.flush()
                if consent:
                    session.add(
                        ContactPreference(
                            person_id=person.id,
                            consent_given_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                            channels={},
                        )
                    )
                people.append((person, enrolment))
            forloeb = Forloeb(
                programme_id=programme.id,
                mentee_enrolment_id=people[0][1].id,
                mentor_enrolment_id=people[1][1].id,
                state="active",
                strategy="manual",
                proposed_on=started_on,
                proposed_by="t",
                frequency="weekly",
                planned_months=6,
                started_on=started_on,
            )
            session.add(forloeb)
            await session.flush()
            return Pair(tenant, forloeb.id, people[0][0].id, people[1][0].id)


def runtime_for(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings | None = None
) -> JobRuntime:
    settings = settings or Settings()
    plugins = create_plugin_manager()
    return JobRuntime(sessionmaker, settings, plugins, make_transports(settings, plugins))


def links(tenant: Tenant) -> Links:
    return Links(BASE_URL, tenant.slug)


async def in_context(sessionmaker, tenant, fn, actor: str = "coordinator-test"):
    """Run ``fn(ctx)`` as a command outside a request, and commit."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            ctx = context_for(session, tenant, create_plugin_manager(), actor)
            async with notes_written_to(session, actor=actor, tenant_slug=tenant.slug):
                return await fn(ctx)


async def outbox(sessionmaker, tenant) -> list[Notification]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return list(
                await session.scalars(
                    select(Notification).order_by(Notification.kind, Notification.channel)
                )
            )


def only_tenants(monkeypatch, *keep: Tenant) -> None:
    """Limit :func:`core.jobs.tick.tick` to the test's own tenants: late in a full run the
    shared test database holds thousands, and a tick walks every one (tests of one tenant call
    ``tick_tenant``; ``tests/test_job_queue.py`` proves on a database of its own that ``tick``
    walks them all)."""
    from core.jobs import tick as tick_module

    ids = {t.id for t in keep}
    every = tick_module.tenants

    async def limited(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Tenant]:
        return [t for t in await every(sessionmaker) if t.id in ids]

    monkeypatch.setattr(tick_module, "tenants", limited)
