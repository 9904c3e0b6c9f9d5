"""Fixtures for plugin and programme-rule tests: the shipped tenants under unique slugs, people,
and an API client whose caller is a coordinator of those tenants."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.app import create_app
from core.db.tenant_scope import tenant_scope
from core.participants.models import Consent, ConsentText, Enrolment, EnrolmentRole, Person
from core.tenancy.config import load_tenant_dir
from core.tenancy.models import Programme, Tenant
from core.tenancy.sync import sync_tenants
from tests.conftest import settings_for
from tests.databases import TestDatabase
from tests.tenant_files import copy_shipped_tenants

REPO = Path(__file__).resolve().parent.parent
_count = iter(range(10**9))


@pytest.fixture
async def shipped(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path, backend: str
) -> dict[str, Tenant]:
    """The shipped tenant files synced under slugs unique to this test: name -> Tenant."""
    suffix = f"pl{next(_count)}{uuid.uuid4().hex[:6]}-{backend[:2]}"
    directory = copy_shipped_tenants(tmp_path / "tenants", suffix)
    await sync_tenants(sessionmaker, load_tenant_dir(directory))
    async with sessionmaker() as session:
        rows = await session.scalars(select(Tenant).where(Tenant.slug.like(f"%-{suffix}")))
        return {t.slug.removesuffix(f"-{suffix}"): t for t in rows}


async def add_person(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    attributes: dict[str, Any] | None = None,
    *,
    consent: bool = True,
) -> uuid.UUID:
    """A clearly fictional person of ``tenant``; returns the id. With ``consent`` (the default)
    the person is enrolled in the tenant's first programme and has consented, so intake answers
    may be stored."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            person = Person(name="Testperson Fiktivsen", attributes=attributes or {})
            session.add(person)
            if consent:
                programme = await session.scalar(select(Programme).order_by(Programme.slug))
                assert programme is not None
                text = await session.scalar(
                    select(ConsentText).where(ConsentText.programme_id == programme.id)
                )
                if text is None:
                    text = ConsentText(
                        programme_id=programme.id, version=1, body="Samtykke.", created_by="test"
                    )
                    session.add(text)
                await session.flush()
                enrolment = Enrolment(
                    person_id=person.id,
                    programme_id=programme.id,
                    role=EnrolmentRole.MENTOR,
                    status="intake",
                )
                session.add(enrolment)
                await session.flush()
                session.add(
                    Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="test")
                )
        return person.id


async def attributes_of(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, person_id: uuid.UUID
) -> dict[str, Any]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            person = await session.scalar(select(Person).where(Person.id == person_id))
            assert person is not None
            return dict(person.attributes)


class _CoordinatorTokens:
    """Stands in for the token validator: every bearer token is a coordinator of ``tenants``.

    Sign-in is not what these tests are about; the tenant middleware still checks membership.
    """

    def __init__(self, issuer: str, tenants: list[str]) -> None:
        self.claims = {
            "iss": issuer,
            "sub": "test-coordinator",
            "preferred_username": "test-coordinator",
            "name": "Test Koordinator",
            "realm_access": {"roles": ["coordinator"]},
            "organization": tenants,
        }

    async def validate(self, token: str) -> dict[str, Any]:
        return self.claims


@pytest.fixture
async def api(database: TestDatabase, shipped: dict[str, Tenant]) -> AsyncIterator[AsyncTestClient]:
    """An API client for a coordinator who is a member of the shipped Kolding and Vejle."""
    settings = settings_for(database)
    app = create_app(settings)
    app.state.token_validator = _CoordinatorTokens(
        settings.oidc_issuer, [shipped["kolding"].slug, shipped["vejle"].slug]
    )
    async with AsyncTestClient(app=app) as client:
        client.headers["Authorization"] = "Bearer test"
        yield client
