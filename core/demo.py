"""Clearly fictional demo data for the shipped tenants (``makker demo``).

Surnames are invented (Demosen, Eksempelsen, ...) so nobody mistakes a demo person for a real
citizen. Kolding's numbers follow what Kolding reported: 102 citizens and 69 mentors in forløb in
Borger til Borger. Vejle grants Psykiatrifonden ``participants`` on the misbrug programme and
``aggregate`` on Peer-to-Peer. Kolding's mentor course has nine finished hold and hold 10 and
11 running (monthly sessions, dated from the day of the first seeding), a weekly interest group
and a monthly group supervision; Vejle publishes a monthly information meeting. Seeding is
idempotent: people are matched by name within their tenant, enrolments by person and programme,
grants by programme and partner, hold by programme and number, activities by title.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.activities.models import Activity, ActivityKind, ActivityMember, Recurrence
from core.activities.recurrence import add_months, monthly_days
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.tenant_scope import tenant_scope
from core.identity.dev_users import DEMO_USERS
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


#: Kolding's mentor course: hold 1-9 finished, 10 and 11 running; six monthly teaching days.
DEMO_COURSE = ("kolding", "borger-til-borger")
DEMO_COURSE_TOPICS = (
    "Velkommen, forventninger og rollen som mentor",
    "Recovery og din egen historie",
    "Grænser, og at sige nej",
    "Den gode samtale og aktiv lytning",
    "Tavshedspligt, netværk og hvor man får hjælp",
    "Afslutning af et forløb og næste skridt",
)
#: Mentors on each running hold (taken from Kolding's enrolled mentors, by name).
DEMO_COURSE_MENTORS = 8
#: Members of Kolding's interest group: mentors, citizens.
DEMO_GROUP_MEMBERS = (2, 5)


def demo_course_starts(today: dt.date) -> dict[int, dt.date]:
    """First teaching day of each demo hold: the 10th of a month; hold 9 a year ago and each
    earlier one six months before the next (all finished), hold 10 three months ago and hold 11
    a month ago (both running: the last of their six sessions lies ahead)."""
    anchor = dt.date(today.year, today.month, 10)
    starts = {n: add_months(anchor, -12 - 6 * (9 - n)) for n in range(1, 10)}
    starts[10] = add_months(anchor, -3)
    starts[11] = add_months(anchor, -1)
    return starts


#: Sessions of the running hold that lie in the past whatever the day of the month: their
#: attendance is seeded (every participant present but one, a different one each time).
DEMO_ATTENDED_SESSIONS = {10: 3, 11: 1}


def demo_activities(slug: str) -> list[Activity]:
    """The standing activities of a demo tenant (without programme; set by the caller)."""
    if slug == "kolding":
        return [
            Activity(
                kind=ActivityKind.INTEREST_GROUP,
                title="Kreativt værksted",
                description="Interessefællesskab: vi maler, syr og hækler sammen hver onsdag.",
                place="Aktivitetshuset",
                room="Værkstedet",
                first_on=dt.date(2025, 1, 8),  # a Wednesday
                starts=dt.time(13, 0),
                ends=dt.time(15, 0),
                recurrence=Recurrence.WEEKLY,
                published=False,
            ),
            Activity(
                kind=ActivityKind.SUPERVISION,
                title="Gruppesparring for mentorer",
                description="Mentorerne deler erfaringer med hinanden og en koordinator.",
                place="Socialpsykiatrien",
                room="Mødelokale 2",
                first_on=dt.date(2025, 1, 14),
                starts=dt.time(17, 0),
                ends=dt.time(19, 0),
                recurrence=Recurrence.MONTHLY,
                published=False,
            ),
        ]
    if slug == "vejle":
        return [
            Activity(
                kind=ActivityKind.INFO_MEETING,
                title="Informationsmøde: Bliv frivillig mentor",
                description="Hør om at være mentor i Peer-to-Peer. Ingen tilmelding.",
                place="Vejle Rådhus",
                room="Mødelokale 3",
                first_on=dt.date(2025, 1, 7),
                starts=dt.time(17, 0),
                ends=dt.time(18, 30),
                recurrence=Recurrence.MONTHLY,
                published=True,
            )
        ]
    return []


DEMO_ACTIVITY_PROGRAMMES = {"kolding": "borger-til-borger", "vejle": "peer-to-peer"}


async def _people_by_role(
    session: AsyncSession, programme: Programme, role: EnrolmentRole
) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(Enrolment, Enrolment.person_id == Person.id)
            .where(Enrolment.programme_id == programme.id, Enrolment.role == role)
            .order_by(Person.name)
        )
    )


async def _seed_courses(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, programme_slug: str
) -> None:
    today = dt.date.today()
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(
                select(Programme).where(Programme.slug == programme_slug)
            )
            if programme is None:
                return
            existing = set(
                await session.scalars(
                    select(Course.number).where(Course.programme_id == programme.id)
                )
            )
            mentors = await _people_by_role(session, programme, EnrolmentRole.MENTOR)
            for number, first in demo_course_starts(today).items():
                if number in existing:
                    continue
                course = Course(
                    programme_id=programme.id, number=number, start_date=first, capacity=15
                )
                session.add(course)
                await session.flush()
                sessions = []
                for position, (day, topic) in enumerate(
                    zip(
                        monthly_days(first, len(DEMO_COURSE_TOPICS)),
                        DEMO_COURSE_TOPICS,
                        strict=True,
                    ),
                    start=1,
                ):
                    row = CourseSession(
                        course_id=course.id,
                        position=position,
                        day=day,
                        starts=dt.time(10, 0),
                        ends=dt.time(14, 0),
                        topic=topic,
                        place="Socialpsykiatrien, Mødelokale 1",
                    )
                    session.add(row)
                    sessions.append(row)
                if number not in DEMO_ATTENDED_SESSIONS:
                    continue
                offset = (number - 10) * DEMO_COURSE_MENTORS
                people = mentors[offset : offset + DEMO_COURSE_MENTORS]
                for person in people:
                    session.add(CourseParticipant(course_id=course.id, person_id=person.id))
                await session.flush()
                for k, held in enumerate(sessions[: DEMO_ATTENDED_SESSIONS[number]]):
                    for i, person in enumerate(people):
                        if i != k % len(people):
                            session.add(CourseAttendance(session_id=held.id, person_id=person.id))


async def _seed_activities(sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            titles = set(await session.scalars(select(Activity.title)))
            programme = await session.scalar(
                select(Programme).where(
                    Programme.slug == DEMO_ACTIVITY_PROGRAMMES.get(tenant.slug, "")
                )
            )
            for activity in demo_activities(tenant.slug):
                if activity.title in titles:
                    continue
                activity.programme_id = programme.id if programme else None
                session.add(activity)
                await session.flush()
                if activity.kind != ActivityKind.INTEREST_GROUP or programme is None:
                    continue
                mentors, citizens = DEMO_GROUP_MEMBERS
                members = (await _people_by_role(session, programme, EnrolmentRole.MENTOR))[
                    -mentors:
                ] + (await _people_by_role(session, programme, EnrolmentRole.MENTEE))[:citizens]
                for person in members:
                    session.add(ActivityMember(activity_id=activity.id, person_id=person.id))


#: Demo sign-ins linked to a demo person ("Mit forløb"): tenant, username, programme, role.
#: The person is the programme's first by name in that role (Kolding's is on hold 10).
DEMO_ACCOUNTS = (
    ("kolding", "kolding-mentor", "borger-til-borger", EnrolmentRole.MENTOR),
    ("vejle", "vejle-mentor", "peer-to-peer", EnrolmentRole.MENTOR),
    ("vejle", "vejle-borger", "peer-to-peer", EnrolmentRole.MENTEE),
)


def demo_account(issuer: str, username: str) -> str:
    """The principal user id (``iss#sub``) the development issuer gives a demo user."""
    user = next(u for u in DEMO_USERS if u.username == username)
    return f"{issuer}#{user.subject}"


async def _link_accounts(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: dict[str, Tenant], issuer: str
) -> None:
    """Link the demo sign-ins to their persons. The issuer URL follows the demo's address, so
    a run on another port re-links the same person with the new user id."""
    for slug, username, programme_slug, role in DEMO_ACCOUNTS:
        tenant = tenants.get(slug)
        if tenant is None:
            continue
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                programme = await session.scalar(
                    select(Programme).where(Programme.slug == programme_slug)
                )
                if programme is None:
                    continue
                people = await _people_by_role(session, programme, role)
                if people:
                    people[0].account = demo_account(issuer, username)


async def seed_demo(
    sessionmaker: async_sessionmaker[AsyncSession], issuer: str | None = None
) -> dict[str, int]:
    """Add what is missing of the demo data; returns how many people were added per tenant.
    With ``issuer`` (the development issuer's URL) the demo sign-ins are linked to persons."""
    async with sessionmaker() as session:
        tenants = {t.slug: t for t in await session.scalars(select(Tenant))}
    added = {
        slug: await _seed_tenant(sessionmaker, tenants[slug], plan)
        for slug, plan in DEMO_ENROLMENTS.items()
        if slug in tenants
    }
    course_tenant, course_programme = DEMO_COURSE
    if course_tenant in tenants:
        await _seed_courses(sessionmaker, tenants[course_tenant], course_programme)
    for slug in DEMO_ACTIVITY_PROGRAMMES:
        if slug in tenants:
            await _seed_activities(sessionmaker, tenants[slug])
    if issuer is not None:
        await _link_accounts(sessionmaker, tenants, issuer)
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
