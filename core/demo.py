"""Clearly fictional demo data for the shipped tenants (``makker demo``).

Surnames are invented (Demosen, Eksempelsen, ...) so nobody mistakes a demo person for a real
citizen. Kolding's numbers follow what Kolding reported: 102 citizens and 69 mentors in forløb in
Borger til Borger. Vejle grants Psykiatrifonden ``participants`` on the misbrug programme and
``aggregate`` on Peer-to-Peer. Seeding is idempotent: people are matched by name within their
tenant, enrolments by person and programme, grants by programme and partner.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.tenant_scope import tenant_scope
from core.participants.models import (
    Consent,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    Person,
)
from core.participants.service import current_consent_text
from core.tenancy.models import Programme, Tenant
from core.tenancy.partnerships import grant_partnership, grants_given

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
#: Per tenant: programme slug -> (mentees, mentors) in forløb. The people are made to fit.
DEMO_ENROLMENTS: dict[str, dict[str, tuple[int, int]]] = {
    "kolding": {"borger-til-borger": (102, 69)},
    "vejle": {"peer-to-peer": (18, 12), "misbrug-mentor": (12, 6)},
}
DEMO_GRANTS = (
    ("vejle", "misbrug-mentor", "psykiatrifonden", "participants"),
    ("vejle", "peer-to-peer", "psykiatrifonden", "aggregate"),
)
DEMO_ACTOR = "makker-demo"


def demo_names(count: int, seed: str) -> list[tuple[str, int]]:
    """``count`` distinct fictional (name, birth year) pairs, the same for the same seed."""
    pairs = [(f, s) for f in FIRST_NAMES for s in FICTIONAL_SURNAMES]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} demo names")
    return [(f"{f} {s}", rng.randint(1950, 2004)) for f, s in pairs[:count]]


async def _seed_tenant(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, plan: dict[str, tuple[int, int]]
) -> int:
    total = sum(mentees + mentors for mentees, mentors in plan.values())
    names = demo_names(total, tenant.slug)
    added = 0
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            people = {p.name: p for p in await session.scalars(select(Person))}
            programmes = {p.slug: p for p in await session.scalars(select(Programme))}
            enrolled = {
                (e.person_id, e.programme_id) for e in await session.scalars(select(Enrolment))
            }
            position = 0
            for slug, (mentees, mentors) in plan.items():
                programme = programmes.get(slug)
                roles = [EnrolmentRole.MENTEE] * mentees + [EnrolmentRole.MENTOR] * mentors
                for role in roles:
                    name, birth_year = names[position]
                    position += 1
                    person = people.get(name)
                    if person is None:
                        person = Person(name=name, birth_year=birth_year)
                        session.add(person)
                        await session.flush()
                        people[name] = person
                        added += 1
                    if programme and (person.id, programme.id) not in enrolled:
                        await _enrol_active(session, tenant, programme, person, role)
                        enrolled.add((person.id, programme.id))
    return added


#: The path a demo enrolment took to ``active`` (each step an event by the demo actor).
DEMO_PATH = ("interested", "intake", "eligible", "ready", "matched", "active")


async def _enrol_active(
    session: AsyncSession, tenant: Tenant, programme: Programme, person: Person, role: EnrolmentRole
) -> None:
    """An ``active`` enrolment with a plausible history and a consent to the default text."""
    enrolment = Enrolment(
        person_id=person.id, programme_id=programme.id, role=role, status=DEMO_PATH[-1]
    )
    session.add(enrolment)
    await session.flush()
    text = await current_consent_text(session, tenant, programme, DEMO_ACTOR)
    session.add(Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by=DEMO_ACTOR))
    previous: str | None = None
    for status in DEMO_PATH:
        session.add(
            EnrolmentEvent(
                enrolment_id=enrolment.id, from_status=previous, to_status=status, actor=DEMO_ACTOR
            )
        )
        previous = status


async def seed_demo(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Add what is missing of the demo data; returns how many people were added per tenant."""
    async with sessionmaker() as session:
        tenants = {t.slug: t for t in await session.scalars(select(Tenant))}
    added = {
        slug: await _seed_tenant(sessionmaker, tenants[slug], plan)
        for slug, plan in DEMO_ENROLMENTS.items()
        if slug in tenants
    }
    for owner_slug, programme, partner_slug, scope in DEMO_GRANTS:
        owner = tenants.get(owner_slug)
        if owner is None or partner_slug not in tenants:
            continue
        existing = {
            (g.programme_slug, g.partner_slug, g.scope.value)
            for g in await grants_given(sessionmaker, owner)
        }
        if (programme, partner_slug, scope) not in existing:
            await grant_partnership(
                sessionmaker,
                owner,
                programme_slug=programme,
                partner_slug=partner_slug,
                scope=scope,
                actor=DEMO_ACTOR,
            )
    return added
