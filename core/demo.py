"""Clearly fictional demo people for the shipped tenants (``makker demo``).

Surnames are invented (Demosen, Eksempelsen, ...) so nobody mistakes a demo person for a real
citizen. Seeding is idempotent: people are matched by name within their tenant.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.tenant_scope import tenant_scope
from core.participants.models import Person
from core.tenancy.models import Tenant

FIRST_NAMES = (
    "Anna",
    "Bo",
    "Camilla",
    "Dennis",
    "Emma",
    "Frederik",
    "Gitte",
    "Hans",
    "Ida",
    "Jens",
    "Karen",
    "Lars",
    "Mette",
    "Niels",
    "Oliver",
    "Pia",
    "Rasmus",
    "Sofie",
    "Torben",
    "Ulla",
)
FICTIONAL_SURNAMES = (
    "Demosen",
    "Eksempelsen",
    "Prøvesen",
    "Fiktivsen",
    "Opdigtsen",
    "Testrup",
    "Øvelsesen",
    "Skitsesen",
    "Modelgaard",
    "Pladsholm",
    "Attrapsen",
    "Udkastrup",
)
#: People per tenant slug. Kolding reports 171 people in Borger til Borger.
DEMO_PEOPLE = {"kolding": 171, "vejle": 48}


def demo_names(count: int, seed: str) -> list[tuple[str, int]]:
    """``count`` distinct fictional (name, birth year) pairs, the same for the same seed."""
    pairs = [(f, s) for f in FIRST_NAMES for s in FICTIONAL_SURNAMES]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} demo names")
    return [(f"{f} {s}", rng.randint(1950, 2004)) for f, s in pairs[:count]]


async def seed_demo_people(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Add the demo people that are missing; returns how many were added per tenant."""
    added: dict[str, int] = {}
    async with sessionmaker() as session:
        tenants = {t.slug: t.id for t in await session.scalars(select(Tenant))}
    for slug, count in DEMO_PEOPLE.items():
        if slug not in tenants:
            continue
        with tenant_scope(tenants[slug]):
            async with sessionmaker() as session, session.begin():
                existing = set(await session.scalars(select(Person.name)))
                new = [
                    Person(name=n, birth_year=y)
                    for n, y in demo_names(count, slug)
                    if n not in existing
                ]
                session.add_all(new)
                added[slug] = len(new)
    return added
